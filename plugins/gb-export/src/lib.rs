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

/// EU116 Annex I categories that need an individual licence at any value: archaeological
/// objects (1), incunabula and manuscripts (9), archives (12).
const ANY_VALUE_CATEGORIES: [&str; 3] = ["1", "9", "12"];

/// EU116 Annex I category of paintings.
const PAINTING_CATEGORY: &str = "3";

/// Why an individual licence is needed.
enum IndividualReason {
    /// An archaeological object, manuscript or archive: at any value.
    AnyValue,
    /// A painting worth more than GBP 180,000 (value in pence).
    Painting(i64),
    /// A British historical portrait worth more than GBP 10,000 (value in pence).
    BritishPortrait(i64),
}

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

/// Whether `object` (already over 50 years old) needs an individual licence, and why.
fn individual_reason(
    object: &CulturalObject,
    reference: &dyn Reference,
) -> Result<Option<IndividualReason>, ValueError> {
    if categories(object, "EU116").any(|code| ANY_VALUE_CATEGORIES.contains(&code)) {
        return Ok(Some(IndividualReason::AnyValue));
    }
    let painting = categories(object, "EU116").any(|code| code == PAINTING_CATEGORY);
    let portrait = is_british_portrait(object);
    if !painting && !portrait {
        // No verified threshold applies (the GBP 65,000 general limit is unverified).
        return Ok(None);
    }
    let pence = value_in(object, "GBP", reference)?;
    // A British portrait that is also a painting: the lower portrait threshold decides.
    Ok(if portrait && pence > BRITISH_PORTRAIT_INDIVIDUAL_PENCE {
        Some(IndividualReason::BritishPortrait(pence))
    } else if painting && pence > PAINTING_INDIVIDUAL_PENCE {
        Some(IndividualReason::Painting(pence))
    } else {
        None
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
        for (index, object) in subject.application.objects.iter().enumerate() {
            let number = index + 1;
            if !age(object, context.date).certainly_over(LICENCE_AGE_YEARS) {
                // Not certainly more than 50 years old: outside the Order's control.
                continue;
            }
            match individual_reason(object, reference) {
                Ok(Some(reason)) => {
                    let why = match reason {
                        IndividualReason::AnyValue => {
                            "an archaeological object, manuscript or archive more than 50 years old (any value)"
                                .to_owned()
                        }
                        IndividualReason::Painting(pence) => format!(
                            "a painting more than 50 years old worth GBP {}, above GBP 180,000",
                            format_cents(pence)
                        ),
                        IndividualReason::BritishPortrait(pence) => format!(
                            "a British historical portrait more than 50 years old worth GBP {}, above GBP 10,000",
                            format_cents(pence)
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
                Ok(None) => findings.push(
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
                Err(error) => {
                    let field = match error {
                        ValueError::BadAmount(_) => "value/amount",
                        ValueError::NoRate { .. } => "value/currency",
                    };
                    findings.push(
                        finding(
                            "GB.VALUE_UNREADABLE",
                            Severity::Error,
                            format!(
                                "object {number}: cannot compare its value with the GBP thresholds: {error}; \
                                 correct the value or load a rates table that has its currency"
                            ),
                        )
                        .at(object_field(index, field))
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
