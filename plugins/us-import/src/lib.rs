//! United States import rules for cultural objects.
//!
//! - **CPIA** (Convention on Cultural Property Implementation Act, 19 U.S.C. 2601-2613;
//!   19 CFR 12.104-12.104j): designated archaeological or ethnological material of a State
//!   Party exported after its designation may be imported only with the State Party's export
//!   certificate (19 U.S.C. 2606(a), 19 CFR 12.104c(a)) or satisfactory evidence that it left
//!   the State Party on or before the date of designation (19 U.S.C. 2606(b), 19 CFR 12.104c).
//!   The designated lists encoded are in [`DESIGNATIONS`].
//! - **Elephant ivory** (Endangered Species Act): African elephant ivory under the 4(d) rule,
//!   50 CFR 17.40(e); Asian elephant (endangered, 50 CFR 17.11); antiques under ESA
//!   section 10(h) (16 U.S.C. 1539(h)).

use std::collections::BTreeMap;

use cartouche_rules_sdk::FindingExt;
use cartouche_rules_sdk::model::{CulturalObject, DocumentKind, Purpose};
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::time::Month;

/// The rule.
pub struct UnitedStatesImport;

/// Document `ref` prefix (type `other`): the State Party's export certificate.
pub const EXPORT_CERTIFICATE_PREFIX: &str = "EXPORT-CERTIFICATE:";
/// Document `ref` prefix (type `other`): evidence that the object left the State Party on or
/// before the date of designation.
pub const EXPORTED_BEFORE_PREFIX: &str = "EXPORTED-BEFORE:";
/// Document `ref` prefix (type `other`): an ESA permit (50 CFR 17.22).
pub const ESA_PERMIT_PREFIX: &str = "ESA-PERMIT:";

/// A date from its parts (panics at compile time on an invalid date).
const fn day(year: i32, month: Month, day: u8) -> Date {
    match Date::from_calendar_date(year, month, day) {
        Ok(date) => date,
        Err(_) => panic!("invalid date"),
    }
}

/// The kind of designated material (19 U.S.C. 2601(2)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Material {
    /// Archaeological material (at least 250 years old, 19 CFR 12.104(a)(1)).
    Archaeological,
    /// Ethnological (here ecclesiastical or colonial) material.
    Ethnological,
}

/// One designated list of 19 CFR 12.104g(a), for one country, kind and period.
#[derive(Debug, Clone, Copy)]
pub struct Designation {
    /// The State Party.
    pub country: &'static str,
    /// Its name, for messages.
    pub name: &'static str,
    /// Archaeological or ethnological.
    pub material: Material,
    /// First year of the designated period (negative: BCE).
    pub from_year: i32,
    /// Last year of the designated period.
    pub to_year: i32,
    /// Effective date of the designation: material that left the State Party on or before it
    /// is outside the restriction.
    pub designated: Date,
    /// The last date to which the restriction is known (to this plugin) to run; after it the
    /// plugin asks the officer to check the extension instead of refusing.
    pub in_effect_until: Date,
    /// The decisions relied on.
    pub source: &'static str,
}

/// The designated lists encoded (see README for what was left out and why).
pub const DESIGNATIONS: [Designation; 9] = [
    Designation {
        country: "IT",
        name: "Italy",
        material: Material::Archaeological,
        from_year: -900,
        to_year: 400,
        designated: day(2001, Month::January, 19),
        in_effect_until: day(2026, Month::January, 12),
        source: "T.D. 01-06; extended by CBP Dec. 16-02 and FR Doc. 2021-00499",
    },
    Designation {
        country: "GR",
        name: "Greece",
        material: Material::Archaeological,
        from_year: -20_000,
        to_year: 1500,
        designated: day(2011, Month::November, 21),
        in_effect_until: day(2026, Month::November, 21),
        source: "CBP Dec. 11-25; extended 2016 and 2021",
    },
    Designation {
        country: "CY",
        name: "Cyprus",
        material: Material::Archaeological,
        from_year: -8500,
        to_year: 330,
        designated: day(2002, Month::July, 16),
        in_effect_until: day(2022, Month::July, 16),
        source: "MOU of 16 July 2002; extended by CBP Dec. 07-52, 12-13 and 2017",
    },
    Designation {
        country: "CY",
        name: "Cyprus",
        material: Material::Ethnological,
        from_year: 300,
        to_year: 1850,
        designated: day(1999, Month::April, 12),
        in_effect_until: day(2022, Month::July, 16),
        source: "T.D. 99-35; CBP Dec. 12-13 (post-Byzantine to 1850)",
    },
    Designation {
        country: "CN",
        name: "China",
        material: Material::Archaeological,
        from_year: -10_000,
        to_year: 907,
        designated: day(2009, Month::January, 16),
        in_effect_until: day(2029, Month::January, 14),
        source: "CBP Dec. 09-03; extended by CBP Dec. 14-02, 2019 and 2024",
    },
    Designation {
        country: "EG",
        name: "Egypt",
        material: Material::Archaeological,
        from_year: -5200,
        to_year: 1517,
        designated: day(2016, Month::December, 5),
        in_effect_until: day(2026, Month::November, 30),
        source: "CBP Dec. 16-23; extended and amended by FR Doc. 2021-26348",
    },
    Designation {
        country: "EG",
        name: "Egypt",
        material: Material::Archaeological,
        from_year: -300_000,
        to_year: 1750,
        designated: day(2021, Month::December, 1),
        in_effect_until: day(2026, Month::November, 30),
        source: "FR Doc. 2021-26348 (amended list, from 300,000 BC to AD 1750)",
    },
    Designation {
        country: "EG",
        name: "Egypt",
        material: Material::Ethnological,
        from_year: 1517,
        to_year: 1914,
        designated: day(2021, Month::December, 1),
        in_effect_until: day(2026, Month::November, 30),
        source: "FR Doc. 2021-26348 (ethnological material, AD 1517-1914)",
    },
    Designation {
        country: "PE",
        name: "Peru",
        material: Material::Archaeological,
        from_year: -12_000,
        to_year: 1532,
        designated: day(1997, Month::June, 11),
        in_effect_until: day(2027, Month::June, 9),
        source: "T.D. 97-50; extended by CBP Dec. 17-03, 22-11, amended by CBP Dec. 23-10",
    },
];

/// Peru's colonial ethnological material (1532-1821), designated with the archaeological list.
pub const PERU_COLONIAL: Designation = Designation {
    country: "PE",
    name: "Peru",
    material: Material::Ethnological,
    from_year: 1532,
    to_year: 1821,
    designated: day(1997, Month::June, 11),
    in_effect_until: day(2027, Month::June, 9),
    source: "T.D. 97-50; CBP Dec. 17-03, 23-10",
};

/// How an object's dating meets a designated period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// The whole dating range is inside the period.
    Inside,
    /// The ranges overlap, but the dating reaches outside the period.
    Overlaps,
}

fn lower_type_and_materials(object: &CulturalObject) -> Vec<String> {
    object.object_type.iter().chain(object.materials_techniques.iter()).map(|text| text.to_lowercase()).collect()
}

/// The designation that applies to the object, if any, and how its dating fits: archaeological
/// objects against archaeological lists, other objects against ethnological lists of their
/// country of origin; the first list the dating lies inside wins, else the first it overlaps.
pub fn designation_for(object: &CulturalObject, origin: &str) -> Option<(&'static Designation, Fit)> {
    let material = if is_archaeological(object) { Material::Archaeological } else { Material::Ethnological };
    let (earliest, latest) = (object.dating.earliest_year, object.dating.latest_year);
    let lists = DESIGNATIONS
        .iter()
        .chain(std::iter::once(&PERU_COLONIAL))
        .filter(|designation| designation.country == origin && designation.material == material);
    let mut overlapping = None;
    for designation in lists {
        if designation.from_year <= earliest && latest <= designation.to_year {
            return Some((designation, Fit::Inside));
        }
        if earliest <= designation.to_year && designation.from_year <= latest && overlapping.is_none() {
            overlapping = Some((designation, Fit::Overlaps));
        }
    }
    overlapping
}

/// The index of the object's first document of type `other` whose `ref` is `prefix`
/// followed by a non-blank reference.
fn document_with(object: &CulturalObject, prefix: &str) -> Option<usize> {
    object.documents.as_deref().unwrap_or_default().iter().position(|document| {
        document.kind == DocumentKind::Other
            && document.reference.trim_start().strip_prefix(prefix).is_some_and(|rest| !rest.trim().is_empty())
    })
}

/// CPIA findings on one object.
fn cpia(findings: &mut Vec<Finding>, index: usize, object: &CulturalObject, issuer: &str, date: Date) {
    let number = index + 1;
    let Some(origin) = object.provenance.as_ref().and_then(|provenance| provenance.origin_country.as_deref()) else {
        return;
    };
    let Some((designation, fit)) = designation_for(object, origin) else { return };
    if date < designation.designated {
        return;
    }
    let state = designation.name;
    let since = designation.designated;
    let source = designation.source;
    if issuer == designation.country {
        findings.push(
            finding(
                "US.CPIA_STATE_CERTIFICATE",
                Severity::Info,
                format!(
                    "object {number} may be designated material of {state} (19 CFR 12.104g, {source}): this \
                     certificate, issued by {state}, is the State Party's certification that its export did not \
                     violate its laws (19 U.S.C. 2606(a), 19 CFR 12.104c)"
                ),
            )
            .at(object_field(index, "")),
        );
        return;
    }
    if let Some(document) = document_with(object, EXPORT_CERTIFICATE_PREFIX) {
        findings.push(
            finding(
                "US.CPIA_CERTIFICATE_PRESENT",
                Severity::Info,
                format!(
                    "object {number} may be designated material of {state} ({source}): its export certificate is \
                     referenced (19 U.S.C. 2606(a)): check it matches the object"
                ),
            )
            .at(object_field(index, &format!("documents/{document}"))),
        );
        return;
    }
    if let Some(document) = document_with(object, EXPORTED_BEFORE_PREFIX) {
        findings.push(
            finding(
                "US.CPIA_LEFT_BEFORE_DESIGNATION",
                Severity::Info,
                format!(
                    "object {number} may be designated material of {state} ({source}): evidence that it left \
                     {state} on or before {since} is referenced (19 U.S.C. 2606(b), 19 CFR 12.104c): check it"
                ),
            )
            .at(object_field(index, &format!("documents/{document}"))),
        );
        return;
    }
    let entry = object.legal_status.as_ref().and_then(|status| status.entered.as_ref());
    if let Some(entry) = entry.filter(|entry| entry.from_country.as_deref() == Some(origin) && entry.date <= since) {
        findings.push(
            finding(
                "US.CPIA_LEFT_BEFORE_DESIGNATION",
                Severity::Info,
                format!(
                    "object {number}: it entered the exporting country from {state} on {}, on or before the \
                     designation of {since}, so it left {state} before the restriction (19 U.S.C. 2606(b), 19 CFR \
                     12.104c): the importer must hold the evidence of that entry",
                    entry.date
                ),
            )
            .at(object_field(index, "legal_status/entered")),
        );
        return;
    }
    let lapsed = date > designation.in_effect_until;
    let until = designation.in_effect_until;
    let kind = match designation.material {
        Material::Archaeological => "archaeological",
        Material::Ethnological => "ethnological",
    };
    findings.push(match (fit, lapsed) {
        (Fit::Inside, false) => finding(
            "US.CPIA_DOCUMENTATION_MISSING",
            Severity::Error,
            format!(
                "object {number} is {kind} material of {state} of a designated period ({} to {}; {source}, 19 CFR \
                 12.104g): it may enter only with {state}'s export certificate or evidence that it left {state} on or \
                 before {since} (19 U.S.C. 2606, 19 CFR 12.104c); neither is given: add a document of type \"other\" \
                 with ref \"{EXPORT_CERTIFICATE_PREFIX} <number>\" or \"{EXPORTED_BEFORE_PREFIX} <evidence>\", or \
                 detain the object",
                designation.from_year, designation.to_year
            ),
        )
        .at(object_field(index, "documents")),
        (Fit::Inside, true) => finding(
            "US.CPIA_DESIGNATION_CHECK",
            Severity::Warning,
            format!(
                "object {number} is {kind} material of {state} of a designated period ({source}); the restriction was \
                 due to expire on {until} unless extended: check 19 CFR 12.104g; if it is in effect, {state}'s export \
                 certificate or evidence of export on or before {since} is required"
            ),
        )
        .at(object_field(index, "documents")),
        (Fit::Overlaps, _) => finding(
            "US.CPIA_DESIGNATION_CHECK",
            Severity::Warning,
            format!(
                "object {number} from {state}: its dating ({}) overlaps the designated period {} to {} ({source}): \
                 check the Designated List; if it is covered, {state}'s export certificate or evidence of export on \
                 or before {since} is required (19 U.S.C. 2606)",
                object.dating.text, designation.from_year, designation.to_year
            ),
        )
        .at(object_field(index, "dating")),
    });
}

/// ESA 10(h): an antique is "not less than 100 years of age".
pub const ANTIQUE_YEARS: i32 = 100;

/// 50 CFR 17.40(e): the exceptions for worked African elephant ivory require ivory removed from
/// the wild **before** 26 February 1976.
pub const AFRICAN_IVORY_DATE: Date = day(1976, Month::February, 26);

/// Without an acquisition date, a dating ending in this year or earlier is before 26 February
/// 1976.
pub const AFRICAN_IVORY_LAST_YEAR: i32 = 1975;

/// Words for ivory.
const IVORY_WORDS: [&str; 5] = ["ivory", "ivoire", "avorio", "elfenbein", "marfil"];
/// Phrases that mention ivory but are not animal ivory.
const NOT_IVORY: [&str; 6] =
    ["vegetable ivory", "ivoire végétal", "avorio vegetale", "pflanzenelfenbein", "faux ivory", "imitation ivory"];
/// Names of elephants in `cites.species`.
const ELEPHANT_SPECIES: [&str; 6] = ["elephantidae", "loxodonta", "elephas maximus", "elephant", "éléphant", "elefant"];
/// Words that make an object a musical instrument.
const INSTRUMENT_WORDS: [&str; 14] = [
    "musical instrument",
    "instrument de musique",
    "strumento musicale",
    "musikinstrument",
    "violin",
    "violon",
    "viola",
    "cello",
    "archet",
    "bow",
    "piano",
    "guitar",
    "harpsichord",
    "bagpipe",
];

/// Which elephant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elephant {
    /// *Loxodonta africana*: threatened, 4(d) rule.
    African,
    /// *Elephas maximus*, or an elephant not named by genus (treated as the stricter case).
    Asian,
}

/// The elephant the object's ivory comes from, if it contains elephant ivory.
pub fn elephant(object: &CulturalObject) -> Option<Elephant> {
    let species = object.cites.as_ref().map(|cites| cites.species.to_lowercase());
    match species.as_deref().map(str::trim).filter(|species| !species.is_empty()) {
        Some(species) if species.contains("loxodonta") || species.contains("african") => Some(Elephant::African),
        Some(species) if ELEPHANT_SPECIES.iter().any(|name| species.contains(name)) => Some(Elephant::Asian),
        Some(_) => None,
        None => {
            let mut text = lower_type_and_materials(object).join(" | ");
            for phrase in NOT_IVORY {
                text = text.replace(phrase, " ");
            }
            if !IVORY_WORDS.iter().any(|word| text.contains(word)) {
                None
            } else if text.contains("afric") {
                Some(Elephant::African)
            } else {
                Some(Elephant::Asian)
            }
        }
    }
}

/// Elephant ivory findings on one object.
fn ivory(findings: &mut Vec<Finding>, index: usize, object: &CulturalObject, purpose: Purpose, date: Date) {
    let number = index + 1;
    let Some(elephant) = elephant(object) else { return };
    let Some(cites) = &object.cites else {
        findings.push(
            finding(
                "US.IVORY_DATA_MISSING",
                Severity::Error,
                format!(
                    "object {number} contains ivory but declares no CITES data: give the species (Loxodonta africana \
                     or Elephas maximus), the date before which it was acquired and the CITES document (50 CFR \
                     17.40(e), 50 CFR part 23)"
                ),
            )
            .at(object_field(index, "cites")),
        );
        return;
    };
    let years = date.year() - object.dating.latest_year;
    if years == ANTIQUE_YEARS {
        findings.push(
            finding(
                "US.ESA_ANTIQUE_AGE_UNCERTAIN",
                Severity::Warning,
                format!(
                    "object {number} contains elephant ivory and its dating ends exactly {ANTIQUE_YEARS} years before \
                     this year: it is an ESA antique only if it is not less than 100 years old on the day of import \
                     (16 U.S.C. 1539(h)); ask for proof of its date"
                ),
            )
            .at(object_field(index, "dating")),
        );
        return;
    }
    let doc_ref = cites.doc_ref.as_deref().map(str::trim).filter(|reference| !reference.is_empty());
    let cites_doc = |findings: &mut Vec<Finding>, code: &str, why: String| match doc_ref {
        Some(reference) => findings.push(
            finding(
                code,
                Severity::Info,
                format!("object {number}: {why}; CITES document {reference} given: check it"),
            )
            .at(object_field(index, "cites/doc_ref")),
        ),
        None => findings.push(
            finding(
                "US.IVORY_CITES_DOC_MISSING",
                Severity::Error,
                format!("object {number}: {why}, with a CITES document, and none is referenced in cites.doc_ref"),
            )
            .at(object_field(index, "cites/doc_ref")),
        ),
    };
    if years > ANTIQUE_YEARS {
        cites_doc(
            findings,
            "US.IVORY_ESA_ANTIQUE",
            format!(
                "elephant ivory more than {ANTIQUE_YEARS} years old may enter as an ESA antique (16 U.S.C. 1539(h), \
                 50 CFR 17.40(e)) through a port designated for antiques, if not repaired or modified with listed \
                 species on or after 28 December 1973"
            ),
        );
        return;
    }
    match elephant {
        Elephant::Asian => match document_with(object, ESA_PERMIT_PREFIX) {
            Some(document) => findings.push(
                finding(
                    "US.IVORY_ESA_PERMIT_PRESENT",
                    Severity::Info,
                    format!(
                        "object {number} contains Asian elephant ivory less than 100 years old; an ESA permit is \
                         referenced (50 CFR 17.22): check it"
                    ),
                )
                .at(object_field(index, &format!("documents/{document}"))),
            ),
            None => findings.push(
                finding(
                    "US.IVORY_IMPORT_PROHIBITED",
                    Severity::Error,
                    format!(
                        "object {number} contains ivory of the Asian elephant (endangered, 50 CFR 17.11) or of an \
                         elephant not named by genus, less than 100 years old: it is no ESA antique and may be \
                         imported only under an ESA permit (50 CFR 17.21, 17.22); none is referenced (document type \
                         \"other\", ref \"{ESA_PERMIT_PREFIX} <number>\"): detain it"
                    ),
                )
                .at(object_field(index, "cites")),
            ),
        },
        Elephant::African => {
            let before_1976 = match cites.acquired_before {
                Some(acquired) => acquired <= AFRICAN_IVORY_DATE,
                None => object.dating.latest_year <= AFRICAN_IVORY_LAST_YEAR,
            };
            let text = lower_type_and_materials(object).join(" | ");
            let instrument = INSTRUMENT_WORDS.iter().any(|word| text.contains(word));
            let exception = match purpose {
                Purpose::Sale => None,
                _ if instrument => Some("a musical instrument"),
                Purpose::Exhibition => Some("a traveling exhibition"),
                Purpose::Personal => Some("household effects (a household move or inheritance)"),
                _ => None,
            };
            match (before_1976, exception) {
                (true, Some(exception)) => cites_doc(
                    findings,
                    "US.IVORY_NONCOMMERCIAL_EXCEPTION",
                    format!(
                        "African elephant ivory removed from the wild before 26 February 1976, imported \
                         noncommercially as {exception}, is allowed by the 4(d) rule (50 CFR 17.40(e)) if it has not \
                         been sold since 25 February 2014"
                    ),
                ),
                _ => findings.push(
                    finding(
                        "US.IVORY_IMPORT_PROHIBITED",
                        Severity::Error,
                        format!(
                            "object {number} contains African elephant ivory less than 100 years old that is not \
                             shown to be removed from the wild before 26 February 1976 and imported noncommercially \
                             as a musical instrument, in a traveling exhibition or as household effects: the 4(d) \
                             rule (50 CFR 17.40(e)) prohibits its import; detain it"
                        ),
                    )
                    .at(object_field(index, "cites")),
                ),
            }
        }
    }
}

impl Rule for UnitedStatesImport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "us-import".into(),
            jurisdiction: "US".into(),
            version: "1.0.0".into(),
            phases: vec![Phase::ImportCheck],
            descriptions: BTreeMap::from([(
                "en".into(),
                "United States: CPIA designated lists (19 U.S.C. 2606, 19 CFR 12.104c) and elephant ivory (ESA, 50 CFR \
                 17.40(e))"
                    .into(),
            )]),
        }
    }

    fn evaluate(subject: &RuleSubject, context: &Context, _reference: &dyn Reference) -> Vec<Finding> {
        let application = &subject.application;
        if context.phase != Phase::ImportCheck || application.destination_country != "US" {
            return Vec::new();
        }
        let mut findings = Vec::new();
        for (index, object) in application.objects.iter().enumerate() {
            cpia(&mut findings, index, object, &application.issuing_authority.country, context.date);
            ivory(&mut findings, index, object, application.purpose, context.date);
        }
        findings
    }
}

cartouche_rules_sdk::export_rule!(UnitedStatesImport);
