//! Germany's export licences under the Kulturgutschutzgesetz (KGSG) of 31 July 2016.
//!
//! - **National cultural property** (§ 6(1): entered in a register of national cultural
//!   property, `DE:NATIONAL_REGISTER`, § 7; or in public ownership and in the holdings of a
//!   public cultural institution, `DE:PUBLIC_COLLECTION`, § 6(1) no. 2) needs a licence for
//!   any export, to a member state or a third country, at any value: § 22(1) for a temporary
//!   export (the Land's supreme authority, § 22(3)), § 23(1) for a permanent one (the
//!   federal authority for culture and media, BKM, § 23(4)). "Temporary" is at most five
//!   years from the start (§ 2(1) no. 18).
//! - **Open licences**: the general open licence of a cultural institution for temporary
//!   exports of its holdings for public exhibitions, restoration or research (§ 25) and the
//!   specific open licence of an owner for the repeated temporary export of one object
//!   (§ 26), each valid at most five years (§ 25(4), § 26(4)).
//! - Exports to a third country otherwise follow Reg. (EC) 116/2009 (§ 24(1) no. 1), which
//!   the `eu-export` plugin checks: this plugin only says so (`DE.THIRD_COUNTRY`, info).
//! - Exports to another member state need a licence when the object falls in an Annex I
//!   category of 116/2009 and exceeds the German intra-EU age and value thresholds (§ 24(1)
//!   no. 2, (2): the EU ages with twice the EU values, except paintings, watercolours,
//!   sculpture, drawings, prints, photographs, manuscripts, archives, means of transport and
//!   other antiques, which have their own): `DE.LICENCE_REQUIRED` (info), this certificate
//!   being the licence. Goods owned by their maker need none (§ 24(1) no. 2), nor goods that
//!   have demonstrably been in Germany only temporarily, up to two years (§ 24(8)).
//! - The value is the price paid within the last 3 years, else an estimate (§ 24(4)): a price
//!   paid longer ago that keeps an object under its threshold is a warning.
//!
//! Not encoded: the dealers' due diligence of §§ 41-45.
//!
//! Ages: "more than N years" only if so even at the latest year of the dating. Values:
//! "at least" the threshold, compared in euro cents.

use std::collections::BTreeMap;

use cartouche_rules_sdk::assess::{self, Assessment, Count, Facts, Reason, Table, ValueLimit, owned_by_living_maker};
use cartouche_rules_sdk::model::plugin::is_eu_member;
use cartouche_rules_sdk::model::{Application, ExportType, LicenceType, Purpose, ValueBasis};
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::{CulturalObject, FindingExt};

/// The rule.
pub struct GermanyExport;

/// The scheme prefix of the Annex I category codes (`EU116:3` is paintings).
pub const SCHEME: &str = "EU116";

/// The value of an object is the price paid for it within this many years, else an
/// estimate (KGSG § 24(4)).
pub const PRICE_VALID_YEARS: i32 = 3;

/// KGSG § 24(8): no licence for an export to a member state when the object has
/// demonstrably been in Germany only temporarily, "bis zu zwei Jahre" (up to and including
/// two years from its entry).
pub const TEMPORARY_PRESENCE_YEARS: i32 = 2;

/// KGSG § 2(1) no. 18: a "temporary" export is for a period fixed from the start of at most
/// five years; a longer one is permanent.
pub const TEMPORARY_EXPORT_YEARS: i32 = 5;

/// KGSG § 25(4), § 26(4): an open licence is valid at most five years.
pub const OPEN_LICENCE_YEARS: i32 = 5;

/// Designation of cultural property entered in a Land register of national cultural
/// property (KGSG § 6(1) no. 1, § 7).
pub const NATIONAL_REGISTER: &str = "DE:NATIONAL_REGISTER";

/// Designation of cultural property in public ownership and in the holdings of a public
/// cultural institution (KGSG § 6(1) no. 2).
pub const PUBLIC_COLLECTION: &str = "DE:PUBLIC_COLLECTION";

/// A category's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Names {
    /// In English.
    pub en: &'static str,
    /// In French.
    pub fr: &'static str,
    /// In German.
    pub de: &'static str,
}

/// One Annex I category with the thresholds KGSG §24(2) sets for exports within the EU.
pub type Category = assess::Category<Names>;

/// Every category exempts goods owned by their maker (§24(1) no. 2). A value of 0 is "any
/// value"; otherwise "at least", per object (13, collections: for the whole collection).
const fn category(
    code: &'static str,
    en: &'static str,
    fr: &'static str,
    de: &'static str,
    over_years: Option<i32>,
    euros: i64,
) -> Category {
    Category {
        code,
        label: Names { en, fr, de },
        over_years,
        value: if euros == 0 { ValueLimit::Any } else { ValueLimit::AtLeast(euros * 100) },
        count: if matches!(code.as_bytes(), b"13") { Count::WholeLot } else { Count::PerItem },
        exemption: Some(owned_by_living_maker),
    }
}

/// KGSG §24(2): the intra-EU thresholds per Annex I category, in euros. Categories the
/// table in DOMAIN.md does not list keep the EU age with twice the EU value (1, 2, 10, 11, 13).
pub const INTRA_EU: [Category; 15] = [
    category("1", "archaeological objects", "objets archéologiques", "archäologische Gegenstände", Some(100), 0),
    category(
        "2",
        "elements of dismembered monuments",
        "éléments de monuments démembrés",
        "Bestandteile zerlegter Denkmäler",
        Some(100),
        0,
    ),
    category("3", "paintings", "tableaux et peintures", "Gemälde", Some(75), 300_000),
    category(
        "4",
        "watercolours, gouaches and pastels",
        "aquarelles, gouaches et pastels",
        "Aquarelle, Gouachen und Pastelle",
        Some(75),
        100_000,
    ),
    category("5", "mosaics and drawings", "mosaïques et dessins", "Mosaike und Zeichnungen", Some(75), 50_000),
    category(
        "6",
        "engravings, prints and posters",
        "gravures, estampes et affiches",
        "Radierungen, Drucke und Plakate",
        Some(75),
        50_000,
    ),
    category("7", "sculpture", "sculptures", "Bildhauerkunst", Some(75), 100_000),
    category("8", "photographs and films", "photographies et films", "Fotografien und Filme", Some(75), 50_000),
    category(
        "9",
        "incunabula and manuscripts",
        "incunables et manuscrits",
        "Wiegendrucke und Handschriften",
        Some(75),
        50_000,
    ),
    category("10", "books", "livres", "Bücher", Some(100), 100_000),
    category("11", "printed maps", "cartes géographiques imprimées", "gedruckte Landkarten", Some(200), 30_000),
    category("12", "archives", "archives", "Archive", Some(50), 50_000),
    category("13", "collections", "collections", "Sammlungen", None, 100_000),
    category("14", "means of transport", "moyens de transport", "Verkehrsmittel", Some(150), 100_000),
    category("15", "other antiques", "autres objets d'antiquité", "sonstige Antiquitäten", Some(100), 100_000),
];

/// The §24(2) table for assessment: `EU116` codes, thresholds in euros.
pub const TABLE: Table<Names> = Table { scheme: SCHEME, currency: "EUR", categories: &INTRA_EU, other_goods: None };

/// The category with the `EU116` code `code` (`"3"`), if it exists.
pub fn intra_eu_category(code: &str) -> Option<&'static Category> {
    TABLE.category(code)
}

/// " per item" when the threshold counts items.
fn per_item(object: &CulturalObject, category: &Category) -> (&'static str, &'static str, &'static str) {
    if category.per_item(object) { (" per item", " par unité", " je Stück") } else { ("", "", "") }
}

fn required_finding(index: usize, object: &CulturalObject, category: &Category, value_cents: Option<i64>) -> Finding {
    let (number, names) = (category.code, category.label);
    let (age_en, age_fr, age_de) = match category.over_years {
        Some(years) => (
            format!("more than {years} years old"),
            format!("de plus de {years} ans"),
            format!("älter als {years} Jahre"),
        ),
        None => ("of any age".to_owned(), "quel que soit son âge".to_owned(), "jeden Alters".to_owned()),
    };
    let (value_en, value_fr, value_de) = match value_cents {
        None => ("at any value".to_owned(), "quelle que soit sa valeur".to_owned(), "unabhängig vom Wert".to_owned()),
        Some(cents) => {
            let (each_en, each_fr, each_de) = per_item(object, category);
            let (value, threshold) = (format_cents(cents), format_cents(category.value.cents().unwrap_or_default()));
            (
                format!("worth EUR {value}, at least EUR {threshold}{each_en}"),
                format!("d'une valeur de {value} EUR, au moins {threshold} EUR{each_fr}"),
                format!("im Wert von EUR {value}, mindestens EUR {threshold}{each_de}"),
            )
        }
    };
    finding(
        "DE.LICENCE_REQUIRED",
        Severity::Info,
        format!(
            "object {}: {} (Annex I category {number}) {age_en}, {value_en}: exporting it to another EU member state needs a licence (KGSG §24(1) no. 2, (2)); this certificate is that licence (no licence is needed if it has demonstrably been in Germany only temporarily, up to 2 years: § 24(8); record legal_status.entered)",
            index + 1,
            names.en
        ),
    )
    .at(object_field(index, ""))
    .translated(
        "fr",
        format!(
            "objet {} : {} (catégorie {number} de l'annexe I) {age_fr}, {value_fr} : son exportation vers un autre État membre exige une autorisation (KGSG § 24, al. 1, n° 2, et al. 2) ; ce certificat en tient lieu (aucune autorisation si l'objet ne se trouve en Allemagne que temporairement, deux ans au plus : § 24, al. 8 ; indiquez legal_status.entered)",
            index + 1,
            names.fr
        ),
    )
    .translated(
        "de",
        format!(
            "Objekt {}: {} (Kategorie {number} des Anhangs I) {age_de}, {value_de}: die Ausfuhr in einen anderen Mitgliedstaat ist genehmigungspflichtig (§ 24 Abs. 1 Nr. 2, Abs. 2 KGSG); diese Bescheinigung ist die Genehmigung (keine Genehmigungspflicht, wenn es sich nachweisbar nur vorübergehend bis zu zwei Jahre im Bundesgebiet befindet: § 24 Abs. 8 KGSG; legal_status.entered angeben)",
            index + 1,
            names.de
        ),
    )
}

fn not_required_finding(index: usize, object: &CulturalObject, category: &Category, reason: &Reason) -> Finding {
    let (number, names) = (category.code, category.label);
    let (field, why_en, why_fr, why_de) = match reason {
        Reason::TooYoung { over, at_least } => (
            object_field(index, "dating"),
            format!("it is not certainly more than {over} years old (at least {at_least} by its dating)"),
            format!("il n'a pas certainement plus de {over} ans (au moins {at_least} selon sa datation)"),
            format!("es ist nicht sicher älter als {over} Jahre (laut Datierung mindestens {at_least})"),
        ),
        Reason::Exempt => (
            object_field(index, "maker"),
            "it is owned by its maker".to_owned(),
            "il appartient à son auteur".to_owned(),
            "es befindet sich im Eigentum seines Urhebers".to_owned(),
        ),
        Reason::BelowValue { cents, threshold } => {
            let (each_en, each_fr, each_de) = per_item(object, category);
            let (value, total, each) = (
                format_cents(*cents),
                format_cents(*threshold),
                format_cents(category.value.cents().unwrap_or_default()),
            );
            (
                object_field(index, "value/amount"),
                format!("it is worth EUR {value}, under EUR {total} ({each}{each_en})"),
                format!("sa valeur de {value} EUR est inférieure à {total} EUR ({each}{each_fr})"),
                format!("sein Wert von EUR {value} liegt unter EUR {total} ({each}{each_de})"),
            )
        }
    };
    finding(
        "DE.NO_LICENCE_REQUIRED",
        Severity::Info,
        format!(
            "object {}: {} (Annex I category {number}): {why_en}: no licence is needed to export it to another EU member state (KGSG §24)",
            index + 1,
            names.en
        ),
    )
    .at(field)
    .translated(
        "fr",
        format!(
            "objet {} : {} (catégorie {number} de l'annexe I) : {why_fr} : aucune autorisation n'est exigée pour l'exporter vers un autre État membre (KGSG § 24)",
            index + 1,
            names.fr
        ),
    )
    .translated(
        "de",
        format!(
            "Objekt {}: {} (Kategorie {number} des Anhangs I): {why_de}: die Ausfuhr in einen anderen Mitgliedstaat ist nicht genehmigungspflichtig (§ 24 KGSG)",
            index + 1,
            names.de
        ),
    )
}

/// A price paid more than 3 years before the issue date is not the value KGSG counts.
fn outdated_price(index: usize, object: &CulturalObject, issue_date: Date) -> Option<Finding> {
    if object.value.basis != ValueBasis::Price {
        return None;
    }
    let paid = object.value.date?;
    if add_years(paid, PRICE_VALID_YEARS) >= issue_date {
        return None;
    }
    Some(
        finding(
            "DE.PRICE_OUTDATED",
            Severity::Warning,
            format!(
                "object {}: the value is a price paid on {paid}, more than 3 years ago; KGSG §24 then counts an estimate of the current value: check that it does not reach the threshold",
                index + 1
            ),
        )
        .at(object_field(index, "value/date"))
        .translated(
            "fr",
            format!(
                "objet {} : la valeur est un prix payé le {paid}, il y a plus de trois ans ; le KGSG (§ 24) retient alors une estimation de la valeur actuelle : vérifiez qu'elle n'atteint pas le seuil",
                index + 1
            ),
        )
        .translated(
            "de",
            format!(
                "Objekt {}: der Wert ist ein am {paid} gezahlter Preis, vor mehr als drei Jahren; nach § 24 KGSG zählt dann ein Schätzwert: prüfen, ob er die Wertgrenze erreicht",
                index + 1
            ),
        ),
    )
}

/// Which kind of national cultural property (KGSG § 6(1)) the object is, if any: its
/// designation, the paragraph, and its names.
fn national_property(object: &CulturalObject) -> Option<(&'static str, &'static str, &'static str, &'static str)> {
    if object.designated(NATIONAL_REGISTER) {
        Some((
            NATIONAL_REGISTER,
            "entered in a register of national cultural property (KGSG § 6(1) no. 1, § 7)",
            "inscrit au registre des biens culturels nationaux (KGSG § 6, al. 1, n° 1, § 7)",
            "in ein Verzeichnis national wertvollen Kulturgutes eingetragen (§ 6 Abs. 1 Nr. 1, § 7 KGSG)",
        ))
    } else if object.designated(PUBLIC_COLLECTION) {
        Some((
            PUBLIC_COLLECTION,
            "in public ownership and in the holdings of a public cultural institution (KGSG § 6(1) no. 2)",
            "propriété publique dans les collections d'une institution publique (KGSG § 6, al. 1, n° 2)",
            "in öffentlichem Eigentum und im Bestand einer öffentlich-rechtlichen Kulturgut bewahrenden Einrichtung (§ 6 Abs. 1 Nr. 2 KGSG)",
        ))
    } else {
        None
    }
}

/// Whether the issuing authority names the federal authority for culture and media (BKM),
/// competent for permanent exports of national cultural property (KGSG § 23(4)).
fn issued_by_bkm(application: &Application) -> bool {
    let authority = &application.issuing_authority;
    let text = format!("{} {}", authority.name, authority.id.as_deref().unwrap_or_default()).to_lowercase();
    ["bkm", "kultur und medien", "culture and media"].iter().any(|word| text.contains(word))
}

/// KGSG §§ 22-23: national cultural property needs a licence for any export, whatever its
/// value and destination.
fn national_finding(index: usize, application: &Application, names: (&str, &str, &str)) -> Finding {
    let number = index + 1;
    let (what_en, what_fr, what_de) = names;
    match application.export_type {
        ExportType::Temporary => finding(
            "DE.NATIONAL_TEMPORARY_LICENCE",
            Severity::Info,
            format!(
                "object {number}: national cultural property, {what_en}: its temporary export to any state, inside or outside the EU, needs a licence at any value (KGSG § 22(1)), granted by the Land's supreme authority if its undamaged and timely return is assured (§ 22(2)-(3)); this certificate is that licence"
            ),
        )
        .at(object_field(index, "legal_status/designations"))
        .translated(
            "fr",
            format!(
                "objet {number} : bien culturel national, {what_fr} : son exportation temporaire vers tout État, dans l'UE ou hors de l'UE, exige une autorisation quelle que soit sa valeur (KGSG § 22, al. 1) ; ce certificat en tient lieu"
            ),
        )
        .translated(
            "de",
            format!(
                "Objekt {number}: nationales Kulturgut, {what_de}: die vorübergehende Ausfuhr in einen Mitgliedstaat oder Drittstaat ist unabhängig vom Wert genehmigungspflichtig (§ 22 Abs. 1 KGSG); diese Bescheinigung ist die Genehmigung"
            ),
        ),
        ExportType::Definitive if issued_by_bkm(application) => finding(
            "DE.NATIONAL_PERMANENT_LICENCE",
            Severity::Info,
            format!(
                "object {number}: national cultural property, {what_en}: its permanent export to any state needs the licence of the federal authority for culture and media (KGSG § 23(1), (4)), refused where essential interests of German cultural property prevail (§ 23(2)); with the export its protection ends and a registered object is struck from the register (§ 23(5)); this certificate is that licence"
            ),
        )
        .at(object_field(index, "legal_status/designations"))
        .translated(
            "fr",
            format!(
                "objet {number} : bien culturel national, {what_fr} : son exportation définitive exige l'autorisation de l'autorité fédérale de la culture et des médias (KGSG § 23, al. 1 et 4) ; ce certificat en tient lieu"
            ),
        )
        .translated(
            "de",
            format!(
                "Objekt {number}: nationales Kulturgut, {what_de}: die dauerhafte Ausfuhr bedarf der Genehmigung der für Kultur und Medien zuständigen obersten Bundesbehörde (§ 23 Abs. 1, 4 KGSG); diese Bescheinigung ist die Genehmigung"
            ),
        ),
        ExportType::Definitive => finding(
            "DE.NATIONAL_PERMANENT_AUTHORITY",
            Severity::Error,
            format!(
                "object {number}: national cultural property, {what_en}: its permanent export needs the licence of the federal authority for culture and media (BKM), after hearing the Land and an expert committee (KGSG § 23(1), (4)); the issuing authority '{}' is not the BKM: a Land authority cannot license it",
                application.issuing_authority.name
            ),
        )
        .at("/issuing_authority")
        .translated(
            "fr",
            format!(
                "objet {number} : bien culturel national, {what_fr} : son exportation définitive relève de l'autorité fédérale de la culture et des médias (BKM, KGSG § 23, al. 4), non de l'autorité « {} »",
                application.issuing_authority.name
            ),
        )
        .translated(
            "de",
            format!(
                "Objekt {number}: nationales Kulturgut, {what_de}: die dauerhafte Ausfuhr genehmigt die für Kultur und Medien zuständige oberste Bundesbehörde (§ 23 Abs. 4 KGSG), nicht die ausstellende Behörde „{}“",
                application.issuing_authority.name
            ),
        ),
    }
}

/// KGSG § 2(1) no. 18: a temporary export of national cultural property returns within five
/// years, or it is permanent (§ 23).
fn temporary_too_long(subject: &RuleSubject) -> Option<Finding> {
    let application = &subject.application;
    let due = application.reimport_due_date?;
    let limit = add_years(subject.issue_date, TEMPORARY_EXPORT_YEARS);
    if application.export_type != ExportType::Temporary || due <= limit {
        return None;
    }
    Some(
        finding(
            "DE.TEMPORARY_OVER_FIVE_YEARS",
            Severity::Error,
            format!(
                "national cultural property due back on {due}, more than 5 years after {}: an export for more than five years is permanent (KGSG § 2(1) no. 18) and needs the federal licence of § 23; set the return on {limit} at the latest, or apply for a permanent export",
                subject.issue_date
            ),
        )
        .at("/reimport_due_date")
        .translated(
            "fr",
            format!(
                "bien culturel national attendu en retour le {due}, plus de 5 ans après le {} : une exportation de plus de cinq ans est définitive (KGSG § 2, al. 1, n° 18) et relève du § 23",
                subject.issue_date
            ),
        )
        .translated(
            "de",
            format!(
                "nationales Kulturgut mit Wiedereinfuhr am {due}, mehr als fünf Jahre nach dem {}: eine Verbringung für mehr als fünf Jahre ist dauerhaft (§ 2 Abs. 1 Nr. 18 KGSG) und bedarf der Genehmigung nach § 23",
                subject.issue_date
            ),
        ),
    )
}

/// KGSG §§ 25-26: the open licences.
fn open_licence_checks(subject: &RuleSubject) -> Vec<Finding> {
    let application = &subject.application;
    let mut findings = Vec::new();
    let (article, kind_en, kind_de) = match application.licence_type {
        LicenceType::Standard => return findings,
        LicenceType::GeneralOpen => ("§ 25", "a general open licence", "eine allgemeine offene Genehmigung"),
        LicenceType::SpecificOpen => ("§ 26", "a specific open licence", "eine spezifische offene Genehmigung"),
    };
    if application.export_type == ExportType::Definitive {
        findings.push(
            finding(
                "DE.OPEN_LICENCE_NOT_TEMPORARY",
                Severity::Error,
                format!(
                    "{kind_en} covers temporary exports only (KGSG {article}(1)): issue a standard licence for a permanent export"
                ),
            )
            .at("/export_type")
            .translated(
                "fr",
                format!(
                    "une autorisation ouverte ne couvre que des exportations temporaires (KGSG {article}, al. 1) : délivrez une autorisation normale pour une exportation définitive"
                ),
            )
            .translated(
                "de",
                format!(
                    "{kind_de} gilt nur für die vorübergehende Ausfuhr ({article} Abs. 1 KGSG): für eine dauerhafte Ausfuhr ist eine Einzelgenehmigung zu erteilen"
                ),
            ),
        );
    }
    let limit = add_years(subject.issue_date, OPEN_LICENCE_YEARS);
    if application.valid_until > limit {
        findings.push(
            finding(
                "DE.OPEN_LICENCE_VALIDITY",
                Severity::Error,
                format!(
                    "{kind_en} issued on {} is valid at most five years (KGSG {article}(4)): valid until must be {limit} or earlier, not {}",
                    subject.issue_date, application.valid_until
                ),
            )
            .at("/valid_until")
            .translated(
                "fr",
                format!(
                    "une autorisation ouverte délivrée le {} vaut au plus cinq ans (KGSG {article}, al. 4) : validité jusqu'au {limit} au plus tard, et non le {}",
                    subject.issue_date, application.valid_until
                ),
            )
            .translated(
                "de",
                format!(
                    "{kind_de}, erteilt am {}, gilt höchstens fünf Jahre ({article} Abs. 4 KGSG): gültig bis spätestens {limit}, nicht bis {}",
                    subject.issue_date, application.valid_until
                ),
            ),
        );
    }
    match application.licence_type {
        LicenceType::SpecificOpen if application.objects.len() > 1 => {
            let count = application.objects.len();
            findings.push(
                finding(
                    "DE.SPECIFIC_OPEN_ONE_OBJECT",
                    Severity::Error,
                    format!(
                        "a specific open licence relates to one particular cultural object (KGSG § 26(1)); this application lists {count}: one application per object"
                    ),
                )
                .at("/objects")
                .translated(
                    "fr",
                    format!(
                        "une autorisation ouverte spécifique porte sur un bien culturel déterminé (KGSG § 26, al. 1) ; cette demande en compte {count} : une demande par objet"
                    ),
                )
                .translated(
                    "de",
                    format!(
                        "eine spezifische offene Genehmigung bezieht sich auf ein bestimmtes Kulturgut (§ 26 Abs. 1 KGSG); dieser Antrag umfasst {count}: ein Antrag je Objekt"
                    ),
                ),
            );
        }
        LicenceType::GeneralOpen
            if !matches!(
                application.purpose,
                Purpose::Exhibition | Purpose::Loan | Purpose::Restoration | Purpose::Research
            ) =>
        {
            findings.push(
                finding(
                    "DE.GENERAL_OPEN_PURPOSE",
                    Severity::Error,
                    "a general open licence covers a cultural institution's temporary exports of its holdings for public exhibitions, restoration or research (KGSG § 25(1)): the purpose must be exhibition, loan, restoration or research",
                )
                .at("/purpose")
                .translated(
                    "fr",
                    "une autorisation ouverte générale couvre les exportations temporaires d'une institution pour des expositions publiques, des restaurations ou la recherche (KGSG § 25, al. 1)",
                )
                .translated(
                    "de",
                    "eine allgemeine offene Genehmigung gilt für die vorübergehende Ausfuhr von Beständen einer Kulturgut bewahrenden Einrichtung für öffentliche Ausstellungen, Restaurierungen oder Forschungszwecke (§ 25 Abs. 1 KGSG)",
                ),
            );
        }
        _ => {}
    }
    findings
}

/// KGSG § 24(8): an object that entered Germany at most two years before the export needs no
/// licence for a member state; the last day of the two years, when it applies.
fn recently_entered(object: &CulturalObject, date: Date) -> Option<Date> {
    let entered = object.legal_status.as_ref()?.entered.as_ref()?;
    let last_day = add_years(entered.date, TEMPORARY_PRESENCE_YEARS);
    (date <= last_day).then_some(last_day)
}

fn recently_entered_finding(index: usize, object: &CulturalObject, last_day: Date) -> Finding {
    let number = index + 1;
    let entered = object.legal_status.as_ref().and_then(|status| status.entered.as_ref()).map(|entry| entry.date);
    let entered = entered.map(|date| date.to_string()).unwrap_or_default();
    finding(
        "DE.IN_GERMANY_TWO_YEARS_OR_LESS",
        Severity::Info,
        format!(
            "object {number}: in Germany since {entered}, two years or less: no licence is needed to export it to another member state (KGSG § 24(8)) until {last_day}, if the stay is proven and the object was neither unlawfully imported (§ 28) nor exported before without a licence"
        ),
    )
    .at(object_field(index, "legal_status/entered/date"))
    .translated(
        "fr",
        format!(
            "objet {number} : en Allemagne depuis le {entered}, deux ans au plus : aucune autorisation n'est requise pour l'exporter vers un autre État membre (KGSG § 24, al. 8) jusqu'au {last_day}, si le séjour est prouvé et l'objet n'a été ni importé illicitement (§ 28) ni exporté auparavant sans autorisation"
        ),
    )
    .translated(
        "de",
        format!(
            "Objekt {number}: seit dem {entered}, höchstens zwei Jahre, im Bundesgebiet: die Ausfuhr in einen anderen Mitgliedstaat ist bis zum {last_day} nicht genehmigungspflichtig (§ 24 Abs. 8 KGSG), sofern der vorübergehende Aufenthalt nachgewiesen ist und das Kulturgut weder unrechtmäßig eingeführt (§ 28) noch zuvor ohne Genehmigung ausgeführt wurde"
        ),
    )
}

fn issuance(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
    let application = &subject.application;
    let destination = &application.destination_country;
    let mut findings = open_licence_checks(subject);
    let mut national = false;
    for (index, object) in application.objects.iter().enumerate() {
        if let Some((_, en, fr, de)) = national_property(object) {
            national = true;
            findings.push(national_finding(index, application, (en, fr, de)));
        }
    }
    if national {
        findings.extend(temporary_too_long(subject));
    }
    if !is_eu_member(destination) {
        findings.push(
            finding(
                "DE.THIRD_COUNTRY",
                Severity::Info,
                format!(
                    "the destination {destination} is outside the EU: the export follows Reg. (EC) 116/2009 (KGSG §24(1) no. 1), checked by the EU rules, not the German intra-EU thresholds"
                ),
            )
            .at("/destination_country")
            .translated(
                "fr",
                format!(
                    "la destination {destination} est hors de l'UE : l'exportation relève du règl. (CE) 116/2009 (KGSG § 24, al. 1, n° 1), vérifié par les règles de l'UE et non par les seuils allemands intra-UE"
                ),
            )
            .translated(
                "de",
                format!(
                    "das Bestimmungsland {destination} liegt außerhalb der EU: die Ausfuhr richtet sich nach der Verordnung (EG) Nr. 116/2009 (§ 24 Abs. 1 Nr. 1 KGSG), die die EU-Regeln prüfen, nicht nach den deutschen Binnenmarkt-Grenzen"
                ),
            ),
        );
        return findings;
    }
    let facts = Facts { application, date: context.date, reference };
    for (index, object) in application.objects.iter().enumerate() {
        if national_property(object).is_some() {
            // §§ 22-23 require the licence at any value: the § 24 thresholds do not decide.
            continue;
        }
        if let Some(last_day) = recently_entered(object, context.date) {
            findings.push(recently_entered_finding(index, object, last_day));
            continue;
        }
        match TABLE.assess(object, &facts) {
            // An object declared in several categories needs a licence if any of them requires it.
            Some((category, Assessment::Covered { value_cents })) => {
                findings.push(required_finding(index, object, category, value_cents));
            }
            Some((_, Assessment::Unreadable(error))) => findings.push(
                finding(
                    "DE.VALUE_UNREADABLE",
                    Severity::Error,
                    format!("object {}: cannot compare its value with the KGSG threshold in euros: {error}", index + 1),
                )
                .at(object_field(index, error.field()))
                .translated(
                    "fr",
                    format!(
                        "objet {} : impossible de comparer sa valeur au seuil du KGSG en euros : {error}",
                        index + 1
                    ),
                )
                .translated(
                    "de",
                    format!(
                        "Objekt {}: der Wert lässt sich nicht mit der Wertgrenze in Euro vergleichen: {error}",
                        index + 1
                    ),
                ),
            ),
            Some((category, Assessment::NotCovered(reason))) => {
                findings.push(not_required_finding(index, object, category, &reason));
                // Only a value under its threshold depends on how the value was arrived at.
                if matches!(reason, Reason::BelowValue { .. }) {
                    findings.extend(outdated_price(index, object, subject.issue_date));
                }
            }
            None => findings.push(
                finding(
                    "DE.NO_CATEGORY",
                    Severity::Info,
                    format!(
                        "object {}: no Annex I category (EU116:1 to EU116:15) declared: KGSG §24(2) requires no licence for it within the EU",
                        index + 1
                    ),
                )
                .at(object_field(index, "category_codes"))
                .translated(
                    "fr",
                    format!(
                        "objet {} : aucune catégorie de l'annexe I (EU116:1 à EU116:15) déclarée : le KGSG (§ 24, al. 2) n'exige pas d'autorisation dans l'UE",
                        index + 1
                    ),
                )
                .translated(
                    "de",
                    format!(
                        "Objekt {}: keine Kategorie des Anhangs I (EU116:1 bis EU116:15) angegeben: keine Genehmigungspflicht nach § 24 Abs. 2 KGSG innerhalb der EU",
                        index + 1
                    ),
                ),
            ),
        }
    }
    findings
}

impl Rule for GermanyExport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "de-export".into(),
            jurisdiction: "DE".into(),
            version: "1.1.0".into(),
            phases: vec![Phase::Issuance],
            descriptions: BTreeMap::from([
                (
                    "en".into(),
                    "Germany: export licences for national cultural property (KGSG §§ 22-23), open licences (§§ 25-26) and exports to other EU member states (§ 24(1) no. 2, (2), (8))".into(),
                ),
                (
                    "fr".into(),
                    "Allemagne : autorisations d'exportation des biens culturels nationaux (KGSG §§ 22-23), autorisations ouvertes (§§ 25-26) et exportations vers les autres États membres (§ 24, al. 1, n° 2, al. 2 et 8)"
                        .into(),
                ),
                (
                    "de".into(),
                    "Deutschland: Ausfuhrgenehmigungen für nationales Kulturgut (§§ 22-23 KGSG), offene Genehmigungen (§§ 25-26) und die Ausfuhr in andere Mitgliedstaaten (§ 24 Abs. 1 Nr. 2, Abs. 2, 8)".into(),
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

cartouche_rules_sdk::export_rule!(GermanyExport);
