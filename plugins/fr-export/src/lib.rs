//! France's certificat d'exportation (Code du patrimoine, L111-2 and R.111-1 with its
//! Annex 1, thresholds as set by decree 2020-1718).
//!
//! - A cultural good of an Annex 1 category that meets the category's age and value
//!   thresholds leaves French territory, for any destination, only with a certificate:
//!   this certificate is it (`FR.CERTIFICATE_REQUIRED`, info).
//! - The certificate is permanent, except that it is valid 20 years for goods 100 years
//!   old or less (L111-2): if any object is not certainly more than 100 years old, valid
//!   until may be at most 20 years after the issue date (`FR.VALIDITY_TOO_LONG`, error).
//!
//! The category comes from the object's Reg. 116/2009 code (`EU116:n`), which Annex 1
//! follows; only the categories whose French thresholds are encoded here are assessed.
//! Ages: "more than 50 years" only if so even at the latest year of the dating. Values:
//! "equal to or more than" the threshold, compared in euro cents.

use std::collections::BTreeMap;

use cartouche_rules_sdk::assess::{self, Assessment, Count, Facts, Reason, Table, ValueLimit, owned_by_living_maker};
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::{CulturalObject, FindingExt};

/// The rule.
pub struct FranceExport;

/// The scheme prefix of the category codes the plugin reads (`EU116:3` is paintings).
pub const SCHEME: &str = "EU116";

/// L111-2: the certificate of a good 100 years old or less is valid this many years.
pub const RECENT_GOODS_VALIDITY_YEARS: i32 = 20;

/// L111-2: goods more than this many years old get a permanent certificate.
pub const RECENT_GOODS_MAX_AGE: i32 = 100;

/// A category's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Names {
    /// In English.
    pub en: &'static str,
    /// In French.
    pub fr: &'static str,
}

/// One category of Annex 1 to R.111-1 with its thresholds; its code is the Reg. 116/2009
/// Annex I number it corresponds to (`EU116:n`).
pub type Category = assess::Category<Names>;

/// A category of goods more than `over_years` old, worth "equal to or more than" `euros` per
/// good (0: any value). Paintings, watercolours, drawings, prints, sculpture and photographs
/// count only when they do not belong to their authors ("n'appartenant pas à leurs
/// auteurs"): `authors_exempt`.
const fn category(
    code: &'static str,
    en: &'static str,
    fr: &'static str,
    over_years: i32,
    euros: i64,
    authors_exempt: bool,
) -> Category {
    Category {
        code,
        label: Names { en, fr },
        over_years: Some(over_years),
        value: if euros == 0 { ValueLimit::Any } else { ValueLimit::AtLeast(euros * 100) },
        count: Count::PerItem,
        exemption: if authors_exempt { Some(owned_by_living_maker) } else { None },
    }
}

/// The Annex 1 categories encoded here (Code du patrimoine, Annex 1 to R.111-1 as set by
/// decree 2020-1718), with the `EU116` code that designates each; values in euros.
pub const ANNEX_1: [Category; 7] = [
    category(
        "1",
        "archaeological objects from excavations or finds",
        "objets archéologiques provenant de fouilles ou de découvertes",
        100,
        0,
        false,
    ),
    category("3", "paintings", "tableaux et peintures", 50, 300_000, true),
    category("4", "watercolours, gouaches and pastels", "aquarelles, gouaches et pastels", 50, 50_000, true),
    category("5", "drawings", "dessins", 50, 30_000, true),
    category("6", "engravings and prints", "gravures et estampes", 50, 20_000, true),
    category("7", "sculpture", "sculptures", 50, 100_000, true),
    category("8", "photographs", "photographies", 50, 25_000, true),
];

/// Annex 1 for assessment: `EU116` codes, thresholds in euros.
pub const TABLE: Table<Names> = Table { scheme: SCHEME, currency: "EUR", categories: &ANNEX_1, other_goods: None };

/// The encoded Annex 1 category designated by the `EU116` code `code` (`"3"`).
pub fn annex_category(code: &str) -> Option<&'static Category> {
    TABLE.category(code)
}

/// " per item" when the threshold counts goods.
fn per_item(object: &CulturalObject, category: &Category) -> (&'static str, &'static str) {
    if category.per_item(object) { (" per item", " par unité") } else { ("", "") }
}

fn required_finding(index: usize, object: &CulturalObject, category: &Category, value_cents: Option<i64>) -> Finding {
    let (years, names) = (category.over_years.unwrap_or_default(), category.label);
    let (value_en, value_fr) = match value_cents {
        None => ("at any value".to_owned(), "quelle que soit sa valeur".to_owned()),
        Some(cents) => {
            let (each_en, each_fr) = per_item(object, category);
            let (value, threshold) = (format_cents(cents), format_cents(category.value.cents().unwrap_or_default()));
            (
                format!("worth EUR {value}, at least EUR {threshold}{each_en}"),
                format!("d'une valeur de {value} EUR, au moins {threshold} EUR{each_fr}"),
            )
        }
    };
    finding(
        "FR.CERTIFICATE_REQUIRED",
        Severity::Info,
        format!(
            "object {}: {} more than {years} years old, {value_en}: leaving France requires a certificat d'exportation (Code du patrimoine L111-2, Annex 1 to R.111-1); this certificate is it",
            index + 1,
            names.en
        ),
    )
    .at(object_field(index, ""))
    .translated(
        "fr",
        format!(
            "objet {} : {} de plus de {years} ans, {value_fr} : sa sortie du territoire exige un certificat d'exportation (code du patrimoine, L111-2 et annexe 1 à l'article R.111-1) ; ce certificat en tient lieu",
            index + 1,
            names.fr
        ),
    )
}

fn not_required_finding(index: usize, object: &CulturalObject, category: &Category, reason: &Reason) -> Finding {
    let names = category.label;
    let (field, why_en, why_fr) = match reason {
        Reason::TooYoung { over, at_least } => (
            object_field(index, "dating"),
            format!("not certainly more than {over} years old (at least {at_least} by its dating)"),
            format!("pas certainement plus de {over} ans (au moins {at_least} selon sa datation)"),
        ),
        Reason::Exempt => (
            object_field(index, "maker"),
            "still owned by its living author".to_owned(),
            "appartient encore à son auteur vivant".to_owned(),
        ),
        Reason::BelowValue { cents, threshold } => {
            let (each_en, each_fr) = per_item(object, category);
            let (value, total, each) = (
                format_cents(*cents),
                format_cents(*threshold),
                format_cents(category.value.cents().unwrap_or_default()),
            );
            (
                object_field(index, "value/amount"),
                format!("worth EUR {value}, under EUR {total} ({each}{each_en})"),
                format!("valeur de {value} EUR, inférieure à {total} EUR ({each}{each_fr})"),
            )
        }
    };
    finding(
        "FR.CERTIFICATE_NOT_REQUIRED",
        Severity::Info,
        format!(
            "object {}: {}, {why_en}: below the Annex 1 thresholds, no certificat d'exportation is required",
            index + 1,
            names.en
        ),
    )
    .at(field)
    .translated(
        "fr",
        format!(
            "objet {} : {}, {why_fr} : sous les seuils de l'annexe 1, aucun certificat d'exportation n'est exigé",
            index + 1,
            names.fr
        ),
    )
}

fn issuance(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
    let application = &subject.application;
    let mut findings = Vec::new();
    let facts = Facts { application, date: context.date, reference };
    for (index, object) in application.objects.iter().enumerate() {
        match TABLE.assess(object, &facts) {
            // A good declared in several categories needs a certificate if any of them requires it.
            Some((category, Assessment::Covered { value_cents })) => {
                findings.push(required_finding(index, object, category, value_cents));
            }
            Some((_, Assessment::Unreadable(error))) => findings.push(
                finding(
                    "FR.VALUE_UNREADABLE",
                    Severity::Error,
                    format!(
                        "object {}: cannot compare its value with the Annex 1 threshold in euros: {error}",
                        index + 1
                    ),
                )
                .at(object_field(index, error.field()))
                .translated(
                    "fr",
                    format!(
                        "objet {} : impossible de comparer sa valeur au seuil de l'annexe 1 en euros : {error}",
                        index + 1
                    ),
                ),
            ),
            Some((category, Assessment::NotCovered(reason))) => {
                findings.push(not_required_finding(index, object, category, &reason));
            }
            None => findings.push(
                finding(
                    "FR.CATEGORY_NOT_ENCODED",
                    Severity::Info,
                    format!(
                        "object {}: its category codes ({}) are not among those this plugin assesses (EU116:1, 3 to 8): check Annex 1 to R.111-1 of the Code du patrimoine by hand",
                        index + 1,
                        object.category_codes.join(", ")
                    ),
                )
                .at(object_field(index, "category_codes"))
                .translated(
                    "fr",
                    format!(
                        "objet {} : ses catégories ({}) ne sont pas de celles que ce module évalue (EU116:1, 3 à 8) : vérifiez l'annexe 1 à l'article R.111-1 du code du patrimoine",
                        index + 1,
                        object.category_codes.join(", ")
                    ),
                ),
            ),
        }
    }
    findings.extend(validity(subject));
    findings
}

/// L111-2: permanent, but 20 years when a good is 100 years old or less. A good whose dating
/// allows it to be 100 or younger at the issue date counts as such.
fn validity(subject: &RuleSubject) -> Option<Finding> {
    let application = &subject.application;
    let (index, _) = application
        .objects
        .iter()
        .enumerate()
        .find(|(_, object)| !age(object, subject.issue_date).certainly_over(RECENT_GOODS_MAX_AGE))?;
    let limit = add_years(subject.issue_date, RECENT_GOODS_VALIDITY_YEARS);
    (application.valid_until > limit).then(|| {
        finding(
            "FR.VALIDITY_TOO_LONG",
            Severity::Error,
            format!(
                "object {} is not certainly more than 100 years old: its certificate is valid 20 years (Code du patrimoine L111-2), so valid until must be {limit} or earlier, not {}",
                index + 1,
                application.valid_until
            ),
        )
        .at("/valid_until")
        .translated(
            "fr",
            format!(
                "l'objet {} n'a pas certainement plus de cent ans : son certificat vaut vingt ans (code du patrimoine, L111-2) ; la date de validité doit être le {limit} au plus tard, et non le {}",
                index + 1,
                application.valid_until
            ),
        )
    })
}

impl Rule for FranceExport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "fr-export".into(),
            jurisdiction: "FR".into(),
            version: "1.0.0".into(),
            phases: vec![Phase::Issuance],
            descriptions: BTreeMap::from([
                (
                    "en".into(),
                    "France: certificat d'exportation (Code du patrimoine L111-2, Annex 1 to R.111-1)".into(),
                ),
                (
                    "fr".into(),
                    "France : certificat d'exportation (code du patrimoine, L111-2 et annexe 1 à l'article R.111-1)"
                        .into(),
                ),
            ]),
        }
    }

    fn evaluate(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
        match context.phase {
            Phase::Issuance => issuance(subject, context, reference),
            Phase::ExitCheck | Phase::ImportCheck => Vec::new(),
        }
    }
}

cartouche_rules_sdk::export_rule!(FranceExport);
