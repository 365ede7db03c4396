//! The words of the form, in English, French, Italian, German and Spanish. Terms the web pages show
//! too (field labels, states, export types...) come from the shared table of
//! `cartouche-i18n`; the form's own wording (box titles, the QR caption, "page") is in
//! `form.json` here. Every [`Key`] names an entry of one of the two tables, and the tests
//! check that each exists in all five languages.
//!
//! A box is labelled in English and French, and also in Italian, German or Spanish when the
//! certificate is in one of them ([`Labels::label`]).

use cartouche_model::CertificateState;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use cartouche_i18n::Lang;

/// The form's own wording: key → [English, French, Italian, German, Spanish].
const FORM: &str = include_str!("form.json");

macro_rules! keys {
    ($($name:ident => $id:literal,)*) => {
        /// A word or phrase printed on the form.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Key {
            $($name,)*
        }

        impl Key {
            /// Every key, for the tests.
            #[cfg(test)]
            pub(crate) const ALL: &[Key] = &[$(Key::$name,)*];

            /// The key in the tables (`form.*` here, the others in `cartouche-i18n`).
            pub(crate) fn id(self) -> &'static str {
                match self {
                    $(Key::$name => $id,)*
                }
            }
        }
    };
}

keys! {
    Title => "form.title",
    Subtitle => "form.subtitle",
    Box1 => "field.applicant",
    Box2 => "form.box2",
    Box3 => "form.box3",
    Box4 => "form.box4",
    Box5 => "form.box5",
    Box6 => "field.representative",
    Box7 => "field.owner",
    Box8 => "form.box8",
    Box9 => "field.description",
    Box10 => "field.hs_code",
    Box11 => "field.quantity",
    Box12 => "field.value",
    Box13 => "field.purpose",
    Box14 => "form.box14",
    Box15 => "field.measurements",
    Box16 => "field.dating",
    Box17 => "form.box17",
    Box18 => "form.box18",
    Box19 => "form.box19",
    Box20 => "field.materials_techniques",
    Box21 => "form.box21",
    Box22 => "form.box22",
    Box24 => "form.box24",
    Box25 => "form.box25",
    ObjectType => "field.object_type",
    Provenance => "field.provenance",
    Cites => "form.cites",
    LicenceKind => "field.licence_type",
    State => "form.state",
    ValidUntil => "field.valid_until",
    Issued => "cert.issued_at",
    Country => "field.country",
    Destination => "cert.destination",
    ReimportBy => "field.reimport_due_date",
    Object => "field.objects.item",
    Scan => "form.scan",
    Page => "form.page",
    Continued => "form.continued",
    PhotoMissing => "form.photo_missing",
    PhotoUnreadable => "form.photo_unreadable",
    Inscriptions => "field.inscriptions",
    Features => "field.distinguishing_features",
    Origin => "field.origin_country",
    FindPlace => "field.find_place",
    History => "field.history",
    AcquiredBefore => "field.acquired_before",
    Period => "field.period",
    Workshop => "field.workshop",
    Style => "field.style",
    Living => "form.living",
    Signatory => "field.signatory",
    PlaceDate => "form.place_date",
    Sealed => "form.sealed",
    Supplementary => "form.supplementary",
    Definitive => "field.export_type.definitive",
    Temporary => "field.export_type.temporary",
    Standard => "field.licence_type.standard",
    SpecificOpen => "field.licence_type.specific_open",
    GeneralOpen => "field.licence_type.general_open",
    Sale => "field.purpose.sale",
    Exhibition => "field.purpose.exhibition",
    Loan => "field.purpose.loan",
    Restoration => "field.purpose.restoration",
    Expertise => "field.purpose.expertise",
    Research => "field.purpose.research",
    Personal => "field.purpose.personal",
    OtherPurpose => "field.purpose.other",
    Price => "field.basis.price",
    Estimate => "field.basis.estimate",
    Bibliography => "field.type.bibliography",
    Catalogue => "field.type.catalogue",
    List => "field.type.list",
    IdentificationMarks => "field.type.identification_marks",
    ProofOfValue => "field.type.proof_of_value",
    OtherDocument => "field.type.other",
    Active => "state.active",
    Suspended => "state.suspended",
    Revoked => "state.revoked",
    Used => "state.used",
    ExportedTemporarily => "state.exported_temporarily",
    Overdue => "state.overdue",
    Expired => "state.expired",
}

fn form_table() -> &'static BTreeMap<String, [String; 5]> {
    static TABLE: OnceLock<BTreeMap<String, [String; 5]>> = OnceLock::new();
    // Checked by the unit tests below: a table that does not parse is a build defect.
    TABLE.get_or_init(|| serde_json::from_str(FORM).expect("form.json is a map of key to [en, fr, it, de, es]"))
}

/// `key` in `lang`; `?` if a table lacks it, which the tests rule out.
pub(crate) fn term(key: Key, lang: Lang) -> &'static str {
    let id = key.id();
    match form_table().get(id) {
        Some(texts) => texts[lang.index()].as_str(),
        None => cartouche_i18n::term(id, lang).unwrap_or("?"),
    }
}

/// The language added to English and French for a certificate in `tag` (BCP 47): Italian
/// or German, or none.
pub(crate) fn extra_language(tag: &str) -> Option<Lang> {
    Lang::from_tag(tag).filter(|lang| matches!(lang, Lang::It | Lang::De | Lang::Es))
}

/// The key of a certificate state (`active`, `revoked`, ...), if it is one.
pub(crate) fn state_key(state: CertificateState) -> Key {
    match state {
        CertificateState::Active => Key::Active,
        CertificateState::Suspended => Key::Suspended,
        CertificateState::Revoked => Key::Revoked,
        CertificateState::Used => Key::Used,
        CertificateState::ExportedTemporarily => Key::ExportedTemporarily,
        CertificateState::Overdue => Key::Overdue,
        CertificateState::Expired => Key::Expired,
    }
}

/// The label languages of one certificate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Labels {
    /// Italian, German or Spanish besides English and French.
    pub(crate) extra: Option<Lang>,
}

impl Labels {
    /// The labels of a certificate in `tag` (BCP 47).
    pub(crate) fn for_language(tag: &str) -> Self {
        Labels { extra: extra_language(tag) }
    }

    /// "English / French" (and the extra language), each once.
    pub(crate) fn label(&self, key: Key) -> String {
        let mut parts: Vec<&str> = vec![term(key, Lang::En)];
        for lang in [Some(Lang::Fr), self.extra].into_iter().flatten() {
            let word = term(key, lang);
            if !parts.iter().any(|part| part.eq_ignore_ascii_case(word)) {
                parts.push(word);
            }
        }
        parts.join(" / ")
    }

    /// "English / French" only: the running heads and footers, the same on every certificate.
    pub(crate) fn bilingual(key: Key) -> String {
        format!("{} / {}", term(key, Lang::En), term(key, Lang::Fr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_exists_in_all_five_languages() {
        for &key in Key::ALL {
            let id = key.id();
            let in_form = form_table().contains_key(id);
            let shared = cartouche_i18n::term(id, Lang::En).is_some();
            assert!(in_form != shared, "{id} must be in exactly one of form.json and cartouche-i18n");
            for lang in Lang::ALL {
                let text = term(key, lang);
                assert!(!text.trim().is_empty() && text != "?", "{id}: no {lang:?} text");
            }
        }
    }

    #[test]
    fn form_json_is_complete_and_has_no_unused_entry() {
        let raw: BTreeMap<String, Vec<String>> = serde_json::from_str(FORM).unwrap();
        for (id, texts) in &raw {
            assert_eq!(texts.len(), Lang::ALL.len(), "{id}: [en, fr, it, de, es]");
            assert!(id.starts_with("form."), "{id}: the form's own keys are form.*");
            assert!(Key::ALL.iter().any(|key| key.id() == id), "{id} is never printed");
        }
        let written = FORM.lines().filter(|line| line.trim_start().starts_with('"')).count();
        assert_eq!(raw.len(), written, "a key appears twice in form.json");
    }

    #[test]
    fn every_state_has_a_label() {
        for text in ["active", "suspended", "revoked", "used", "exported_temporarily", "overdue", "expired"] {
            let state = CertificateState::parse(text).unwrap();
            assert_eq!(state_key(state).id(), format!("state.{text}"));
        }
    }

    #[test]
    fn italian_german_or_spanish_are_added_only_for_those_languages() {
        for (language, expected) in [
            ("en", "Applicant / Demandeur"),
            ("fr", "Applicant / Demandeur"),
            ("pt", "Applicant / Demandeur"),
            ("es", "Applicant / Demandeur / Solicitante"),
            ("it", "Applicant / Demandeur / Richiedente"),
            ("de-CH", "Applicant / Demandeur / Antragsteller"),
        ] {
            assert_eq!(Labels::for_language(language).label(Key::Box1), expected);
        }
        // A word the same in two languages is printed once.
        assert_eq!(Labels::for_language("fr").label(Key::Box9), "Description");
        assert_eq!(Labels::for_language("de").label(Key::Box9), "Description / Beschreibung");
        assert_eq!(Labels::bilingual(Key::Scan), "Scan to verify / Scanner pour vérifier");
    }
}
