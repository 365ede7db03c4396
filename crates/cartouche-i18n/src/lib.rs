//! The terms the web pages and the printable certificate both print, in one table
//! (`terms.json`: key → [English, French, Italian, German]): field labels of the
//! application (`field.*`), certificate states (`state.*`) and the few certificate facts
//! both show (`cert.*`). A term translated once reads the same on the verification page
//! and on the PDF.
//!
//! The web pages read the English and French columns into their own table
//! (`cartouche-server`'s `web/messages.json` holds only what the pages alone say); the
//! document reads all four, and keeps the form's own wording (box titles, captions) in
//! `cartouche-document`. Keys follow the pages' names, so a key moved here keeps working
//! wherever it was used.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The table, as shipped in the binary.
pub const TERMS: &str = include_str!("terms.json");

/// A language of the shared table.
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
}

impl Lang {
    /// Every language, in the order of the table's columns.
    pub const ALL: [Lang; 4] = [Lang::En, Lang::Fr, Lang::It, Lang::De];

    /// The column of this language in the table.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The language of a BCP 47 tag (`it`, `de-CH`, `fr_FR`), by its primary subtag.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        match tag.split(['-', '_']).next().unwrap_or("").trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            "it" => Some(Lang::It),
            "de" => Some(Lang::De),
            _ => None,
        }
    }
}

fn table() -> &'static BTreeMap<String, [String; 4]> {
    static TABLE: OnceLock<BTreeMap<String, [String; 4]>> = OnceLock::new();
    // Checked by the unit tests below: a table that does not parse is a build defect.
    TABLE.get_or_init(|| serde_json::from_str(TERMS).expect("terms.json is a map of key to [en, fr, it, de]"))
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
            assert_eq!(texts.len(), Lang::ALL.len(), "{key}: [en, fr, it, de]");
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
        assert_eq!(Lang::from_tag("es"), None);
    }
}
