//! The terms the web pages and the printable certificate both print, in one table
//! (`terms.json`: key → [English, French, Italian, German, Spanish]): field labels of the
//! application (`field.*`), certificate states (`state.*`) and the few certificate facts
//! both show (`cert.*`). A term translated once reads the same on the verification page
//! and on the PDF.
//!
//! The web pages add what they alone say (`cartouche-server`'s `web/messages.json`, in
//! the same five columns) to make their one table; the document reads the same terms,
//! and keeps the form's own wording (box titles, captions) in
//! `cartouche-document`. Keys follow the pages' names, so a key moved here keeps working
//! wherever it was used.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The table, as shipped in the binary.
pub const TERMS: &str = include_str!("terms.json");

/// A language of the shared table, of the pages and of the printed certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lang {
    /// English.
    En,
    /// French.
    Fr,
    /// Italian.
    It,
    /// German.
    De,
    /// Spanish.
    Es,
}

impl Lang {
    /// Every language, in the order of the table's columns (and of the pages' language switch).
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Fr, Lang::It, Lang::De, Lang::Es];

    /// The column of this language in the table.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The BCP 47 tag.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::It => "it",
            Lang::De => "de",
            Lang::Es => "es",
        }
    }

    /// The language of a BCP 47 tag (`it`, `de-CH`, `fr_FR`, `ES`), by its primary subtag.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next().unwrap_or("").trim().to_ascii_lowercase();
        Lang::ALL.into_iter().find(|lang| lang.code() == primary)
    }

    /// The preferred language of an `Accept-Language` header among these, if any.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut ranked: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|item| {
                let mut parts = item.split(';');
                let lang = Lang::from_tag(parts.next()?)?;
                let quality =
                    parts.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
                Some((quality, lang))
            })
            .filter(|(quality, _)| *quality > 0.0)
            .collect();
        // Stable: among equal weights, the header's order.
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map(|(_, lang)| *lang)
    }
}

fn table() -> &'static BTreeMap<String, [String; 5]> {
    static TABLE: OnceLock<BTreeMap<String, [String; 5]>> = OnceLock::new();
    // Checked by the unit tests below: a table that does not parse is a build defect.
    TABLE.get_or_init(|| serde_json::from_str(TERMS).expect("terms.json is a map of key to [en, fr, it, de, es]"))
}

/// The text of `key` in `lang`, if the table has it.
pub fn term(key: &str, lang: Lang) -> Option<&'static str> {
    table().get(key).map(|texts| texts[lang.index()].as_str())
}

/// Every key of the table, in order.
pub fn keys() -> impl Iterator<Item = &'static str> {
    table().keys().map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_term_exists_in_every_language() {
        let raw: BTreeMap<String, Vec<String>> = serde_json::from_str(TERMS).unwrap();
        assert!(raw.len() > 40, "{} terms", raw.len());
        for (key, texts) in &raw {
            assert_eq!(texts.len(), Lang::ALL.len(), "{key}: [en, fr, it, de, es]");
            for lang in Lang::ALL {
                let text = &texts[lang.index()];
                assert!(!text.trim().is_empty(), "{key}: no {lang:?} text");
                assert_eq!(text.trim(), text, "{key}: {lang:?} text has stray spaces");
            }
        }
        assert_eq!(keys().count(), raw.len());
    }

    #[test]
    fn keys_are_unique_and_named_like_the_pages() {
        // serde_json keeps the last duplicate silently; count the keys in the text.
        let written = TERMS.lines().filter(|line| line.trim_start().starts_with('"')).count();
        assert_eq!(keys().count(), written, "a key appears twice in terms.json");
        for key in keys() {
            let family = key.split('.').next().unwrap();
            assert!(matches!(family, "field" | "state" | "cert"), "{key}: not a shared family");
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(term("field.applicant", Lang::De), Some("Antragsteller"));
        assert_eq!(term("state.revoked", Lang::Fr), Some("Révoqué"));
        assert_eq!(term("no.such.key", Lang::En), None);
        assert_eq!(Lang::from_tag("de-CH"), Some(Lang::De));
        assert_eq!(Lang::from_tag("it_IT"), Some(Lang::It));
        assert_eq!(Lang::from_tag("ES"), Some(Lang::Es));
        assert_eq!(Lang::from_tag("pt-BR"), None);
        assert_eq!(Lang::from_accept_language("es-ES,es;q=0.9,en;q=0.8"), Some(Lang::Es));
        assert_eq!(Lang::from_accept_language("pt-BR,de;q=0.5,fr;q=0.4"), Some(Lang::De));
        assert_eq!(Lang::from_accept_language("pt"), None);
        assert_eq!(Lang::from_accept_language("fr;q=0"), None);
    }
}
