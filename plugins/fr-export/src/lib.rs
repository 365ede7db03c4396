//! France's certificat d'exportation (Code du patrimoine, L111-2 and R.111-1 with its
//! Annex 1, thresholds as set by decree 2020-1718).
//!
//! - A cultural good of an Annex 1 category that meets the category's age and value
//!   thresholds leaves French territory, for any destination, only with a certificate:
//!   this certificate is it (`FR.CERTIFICATE_REQUIRED`, info).
//! - The certificate is permanent, except that it is valid 20 years for goods 100 years
//!   old or less (L111-2). Within the EU, where this certificate is the certificat: if any
//!   object is not certainly more than 100 years old, valid until may be at most 20 years
//!   after the issue date (`FR.VALIDITY_TOO_LONG`, error).
//!
//! - A trésor national (`FR:NATIONAL_TREASURE`, L111-1) gets no certificate (L111-2): it may
//!   leave France only temporarily, with an autorisation de sortie temporaire, for
//!   restoration, expertise, a cultural event or deposit in a public collection (L111-7).
//! - Goods imported temporarily need no certificate (L111-2 third paragraph): present in
//!   France for two years at most, or under temporary admission from a third country
//!   (R111-2).
//! - For a destination outside the EU the Cartouche certificate is the EU licence and the
//!   certificat is a separate document, `national_certificate`: required when a good needs
//!   the certificat, with the L111-2 validity. Within the EU the Cartouche certificate is the
//!   certificat, and its own validity follows L111-2.
//!
//! The category comes from the object's Reg. 116/2009 code (`EU116:n`), which Annex 1
//! follows, or from an Annex 1 code of its own (`FR:1.B`, `FR:1.C`, which no `EU116` code
//! designates); only the categories encoded here are assessed.
//! Ages: "more than 50 years" only if so even at the latest year of the dating. Values:
//! "equal to or more than" the threshold, compared in euro cents.

use std::collections::BTreeMap;

use cartouche_rules_sdk::assess::{self, Assessment, Count, Facts, Reason, Table, ValueLimit, owned_by_living_maker};
use cartouche_rules_sdk::model::plugin::is_eu_member;
use cartouche_rules_sdk::model::{ExportType, Purpose};
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

/// A category of goods more than `over_years` old (`None`: any age), worth "equal to or more
/// than" `euros` (0: any value), per item or for the whole line. Paintings, watercolours,
/// drawings, prints, sculpture and photographs count only when they do not belong to their
/// authors ("n'appartenant pas à leurs auteurs"): `authors_exempt`.
#[allow(clippy::too_many_arguments)]
const fn category_of(
    code: &'static str,
    en: &'static str,
    fr: &'static str,
    over_years: Option<i32>,
    euros: i64,
    count: Count,
    authors_exempt: bool,
) -> Category {
    Category {
        code,
        label: Names { en, fr },
        over_years,
        value: if euros == 0 { ValueLimit::Any } else { ValueLimit::AtLeast(euros * 100) },
        count,
        exemption: if authors_exempt { Some(owned_by_living_maker) } else { None },
    }
}

/// A category counted per item.
const fn category(
    code: &'static str,
    en: &'static str,
    fr: &'static str,
    over_years: i32,
    euros: i64,
    authors_exempt: bool,
) -> Category {
    category_of(code, en, fr, Some(over_years), euros, Count::PerItem, authors_exempt)
}

/// The Annex 1 categories encoded here (Code du patrimoine, Annex 1 to R.111-1 as set by
/// decree 2020-1718), with the `EU116` code that designates each; values in euros.
pub const ANNEX_1: [Category; 14] = [
    category(
        "1",
        "archaeological objects from excavations or finds",
        "objets archéologiques provenant de fouilles ou de découvertes",
        100,
        0,
        false,
    ),
    category(
        "2",
        "elements of decoration of buildings and dismantled buildings",
        "éléments de décor d'immeubles et immeubles démantelés",
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
    category(
        "9",
        "incunabula and manuscripts, including maps and musical scores",
        "incunables et manuscrits, y compris les cartes et partitions musicales",
        50,
        0,
        false,
    ),
    category("10", "books", "livres", 100, 50_000, false),
    category("11", "printed maps", "cartes géographiques imprimées", 100, 15_000, false),
    // An archive is valued as a whole, whatever the number of its pieces.
    category_of("12", "archives", "archives", Some(50), 300, Count::WholeLot, false),
    // A collection is valued as a whole (R111-3), at any age.
    category_of("13", "collections", "collections", None, 50_000, Count::WholeLot, false),
    category("14", "means of transport", "moyens de transport", 75, 50_000, false),
];

/// Annex 1 categories that no `EU116` code designates, by their own number (`FR:1.B`).
pub const NATIONAL_CODES: [Category; 3] = [
    category(
        "1.A",
        "archaeological objects from excavations or finds",
        "objets archéologiques provenant de fouilles ou de découvertes",
        100,
        0,
        false,
    ),
    category(
        "1.B",
        "archaeological objects and coins before 1500 not directly from excavations or finds",
        "objets archéologiques et monnaies antérieures à 1500 ne provenant pas directement de fouilles ou découvertes",
        100,
        3_000,
        false,
    ),
    category(
        "1.C",
        "coins after 1500 not directly from excavations or finds",
        "monnaies postérieures à 1500 ne provenant pas directement de fouilles ou découvertes",
        100,
        15_000,
        false,
    ),
];

/// The Annex 1 categories by their own numbers: `FR:1.B`.
pub const NATIONAL_TABLE: Table<Names> =
    Table { scheme: "FR", currency: "EUR", categories: &NATIONAL_CODES, other_goods: None };

/// The designation of a trésor national (L111-1).
pub const NATIONAL_TREASURE: &str = "FR:NATIONAL_TREASURE";

/// R111-2 1°: goods present in France for at most this many years count as imported
/// temporarily.
pub const TEMPORARY_IMPORT_YEARS: i32 = 2;

/// Annex 1 for assessment: `EU116` codes, thresholds in euros.
pub const TABLE: Table<Names> = Table { scheme: SCHEME, currency: "EUR", categories: &ANNEX_1, other_goods: None };

/// The encoded Annex 1 category designated by the `EU116` code `code` (`"3"`).
pub fn annex_category(code: &str) -> Option<&'static Category> {
    TABLE.category(code)
}

/// The object against Annex 1: by its own Annex 1 codes (`FR:1.B`) if it declares one, else
/// by its `EU116` codes.
pub fn assessed(object: &CulturalObject, facts: &Facts<'_>) -> Option<(&'static Category, Assessment)> {
    NATIONAL_TABLE.assess(object, facts).or_else(|| TABLE.assess(object, facts))
}

/// Why a good counts as imported temporarily (L111-2 third paragraph, R111-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemporaryImport {
    /// 1°: in France for two years at most (entered on or after `date` minus 2 years).
    WithinTwoYears,
    /// 2°: under temporary admission from a third country (Reg. 952/2013 art. 250), and
    /// leaving under it.
    TemporaryAdmission,
}

/// Whether the object counts as imported temporarily at `date`, from its last entry.
pub fn imported_temporarily(object: &CulturalObject, date: Date) -> Option<TemporaryImport> {
    let entry = object.legal_status.as_ref()?.entered.as_ref()?;
    if date <= add_years(entry.date, TEMPORARY_IMPORT_YEARS) {
        Some(TemporaryImport::WithinTwoYears)
    } else if entry.temporary && entry.from_country.as_deref().is_none_or(|country| !is_eu_member(country)) {
        Some(TemporaryImport::TemporaryAdmission)
    } else {
        None
    }
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

/// Purposes for which L111-7 lets a trésor national leave temporarily: restoration,
/// expertise, a cultural event (an exhibition), deposit in a public collection (a loan).
pub fn treasure_may_leave_for(purpose: Purpose) -> bool {
    matches!(purpose, Purpose::Restoration | Purpose::Expertise | Purpose::Exhibition | Purpose::Loan)
}

fn treasure_finding(index: usize, temporary: bool) -> Finding {
    let number = index + 1;
    let field = object_field(index, "legal_status/designations");
    if temporary {
        finding(
            "FR.TEMPORARY_EXIT_AUTHORISATION",
            Severity::Info,
            format!(
                "object {number}: a trésor national (Code du patrimoine L111-1) leaves France only temporarily, with an autorisation de sortie temporaire (L111-7); it gets no certificat d'exportation (L111-2)"
            ),
        )
        .at(field)
        .translated(
            "fr",
            format!(
                "objet {number} : un trésor national (code du patrimoine, L111-1) ne sort de France qu'à titre temporaire, avec une autorisation de sortie temporaire (L111-7) ; il ne reçoit pas de certificat d'exportation (L111-2)"
            ),
        )
    } else {
        finding(
            "FR.NATIONAL_TREASURE",
            Severity::Error,
            format!(
                "object {number}: a trésor national (Code du patrimoine L111-1) may not leave France for good: it gets no certificat d'exportation (L111-2) and may leave only temporarily, with an autorisation de sortie temporaire (L111-7)"
            ),
        )
        .at(field)
        .translated(
            "fr",
            format!(
                "objet {number} : un trésor national (code du patrimoine, L111-1) ne peut quitter la France à titre définitif : il ne reçoit pas de certificat d'exportation (L111-2) et ne peut sortir qu'à titre temporaire, avec une autorisation de sortie temporaire (L111-7)"
            ),
        )
    }
}

fn treasure_purpose_finding(purpose: Purpose) -> Finding {
    let purpose = serde_name(purpose);
    finding(
        "FR.TEMPORARY_EXIT_PURPOSE",
        Severity::Warning,
        format!(
            "purpose {purpose}: L111-7 lets a trésor national leave temporarily only for restoration, expertise, a cultural event or deposit in a public collection: check the purpose"
        ),
    )
    .at("/purpose")
    .translated(
        "fr",
        format!(
            "objet de l'exportation {purpose} : l'article L111-7 ne permet la sortie temporaire d'un trésor national qu'aux fins de restauration, d'expertise, de participation à une manifestation culturelle ou de dépôt dans une collection publique : vérifiez-le"
        ),
    )
}

/// The purpose as the application spells it.
fn serde_name(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Sale => "sale",
        Purpose::Exhibition => "exhibition",
        Purpose::Loan => "loan",
        Purpose::Restoration => "restoration",
        Purpose::Expertise => "expertise",
        Purpose::Research => "research",
        Purpose::Personal => "personal",
        Purpose::Other => "other",
    }
}

fn imported_finding(index: usize, category: &Category, why: TemporaryImport) -> Finding {
    let (why_en, why_fr) = match why {
        TemporaryImport::WithinTwoYears => {
            ("it entered France two years ago or less", "il est entré en France il y a deux ans au plus")
        }
        TemporaryImport::TemporaryAdmission => (
            "it entered France under temporary admission from a third country and leaves under it",
            "il est entré en France sous le régime de l'admission temporaire depuis un pays tiers et en sort sous ce régime",
        ),
    };
    finding(
        "FR.CERTIFICATE_NOT_REQUIRED",
        Severity::Info,
        format!(
            "object {}: {}: {why_en}, so it counts as imported temporarily and its export needs no certificat d'exportation (Code du patrimoine L111-2 third paragraph, R111-2)",
            index + 1,
            category.label.en
        ),
    )
    .at(object_field(index, "legal_status/entered"))
    .translated(
        "fr",
        format!(
            "objet {} : {} : {why_fr} ; il est réputé importé à titre temporaire et son exportation n'exige pas de certificat (code du patrimoine, L111-2 troisième alinéa, R111-2)",
            index + 1,
            category.label.fr
        ),
    )
}

fn issuance(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
    let application = &subject.application;
    let mut findings = Vec::new();
    let facts = Facts { application, date: context.date, reference };
    let temporary = application.export_type == ExportType::Temporary;
    // Objects that need the certificat; whether a trésor national leaves.
    let mut covered = Vec::new();
    let mut treasure = false;
    for (index, object) in application.objects.iter().enumerate() {
        if object.designated(NATIONAL_TREASURE) {
            treasure = true;
            findings.push(treasure_finding(index, temporary));
            continue;
        }
        match assessed(object, &facts) {
            // A good declared in several categories needs a certificate if any of them requires it.
            Some((category, Assessment::Covered { value_cents })) => match imported_temporarily(object, context.date) {
                Some(why) => findings.push(imported_finding(index, category, why)),
                None => {
                    covered.push(index);
                    findings.push(required_finding(index, object, category, value_cents));
                }
            },
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
                        "object {}: its category codes ({}) are not among those this plugin assesses (EU116:1 to 14, FR:1.A to 1.C): check Annex 1 to R.111-1 of the Code du patrimoine by hand",
                        index + 1,
                        object.category_codes.join(", ")
                    ),
                )
                .at(object_field(index, "category_codes"))
                .translated(
                    "fr",
                    format!(
                        "objet {} : ses catégories ({}) ne sont pas de celles que ce module évalue (EU116:1 à 14, FR:1.A à 1.C) : vérifiez l'annexe 1 à l'article R.111-1 du code du patrimoine",
                        index + 1,
                        object.category_codes.join(", ")
                    ),
                ),
            ),
        }
    }
    if treasure && temporary && !treasure_may_leave_for(application.purpose) {
        findings.push(treasure_purpose_finding(application.purpose));
    }
    if is_eu_member(&application.destination_country) {
        // Within the EU this certificate is the certificat: its own validity follows L111-2.
        findings.extend(validity(subject));
    } else {
        findings.extend(national_certificate(subject, &covered, treasure));
    }
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

/// Outside the EU this certificate is the EU licence and the certificat (or, for a trésor
/// national, the autorisation de sortie temporaire) is the national document it relies on:
/// it must be recorded, and a certificat's validity follows L111-2 for the goods that need
/// it, their age counted at the certificat's issue date.
fn national_certificate(subject: &RuleSubject, covered: &[usize], treasure: bool) -> Option<Finding> {
    let application = &subject.application;
    let Some(national) = &application.national_certificate else {
        return (treasure || !covered.is_empty()).then(|| {
            finding(
                "FR.NATIONAL_CERTIFICATE_MISSING",
                Severity::Error,
                format!(
                    "the destination {} is outside the EU: this certificate is the EU export licence, and the French certificat d'exportation (Code du patrimoine L111-2) or autorisation de sortie temporaire (L111-7) it relies on must be recorded in national certificate (its issue date and validity)",
                    application.destination_country
                ),
            )
            .at("/national_certificate")
            .translated(
                "fr",
                format!(
                    "la destination {} est hors de l'UE : ce certificat est la licence d'exportation de l'UE ; le certificat d'exportation français (code du patrimoine, L111-2) ou l'autorisation de sortie temporaire (L111-7) sur lequel il repose doit être indiqué (date de délivrance et validité)",
                    application.destination_country
                ),
            )
        });
    };
    let young = covered
        .iter()
        .copied()
        .find(|&index| !age(&application.objects[index], national.issue_date).certainly_over(RECENT_GOODS_MAX_AGE))?;
    let limit = add_years(national.issue_date, RECENT_GOODS_VALIDITY_YEARS);
    let (field, shown) = match national.valid_until {
        None => ("/national_certificate", "permanent".to_owned()),
        Some(until) if until > limit => ("/national_certificate/valid_until", until.to_string()),
        Some(_) => return None,
    };
    Some(
        finding(
            "FR.NATIONAL_CERTIFICATE_VALIDITY",
            Severity::Error,
            format!(
                "object {} is not certainly more than 100 years old at the certificat's issue date ({}): a certificat d'exportation is then valid 20 years (Code du patrimoine L111-2), until {limit} at the latest, not {shown}",
                young + 1,
                national.issue_date
            ),
        )
        .at(field)
        .translated(
            "fr",
            format!(
                "l'objet {} n'a pas certainement plus de cent ans à la date de délivrance du certificat ({}) : le certificat vaut alors vingt ans (code du patrimoine, L111-2), jusqu'au {limit} au plus tard",
                young + 1,
                national.issue_date
            ),
        ),
    )
}

impl Rule for FranceExport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "fr-export".into(),
            jurisdiction: "FR".into(),
            version: "1.1.0".into(),
            phases: vec![Phase::Issuance],
            descriptions: BTreeMap::from([
                (
                    "en".into(),
                    "France: certificat d'exportation and autorisation de sortie temporaire (Code du patrimoine L111-1, L111-2, L111-7, Annex 1 to R.111-1)".into(),
                ),
                (
                    "fr".into(),
                    "France : certificat d'exportation et autorisation de sortie temporaire (code du patrimoine, L111-1, L111-2, L111-7 et annexe 1 à l'article R.111-1)"
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
