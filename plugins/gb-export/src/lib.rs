//! United Kingdom: export licensing of objects of cultural interest, and the Ivory Act 2018.
//!
//! The Export of Objects of Cultural Interest (Control) Order 2003 (SI 2003/2759) prohibits,
//! in its art. 2, the export to any destination of the "objects" its Schedule describes
//! (art. 1(2)): objects of cultural interest made more than 50 years before the date of
//! exportation, **except** (Schedule, (a) to (d)) postage stamps, personal documents and
//! letters of the exporter, and "goods exported by, and being the personal property of, the
//! manufacturer or producer thereof" (or of that person's spouse, widow or widower), save
//! under a licence. Arts Council England's Export Licensing Unit decides which licence: an
//! **individual licence** above its value thresholds, otherwise the Secretary of State's
//! **Open General Export Licence** (OGEL) covers the export without a licence document.
//! The thresholds encoded here (ACE, *UK Export Licensing for Cultural Goods*, OGEL value
//! limits):
//!
//! - archaeology (EU116:1), manuscripts (EU116:9) and archives (EU116:12): at any value;
//! - British historical portraits: above GBP 10,000;
//! - photographs (EU116:8): above GBP 10,000;
//! - paintings (EU116:3): above GBP 180,000;
//! - any other object: above GBP 65,000.
//!
//! The certificate's kind maps onto ACE's licences: `standard` is an individual licence
//! (definitive, or temporary with a return date); `specific_open` and `general_open` are
//! the Open Individual Export Licences ACE grants for repeated **temporary** exports (of one
//! object by its owner; of a collection by an institution). An open licence for a definitive
//! export is not issued.
//!
//! The Ivory Act 2018 prohibits dealing in elephant ivory (s. 1), which includes
//! "exporting it from the United Kingdom for sale or hire" (s. 1(2)(d)), save the exemptions
//! of s. 2 (pre-1918 items of outstanding value, with an exemption certificate) and ss. 6 to
//! 9 (pre-1947 items with less than 10% ivory, pre-1975 musical instruments with less than
//! 20%, sales to qualifying museums, pre-1918 portrait miniatures), each registered under
//! s. 10. An item exported in breach is liable to forfeiture (s. 34). For an object exported
//! for sale, the plugin looks for the registration or exemption certificate among its
//! documents and checks that its dating fits an exemption.
//!
//! "British historical portrait" is a heuristic: the object's type or title mentions
//! "portrait" and its provenance gives Great Britain (`GB`) as its country of origin.

use std::collections::BTreeMap;

use cartouche_rules_sdk::FindingExt;
use cartouche_rules_sdk::assess::{Assessment, Category, Count, Facts, ValueLimit, decisive};
use cartouche_rules_sdk::model::{Application, CulturalObject, ExportType, LicenceType, Purpose};
use cartouche_rules_sdk::prelude::*;

/// The rule.
pub struct UkExport;

/// SI 2003/2759 Schedule: objects "manufactured or produced more than 50 years before the
/// date of exportation" need a licence. "More than": certainly over 50 years.
pub const LICENCE_AGE_YEARS: i32 = 50;

/// ACE threshold for paintings (EU116:3): an individual licence is needed **above**
/// GBP 180,000 (in pence).
pub const PAINTING_INDIVIDUAL_PENCE: i64 = 180_000 * 100;

/// ACE threshold for British historical portraits: an individual licence is needed
/// **above** GBP 10,000 (in pence).
pub const BRITISH_PORTRAIT_INDIVIDUAL_PENCE: i64 = 10_000 * 100;

/// ACE threshold for photographs (EU116:8: photographic positives or negatives, or an
/// assemblage of them): an individual licence is needed **above** GBP 10,000 (in pence).
pub const PHOTOGRAPH_INDIVIDUAL_PENCE: i64 = 10_000 * 100;

/// ACE general threshold for any other object: an individual licence is needed **above**
/// GBP 65,000 (in pence).
pub const OTHER_INDIVIDUAL_PENCE: i64 = 65_000 * 100;

/// Ivory Act 2018 s. 38: "pre-1918" is made before 1 January 1918: a dating ending in
/// 1917 at the latest.
pub const IVORY_PRE_1918_LAST_YEAR: i32 = 1917;

/// Ivory Act 2018 s. 38: "pre-1947" is made before 3 March 1947: a dating ending in 1946
/// at the latest (one ending in 1947 may be after 3 March).
pub const IVORY_PRE_1947_LAST_YEAR: i32 = 1946;

/// Ivory Act 2018 s. 38: "pre-1975" is made before 1 January 1975: a dating ending in 1974
/// at the latest.
pub const IVORY_PRE_1975_LAST_YEAR: i32 = 1974;

/// What makes an object need an individual licence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An archaeological object, manuscript or archive: at any value.
    AnyValue,
    /// A British historical portrait: above GBP 10,000.
    BritishPortrait,
    /// A painting: above GBP 180,000.
    Painting,
    /// A photograph: above GBP 10,000.
    Photograph,
    /// Any other object: above GBP 65,000.
    Other,
}

/// A threshold of an individual licence. The 50 years are checked for every object before
/// (the Order's own condition); values are the object line's, in pence.
const fn individual(code: &'static str, label: Kind, value: ValueLimit) -> Category<Kind> {
    Category { code, label, over_years: None, value, count: Count::WholeLot, exemption: None }
}

/// The individual-licence thresholds of specific kinds of object, in the order they decide:
/// archaeological objects (1), incunabula and manuscripts (9) and archives (12) at any
/// value; a British portrait (the heuristic below, no code: a British portrait that is also
/// a painting or a photograph takes the portrait threshold); paintings (EU116:3);
/// photographs (EU116:8).
pub const INDIVIDUAL: [Category<Kind>; 6] = [
    individual("1", Kind::AnyValue, ValueLimit::Any),
    individual("9", Kind::AnyValue, ValueLimit::Any),
    individual("12", Kind::AnyValue, ValueLimit::Any),
    individual("", Kind::BritishPortrait, ValueLimit::Over(BRITISH_PORTRAIT_INDIVIDUAL_PENCE)),
    individual("3", Kind::Painting, ValueLimit::Over(PAINTING_INDIVIDUAL_PENCE)),
    individual("8", Kind::Photograph, ValueLimit::Over(PHOTOGRAPH_INDIVIDUAL_PENCE)),
];

/// The general threshold, for an object in none of the [`INDIVIDUAL`] kinds.
pub const OTHER: Category<Kind> = individual("", Kind::Other, ValueLimit::Over(OTHER_INDIVIDUAL_PENCE));

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

/// The thresholds that apply to `object`: its EU116 codes and the portrait heuristic, else
/// the general threshold.
fn applicable(object: &CulturalObject) -> Vec<&'static Category<Kind>> {
    let specific: Vec<&'static Category<Kind>> = INDIVIDUAL
        .iter()
        .filter(|category| match category.label {
            Kind::BritishPortrait => is_british_portrait(object),
            Kind::AnyValue | Kind::Painting | Kind::Photograph | Kind::Other => {
                categories(object, "EU116").any(|code| code == category.code)
            }
        })
        .collect();
    if specific.is_empty() { vec![&OTHER] } else { specific }
}

/// SI 2003/2759 Schedule (d): the object is exported by its maker, who owns it
/// (`legal_status.exported_by_maker`), and the maker is alive (`maker.living`).
fn exported_by_living_maker(object: &CulturalObject) -> bool {
    let by_maker = object.legal_status.as_ref().and_then(|status| status.exported_by_maker) == Some(true);
    by_maker && object.maker.as_ref().and_then(|maker| maker.living) == Some(true)
}

/// Whether the application says the object is exported by its maker, whatever `maker.living`.
fn declared_by_maker(object: &CulturalObject) -> bool {
    object.legal_status.as_ref().and_then(|status| status.exported_by_maker) == Some(true)
}

/// The kinds of licence ACE issues, as the certificate records them (`licence_type` and
/// `export_type`): open individual licences are for temporary exports only, and the
/// certificate's specific open licence is for one object.
fn licence_kind_checks(application: &Application) -> Vec<Finding> {
    let mut findings = Vec::new();
    if application.licence_type.is_open() && application.export_type == ExportType::Definitive {
        findings.push(
            finding(
                "GB.OPEN_LICENCE_NOT_TEMPORARY",
                Severity::Error,
                "an open individual export licence (specific_open or general_open) covers repeated \
                 temporary exports only (ACE, UK Export Licensing for Cultural Goods, under \
                 SI 2003/2759 art. 3): issue a standard (individual) licence for a definitive export, or declare \
                 the export temporary with its return date",
            )
            .at("/export_type")
            .translated(
                "fr",
                "une licence individuelle ouverte (specific_open ou general_open) ne couvre que des \
                 exportations temporaires répétées (SI 2003/2759 art. 3 ; ACE) : délivrez une licence \
                 individuelle (standard) pour une exportation définitive, ou déclarez l'exportation \
                 temporaire avec sa date de retour",
            ),
        );
    }
    if application.licence_type == LicenceType::SpecificOpen && application.objects.len() > 1 {
        let count = application.objects.len();
        findings.push(
            finding(
                "GB.SPECIFIC_OPEN_ONE_OBJECT",
                Severity::Error,
                format!(
                    "a specific open licence is an open individual licence for the repeated temporary \
                     export of one object by its owner; this application lists {count} objects: one \
                     application per object, or a general open licence if the holder is an institution \
                     exporting from its collection"
                ),
            )
            .at("/objects")
            .translated(
                "fr",
                format!(
                    "une licence ouverte spécifique couvre l'exportation temporaire répétée d'un seul objet \
                     par son propriétaire ; cette demande en compte {count} : une demande par objet"
                ),
            ),
        );
    }
    findings
}

/// The licence (SI 2003/2759 and ACE thresholds) each object needs, at issuance.
fn licensing(application: &Application, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
    let mut findings = Vec::new();
    let facts = Facts { application, date: context.date, reference };
    for (index, object) in application.objects.iter().enumerate() {
        let number = index + 1;
        if !age(object, context.date).certainly_over(LICENCE_AGE_YEARS) {
            // Not certainly more than 50 years old: outside the Order's control.
            continue;
        }
        if exported_by_living_maker(object) {
            findings.push(maker_finding(index));
            continue;
        }
        if declared_by_maker(object) {
            findings.push(maker_not_shown_finding(index));
        }
        match decisive(object, applicable(object), "GBP", &facts) {
            Some((category, Assessment::Covered { value_cents })) => {
                let pence = format_cents(value_cents.unwrap_or_default());
                let why = match category.label {
                    Kind::AnyValue => {
                        "an archaeological object, manuscript or archive more than 50 years old (any value)".to_owned()
                    }
                    Kind::Painting => format!("a painting more than 50 years old worth GBP {pence}, above GBP 180,000"),
                    Kind::BritishPortrait => format!(
                        "a British historical portrait more than 50 years old worth GBP {pence}, above GBP 10,000"
                    ),
                    Kind::Photograph => {
                        format!("a photograph more than 50 years old worth GBP {pence}, above GBP 10,000")
                    }
                    Kind::Other => format!("an object more than 50 years old worth GBP {pence}, above GBP 65,000"),
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
                        "object {number}: more than 50 years old and at or below its individual licence \
                         threshold: the Open General Export Licence (Objects of Cultural Interest) covers \
                         its export, subject to that licence's own conditions"
                    ),
                )
                .at(object_field(index, ""))
                .translated(
                    "fr",
                    format!(
                        "objet {number} : plus de 50 ans et pas au-dessus du seuil de la licence individuelle : \
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

fn maker_finding(index: usize) -> Finding {
    let number = index + 1;
    finding(
        "GB.EXPORTED_BY_MAKER",
        Severity::Info,
        format!(
            "object {number}: exported by its living maker, whose personal property it is: outside \
             export control (SI 2003/2759 Schedule, exception (d)); no export licence is needed under \
             the Order"
        ),
    )
    .at(object_field(index, "legal_status/exported_by_maker"))
    .translated(
        "fr",
        format!(
            "objet {number} : exporté par son auteur vivant, qui en est propriétaire : hors du contrôle \
             (SI 2003/2759, annexe, exception d) ; aucune licence n'est requise au titre de l'Order"
        ),
    )
}

fn maker_not_shown_finding(index: usize) -> Finding {
    let number = index + 1;
    finding(
        "GB.MAKER_EXPORT_NOT_SHOWN",
        Severity::Warning,
        format!(
            "object {number}: said to be exported by its maker, but the maker is not recorded as living \
             (maker.living): the exception of SI 2003/2759 Schedule (d) is not applied; if the exporter \
             is the maker, or the maker's spouse, widow or widower, and owns it, record it and the \
             officer decides"
        ),
    )
    .at(object_field(index, "maker"))
    .translated(
        "fr",
        format!(
            "objet {number} : déclaré exporté par son auteur, mais l'auteur n'est pas indiqué comme vivant \
             (maker.living) : l'exception de l'annexe (d) du SI 2003/2759 n'est pas appliquée"
        ),
    )
}

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

/// Names of the elephants in `cites.species` (Ivory Act 2018 s. 37: ivory from an
/// elephant's tusk or tooth).
const ELEPHANT_SPECIES: [&str; 6] = ["elephantidae", "loxodonta", "elephas maximus", "elephant", "éléphant", "elefant"];

/// Words that make an object a musical instrument (type or materials), for s. 7.
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

/// Whether the object contains elephant ivory: its CITES data names an elephant, or (no
/// species declared) its type or materials mention ivory. Another declared species (walrus,
/// hippopotamus, mammoth) is outside the Act as it applies to elephant ivory.
fn contains_elephant_ivory(object: &CulturalObject) -> bool {
    let species = object.cites.as_ref().map(|cites| cites.species.trim()).filter(|species| !species.is_empty());
    if let Some(species) = species {
        let species = species.to_lowercase();
        return ELEPHANT_SPECIES.iter().any(|name| species.contains(name));
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

/// What an Ivory Act document among the object's documents is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IvoryDocument {
    /// An exemption certificate (s. 2).
    Certificate,
    /// A registration (s. 10, for the exemptions of ss. 6 to 9).
    Registration,
}

/// Reads a document reference: it must mention "ivory" and either "exemption certificate"
/// (s. 2) or a registration (s. 10).
fn ivory_document(reference: &str) -> Option<IvoryDocument> {
    let text = reference.to_lowercase();
    if !text.contains("ivory") {
        None
    } else if text.contains("exemption certificate") {
        Some(IvoryDocument::Certificate)
    } else if text.contains("regist") {
        Some(IvoryDocument::Registration)
    } else {
        None
    }
}

/// The first Ivory Act document of the object, exemption certificates first, with its
/// position in `documents`.
fn ivory_reference(object: &CulturalObject) -> Option<(IvoryDocument, usize)> {
    let documents = object.documents.as_deref().unwrap_or_default();
    let found = |kind| {
        documents.iter().position(|document| ivory_document(&document.reference) == Some(kind)).map(|at| (kind, at))
    };
    found(IvoryDocument::Certificate).or_else(|| found(IvoryDocument::Registration))
}

/// The Ivory Act 2018 for every object that contains elephant ivory (issuance and exit check).
fn ivory(application: &Application) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (index, object) in application.objects.iter().enumerate() {
        if !contains_elephant_ivory(object) {
            continue;
        }
        let number = index + 1;
        if application.purpose != Purpose::Sale {
            findings.push(
                finding(
                    "GB.IVORY_NOT_FOR_SALE",
                    Severity::Info,
                    format!(
                        "object {number} contains elephant ivory and is not exported for sale: the Ivory \
                         Act 2018 prohibits exporting it for sale or hire (s. 1(2)(d)), not otherwise; a \
                         loan against payment is hire, and selling it abroad later is dealing (s. 1(4))"
                    ),
                )
                .at("/purpose")
                .translated(
                    "fr",
                    format!(
                        "objet {number} : contient de l'ivoire d'éléphant et n'est pas exporté pour la vente : \
                         l'Ivory Act 2018 n'interdit que l'exportation pour la vente ou la location (s. 1(2)(d))"
                    ),
                ),
            );
            continue;
        }
        let dating = &object.dating;
        let pre_1918 = dating.latest_year <= IVORY_PRE_1918_LAST_YEAR;
        let pre_1947 = dating.latest_year <= IVORY_PRE_1947_LAST_YEAR;
        let pre_1975 = dating.latest_year <= IVORY_PRE_1975_LAST_YEAR;
        let instrument = is_instrument(object);
        match ivory_reference(object) {
            Some((IvoryDocument::Certificate, at)) if pre_1918 => findings.push(
                finding(
                    "GB.IVORY_EXEMPT",
                    Severity::Info,
                    format!(
                        "object {number}: elephant ivory exported for sale with an exemption certificate \
                         (Ivory Act 2018 s. 2, pre-1918 item of outstanding artistic, cultural or \
                         historical value): check that the certificate is for this item"
                    ),
                )
                .at(object_field(index, &format!("documents/{at}/ref")))
                .translated(
                    "fr",
                    format!(
                        "objet {number} : ivoire d'éléphant exporté pour la vente avec un certificat d'exemption \
                         (Ivory Act 2018 s. 2) : vérifiez qu'il se rapporte à cet objet"
                    ),
                ),
            ),
            Some((IvoryDocument::Certificate, _)) => findings.push(
                finding(
                    "GB.IVORY_DATING_MISMATCH",
                    Severity::Warning,
                    format!(
                        "object {number}: an Ivory Act exemption certificate is referenced, but such a \
                         certificate is for pre-1918 items (s. 2) and the dating '{}' reaches {}: check the \
                         certificate and correct the dating",
                        dating.text, dating.latest_year
                    ),
                )
                .at(object_field(index, "dating"))
                .translated(
                    "fr",
                    format!(
                        "objet {number} : un certificat d'exemption est cité, mais il ne vaut que pour des objets \
                         antérieurs à 1918 (s. 2) et la datation va jusqu'à {}",
                        dating.latest_year
                    ),
                ),
            ),
            Some((IvoryDocument::Registration, at))
                // A pre-1918 portrait miniature (s. 9) is also pre-1947: no test of its own.
                if pre_1947 || (pre_1975 && instrument) =>
            {
                findings.push(
                    finding(
                        "GB.IVORY_EXEMPT",
                        Severity::Info,
                        format!(
                            "object {number}: elephant ivory exported for sale, registered as exempt (Ivory \
                             Act 2018 s. 10; pre-1947 with less than 10% ivory s. 6, pre-1975 musical \
                             instrument with less than 20% s. 7, or pre-1918 portrait miniature s. 9): check \
                             that the registration is for this item"
                        ),
                    )
                    .at(object_field(index, &format!("documents/{at}/ref")))
                    .translated(
                        "fr",
                        format!(
                            "objet {number} : ivoire d'éléphant exporté pour la vente, enregistré comme exempté \
                             (Ivory Act 2018 s. 10 ; ss. 6, 7 ou 9) : vérifiez l'enregistrement"
                        ),
                    ),
                );
            }
            Some((IvoryDocument::Registration, _)) => findings.push(
                finding(
                    "GB.IVORY_MUSEUM_SALE_ONLY",
                    Severity::Warning,
                    format!(
                        "object {number}: registered under the Ivory Act, but its dating '{}' fits none of \
                         the dated exemptions (pre-1947 s. 6, pre-1975 musical instrument s. 7, pre-1918 \
                         portrait miniature s. 9): only a sale to a qualifying museum (s. 8) can be \
                         exempt; check that the consignee is one",
                        dating.text
                    ),
                )
                .at(object_field(index, "dating"))
                .translated(
                    "fr",
                    format!(
                        "objet {number} : enregistré au titre de l'Ivory Act, mais sa datation ne correspond à \
                         aucune exemption datée (ss. 6, 7, 9) : seule une vente à un musée qualifié (s. 8) est \
                         exemptée ; vérifiez le destinataire"
                    ),
                ),
            ),
            None => {
                let open = if pre_1918 {
                    "an exemption certificate (s. 2, pre-1918 item of outstanding value) or a registration \
                     (s. 10) as a pre-1918 portrait miniature (s. 9), a pre-1947 item with less than 10% \
                     ivory by volume (s. 6) or a pre-1975 musical instrument with less than 20% (s. 7)"
                } else if pre_1947 {
                    "a registration (s. 10) as a pre-1947 item with less than 10% ivory by volume (s. 6) \
                     or a pre-1975 musical instrument with less than 20% (s. 7)"
                } else if pre_1975 && instrument {
                    "a registration (s. 10) as a pre-1975 musical instrument with less than 20% ivory by \
                     volume (s. 7)"
                } else {
                    "only a registered sale to a qualifying museum (ss. 8, 10): its dating fits none of the \
                     other exemptions"
                };
                findings.push(
                    finding(
                        "GB.IVORY_EXEMPTION_MISSING",
                        Severity::Error,
                        format!(
                            "object {number} contains elephant ivory and is exported for sale: dealing in ivory \
                             is prohibited (Ivory Act 2018 s. 1(2)(d)) and the item is liable to forfeiture \
                             (s. 34) unless exempt; its dating '{}' leaves open {open}: add the reference as a \
                             document (type other, ref 'Ivory Act registration <number>' or 'Ivory Act \
                             exemption certificate <number>')",
                            dating.text
                        ),
                    )
                    .at(object_field(index, "documents"))
                    .translated(
                        "fr",
                        format!(
                            "objet {number} : contient de l'ivoire d'éléphant et est exporté pour la vente, ce que \
                             l'Ivory Act 2018 interdit (s. 1(2)(d)) sauf exemption enregistrée (s. 10) ou \
                             certificat d'exemption (s. 2) : ajoutez sa référence aux documents"
                        ),
                    ),
                );
            }
        }
    }
    findings
}

impl Rule for UkExport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "gb-export".into(),
            jurisdiction: "GB".into(),
            version: "1.1.0".into(),
            phases: vec![Phase::Issuance, Phase::ExitCheck],
            descriptions: BTreeMap::from([
                (
                    "en".into(),
                    "United Kingdom: individual or open general export licence (SI 2003/2759, ACE \
                     thresholds), the kinds of licence, the maker's exception, and the Ivory Act 2018"
                        .into(),
                ),
                (
                    "fr".into(),
                    "Royaume-Uni : licence d'exportation individuelle ou générale ouverte (SI 2003/2759, \
                     seuils de l'ACE), types de licence, exception de l'auteur, et Ivory Act 2018"
                        .into(),
                ),
            ]),
        }
    }

    fn evaluate(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
        let application = &subject.application;
        match context.phase {
            Phase::Issuance => {
                let mut findings = licence_kind_checks(application);
                findings.extend(licensing(application, context, reference));
                findings.extend(ivory(application));
                findings
            }
            // At the border the Ivory Act is checked again (forfeiture, s. 34): a certificate
            // issued before this version did not check it.
            Phase::ExitCheck => ivory(application),
            Phase::ImportCheck => Vec::new(),
        }
    }
}

cartouche_rules_sdk::export_rule!(UkExport);
