//! CITES: ivory and other listed species in cultural objects.
//!
//! Council Regulation (EC) No 338/97 lists the elephants (Elephantidae: *Loxodonta
//! africana*, *Elephas maximus*) in its Annex A. The Commission guidance on the EU regime
//! governing trade in ivory (2021/C 528/03) and Commission Regulation (EU) 2021/2280 amending
//! Reg. (EC) No 865/2006 (both from 19 January 2022) treat elephant ivory differently when it
//! leaves the Union (re-export) and when it is traded within it:
//!
//! - worked ivory acquired after 3 March 1947 cannot leave, nor be sold within the Union,
//!   except musical instruments whose ivory was acquired before 1975 (Asian elephant) or 1976
//!   (African elephant);
//! - older ("antique") worked ivory needs a certificate for a sale within the Union, and a
//!   re-export certificate to leave it, which the guidance issues only in limited cases (a sale
//!   to a museum, exchanges between institutions, heirlooms moving with a family, scientific,
//!   educational or enforcement purposes);
//! - a movement within the Union that is not commercial needs no certificate (Art. 8(1) of
//!   Reg. 338/97 prohibits commercial uses only).
//!
//! Other species ([`species`]): hippopotamus (Annex B), walrus (Annex C), narwhal and sperm
//! whale (Annex A, as all Cetacea), rhinoceros horn, marine turtles' tortoiseshell and
//! *Dalbergia nigra* (Annex A), other *Dalbergia* (Annex B, annotation #15: finished musical
//! instruments exempt). Any of them leaving a country needs a CITES document (Reg. 338/97
//! Art. 5; CITES Arts. III-V, VII(2)); within the Union only Annex A sales need a certificate,
//! and worked specimens acquired before 3 March 1947 not even that (Reg. 865/2006 Art. 62(3)),
//! except ivory and, conservatively, rhinoceros horn.

use std::collections::BTreeMap;

use cartouche_rules_sdk::FindingExt;
use cartouche_rules_sdk::model::plugin::is_eu_member;
use cartouche_rules_sdk::model::{Application, Cites, CulturalObject, Purpose};
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::time::Month;

pub mod species;

use species::{Annex, Kind, Species};

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

/// What the object contains, as far as this plugin can tell.
enum Contents {
    /// A listed species, named in `cites.species` (or ivory with a `cites` block naming none).
    Listed(&'static Species),
    /// Ivory words in its type or materials and no `cites` block.
    IvoryUndeclared,
    /// Another listed material (tortoiseshell, rhinoceros horn...) and no `cites` block.
    MaterialUndeclared(&'static str),
    /// Rosewood words and no `cites` block: *Dalbergia* or not, the declarant must say.
    RosewoodUndeclared,
    /// Nothing this plugin reads, or a species that is not listed (mammoth).
    Nothing,
}

/// What the object contains: the species its `cites` block names (a declared species that is
/// not listed, such as mammoth, clears the object), or else what its type and materials say.
fn contents(object: &CulturalObject) -> Contents {
    let species = object.cites.as_ref().map(|cites| cites.species.trim()).filter(|species| !species.is_empty());
    if let Some(species) = species {
        return species::named(species).map_or(Contents::Nothing, Contents::Listed);
    }
    let mut text = type_and_materials(object);
    for phrase in NOT_IVORY.iter().chain(species::NOT_MATERIAL.iter()) {
        text = text.replace(phrase, " ");
    }
    if IVORY_WORDS.iter().any(|word| text.contains(word)) {
        return Contents::IvoryUndeclared;
    }
    if let Some((_, what)) = species::MATERIAL_WORDS.iter().find(|(word, _)| text.contains(word)) {
        return Contents::MaterialUndeclared(what);
    }
    if species::ROSEWOOD_WORDS.iter().any(|word| text.contains(word)) {
        return Contents::RosewoodUndeclared;
    }
    Contents::Nothing
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

/// Where the object goes, for the Union's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Movement {
    /// From a member state to a member state: trade within the Union (Reg. 338/97 Art. 8).
    WithinUnion,
    /// From a member state to a third country: (re-)export (Reg. 338/97 Art. 5).
    OutOfUnion,
    /// From a third country: the Convention's export rules (the Union's guidance is applied
    /// to elephant ivory as before, conservatively).
    Elsewhere,
}

fn movement(application: &Application) -> Movement {
    match (is_eu_member(&application.issuing_authority.country), is_eu_member(&application.destination_country)) {
        (true, true) => Movement::WithinUnion,
        (true, false) => Movement::OutOfUnion,
        (false, _) => Movement::Elsewhere,
    }
}

/// Whether the purpose is, or may be, a commercial use of Art. 8(1) of Reg. 338/97 (sale,
/// keeping or offering for sale...): sale, expertise (with a view to a sale) and other
/// (unknown, so conservatively commercial).
fn commercial(purpose: Purpose) -> bool {
    matches!(purpose, Purpose::Sale | Purpose::Expertise | Purpose::Other)
}

/// The musical-instrument exception: an instrument whose ivory was acquired before `cutoff`:
/// by `cites.acquired_before` (on or before the cutoff), or else by its dating (latest year
/// before the cutoff's year).
fn instrument_exempt(object: &CulturalObject, cites: &Cites, cutoff: Date) -> bool {
    is_instrument(object)
        && match cites.acquired_before {
            Some(date) => date <= cutoff,
            None => object.dating.latest_year < cutoff.year(),
        }
}

/// The document a movement needs, in English and French.
fn document_needed(movement: Movement) -> (&'static str, &'static str) {
    match movement {
        Movement::WithinUnion => (
            "a certificate for commercial use within the Union (Reg. 338/97 Art. 8(3) and 10)",
            "un certificat pour usage commercial dans l'Union (règl. 338/97 art. 8, par. 3, et art. 10)",
        ),
        Movement::OutOfUnion => (
            "a re-export certificate or export permit, or a musical instrument certificate (Reg. 338/97 Art. 5)",
            "un certificat de réexportation ou permis d'exportation, ou un certificat pour instrument de musique (règl. 338/97 art. 5)",
        ),
        Movement::Elsewhere => (
            "a CITES export permit, re-export or pre-Convention certificate (CITES Art. III-V, VII(2))",
            "un permis d'exportation CITES, un certificat de réexportation ou pré-Convention (CITES art. III à V, VII, par. 2)",
        ),
    }
}

/// A CITES document reference is required: present (info) or missing (error).
fn document_check(index: usize, cites: &Cites, species: &Species, movement: Movement) -> Finding {
    let number = index + 1;
    let (needed_en, needed_fr) = document_needed(movement);
    let name = species.name;
    match cites.doc_ref.as_deref().map(str::trim).filter(|reference| !reference.is_empty()) {
        Some(reference) => finding(
            "CITES.DOC_REF_PRESENT",
            Severity::Info,
            format!(
                "object {number} contains {name} (CITES Appendix {}, Reg. 338/97 Annex {:?}): it needs {needed_en}; \
                 its document {reference} is given: check that it matches the object",
                species.appendix, species.annex
            ),
        )
        .at(object_field(index, "cites/doc_ref"))
        .translated(
            "fr",
            format!(
                "l'objet {number} contient {name} : il faut {needed_fr} ; le document {reference} est fourni : \
                 vérifiez qu'il correspond à l'objet"
            ),
        ),
        None => finding(
            "CITES.DOC_REF_MISSING",
            Severity::Error,
            format!(
                "object {number} contains {name} (CITES Appendix {}, Reg. 338/97 Annex {:?}): it needs {needed_en}, \
                 and none is referenced: give its reference in cites.doc_ref",
                species.appendix, species.annex
            ),
        )
        .at(object_field(index, "cites/doc_ref"))
        .translated(
            "fr",
            format!(
                "l'objet {number} contient {name} : il faut {needed_fr}, et aucun n'est référencé : indiquez sa \
                 référence dans cites.doc_ref"
            ),
        ),
    }
}

/// Within the Union, no certificate is needed; `why` says why.
fn no_certificate(index: usize, species: &Species, why_en: &str, why_fr: &str) -> Finding {
    let number = index + 1;
    let name = species.name;
    finding(
        "CITES.INTRA_EU_NO_CERTIFICATE",
        Severity::Info,
        format!(
            "object {number} contains {name} and moves within the Union: {why_en}, so no CITES certificate is \
             needed for this movement (Reg. 338/97 Art. 8)"
        ),
    )
    .at(object_field(index, "cites/species"))
    .translated(
        "fr",
        format!(
            "l'objet {number} contient {name} et circule dans l'Union : {why_fr} ; aucun certificat CITES n'est \
             exigé pour ce mouvement (règl. 338/97 art. 8)"
        ),
    )
}

/// Elephant ivory (guidance 2021/C 528/03, Reg. 865/2006 as amended by Reg. 2021/2280).
fn elephant(
    application: &Application,
    index: usize,
    object: &CulturalObject,
    cites: &Cites,
    species: &Species,
    cutoff: Date,
) -> Vec<Finding> {
    let number = index + 1;
    let movement = movement(application);
    let purpose = application.purpose;
    let instrument = instrument_exempt(object, cites, cutoff);
    let (cutoff_year, name) = (cutoff.year(), species.name);
    if movement == Movement::WithinUnion && !commercial(purpose) {
        return vec![no_certificate(
            index,
            species,
            &format!(
                "its purpose ({purpose:?}) is not a sale or other commercial use; any sale needs a certificate first"
            ),
            "son but n'est pas une vente ni un autre usage commercial ; toute vente exige d'abord un certificat",
        )];
    }
    if let Worked::After { field, why } = worked(object, cites)
        && !instrument
    {
        let (where_en, where_fr) = match movement {
            Movement::WithinUnion => (
                "its sale within the Union is prohibited (Reg. 865/2006 as amended by Reg. 2021/2280; guidance \
                 2021/C 528/03 section 6(b)): it cannot be sold",
                "sa vente dans l'Union est interdite (règl. 865/2006 modifié par le règl. 2021/2280)",
            ),
            Movement::OutOfUnion | Movement::Elsewhere => (
                "guidance 2021/C 528/03 section 5(b) suspends its (re-)export: it cannot leave; at the border, hold it",
                "son exportation est suspendue (orientations 2021/C 528/03, section 5, b) ; à la frontière, retenez-le",
            ),
        };
        return vec![
            finding(
                "CITES.IVORY_BLOCKED",
                Severity::Error,
                format!(
                    "object {number} contains {name} ivory that may have been worked after 3 March 1947 ({why}) and \
                     is not a musical instrument whose ivory was acquired before {cutoff_year}: {where_en}"
                ),
            )
            .at(object_field(index, field))
            .translated(
                "fr",
                format!(
                    "l'objet {number} contient de l'ivoire ({name}) pouvant avoir été travaillé après le 3 mars 1947 \
                     et n'est pas un instrument de musique dont l'ivoire a été acquis avant {cutoff_year} : {where_fr}"
                ),
            ),
        ];
    }
    let mut findings = Vec::new();
    if movement == Movement::OutOfUnion && !instrument && commercial(purpose) {
        findings.push(
            finding(
                "CITES.IVORY_REEXPORT_LIMITED",
                Severity::Warning,
                format!(
                    "object {number} is worked ivory from before 3 March 1947 leaving the Union for {purpose:?}: \
                     guidance 2021/C 528/03 section 5(b) recommends re-export certificates for worked ivory only in \
                     limited cases (musical instruments; a sale of an item of high cultural, artistic or historical \
                     importance to a museum; exchanges of cultural goods between institutions; heirlooms moving with \
                     a household; enforcement, scientific or educational purposes): check that its re-export \
                     certificate was issued for one of them"
                ),
            )
            .at("/purpose")
            .translated(
                "fr",
                format!(
                    "l'objet {number} est de l'ivoire travaillé antérieur au 3 mars 1947 qui quitte l'Union pour \
                     {purpose:?} : les orientations 2021/C 528/03 (section 5, b) ne prévoient de certificat de \
                     réexportation que dans des cas limités (instruments de musique, vente à un musée d'un objet \
                     d'importance culturelle, échanges entre institutions, biens de famille lors d'un déménagement, \
                     fins scientifiques, éducatives ou répressives) : vérifiez que le certificat relève de l'un d'eux"
                ),
            ),
        );
    }
    findings.push(document_check(index, cites, species, movement));
    findings
}

/// Species other than the elephants.
fn other_species(
    application: &Application,
    index: usize,
    object: &CulturalObject,
    cites: &Cites,
    species: &Species,
) -> Vec<Finding> {
    let number = index + 1;
    let name = species.name;
    if species.kind == Kind::DalbergiaAnnotated && is_instrument(object) {
        return vec![
            finding(
                "CITES.DALBERGIA_INSTRUMENT_EXEMPT",
                Severity::Info,
                format!(
                    "object {number} is a musical instrument (or part or accessory) of {name}: CITES annotation #15 \
                     (as amended at CoP18, in force 26 November 2019) excludes finished musical instruments, their \
                     finished parts and accessories from the Appendix II listing; no CITES document is needed, unless \
                     it is in fact Dalbergia nigra (Appendix I)"
                ),
            )
            .at(object_field(index, "cites/species"))
            .translated(
                "fr",
                format!(
                    "l'objet {number} est un instrument de musique (ou une partie ou un accessoire) en {name} : \
                     l'annotation CITES #15 exclut les instruments finis, leurs parties et accessoires finis ; aucun \
                     document CITES n'est exigé, sauf s'il s'agit de Dalbergia nigra (annexe I)"
                ),
            ),
        ];
    }
    let movement = movement(application);
    if movement == Movement::WithinUnion {
        let purpose = application.purpose;
        return match species.annex {
            Annex::B | Annex::C => vec![no_certificate(
                index,
                species,
                "it is in Annex B or C, which need no certificate within the Union (for a sale of an Annex B \
                 specimen, keep proof of its legal acquisition, Art. 8(5))",
                "elle figure à l'annexe B ou C, sans certificat dans l'Union (pour une vente à l'annexe B, gardez la \
                 preuve de l'acquisition légale, art. 8, par. 5)",
            )],
            Annex::A if !commercial(purpose) => vec![no_certificate(
                index,
                species,
                &format!("its purpose ({purpose:?}) is not a sale or other commercial use"),
                "son but n'est pas une vente ni un autre usage commercial",
            )],
            Annex::A if species.kind != Kind::Rhino && matches!(worked(object, cites), Worked::BeforeConvention) => {
                vec![no_certificate(
                    index,
                    species,
                    "it is a worked specimen acquired before 3 March 1947 (Reg. 338/97 Art. 2(w)), exempt from the \
                     certificate by Reg. 865/2006 Art. 62(3)",
                    "c'est un spécimen travaillé acquis avant le 3 mars 1947, dispensé de certificat (règl. 865/2006 \
                     art. 62, par. 3)",
                )]
            }
            Annex::A => vec![document_check(index, cites, species, movement)],
        };
    }
    vec![document_check(index, cites, species, movement)]
}

impl Rule for CitesIvory {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "cites-ivory".into(),
            jurisdiction: "INT".into(),
            version: "1.1.0".into(),
            phases: vec![Phase::Issuance, Phase::ExitCheck],
            descriptions: BTreeMap::from([
                (
                    "en".into(),
                    "CITES: ivory, rhinoceros horn, tortoiseshell, whale teeth and rosewood (Reg. (EC) 338/97, 865/2006 \
                     as amended by 2021/2280, guidance 2021/C 528/03)"
                        .into(),
                ),
                (
                    "fr".into(),
                    "CITES : ivoire, corne de rhinocéros, écaille, dents de cétacés et palissandre (règl. (CE) 338/97, \
                     865/2006 modifié par 2021/2280, orientations 2021/C 528/03)"
                        .into(),
                ),
            ]),
        }
    }

    fn evaluate(subject: &RuleSubject, context: &Context, _reference: &dyn Reference) -> Vec<Finding> {
        if !matches!(context.phase, Phase::Issuance | Phase::ExitCheck) {
            return Vec::new();
        }
        let application = &subject.application;
        let mut findings = Vec::new();
        for (index, object) in application.objects.iter().enumerate() {
            let number = index + 1;
            match contents(object) {
                Contents::Nothing => {}
                Contents::IvoryUndeclared => findings.push(
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
                ),
                Contents::MaterialUndeclared(what) => findings.push(
                    finding(
                        "CITES.SPECIES_DATA_MISSING",
                        Severity::Error,
                        format!(
                            "object {number} contains {what}, from a CITES-listed species, but declares no CITES \
                             data: give the species, the date before which it was acquired and the CITES document \
                             reference (Reg. 338/97)"
                        ),
                    )
                    .at(object_field(index, "cites"))
                    .translated(
                        "fr",
                        format!(
                            "l'objet {number} contient {what}, d'une espèce inscrite à la CITES, mais ne déclare \
                             aucune donnée CITES : indiquez l'espèce, la date d'acquisition et le document CITES"
                        ),
                    ),
                ),
                Contents::RosewoodUndeclared => findings.push(
                    finding(
                        "CITES.ROSEWOOD_SPECIES_UNDECLARED",
                        Severity::Warning,
                        format!(
                            "object {number} contains rosewood: if it is Dalbergia (all species are in CITES \
                             Appendix II, D. nigra in Appendix I), declare the species in cites.species so that \
                             its CITES rules can be checked; other rosewoods need no CITES block"
                        ),
                    )
                    .at(object_field(index, "materials_techniques"))
                    .translated(
                        "fr",
                        format!(
                            "l'objet {number} contient du palissandre : s'il s'agit de Dalbergia (annexe II CITES, \
                             D. nigra annexe I), déclarez l'espèce dans cites.species"
                        ),
                    ),
                ),
                Contents::Listed(species) => {
                    let Some(cites) = &object.cites else { continue };
                    findings.extend(match species.kind {
                        Kind::Elephant { instrument_cutoff } => {
                            elephant(application, index, object, cites, species, instrument_cutoff)
                        }
                        Kind::Rhino | Kind::DalbergiaAnnotated | Kind::Other => {
                            other_species(application, index, object, cites, species)
                        }
                    });
                }
            }
        }
        findings
    }
}

cartouche_rules_sdk::export_rule!(CitesIvory);
