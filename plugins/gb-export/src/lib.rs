//! United Kingdom: export licensing of objects of cultural interest.
//!
//! The Export of Objects of Cultural Interest (Control) Order 2003 (SI 2003/2759) requires a
//! licence to export, to any destination, an object of cultural interest made more than 50
//! years before its export. Arts Council England's Export Licensing Unit decides which
//! licence: an **individual licence** above its value thresholds, otherwise the **open
//! general export licence**. The thresholds encoded here are those DOMAIN.md verified:
//!
//! - paintings (EU116:3): above GBP 180,000;
//! - British historical portraits: above GBP 10,000;
//! - archaeology (EU116:1), manuscripts (EU116:9) and archives (EU116:12): at any value.
//!
//! A GBP 65,000 general limit for other objects is reported but UNVERIFIED: it is not
//! encoded, so every other object over 50 years old is said to fall under the open general
//! licence (whose own conditions the officer checks).
//!
//! "British historical portrait" is a heuristic: the object's type or title mentions
//! "portrait" and its provenance gives Great Britain (`GB`) as its country of origin.

use std::collections::BTreeMap;

use cartouche_rules_sdk::FindingExt;
use cartouche_rules_sdk::assess::{Assessment, Category, Count, Facts, ValueLimit, decisive};
use cartouche_rules_sdk::model::CulturalObject;
use cartouche_rules_sdk::prelude::*;

/// The rule.
pub struct UkExport;

/// SI 2003/2759 art. 2 and Schedule: objects "manufactured or produced more than 50 years
/// before the date of exportation" need a licence. "More than": certainly over 50 years.
pub const LICENCE_AGE_YEARS: i32 = 50;

/// Arts Council England threshold for paintings (EU116:3): an individual licence is needed
/// **above** GBP 180,000 (in pence).
pub const PAINTING_INDIVIDUAL_PENCE: i64 = 180_000_00;

/// Arts Council England threshold for British historical portraits: an individual licence
/// is needed **above** GBP 10,000 (in pence).
pub const BRITISH_PORTRAIT_INDIVIDUAL_PENCE: i64 = 10_000_00;

/// What makes an object need an individual licence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An archaeological object, manuscript or archive: at any value.
    AnyValue,
    /// A British historical portrait: above GBP 10,000.
    BritishPortrait,
    /// A painting: above GBP 180,000.
    Painting,
}

/// A threshold of an individual licence. The 50 years are checked for every object before
/// (the Order's own condition); values are the object line's, in pence.
const fn individual(code: &'static str, label: Kind, value: ValueLimit) -> Category<Kind> {
    Category { code, label, over_years: None, value, count: Count::WholeLot, exemption: None }
}

/// The individual-licence thresholds, in the order they decide: archaeological objects (1),
/// incunabula and manuscripts (9) and archives (12) at any value; a British portrait (the
/// heuristic below, no code: a British portrait that is also a painting takes the lower
/// portrait threshold); paintings (EU116:3).
pub const INDIVIDUAL: [Category<Kind>; 5] = [
    individual("1", Kind::AnyValue, ValueLimit::Any),
    individual("9", Kind::AnyValue, ValueLimit::Any),
    individual("12", Kind::AnyValue, ValueLimit::Any),
    individual("", Kind::BritishPortrait, ValueLimit::Over(BRITISH_PORTRAIT_INDIVIDUAL_PENCE)),
    individual("3", Kind::Painting, ValueLimit::Over(PAINTING_INDIVIDUAL_PENCE)),
];

/// Heuristic for a "British historical portrait": its type or title mentions "portrait"
/// and it originates from Great Britain. The threshold is about portraits of British
/// historical figures; the schema records neither the sitter nor the sitter's nationality,
/// so a portrait made in Britain stands in for it.
fn is_british_portrait(object: &CulturalObject) -> bool {
    let mentions_portrait =
        object.object_type.iter().chain(object.title.iter()).any(|text| text.to_lowercase().contains("portrait"));
    let british = object.provenance.as_ref().and_then(|provenance| provenance.origin_country.as_deref()) == Some("GB");
    mentions_portrait && british
}

/// The thresholds that apply to `object`: its EU116 codes, and the portrait heuristic.
fn applicable(object: &CulturalObject) -> impl Iterator<Item = &'static Category<Kind>> {
    INDIVIDUAL.iter().filter(move |category| match category.label {
        Kind::BritishPortrait => is_british_portrait(object),
        Kind::AnyValue | Kind::Painting => categories(object, "EU116").any(|code| code == category.code),
    })
}

impl Rule for UkExport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "gb-export".into(),
            jurisdiction: "GB".into(),
            version: "1.0.0".into(),
            phases: vec![Phase::Issuance],
            descriptions: BTreeMap::from([
                (
                    "en".into(),
                    "United Kingdom: individual or open general export licence (SI 2003/2759, ACE thresholds)".into(),
                ),
                (
                    "fr".into(),
                    "Royaume-Uni : licence d'exportation individuelle ou générale ouverte (SI 2003/2759, seuils de l'ACE)"
                        .into(),
                ),
            ]),
        }
    }

    fn evaluate(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
        if context.phase != Phase::Issuance {
            return Vec::new();
        }
        let mut findings = Vec::new();
        let facts = Facts { application: &subject.application, date: context.date, reference };
        for (index, object) in subject.application.objects.iter().enumerate() {
            let number = index + 1;
            if !age(object, context.date).certainly_over(LICENCE_AGE_YEARS) {
                // Not certainly more than 50 years old: outside the Order's control.
                continue;
            }
            match decisive(object, applicable(object), "GBP", &facts) {
                Some((category, Assessment::Covered { value_cents })) => {
                    let pence = format_cents(value_cents.unwrap_or_default());
                    let why = match category.label {
                        Kind::AnyValue => {
                            "an archaeological object, manuscript or archive more than 50 years old (any value)"
                                .to_owned()
                        }
                        Kind::Painting => {
                            format!("a painting more than 50 years old worth GBP {pence}, above GBP 180,000")
                        }
                        Kind::BritishPortrait => format!(
                            "a British historical portrait more than 50 years old worth GBP {pence}, above GBP 10,000"
                        ),
                    };
                    findings.push(
                        finding(
                            "GB.INDIVIDUAL_LICENCE_REQUIRED",
                            Severity::Info,
                            format!(
                                "object {number}: {why}: it needs an individual export licence \
                                 (SI 2003/2759), which this certificate is; the expert adviser's \
                                 Waverley assessment must be on file"
                            ),
                        )
                        .at(object_field(index, ""))
                        .translated(
                            "fr",
                            format!(
                                "objet {number} : une licence d'exportation individuelle est requise \
                                 (SI 2003/2759) ; ce certificat en tient lieu, l'avis de l'expert \
                                 (critères Waverley) doit figurer au dossier"
                            ),
                        ),
                    );
                }
                Some((_, Assessment::NotCovered(_))) | None => findings.push(
                    finding(
                        "GB.OPEN_GENERAL_LICENCE",
                        Severity::Info,
                        format!(
                            "object {number}: more than 50 years old and below the individual licence \
                             thresholds: the open general export licence covers it, subject to that \
                             licence's own conditions (its general value limit is not checked here)"
                        ),
                    )
                    .at(object_field(index, ""))
                    .translated(
                        "fr",
                        format!(
                            "objet {number} : plus de 50 ans et sous les seuils de la licence individuelle : \
                             la licence générale ouverte le couvre, sous réserve de ses propres conditions"
                        ),
                    ),
                ),
                Some((_, Assessment::Unreadable(error))) => {
                    findings.push(
                        finding(
                            "GB.VALUE_UNREADABLE",
                            Severity::Error,
                            format!(
                                "object {number}: cannot compare its value with the GBP thresholds: {error}; \
                                 correct the value or load a rates table that has its currency"
                            ),
                        )
                        .at(object_field(index, error.field()))
                        .translated(
                            "fr",
                            format!(
                                "objet {number} : impossible de comparer sa valeur aux seuils en GBP : \
                                 corrigez la valeur ou chargez un barème de change qui a sa devise"
                            ),
                        ),
                    );
                }
            }
        }
        findings
    }
}

cartouche_rules_sdk::export_rule!(UkExport);
