//! Canada's export control of cultural property: the Cultural Property Export and Import Act
//! (R.S.C. 1985, c. C-51, "the Act") and the Canadian Cultural Property Export Control List
//! (C.R.C., c. 448, "the Control List").
//!
//! - **Act s. 40**: no object included in the Control List may be exported except under an
//!   export permit. This certificate, issued for Canada, stands for that permit.
//! - **Act s. 4(3); Control List s. 2**: the List applies only to an object that is **50 or
//!   more years old** and was made by a natural person **no longer living**.
//! - **Control List, Groups I to VII**: an object is included when it falls in an item of a
//!   Group and its **fair market value in Canada is more than** the item's threshold (in CAD);
//!   some items (archaeology, type specimens, meteorites) at **any value**. The applicant
//!   declares the item as a category code `CA:<Group>.<section>[.<subsection>].<paragraph>`
//!   (`CA:V.4.b`, a painting made outside Canada, over CAD 30,000).
//! - **Act s. 7**: the permit is issued forthwith, without an expert examiner, when the
//!   object (a) was imported within the 35 years before the application (and not exported
//!   under a permit before that import), (b) was lent to a Canadian institution or public
//!   authority by a non-resident, or (c) is removed for a prescribed purpose for at most the
//!   prescribed time (Cultural Property Export Regulations, C.R.C., c. 449, s. 12: appraisal,
//!   authentication, conservation, exhibition, loan, processing, research, restoration or
//!   repair, personal effects; at most **5 years**).
//! - **Act s. 8(3)**: otherwise the permit officer refers the application to an expert
//!   examiner, who decides on outstanding significance and national importance (s. 11).
//!
//! Ages are in whole years from the dating: "50 or more" is certain only when even the
//! latest year of the dating is more than 50 years back; an object dated to exactly 50 years
//! back may be 49 or 50, which the plugin reports as a warning.

use std::collections::BTreeMap;

use cartouche_rules_sdk::FindingExt;
use cartouche_rules_sdk::assess::{self, Assessment, Count, Facts, Reason, Table, ValueLimit};
use cartouche_rules_sdk::model::{Application, ExportType, Purpose};
use cartouche_rules_sdk::prelude::*;

/// The rule.
pub struct CanadaExport;

/// The category codes' scheme: `CA:V.4.b` is Control List Group V, section 4, paragraph (b).
pub const SCHEME: &str = "CA";

/// The thresholds' currency.
pub const CURRENCY: &str = "CAD";

/// Act s. 4(3), Control List s. 2: the List applies to objects 50 or more years old.
pub const LIST_AGE_YEARS: i32 = 50;

/// Control List Group IV s. 2(1): applied and decorative art made in Canada "more than 100
/// years old".
pub const CENTURY: i32 = 100;

/// Act s. 7(a): imported "within the thirty-five years immediately preceding the date of
/// the application".
pub const IMPORT_YEARS: i32 = 35;

/// Cultural Property Export Regulations s. 12(2): a temporary removal under s. 7(c) for "a
/// period not exceeding five years".
pub const TEMPORARY_YEARS: i32 = 5;

/// A Control List item's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Names {
    /// In English.
    pub en: &'static str,
    /// In French (the List's French version).
    pub fr: &'static str,
}

/// One item of the Control List.
pub type Item = assess::Category<Names>;

/// An item over `dollars` (0: any value), per object, with no age condition of its own
/// (the List's 50 years are checked before).
const fn item(code: &'static str, en: &'static str, fr: &'static str, dollars: i64) -> Item {
    Item {
        code,
        label: Names { en, fr },
        over_years: None,
        value: if dollars == 0 { ValueLimit::Any } else { ValueLimit::Over(dollars * 100) },
        count: Count::PerItem,
        exemption: None,
    }
}

/// An item valued as one collection or lot (its whole line).
const fn lot(code: &'static str, en: &'static str, fr: &'static str, dollars: i64) -> Item {
    Item { count: Count::WholeLot, ..item(code, en, fr, dollars) }
}

/// An item of Group IV s. 2(1): more than 100 years old.
const fn century(code: &'static str, en: &'static str, fr: &'static str, dollars: i64) -> Item {
    Item { over_years: Some(CENTURY), ..item(code, en, fr, dollars) }
}

/// The Control List items with a value threshold (or any value), as in force (C.R.C.,
/// c. 448, current to 2025-07-24). Values are "fair market value in Canada of more than".
/// Items with only a weight condition (I.2.d, I.3.e, I.3.f: bulk specimens "of any value")
/// are taken at any value: their weight is the declarant's statement.
pub const ITEMS: [Item; 47] = [
    // Group I: objects recovered from the soil or waters of Canada.
    item("I.2.a", "type or described mineral specimen", "spécimen minéral type ou décrit", 0),
    item("I.2.b", "single mineral specimen", "spécimen minéral unique", 2_000),
    lot("I.2.c", "collection of 10 or more mineral specimens", "collection d'au moins 10 spécimens minéraux", 5_000),
    lot("I.2.d", "mineral specimens in bulk (225 kg or more)", "spécimens minéraux en vrac (225 kg ou plus)", 0),
    item("I.2.e", "meteorite or tektite", "météorite ou tectite", 0),
    item("I.3.a", "type fossil specimen", "spécimen fossile type", 0),
    item("I.3.b", "fossil amber", "ambre jaune", 0),
    item("I.3.c", "vertebrate fossil specimen", "spécimen de vertébré fossile", 500),
    item("I.3.d", "invertebrate fossil specimen", "spécimen d'invertébré fossile", 500),
    lot("I.3.e", "vertebrate fossils in bulk (11.25 kg or more)", "vertébrés fossiles en vrac (11,25 kg ou plus)", 0),
    lot("I.3.f", "fossils in bulk (22.5 kg or more)", "fossiles en vrac (22,5 kg ou plus)", 0),
    item(
        "I.4",
        "archaeological object recovered from the soil or waters of Canada",
        "objet archéologique trouvé sur ou dans le sol ou les eaux du Canada",
        0,
    ),
    // Group II: objects of ethnographic material culture.
    item(
        "II.2.a",
        "ethnographic object, Aboriginal person of Canada",
        "objet ethnographique, Autochtone du Canada",
        3_000,
    ),
    item(
        "II.2.b",
        "ethnographic object, aboriginal person of the United States, Greenland or eastern Russia",
        "objet ethnographique, autochtone des États-Unis, du Groenland ou de la Russie orientale",
        10_000,
    ),
    item("II.2.c", "ethnographic object, other aboriginal person", "objet ethnographique, autre autochtone", 20_000),
    // Group III: military objects.
    item("III.2.a", "order, decoration, medal or insignia", "ordre, décoration, médaille ou insigne", 3_000),
    item("III.2.b", "flag, colour, banner or pennant", "drapeau, couleurs, bannière ou fanion", 3_000),
    item("III.2.c", "military dress", "costume militaire", 3_000),
    item("III.2.d", "hand-carried weapon or ordnance", "arme portative ou pièce d'artillerie", 3_000),
    // Group IV: objects of applied and decorative art.
    century(
        "IV.2.1.a",
        "glassware, ceramics, textiles, woodenware or base metal made in Canada",
        "verrerie, céramique, textile, boissellerie ou métal commun fabriqués au Canada",
        1_000,
    ),
    century(
        "IV.2.1.b",
        "furniture, wood sculpture, precious metal or other decorative art made in Canada",
        "meuble, sculpture sur bois, métal précieux ou autre art décoratif fabriqués au Canada",
        4_000,
    ),
    item(
        "IV.3",
        "sacred or religious carving made in Canada",
        "sculpture sacrée ou religieuse fabriquée au Canada",
        3_000,
    ),
    item(
        "IV.4",
        "decorative art by a person who resided in Canada",
        "art décoratif d'une personne ayant résidé au Canada",
        6_000,
    ),
    item(
        "IV.5.1",
        "Canadian pattern coin, trial strike, medal or stamp proof made abroad",
        "monnaie-type, essai de frappe, médaille ou épreuve de timbre canadiens fabriqués à l'étranger",
        3_000,
    ),
    item(
        "IV.5.2",
        "decorative art made abroad with a Canadian connection",
        "art décoratif fabriqué à l'étranger ayant un lien avec le Canada",
        8_000,
    ),
    item("IV.6", "other decorative art made abroad", "autre art décoratif fabriqué à l'étranger", 15_000),
    // Group V: objects of fine art.
    item(
        "V.2.a",
        "drawing or print by an artist who resided in Canada",
        "dessin ou estampe d'un artiste ayant résidé au Canada",
        5_000,
    ),
    item(
        "V.2.b",
        "painting or sculpture by an artist who resided in Canada",
        "peinture ou sculpture d'un artiste ayant résidé au Canada",
        15_000,
    ),
    item(
        "V.2.c",
        "fine art in other media by an artist who resided in Canada",
        "œuvre d'art sur un autre support d'un artiste ayant résidé au Canada",
        5_000,
    ),
    item(
        "V.3.1.a",
        "drawing or print with a Canadian connection",
        "dessin ou estampe ayant un lien avec le Canada",
        7_500,
    ),
    item(
        "V.3.1.b",
        "painting or sculpture with a Canadian connection",
        "peinture ou sculpture ayant un lien avec le Canada",
        20_000,
    ),
    item(
        "V.3.1.c",
        "fine art in other media with a Canadian connection",
        "œuvre d'art sur un autre support ayant un lien avec le Canada",
        7_500,
    ),
    item("V.4.a", "drawing or print made outside Canada", "dessin ou estampe fabriqués à l'étranger", 15_000),
    item("V.4.b", "painting or sculpture made outside Canada", "peinture ou sculpture fabriquées à l'étranger", 30_000),
    item(
        "V.4.c",
        "fine art in other media made outside Canada",
        "œuvre d'art sur un autre support fabriquée à l'étranger",
        20_000,
    ),
    // Group VI: scientific or technological objects.
    item("VI.2.a", "scientific instrument of Canadian origin", "instrument scientifique d'origine canadienne", 3_000),
    item(
        "VI.2.b",
        "original scientific apparatus of Canadian origin",
        "appareil scientifique original d'origine canadienne",
        3_000,
    ),
    item(
        "VI.2.c",
        "scale, patent or prototype model of Canadian origin",
        "modèle réduit, breveté ou prototype d'origine canadienne",
        3_000,
    ),
    item("VI.3", "machine of Canadian origin", "machine d'origine canadienne", 3_000),
    item(
        "VI.4.a",
        "scientific instrument made abroad relating to Canada",
        "instrument scientifique fabriqué à l'étranger lié au Canada",
        5_000,
    ),
    item("VI.4.b", "machine made abroad relating to Canada", "machine fabriquée à l'étranger liée au Canada", 5_000),
    item(
        "VI.5.a",
        "other scientific instrument made abroad",
        "autre instrument scientifique fabriqué à l'étranger",
        8_000,
    ),
    item("VI.5.b", "other machine made abroad", "autre machine fabriquée à l'étranger", 8_000),
    // Group VII: textual records (s. 2(1) only; codes VII.2.a-d for s. 2(1)(a)-(d)).
    item("VII.2.a", "manuscript, record or document", "manuscrit, pièce d'archives ou document", 1_000),
    lot(
        "VII.2.b",
        "collection of manuscripts, records or documents",
        "collection de manuscrits, pièces d'archives ou documents",
        2_000,
    ),
    item("VII.2.c", "printed book, pamphlet or serial", "livre imprimé, brochure ou série", 3_000),
    lot(
        "VII.2.d",
        "collection of printed books, pamphlets or serials",
        "collection de livres imprimés, brochures ou séries",
        15_000,
    ),
];

/// The Control List as an assessment table: `CA` codes, thresholds in Canadian dollars.
/// An object that declares no item of the table is in none (the plugin asks for one).
pub const TABLE: Table<Names> = Table { scheme: SCHEME, currency: CURRENCY, categories: &ITEMS, other_goods: None };

/// Regulations s. 12(1): the purposes of a temporary removal under Act s. 7(c). Sale and
/// "other" are not among them.
pub fn prescribed_purpose(purpose: Purpose) -> bool {
    !matches!(purpose, Purpose::Sale | Purpose::Other)
}

/// How the permit for a listed object is issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// s. 7(a): imported within the 35 years before the application.
    Imported,
    /// s. 7(b): lent to a Canadian institution or public authority by a non-resident.
    Lent,
    /// s. 7(c): removed temporarily for a prescribed purpose.
    Temporary,
    /// s. 8(3): referred to an expert examiner.
    ExpertExaminer,
}

/// The route of the permit for the object at `index` (Act ss. 7, 8). An entry on the very
/// anniversary 35 years before the application does not count as "within" (the conservative
/// reading).
pub fn route(application: &Application, index: usize) -> Route {
    let object = &application.objects[index];
    let entered = object.legal_status.as_ref().and_then(|status| status.entered.as_ref());
    if let Some(entry) = entered {
        if entry.temporary {
            return Route::Lent;
        }
        if entry.date > add_years(application.declaration.date, -IMPORT_YEARS) {
            return Route::Imported;
        }
    }
    if application.export_type == ExportType::Temporary && prescribed_purpose(application.purpose) {
        return Route::Temporary;
    }
    Route::ExpertExaminer
}

impl Rule for CanadaExport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "ca-export".into(),
            jurisdiction: "CA".into(),
            version: "1.0.0".into(),
            phases: vec![Phase::Issuance],
            descriptions: BTreeMap::from([
                (
                    "en".into(),
                    "Canada: cultural property export permit (Cultural Property Export and Import Act ss. 4, 7, 8, 40; Control List C.R.C., c. 448)"
                        .into(),
                ),
                (
                    "fr".into(),
                    "Canada : licence d'exportation de biens culturels (Loi sur l'exportation et l'importation de biens culturels, art. 4, 7, 8, 40 ; Nomenclature C.R.C., ch. 448)"
                        .into(),
                ),
            ]),
        }
    }

    fn evaluate(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
        if context.phase != Phase::Issuance {
            return Vec::new();
        }
        let application = &subject.application;
        let facts = Facts { application, date: context.date, reference };
        let mut findings = Vec::new();
        for (index, object) in application.objects.iter().enumerate() {
            let number = index + 1;
            // Act s. 4(3): an object made by a living person is never on the List.
            if object.maker.as_ref().and_then(|maker| maker.living) == Some(true) {
                continue;
            }
            let age = age(object, context.date);
            // "50 or more": certain above 50 by the years; possible from exactly 50 years.
            let certain = age.certainly_over(LIST_AGE_YEARS);
            if !certain && !age.possibly_over(LIST_AGE_YEARS - 1) {
                continue;
            }
            for (position, code) in TABLE.unknown_codes(object) {
                findings.push(
                    finding(
                        "CA.ITEM_NOT_ASSESSED",
                        Severity::Warning,
                        format!(
                            "object {number}: {code} is not a Control List item this plugin assesses; \
                             the permit officer determines whether the object is on the Control List (Act s. 8(1))"
                        ),
                    )
                    .at(object_field(index, &format!("category_codes/{position}")))
                    .translated(
                        "fr",
                        format!(
                            "objet {number} : {code} n'est pas un élément de la nomenclature évalué ici ; \
                             l'agent détermine si l'objet figure à la nomenclature (art. 8(1) de la Loi)"
                        ),
                    ),
                );
            }
            if categories(object, SCHEME).next().is_none() {
                findings.push(
                    finding(
                        "CA.ITEM_MISSING",
                        Severity::Warning,
                        format!(
                            "object {number}: 50 or more years old and not by a living maker, but no Control List \
                             item is declared: add its Group and item as a category code (e.g. CA:V.4.b) so that \
                             its value threshold can be checked"
                        ),
                    )
                    .at(object_field(index, "category_codes"))
                    .translated(
                        "fr",
                        format!(
                            "objet {number} : aucun élément de la nomenclature n'est déclaré : ajoutez son groupe \
                             et son élément comme code de catégorie (p. ex. CA:V.4.b)"
                        ),
                    ),
                );
                continue;
            }
            match TABLE.assess(object, &facts) {
                Some((item, Assessment::Covered { value_cents })) => {
                    let worth = match value_cents {
                        Some(cents) => format!(
                            "worth CAD {}, more than CAD {}",
                            format_cents(cents),
                            format_cents(item.threshold_for(object).unwrap_or_default())
                        ),
                        None => "at any value".to_owned(),
                    };
                    if !certain {
                        findings.push(
                            finding(
                                "CA.AGE_UNCERTAIN",
                                Severity::Warning,
                                format!(
                                    "object {number}: a {} (Control List item {}) {worth}, dated {}: it may be just \
                                     under or just over 50 years old; establish the date of making: at 50 years or \
                                     more it is on the Control List and needs an export permit (Act ss. 4(3), 40)",
                                    item.label.en, item.code, object.dating.text
                                ),
                            )
                            .at(object_field(index, "dating"))
                            .translated(
                                "fr",
                                format!(
                                    "objet {number} : {} (élément {}) : il peut avoir un peu moins ou un peu plus de \
                                     50 ans ; établissez la date de fabrication : à 50 ans ou plus, une licence est requise",
                                    item.label.fr, item.code
                                ),
                            ),
                        );
                        continue;
                    }
                    findings.push(listed(application, index, item, &worth));
                    if route(application, index) == Route::Temporary
                        && let Some(due) = application.reimport_due_date
                    {
                        let limit = add_years(subject.issue_date, TEMPORARY_YEARS);
                        if due > limit {
                            findings.push(
                                finding(
                                    "CA.TEMPORARY_TOO_LONG",
                                    Severity::Error,
                                    format!(
                                        "a temporary removal under Act s. 7(c) is for at most 5 years (Cultural \
                                         Property Export Regulations s. 12(2)): the re-import date must be {limit} \
                                         or earlier, not {due}; otherwise apply for a definitive export"
                                    ),
                                )
                                .at("/reimport_due_date")
                                .translated(
                                    "fr",
                                    format!(
                                        "une sortie temporaire (art. 7c) de la Loi) vaut au plus 5 ans : date de \
                                         retour au plus tard le {limit}"
                                    ),
                                ),
                            );
                        }
                    }
                }
                Some((item, Assessment::NotCovered(reason))) => {
                    let (why, why_fr, field) = match reason {
                        Reason::BelowValue { cents, threshold } => (
                            format!("worth CAD {}, not more than CAD {}", format_cents(cents), format_cents(threshold)),
                            format!(
                                "valeur de {} CAD, pas plus de {} CAD",
                                format_cents(cents),
                                format_cents(threshold)
                            ),
                            "value/amount",
                        ),
                        Reason::TooYoung { over, .. } => (
                            format!("not certainly more than {over} years old"),
                            format!("pas certainement plus de {over} ans"),
                            "dating",
                        ),
                        Reason::Exempt => continue,
                    };
                    findings.push(
                        finding(
                            "CA.NOT_LISTED",
                            Severity::Info,
                            format!(
                                "object {number}: a {} (Control List item {}) {why}: not on the Control List, \
                                 no export permit is required under the Act",
                                item.label.en, item.code
                            ),
                        )
                        .at(object_field(index, field))
                        .translated(
                            "fr",
                            format!(
                                "objet {number} : {} (élément {}), {why_fr} : ne figure pas à la nomenclature, \
                                 aucune licence n'est requise",
                                item.label.fr, item.code
                            ),
                        ),
                    );
                }
                Some((_, Assessment::Unreadable(error))) => findings.push(
                    finding(
                        "CA.VALUE_UNREADABLE",
                        Severity::Error,
                        format!(
                            "object {number}: cannot compare its value with the Control List thresholds in CAD: \
                             {error}; correct the value or load a rates table that has its currency"
                        ),
                    )
                    .at(object_field(index, error.field()))
                    .translated(
                        "fr",
                        format!(
                            "objet {number} : impossible de comparer sa valeur aux seuils de la nomenclature en CAD"
                        ),
                    ),
                ),
                None => {}
            }
        }
        findings
    }
}

/// The finding for an object on the Control List: the permit this certificate stands for,
/// and how it is issued (Act ss. 7, 8(3), 40).
fn listed(application: &Application, index: usize, item: &Item, worth: &str) -> Finding {
    let number = index + 1;
    let what = format!(
        "object {number}: a {} (Control List item {}) {worth}, 50 or more years old, by a maker no longer \
         living: on the Control List; it leaves Canada only under an export permit (Act s. 40), which this \
         certificate is",
        item.label.en, item.code
    );
    let (code, how, how_fr) = match route(application, index) {
        Route::Imported => (
            "CA.PERMIT_IMPORTED",
            "imported within the 35 years before the application (legal_status.entered): the permit is issued \
             forthwith (Act s. 7(a)) once the officer is satisfied of the import and that the object was not \
             exported under a permit before it",
            "importé dans les 35 ans précédant la demande : licence délivrée sans délai (art. 7a) de la Loi)",
        ),
        Route::Lent => (
            "CA.PERMIT_LENT",
            "in Canada under a temporary admission (legal_status.entered): if it was lent to a Canadian \
             institution or public authority by a non-resident, the permit is issued forthwith (Act s. 7(b))",
            "prêté par un non-résident à un établissement ou une administration : licence délivrée sans délai (art. 7b))",
        ),
        Route::Temporary => (
            "CA.PERMIT_TEMPORARY",
            "removed temporarily for a prescribed purpose: the permit is issued forthwith against the \
             applicant's written undertaking to return it (Act s. 7(c); Regulations s. 12)",
            "sortie temporaire à une fin prévue par règlement : licence délivrée sans délai (art. 7c))",
        ),
        Route::ExpertExaminer => (
            "CA.EXPERT_EXAMINER",
            "the permit officer refers the application to an expert examiner (Act s. 8(3)); the permit may be \
             issued only on the examiner's advice that the object is not of outstanding significance and \
             national importance (ss. 11, 12)",
            "l'agent renvoie la demande à un expert-vérificateur (art. 8(3)) ; licence sur avis de celui-ci (art. 11, 12)",
        ),
    };
    finding(code, Severity::Info, format!("{what}; {how}")).at(object_field(index, "")).translated(
        "fr",
        format!(
            "objet {number} : {} (élément {}) figure à la nomenclature ; il ne sort du Canada que sous licence \
                 (art. 40 de la Loi) ; {how_fr}",
            item.label.fr, item.code
        ),
    )
}

cartouche_rules_sdk::export_rule!(CanadaExport);
