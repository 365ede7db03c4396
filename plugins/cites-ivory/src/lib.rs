//! CITES: elephant ivory in cultural objects.
//!
//! Council Regulation (EC) No 338/97 lists the elephants (Elephantidae: *Loxodonta
//! africana*, *Elephas maximus*) in its Annex A; the Commission guidance on the EU regime
//! governing trade in ivory (2021/C 528/03, in force 19 January 2022) suspends the
//! (re-)export of raw ivory and of worked ivory acquired after 3 March 1947, except musical
//! instruments made before 1975. Older ("pre-Convention") worked ivory may leave only with a
//! CITES document. For every object that contains elephant ivory:
//!
//! - no `cites` block: error, the CITES data must be declared;
//! - worked after 3 March 1947 (`cites.acquired_before`, or else the dating) and not a
//!   musical instrument made before 1975: error, it cannot be exported;
//! - otherwise a CITES document reference (`cites.doc_ref`) is required: error when missing,
//!   info when given.

use std::collections::BTreeMap;

use cartouche_rules_sdk::FindingExt;
use cartouche_rules_sdk::model::{Cites, CulturalObject};
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::time::Month;

/// The rule.
pub struct CitesIvory;

/// The CITES "pre-Convention" date for worked ivory (guidance 2021/C 528/03; Reg. 338/97
/// Art. 2(w)): worked specimens acquired **before** 3 March 1947 are antiques.
pub const PRE_CONVENTION_DATE: Date = match Date::from_calendar_date(1947, Month::March, 3) {
    Ok(date) => date,
    Err(_) => panic!("3 March 1947 is a valid date"),
};

/// Without an acquisition date, an object whose dating ends in this year or earlier was
/// certainly worked before 1947 (a dating ending in 1947 may be after 3 March 1947).
pub const LAST_PRE_CONVENTION_YEAR: i32 = 1946;

/// Guidance 2021/C 528/03: the exception for musical instruments made **before** 1975,
/// i.e. whose dating ends in 1974 at the latest.
pub const INSTRUMENT_LAST_YEAR: i32 = 1974;

/// Words for ivory in the object's type and materials (English, French, Italian, German,
/// Spanish), matched case-insensitively as substrings.
const IVORY_WORDS: [&str; 5] = ["ivory", "ivoire", "avorio", "elfenbein", "marfil"];

/// Phrases that mention ivory but are not animal ivory; removed before looking for
/// [`IVORY_WORDS`].
const NOT_IVORY: [&str; 8] = [
    "vegetable ivory",
    "ivoire végétal",
    "avorio vegetale",
    "pflanzenelfenbein",
    "faux ivory",
    "imitation ivory",
    "imitation ivoire",
    "ivoire synthétique",
];

/// Names of the elephants in `cites.species`.
const ELEPHANT_SPECIES: [&str; 6] = ["elephantidae", "loxodonta", "elephas maximus", "elephant", "éléphant", "elefant"];

/// Words that make an object a musical instrument (type or materials).
const INSTRUMENT_WORDS: [&str; 19] = [
    "musical instrument",
    "instrument de musique",
    "strumento musicale",
    "musikinstrument",
    "instrumento musical",
    "violin",
    "violon",
    "viola",
    "cello",
    "contrabass",
    "double bass",
    "archet",
    "piano",
    "harpsichord",
    "clavecin",
    "guitar",
    "guitare",
    "mandolin",
    "bagpipe",
];

/// The object's type and materials, lower case, one string.
fn type_and_materials(object: &CulturalObject) -> String {
    object
        .object_type
        .iter()
        .chain(object.materials_techniques.iter())
        .map(|text| text.to_lowercase())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Whether `species` names an elephant.
fn is_elephant(species: &str) -> bool {
    let species = species.to_lowercase();
    ELEPHANT_SPECIES.iter().any(|name| species.contains(name))
}

/// Whether the object contains elephant ivory: its type or materials mention ivory (and its
/// CITES data does not declare another species, such as walrus or mammoth), or its CITES
/// data names an elephant.
fn contains_elephant_ivory(object: &CulturalObject) -> bool {
    let species = object.cites.as_ref().map(|cites| cites.species.trim()).filter(|species| !species.is_empty());
    if let Some(species) = species {
        if is_elephant(species) {
            return true;
        }
        // Another species is declared: the elephant-ivory regime does not apply.
        return false;
    }
    let mut text = type_and_materials(object);
    for phrase in NOT_IVORY {
        text = text.replace(phrase, " ");
    }
    IVORY_WORDS.iter().any(|word| text.contains(word))
}

/// Whether the object is a musical instrument (or part of one, such as a bow).
fn is_instrument(object: &CulturalObject) -> bool {
    let text = type_and_materials(object);
    INSTRUMENT_WORDS.iter().any(|word| text.contains(word))
}

/// When the ivory was worked, as far as the certificate tells.
enum Worked {
    /// Before 3 March 1947: an antique.
    BeforeConvention,
    /// Possibly after 3 March 1947; `field` is what says so, `why` says it in words.
    After { field: &'static str, why: String },
}

fn worked(object: &CulturalObject, cites: &Cites) -> Worked {
    match cites.acquired_before {
        Some(date) if date <= PRE_CONVENTION_DATE => Worked::BeforeConvention,
        Some(date) => Worked::After {
            field: "cites/acquired_before",
            why: format!("acquired before {date}, which does not exclude an acquisition after 3 March 1947"),
        },
        None if object.dating.latest_year <= LAST_PRE_CONVENTION_YEAR => Worked::BeforeConvention,
        None => Worked::After {
            field: "dating",
            why: format!(
                "no acquisition date is declared and its dating ({}) reaches {}, after early 1947",
                object.dating.text, object.dating.latest_year
            ),
        },
    }
}

impl Rule for CitesIvory {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "cites-ivory".into(),
            jurisdiction: "INT".into(),
            version: "1.0.0".into(),
            phases: vec![Phase::Issuance, Phase::ExitCheck],
            descriptions: BTreeMap::from([
                ("en".into(), "CITES: elephant ivory (Reg. (EC) 338/97, guidance 2021/C 528/03)".into()),
                ("fr".into(), "CITES : ivoire d'éléphant (règl. (CE) 338/97, orientations 2021/C 528/03)".into()),
            ]),
        }
    }

    fn evaluate(subject: &RuleSubject, context: &Context, _reference: &dyn Reference) -> Vec<Finding> {
        if !matches!(context.phase, Phase::Issuance | Phase::ExitCheck) {
            return Vec::new();
        }
        let mut findings = Vec::new();
        for (index, object) in subject.application.objects.iter().enumerate() {
            let number = index + 1;
            if !contains_elephant_ivory(object) {
                continue;
            }
            let Some(cites) = &object.cites else {
                findings.push(
                    finding(
                        "CITES.IVORY_DATA_MISSING",
                        Severity::Error,
                        format!(
                            "object {number} contains ivory but declares no CITES data: give the species, the \
                             date before which it was acquired and the CITES document reference (Reg. 338/97)"
                        ),
                    )
                    .at(object_field(index, "cites"))
                    .translated(
                        "fr",
                        format!(
                            "l'objet {number} contient de l'ivoire mais ne déclare aucune donnée CITES : indiquez \
                             l'espèce, la date avant laquelle il a été acquis et la référence du document CITES"
                        ),
                    ),
                );
                continue;
            };
            if let Worked::After { field, why } = worked(object, cites) {
                let exempt = is_instrument(object) && object.dating.latest_year <= INSTRUMENT_LAST_YEAR;
                if !exempt {
                    findings.push(
                        finding(
                            "CITES.IVORY_BLOCKED",
                            Severity::Error,
                            format!(
                                "object {number} contains elephant ivory that may have been worked after 3 March \
                                 1947 ({why}) and is not a musical instrument made before 1975: guidance 2021/C \
                                 528/03 suspends its export: it cannot leave; at the border, hold it"
                            ),
                        )
                        .at(object_field(index, field))
                        .translated(
                            "fr",
                            format!(
                                "l'objet {number} contient de l'ivoire d'éléphant pouvant avoir été travaillé après \
                                 le 3 mars 1947 et n'est pas un instrument de musique antérieur à 1975 : son \
                                 exportation est suspendue (orientations 2021/C 528/03) ; à la frontière, retenez-le"
                            ),
                        ),
                    );
                    continue;
                }
            }
            match cites.doc_ref.as_deref().map(str::trim).filter(|reference| !reference.is_empty()) {
                Some(reference) => findings.push(
                    finding(
                        "CITES.DOC_REF_PRESENT",
                        Severity::Info,
                        format!(
                            "object {number} contains elephant ivory ({}): it may leave with its CITES document \
                             {reference}: check that the document matches the object",
                            cites.species
                        ),
                    )
                    .at(object_field(index, "cites/doc_ref"))
                    .translated(
                        "fr",
                        format!(
                            "l'objet {number} contient de l'ivoire d'éléphant : il peut sortir avec son document \
                             CITES {reference} ; vérifiez qu'il correspond à l'objet"
                        ),
                    ),
                ),
                None => findings.push(
                    finding(
                        "CITES.DOC_REF_MISSING",
                        Severity::Error,
                        format!(
                            "object {number} contains elephant ivory ({}): it needs a CITES document (re-export \
                             or musical instrument certificate) and none is referenced: give its reference in \
                             cites.doc_ref",
                            cites.species
                        ),
                    )
                    .at(object_field(index, "cites/doc_ref"))
                    .translated(
                        "fr",
                        format!(
                            "l'objet {number} contient de l'ivoire d'éléphant : un document CITES est exigé et \
                             aucun n'est référencé : indiquez sa référence dans cites.doc_ref"
                        ),
                    ),
                ),
            }
        }
        findings
    }
}

cartouche_rules_sdk::export_rule!(CitesIvory);
