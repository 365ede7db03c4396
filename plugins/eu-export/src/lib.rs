//! The EU export licence for cultural goods: Council Regulation (EC) No 116/2009 and
//! Commission Implementing Regulation (EU) No 1081/2012.
//!
//! At issuance:
//! - Goods leaving the customs territory of the Union need an export licence when they fall
//!   in an Annex I category and meet its age and value thresholds (116/2009 Art. 2(1),
//!   Annex I). This certificate is then that licence (`EU116.LICENCE_REQUIRED`, info).
//! - A movement to another member state is not an export under 116/2009: the licence does
//!   not apply and national rules do (`EU116.INTRA_EU`, info).
//! - When the certificate serves as the licence: a standard licence is valid at most 12
//!   months from issue (1081/2012 Art. 9(1)), an open licence at most 5 years; open licences
//!   cover temporary exports only, and a specific open licence one good (Art. 2).
//!
//! - The Union is its customs territory (Reg. (EU) No 952/2013 Art. 4), not the list of
//!   member states: Monaco and the French outermost regions are inside, Büsingen, Heligoland,
//!   Livigno, Ceuta and Melilla outside (see `cartouche_rules_sdk::model::territory`; the consignee's address is read for
//!   the enclaves that carry their state's code).
//! - Where the export relies on a national document (`national_certificate`, e.g. the French
//!   certificat), the licence may not outlive it (`EU.LICENCE_OUTLIVES_NATIONAL_DOCUMENT`).
//!
//! At an exit check: the licence is presented at a customs office of the Union (116/2009
//! Art. 4 and 5), so a checkpoint outside the Union is a warning; a national document that
//! has expired is an error (`EU.NATIONAL_DOCUMENT_EXPIRED`).
//!
//! Ages: an object is "more than N years old" only if it is even at the latest year of its
//! dating. Values: "corresponds to or exceeds" the threshold, compared in euro cents.

use std::collections::BTreeMap;

use cartouche_rules_sdk::assess::{self, Assessment, Count, Facts, Reason, Table, ValueLimit, owned_by_living_maker};
use cartouche_rules_sdk::model::{Application, ExportType, LicenceType};
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::{CulturalObject, FindingExt};

use cartouche_rules_sdk::model::territory::{Enclave, Place, Reading, code_inside, consignee_place};

/// The rule.
pub struct EuExport;

/// The scheme prefix of Annex I category codes (`EU116:3` is category A.3, paintings).
pub const SCHEME: &str = "EU116";

/// Validity of a standard licence in years: "shall not exceed 12 months from the date of
/// issue" (1081/2012 Art. 9(1)).
pub const STANDARD_VALIDITY_YEARS: i32 = 1;

/// Validity of a specific or general open licence in years: at most five years
/// (1081/2012, specific and general open licences; mirrored in KGSG §§25-26).
pub const OPEN_VALIDITY_YEARS: i32 = 5;

/// A category's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Names {
    /// In English.
    pub en: &'static str,
    /// In French.
    pub fr: &'static str,
}

/// One category of Annex I to Reg. 116/2009 (part A) with its thresholds (part B).
pub type Category = assess::Category<Names>;

/// Categories A.3 to A.9 cover only goods "not belonging to their originators"; the others
/// have no exemption. A value of 0 is "any value"; otherwise it must "correspond to or
/// exceed" the threshold, per object (A.13, collections: for the whole collection).
const fn category(
    code: &'static str,
    en: &'static str,
    fr: &'static str,
    over_years: Option<i32>,
    euros: i64,
) -> Category {
    let originators = matches!(code.as_bytes(), [b'3'..=b'9']);
    Category {
        code,
        label: Names { en, fr },
        over_years,
        value: if euros == 0 { ValueLimit::Any } else { ValueLimit::AtLeast(euros * 100) },
        count: if matches!(code.as_bytes(), b"13") { Count::WholeLot } else { Count::PerItem },
        exemption: if originators { Some(owned_by_living_maker) } else { None },
    }
}

/// Annex I to Reg. 116/2009: categories A.1-A.15 with their age (part A) and value
/// (part B, "financial thresholds") conditions, in euros. A.13 (collections) has no age
/// condition.
pub const ANNEX_I: [Category; 15] = [
    category("1", "archaeological objects", "objets archéologiques", Some(100), 0),
    category("2", "elements of dismembered monuments", "éléments de monuments démembrés", Some(100), 0),
    category("3", "paintings", "tableaux et peintures", Some(50), 150_000),
    category("4", "watercolours, gouaches and pastels", "aquarelles, gouaches et pastels", Some(50), 30_000),
    category("5", "mosaics and drawings", "mosaïques et dessins", Some(50), 15_000),
    category("6", "engravings, prints and posters", "gravures, estampes et affiches", Some(50), 15_000),
    category("7", "sculpture", "sculptures", Some(50), 50_000),
    category("8", "photographs and films", "photographies et films", Some(50), 15_000),
    category("9", "incunabula and manuscripts", "incunables et manuscrits", Some(50), 0),
    category("10", "books", "livres", Some(100), 50_000),
    category("11", "printed maps", "cartes géographiques imprimées", Some(200), 15_000),
    category("12", "archives", "archives", Some(50), 0),
    category("13", "collections", "collections", None, 50_000),
    category("14", "means of transport", "moyens de transport", Some(75), 50_000),
    // A.15: (a) listed kinds of antiques between 50 and 100 years old, (b) any antique over
    // 100. Whether the object is of a listed kind is the declarant's call (its category code).
    category("15", "other antiques", "autres objets d'antiquité", Some(50), 50_000),
];

/// Annex I as an assessment table: `EU116` codes, thresholds in euros.
pub const TABLE: Table<Names> = Table { scheme: SCHEME, currency: "EUR", categories: &ANNEX_I, other_goods: None };

/// The Annex I category with this code (`"3"`), if it exists.
pub fn annex_category(code: &str) -> Option<&'static Category> {
    TABLE.category(code)
}

fn value_error_finding(index: usize, error: &ValueError) -> Finding {
    finding(
        "EU116.VALUE_UNREADABLE",
        Severity::Error,
        format!("object {}: cannot compare its value with the Annex I threshold in euros: {error}", index + 1),
    )
    .at(object_field(index, error.field()))
    .translated(
        "fr",
        format!("objet {} : impossible de comparer sa valeur au seuil de l'annexe I en euros : {error}", index + 1),
    )
}

/// " per item" when the threshold counts items.
fn per_item(object: &CulturalObject, category: &Category) -> (&'static str, &'static str) {
    if category.per_item(object) { (" per item", " par unité") } else { ("", "") }
}

fn covered_finding(index: usize, object: &CulturalObject, category: &Category, value_cents: Option<i64>) -> Finding {
    let (number, names) = (category.code, category.label);
    let (age_en, age_fr) = match category.over_years {
        Some(years) => (format!("more than {years} years old"), format!("de plus de {years} ans")),
        None => ("of any age".to_owned(), "quel que soit son âge".to_owned()),
    };
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
        "EU116.LICENCE_REQUIRED",
        Severity::Info,
        format!(
            "object {}: {} (Annex I category {number}) {age_en}, {value_en}: leaving the EU requires an export licence (Reg. 116/2009 Art. 2); this certificate is that licence",
            index + 1,
            names.en
        ),
    )
    .at(object_field(index, ""))
    .translated(
        "fr",
        format!(
            "objet {} : {} (catégorie {number} de l'annexe I) {age_fr}, {value_fr} : sa sortie de l'UE exige une licence d'exportation (règl. 116/2009 art. 2) ; ce certificat est cette licence",
            index + 1,
            names.fr
        ),
    )
}

fn not_covered_finding(index: usize, object: &CulturalObject, category: &Category, reason: &Reason) -> Finding {
    let (number, names) = (category.code, category.label);
    let (field, why_en, why_fr) = match reason {
        Reason::TooYoung { over, at_least } => (
            object_field(index, "dating"),
            format!("it is not certainly more than {over} years old (at least {at_least} by its dating)"),
            format!("il n'a pas certainement plus de {over} ans (au moins {at_least} selon sa datation)"),
        ),
        Reason::Exempt => (
            object_field(index, "maker"),
            "it still belongs to its living maker".to_owned(),
            "il appartient encore à son auteur vivant".to_owned(),
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
                format!("it is worth EUR {value}, under EUR {total} ({each}{each_en})"),
                format!("sa valeur de {value} EUR est inférieure à {total} EUR ({each}{each_fr})"),
            )
        }
    };
    finding(
        "EU116.NO_LICENCE_REQUIRED",
        Severity::Info,
        format!(
            "object {}: {} (Annex I category {number}): {why_en}: Reg. 116/2009 requires no export licence for it (national rules may)",
            index + 1,
            names.en
        ),
    )
    .at(field)
    .translated(
        "fr",
        format!(
            "objet {} : {} (catégorie {number} de l'annexe I) : {why_fr} : le règl. 116/2009 n'exige pas de licence pour lui (le droit national peut en exiger une)",
            index + 1,
            names.fr
        ),
    )
}

/// Errors for category codes of the EU116 scheme that are not in Annex I.
fn unknown_categories(application: &Application) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (index, object) in application.objects.iter().enumerate() {
        for (position, code) in TABLE.unknown_codes(object) {
            findings.push(
                finding(
                    "EU116.UNKNOWN_CATEGORY",
                    Severity::Error,
                    format!(
                        "object {}: {code} is not a category of Annex I to Reg. 116/2009 (EU116:1 to EU116:15): correct box 8",
                        index + 1
                    ),
                )
                .at(object_field(index, &format!("category_codes/{position}")))
                .translated(
                    "fr",
                    format!(
                        "objet {} : {code} n'est pas une catégorie de l'annexe I du règl. 116/2009 (EU116:1 à EU116:15) : corrigez la case 8",
                        index + 1
                    ),
                ),
            );
        }
    }
    findings
}

fn intra_eu_finding(destination: &str) -> Finding {
    let (what_en, what_fr) = if cartouche_rules_sdk::model::plugin::is_eu_member(destination) {
        ("an EU member state", "un État membre de l'UE")
    } else {
        (
            "not a member state but inside the customs territory of the Union (Reg. 952/2013 Art. 4)",
            "pas un État membre mais dans le territoire douanier de l'Union (règl. 952/2013 art. 4)",
        )
    };
    finding(
        "EU116.INTRA_EU",
        Severity::Info,
        format!(
            "the destination {destination} is {what_en}: the EU export licence (Reg. 116/2009 Art. 2(1)) applies only to exports out of the customs territory of the Union; the issuing state's national rules do"
        ),
    )
    .at("/destination_country")
    .translated(
        "fr",
        format!(
            "la destination {destination} est {what_fr} : la licence d'exportation de l'UE (règl. 116/2009 art. 2, par. 1) ne vise que la sortie du territoire douanier de l'Union ; les règles nationales de l'État de délivrance s'appliquent"
        ),
    )
}

/// The consignee's address is in a member state's enclave outside the customs territory.
fn enclave_finding(destination: &str, enclave: &Enclave) -> Finding {
    let name = enclave.name;
    finding(
        "EU116.OUTSIDE_CUSTOMS_TERRITORY",
        Severity::Warning,
        format!(
            "the consignee's address is in {name}, part of {destination} but outside the customs territory of the Union (Reg. 952/2013 Art. 4(1)): sending the goods there is an export under Reg. 116/2009 Art. 2(1) and is assessed as one; if the address is not in {name}, correct it"
        ),
    )
    .at("/consignee/address")
    .translated(
        "fr",
        format!(
            "l'adresse du destinataire est à {name}, qui fait partie de {destination} mais est hors du territoire douanier de l'Union (règl. 952/2013 art. 4, par. 1) : y envoyer les biens est une exportation au sens du règl. 116/2009 art. 2, par. 1, examinée comme telle ; si l'adresse n'est pas à {name}, corrigez-la"
        ),
    )
}

/// A licence valid after the national document it relies on (the French certificat, recorded
/// in `national_certificate`): it could not be used after that document expires.
///
/// No article of Reg. 116/2009 or Impl. Reg. 1081/2012 says so in terms. It follows from
/// 116/2009 Art. 2(2) third subparagraph (the licence may be refused for goods protected as
/// national treasures, so its issue rests on the national finding that the good is not one,
/// which is what the certificat attests, Code du patrimoine L111-2) and from 1081/2012 Art. 1
/// ("the use of export licences shall in no way affect obligations connected with export
/// formalities or related documents"): at the border both documents must be valid.
fn national_document_checks(application: &Application) -> Option<Finding> {
    let national = application.national_certificate.as_ref()?;
    let until = national.valid_until?;
    (until < application.valid_until).then(|| {
        finding(
            "EU.LICENCE_OUTLIVES_NATIONAL_DOCUMENT",
            Severity::Error,
            format!(
                "the licence is valid until {}, but the national document it relies on (national certificate{}) expires on {until}: the licence cannot be used after that date (Reg. 116/2009 Art. 2(2); Impl. Reg. 1081/2012 Art. 1): set valid until to {until} or earlier, or renew the national document first",
                application.valid_until,
                national.number.as_deref().map(|number| format!(" {number}")).unwrap_or_default()
            ),
        )
        .at("/valid_until")
        .translated(
            "fr",
            format!(
                "la licence vaut jusqu'au {}, mais le document national sur lequel elle repose expire le {until} : elle ne peut servir après cette date (règl. 116/2009 art. 2, par. 2 ; règl. d'exécution 1081/2012 art. 1) : fixez la validité au {until} au plus tard, ou renouvelez d'abord le document national",
                application.valid_until
            ),
        )
    })
}

/// Checks of the licence itself (1081/2012 Art. 2 and 9), when the certificate is one.
fn licence_checks(subject: &RuleSubject) -> Vec<Finding> {
    let application = &subject.application;
    let mut findings = Vec::new();
    let open = application.licence_type.is_open();
    if open && application.export_type == ExportType::Definitive {
        findings.push(
            finding(
                "EU116.OPEN_LICENCE_NOT_TEMPORARY",
                Severity::Error,
                "an open licence covers temporary exports only (Impl. Reg. 1081/2012 Art. 2(2)-(3)): issue a standard licence for a definitive export",
            )
            .at("/licence_type")
            .translated(
                "fr",
                "une licence ouverte ne couvre que des exportations temporaires (règl. d'exécution 1081/2012 art. 2, par. 2 et 3) : délivrez une licence normale pour une exportation définitive",
            ),
        );
    }
    if application.licence_type == LicenceType::SpecificOpen && application.objects.len() > 1 {
        findings.push(
            finding(
                "EU116.SPECIFIC_OPEN_ONE_GOOD",
                Severity::Error,
                format!(
                    "a specific open licence covers one specific cultural good (Impl. Reg. 1081/2012 Art. 2(2)); this application lists {} objects: one application per object",
                    application.objects.len()
                ),
            )
            .at("/objects")
            .translated(
                "fr",
                format!(
                    "une licence ouverte spécifique couvre un seul bien culturel déterminé (règl. d'exécution 1081/2012 art. 2, par. 2) ; cette demande en compte {} : une demande par objet",
                    application.objects.len()
                ),
            ),
        );
    }
    let (years, kind_en, kind_fr, article) = if open {
        (OPEN_VALIDITY_YEARS, "an open licence", "une licence ouverte", "Art. 2 with Art. 10 and 13: 5 years")
    } else {
        (STANDARD_VALIDITY_YEARS, "a standard licence", "une licence normale", "Art. 9(1): 12 months")
    };
    let limit = add_years(subject.issue_date, years);
    findings.extend(national_document_checks(application));
    if application.valid_until > limit {
        findings.push(
            finding(
                "EU116.VALIDITY_TOO_LONG",
                Severity::Error,
                format!(
                    "{kind_en} issued on {} is valid at most {years} year(s) (Impl. Reg. 1081/2012, {article}): valid until must be {limit} or earlier, not {}",
                    subject.issue_date, application.valid_until
                ),
            )
            .at("/valid_until")
            .translated(
                "fr",
                format!(
                    "{kind_fr} délivrée le {} vaut au plus {years} an(s) (règl. d'exécution 1081/2012) : la date de validité doit être le {limit} au plus tard, et non le {}",
                    subject.issue_date, application.valid_until
                ),
            ),
        );
    }
    findings
}

fn issuance(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
    let application = &subject.application;
    let mut findings = unknown_categories(application);
    let destination = &application.destination_country;
    match consignee_place(destination, &application.consignee.address, Reading::Export) {
        Place::Inside => {
            findings.push(intra_eu_finding(destination));
            return findings;
        }
        Place::Enclave(enclave) => findings.push(enclave_finding(destination, enclave)),
        Place::OutsideByCode => {}
    }
    let mut licence = false;
    let facts = Facts { application, date: context.date, reference };
    for (index, object) in application.objects.iter().enumerate() {
        match TABLE.assess(object, &facts) {
            // An object declared in several categories needs a licence if any of them covers it.
            Some((category, Assessment::Covered { value_cents })) => {
                licence = true;
                findings.push(covered_finding(index, object, category, value_cents));
            }
            Some((_, Assessment::Unreadable(error))) => findings.push(value_error_finding(index, &error)),
            Some((category, Assessment::NotCovered(reason))) => {
                findings.push(not_covered_finding(index, object, category, &reason));
            }
            // Only an object with no EU116 code at all: an unknown code is already an error.
            None if categories(object, SCHEME).next().is_none() => findings.push(
                finding(
                    "EU116.NO_CATEGORY",
                    Severity::Info,
                    format!(
                        "object {}: no Annex I category (EU116:n) declared: Reg. 116/2009 requires no export licence for it (national rules may)",
                        index + 1
                    ),
                )
                .at(object_field(index, "category_codes"))
                .translated(
                    "fr",
                    format!(
                        "objet {} : aucune catégorie de l'annexe I (EU116:n) déclarée : le règl. 116/2009 n'exige pas de licence pour lui (le droit national peut en exiger une)",
                        index + 1
                    ),
                ),
            ),
            None => {}
        }
    }
    if licence {
        findings.extend(licence_checks(subject));
    }
    findings
}

fn exit_check(subject: &RuleSubject, context: &Context) -> Vec<Finding> {
    let application = &subject.application;
    let mut findings = Vec::new();
    if let Some(checkpoint) = context.checkpoint_country.as_deref().filter(|country| !code_inside(country)) {
        findings.push(
            finding(
                "EU116.EXIT_OUTSIDE_EU",
                Severity::Warning,
                format!(
                    "this check is in {checkpoint}, outside the EU: the export licence is presented with the export declaration at a customs office of the Union (Reg. 116/2009 Art. 4-5); check that the goods were declared for export at an EU customs office"
                ),
            )
            .translated(
                "fr",
                format!(
                    "ce contrôle a lieu en {checkpoint}, hors de l'UE : la licence d'exportation est présentée avec la déclaration d'exportation à un bureau de douane de l'Union (règl. 116/2009 art. 4 et 5) ; vérifiez que les biens ont été déclarés à l'exportation dans un bureau de l'UE"
                ),
            ),
        );
    }
    let destination = &application.destination_country;
    match consignee_place(destination, &application.consignee.address, Reading::Export) {
        Place::Inside => findings.push(intra_eu_finding(destination)),
        Place::Enclave(enclave) => findings.push(enclave_finding(destination, enclave)),
        Place::OutsideByCode => {}
    }
    // The national document the export relies on must still be valid on the day of exit.
    if let Some(national) = &application.national_certificate
        && let Some(until) = national.valid_until.filter(|until| *until < context.date)
    {
        findings.push(
            finding(
                "EU.NATIONAL_DOCUMENT_EXPIRED",
                Severity::Error,
                format!(
                    "the national document this export relies on (national certificate{}) expired on {until}: on {} the goods cannot leave under this licence (Reg. 116/2009 Art. 2(2); Impl. Reg. 1081/2012 Art. 1): hold them until a valid national document is presented",
                    national.number.as_deref().map(|number| format!(" {number}")).unwrap_or_default(),
                    context.date
                ),
            )
            .at("/national_certificate/valid_until")
            .translated(
                "fr",
                format!(
                    "le document national sur lequel repose cette exportation a expiré le {until} : le {} les biens ne peuvent sortir sous cette licence (règl. 116/2009 art. 2, par. 2 ; règl. d'exécution 1081/2012 art. 1) : retenez-les jusqu'à présentation d'un document national valide",
                    context.date
                ),
            ),
        );
    }
    findings
}

impl Rule for EuExport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "eu-export".into(),
            jurisdiction: "EU".into(),
            version: "1.1.0".into(),
            phases: vec![Phase::Issuance, Phase::ExitCheck],
            descriptions: BTreeMap::from([
                (
                    "en".into(),
                    "EU: export licence for cultural goods (Reg. (EC) 116/2009 Annex I; Impl. Reg. (EU) 1081/2012 Art. 2, 9)"
                        .into(),
                ),
                (
                    "fr".into(),
                    "UE : licence d'exportation de biens culturels (règl. (CE) 116/2009 annexe I ; règl. d'exécution (UE) 1081/2012 art. 2, 9)"
                        .into(),
                ),
            ]),
        }
    }

    fn evaluate(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
        match context.phase {
            Phase::Issuance => issuance(subject, context, reference),
            Phase::ExitCheck => exit_check(subject, context),
            Phase::ImportCheck => Vec::new(),
        }
    }
}

cartouche_rules_sdk::export_rule!(EuExport);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annex_i_has_fifteen_categories_in_order() {
        for (position, category) in ANNEX_I.iter().enumerate() {
            assert_eq!(category.code, (position + 1).to_string());
        }
        assert!(annex_category("16").is_none());
        assert!(annex_category("03").is_none());
        assert!(annex_category("9").is_some_and(|c| c.exemption.is_some() && c.value == ValueLimit::Any));
        assert!(annex_category("3").is_some_and(|c| c.exemption.is_some()));
        assert!(annex_category("10").is_some_and(|c| c.exemption.is_none()));
        assert!(annex_category("13").is_some_and(|c| c.count == Count::WholeLot && c.over_years.is_none()));
        assert!(annex_category("12").is_some_and(|c| c.count == Count::PerItem));
    }
}
