//! The one translation table of the web pages, used by the server-rendered pages and served
//! to the pages' scripts as `/assets/i18n/{lang}.json`. It is made of two files with the
//! same five columns (English, French, Italian, German, Spanish): the terms the printable
//! certificate prints too (field labels, states: `cartouche-i18n`'s `terms.json`) and what
//! the pages alone say (`messages.json`). A key lives in exactly one of them, and has every
//! language (`tests::every_key_has_every_language`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The table, as shipped in the binary.
pub const MESSAGES: &str = include_str!("messages.json");

/// A language of the pages: the shared table's (English, French, Italian, German,
/// Spanish), in the same column order.
pub use cartouche_i18n::Lang;

/// The number of languages, the length of every entry.
const LANGUAGES: usize = Lang::ALL.len();

fn table() -> &'static BTreeMap<String, [String; LANGUAGES]> {
    static TABLE: OnceLock<BTreeMap<String, [String; LANGUAGES]>> = OnceLock::new();
    // The table is checked by the unit tests below; a broken table is a build defect.
    TABLE.get_or_init(|| {
        let mut table: BTreeMap<String, [String; LANGUAGES]> =
            serde_json::from_str(MESSAGES).expect("web/messages.json is a map of key to [en, fr, it, de, es]");
        for key in cartouche_i18n::keys() {
            let texts = Lang::ALL.map(|lang| cartouche_i18n::term(key, lang).unwrap_or_default().to_owned());
            table.insert(key.to_owned(), texts);
        }
        table
    })
}

/// The text of `key` in `lang`; `?` (and a warning in the log) when it is missing, which
/// the tests rule out: every key the pages and scripts use is in the table.
pub fn t(lang: Lang, key: &str) -> &'static str {
    match table().get(key) {
        Some(texts) => texts[lang.index()].as_str(),
        None => {
            tracing::warn!(key, "missing translation");
            "?"
        }
    }
}

/// Whether the table has `key`.
pub fn has(key: &str) -> bool {
    table().contains_key(key)
}

/// The whole table in one language, as JSON, for the pages' scripts.
pub fn json_for(lang: Lang) -> String {
    let map: BTreeMap<&str, &str> = table().iter().map(|(k, v)| (k.as_str(), v[lang.index()].as_str())).collect();
    serde_json::to_string(&map).unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_every_language() {
        let raw: BTreeMap<String, Vec<String>> = serde_json::from_str(MESSAGES).unwrap();
        for (key, texts) in &raw {
            assert_eq!(texts.len(), LANGUAGES, "{key}: [en, fr, it, de, es]");
        }
        for key in table().keys() {
            for lang in Lang::ALL {
                let text = t(lang, key);
                assert!(!text.trim().is_empty(), "{key}: no {} text", lang.code());
                // A placeholder the code fills in must survive translation.
                for placeholder in t(Lang::En, key).split('{').skip(1).filter_map(|rest| rest.split_once('}')) {
                    let placeholder = format!("{{{}}}", placeholder.0);
                    assert!(text.contains(&placeholder), "{key}: {placeholder} lost in {}", lang.code());
                }
            }
        }
    }

    #[test]
    fn keys_are_unique() {
        // serde_json keeps the last duplicate silently; count the keys in the text.
        let raw: BTreeMap<String, Vec<String>> = serde_json::from_str(MESSAGES).unwrap();
        let written = MESSAGES.lines().filter(|line| line.trim_start().starts_with('"')).count();
        assert_eq!(raw.len(), written, "a key appears twice in messages.json");
    }

    #[test]
    fn shared_terms_are_not_repeated_here() {
        let raw: BTreeMap<String, Vec<String>> = serde_json::from_str(MESSAGES).unwrap();
        for key in cartouche_i18n::keys() {
            assert!(!raw.contains_key(key), "{key} is in both messages.json and cartouche-i18n's terms.json");
            assert_eq!(t(Lang::Fr, key), cartouche_i18n::term(key, cartouche_i18n::Lang::Fr).unwrap());
        }
        assert_eq!(t(Lang::En, "field.applicant"), "Applicant");
        assert_eq!(t(Lang::Fr, "state.revoked"), "Révoqué");
    }

    #[test]
    fn every_key_the_scripts_use_exists() {
        for (name, script) in
            [("verify.js", super::super::assets::VERIFY_JS), ("console.js", super::super::assets::CONSOLE_JS)]
        {
            let mut rest = script;
            while let Some(start) = rest.find("t(\"") {
                let after = &rest[start + 3..];
                // `t("…")` itself, not `createElement("…")` and the like.
                let before = rest[..start].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '$') {
                    rest = after;
                    continue;
                }
                let end = after.find('"').unwrap();
                let key = &after[..end];
                assert!(has(key), "{name} uses the key {key:?}, which is not in messages.json");
                rest = &after[end..];
            }
        }
    }

    #[test]
    fn every_field_of_the_application_schema_has_a_label() {
        fn names(node: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
            match node {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::Object(properties)) = map.get("properties") {
                        out.extend(properties.keys().cloned());
                    }
                    map.values().for_each(|child| names(child, out));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|child| names(child, out)),
                _ => {}
            }
        }
        let schema: serde_json::Value = serde_json::from_str(cartouche_model::validate::sources::APPLICATION).unwrap();
        let mut found = std::collections::BTreeSet::new();
        names(&schema, &mut found);
        assert!(found.len() > 50, "{found:?}");
        for name in found {
            assert!(has(&format!("field.{name}")), "the console's form has no label field.{name} in messages.json");
        }
    }

    #[test]
    fn accept_language() {
        assert_eq!(Lang::from_accept_language("fr-FR,fr;q=0.9,en;q=0.8"), Some(Lang::Fr));
        assert_eq!(Lang::from_accept_language("de-DE,en;q=0.5,fr;q=0.4"), Some(Lang::De));
        assert_eq!(Lang::from_accept_language("pt-PT,en;q=0.5,fr;q=0.4"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("pt"), None);
        assert_eq!(Lang::from_accept_language("fr;q=0"), None);
    }
}
