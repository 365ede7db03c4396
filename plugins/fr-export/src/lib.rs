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

use cartouche_rules_sdk::model::Application;
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

/// One category of Annex 1 to R.111-1 with its thresholds.
#[derive(Debug)]
pub struct Category {
    /// The Reg. 116/2009 Annex I number it corresponds to (`EU116:n`).
    pub eu116: u8,
    /// Its name in English.
    pub en: &'static str,
    /// Its name in French.
    pub fr: &'static str,
    /// The good must be more than this many years old.
    pub over_years: i32,
    /// The value must be equal to or more than this many euro cents; 0 is "any value".
    pub min_value_cents: i64,
    /// Paintings, watercolours, drawings, prints, sculpture and photographs count only when
    /// they do not belong to their authors ("n'appartenant pas à leurs auteurs").
    pub originator_exempt: bool,
}

/// The Annex 1 categories encoded here (Code du patrimoine, Annex 1 to R.111-1 as set by
/// decree 2020-1718), with the `EU116` code that designates each.
pub const ANNEX_1: [Category; 7] = [
    Category {
        eu116: 1,
        en: "archaeological objects from excavations or finds",
        fr: "objets archéologiques provenant de fouilles ou de découvertes",
        over_years: 100,
        min_value_cents: 0,
        originator_exempt: false,
    },
    Category {
        eu116: 3,
        en: "paintings",
        fr: "tableaux et peintures",
        over_years: 50,
        min_value_cents: 300_000_00,
        originator_exempt: true,
    },
    Category {
        eu116: 4,
        en: "watercolours, gouaches and pastels",
        fr: "aquarelles, gouaches et pastels",
        over_years: 50,
        min_value_cents: 50_000_00,
        originator_exempt: true,
    },
    Category {
        eu116: 5,
        en: "drawings",
        fr: "dessins",
        over_years: 50,
        min_value_cents: 30_000_00,
        originator_exempt: true,
    },
    Category {
        eu116: 6,
        en: "engravings and prints",
        fr: "gravures et estampes",
        over_years: 50,
        min_value_cents: 20_000_00,
        originator_exempt: true,
    },
    Category {
        eu116: 7,
        en: "sculpture",
        fr: "sculptures",
        over_years: 50,
        min_value_cents: 100_000_00,
        originator_exempt: true,
    },
    Category {
        eu116: 8,
        en: "photographs",
        fr: "photographies",
        over_years: 50,
        min_value_cents: 25_000_00,
        originator_exempt: true,
    },
];

/// The encoded Annex 1 category designated by the `EU116` code `code` (`"3"`).
pub fn annex_category(code: &str) -> Option<&'static Category> {
    ANNEX_1.iter().find(|category| category.eu116.to_string() == code)
}

/// Why a good needs no certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reason {
    TooYoung { at_least: i32 },
    OwnedByCreator,
    BelowValue { cents: i64, threshold: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Assessment {
    Required { value_cents: Option<i64> },
    NotRequired(Reason),
    Unreadable(ValueError),
}

fn same_person(name: &str, other: &str) -> bool {
    let normal = |text: &str| text.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ");
    normal(name) == normal(other)
}

/// Whether the good still belongs to its author: a living maker who is the owner (box 7,
/// or the applicant when no owner is named).
fn belongs_to_author(object: &CulturalObject, application: &Application) -> bool {
    let owner = application.owner.as_ref().unwrap_or(&application.applicant);
    object.maker.as_ref().is_some_and(|maker| maker.living == Some(true) && same_person(&maker.name, &owner.name))
}

fn assess(
    object: &CulturalObject,
    category: &Category,
    application: &Application,
    date: Date,
    reference: &dyn Reference,
) -> Assessment {
    let age = age(object, date);
    if !age.certainly_over(category.over_years) {
        return Assessment::NotRequired(Reason::TooYoung { at_least: age.at_least });
    }
    if category.originator_exempt && belongs_to_author(object, application) {
        return Assessment::NotRequired(Reason::OwnedByCreator);
    }
    if category.min_value_cents == 0 {
        return Assessment::Required { value_cents: None };
    }
    let cents = match value_in(object, "EUR", reference) {
        Ok(cents) => cents,
        Err(error) => return Assessment::Unreadable(error),
    };
    // Thresholds are per good: a lot of identical goods reaches them when each does.
    let threshold = category.min_value_cents.saturating_mul(i64::from(object.quantity));
    if cents >= threshold {
        Assessment::Required { value_cents: Some(cents) }
    } else {
        Assessment::NotRequired(Reason::BelowValue { cents, threshold })
    }
}

/// `date` plus `years` calendar years (29 February gives 28 February in a common year).
pub fn add_years(date: Date, years: i32) -> Date {
    let year = date.year() + years;
    date.replace_year(year).or_else(|_| date.replace_day(28).and_then(|day| day.replace_year(year))).unwrap_or(date)
}

fn per_item(quantity: u32) -> (&'static str, &'static str) {
    if quantity > 1 { (" per item", " par unité") } else { ("", "") }
}

fn required_finding(index: usize, object: &CulturalObject, category: &Category, value_cents: Option<i64>) -> Finding {
    let years = category.over_years;
    let (value_en, value_fr) = match value_cents {
        None => ("at any value".to_owned(), "quelle que soit sa valeur".to_owned()),
        Some(cents) => {
            let (each_en, each_fr) = per_item(object.quantity);
            let threshold = format_cents(category.min_value_cents);
            (
                format!("worth EUR {}, at least EUR {threshold}{each_en}", format_cents(cents)),
                format!("d'une valeur de {} EUR, au moins {threshold} EUR{each_fr}", format_cents(cents)),
            )
        }
    };
    finding(
        "FR.CERTIFICATE_REQUIRED",
        Severity::Info,
        format!(
            "object {}: {} more than {years} years old, {value_en}: leaving France requires a certificat d'exportation (Code du patrimoine L111-2, Annex 1 to R.111-1); this certificate is it",
            index + 1,
            category.en
        ),
    )
    .at(object_field(index, ""))
    .translated(
        "fr",
        format!(
            "objet {} : {} de plus de {years} ans, {value_fr} : sa sortie du territoire exige un certificat d'exportation (code du patrimoine, L111-2 et annexe 1 à l'article R.111-1) ; ce certificat en tient lieu",
            index + 1,
            category.fr
        ),
    )
}

fn not_required_finding(index: usize, object: &CulturalObject, category: &Category, reason: &Reason) -> Finding {
    let years = category.over_years;
    let (field, why_en, why_fr) = match reason {
        Reason::TooYoung { at_least } => (
            object_field(index, "dating"),
            format!("not certainly more than {years} years old (at least {at_least} by its dating)"),
            format!("pas certainement plus de {years} ans (au moins {at_least} selon sa datation)"),
        ),
        Reason::OwnedByCreator => (
            object_field(index, "maker"),
            "still owned by its living author".to_owned(),
            "appartient encore à son auteur vivant".to_owned(),
        ),
        Reason::BelowValue { cents, threshold } => {
            let (each_en, each_fr) = per_item(object.quantity);
            (
                object_field(index, "value/amount"),
                format!(
                    "worth EUR {}, under EUR {} ({}{each_en})",
                    format_cents(*cents),
                    format_cents(*threshold),
                    format_cents(category.min_value_cents)
                ),
                format!(
                    "valeur de {} EUR, inférieure à {} EUR ({}{each_fr})",
                    format_cents(*cents),
                    format_cents(*threshold),
                    format_cents(category.min_value_cents)
                ),
            )
        }
    };
    finding(
        "FR.CERTIFICATE_NOT_REQUIRED",
        Severity::Info,
        format!(
            "object {}: {}, {why_en}: below the Annex 1 thresholds, no certificat d'exportation is required",
            index + 1,
            category.en
        ),
    )
    .at(field)
    .translated(
        "fr",
        format!(
            "objet {} : {}, {why_fr} : sous les seuils de l'annexe 1, aucun certificat d'exportation n'est exigé",
            index + 1,
            category.fr
        ),
    )
}

fn issuance(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
    let application = &subject.application;
    let mut findings = Vec::new();
    for (index, object) in application.objects.iter().enumerate() {
        let known: Vec<&Category> = categories(object, SCHEME).filter_map(annex_category).collect();
        if known.is_empty() {
            findings.push(
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
            );
            continue;
        }
        // A good declared in several categories needs a certificate if any of them requires it.
        let assessments: Vec<(&Category, Assessment)> = known
            .iter()
            .map(|category| (*category, assess(object, category, application, context.date, reference)))
            .collect();
        if let Some((category, Assessment::Required { value_cents })) =
            assessments.iter().find(|(_, assessment)| matches!(assessment, Assessment::Required { .. }))
        {
            findings.push(required_finding(index, object, category, *value_cents));
        } else if let Some((_, Assessment::Unreadable(error))) =
            assessments.iter().find(|(_, assessment)| matches!(assessment, Assessment::Unreadable(_)))
        {
            let field = match error {
                ValueError::BadAmount(_) => object_field(index, "value/amount"),
                ValueError::NoRate { .. } => object_field(index, "value/currency"),
            };
            findings.push(
                finding(
                    "FR.VALUE_UNREADABLE",
                    Severity::Error,
                    format!(
                        "object {}: cannot compare its value with the Annex 1 threshold in euros: {error}",
                        index + 1
                    ),
                )
                .at(field)
                .translated(
                    "fr",
                    format!(
                        "objet {} : impossible de comparer sa valeur au seuil de l'annexe 1 en euros : {error}",
                        index + 1
                    ),
                ),
            );
        } else if let Some((category, Assessment::NotRequired(reason))) = assessments.first() {
            findings.push(not_required_finding(index, object, category, reason));
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
