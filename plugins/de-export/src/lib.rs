//! Germany's export licence for exports to other EU member states (Kulturgutschutzgesetz,
//! KGSG §24(1) no. 2 and §24(2)).
//!
//! - Exports to a third country follow Reg. (EC) 116/2009, which the `eu-export` plugin
//!   checks: this plugin only says so (`DE.THIRD_COUNTRY`, info).
//! - Exports to another member state need a licence when the object falls in an Annex I
//!   category of 116/2009 and exceeds the German intra-EU age and value thresholds (the EU
//!   ages with twice the EU values, except paintings, watercolours, sculpture, drawings,
//!   prints, photographs, manuscripts, archives, means of transport and other antiques,
//!   which have their own): `DE.LICENCE_REQUIRED` (info), this certificate being the licence.
//! - Goods still owned by their maker need no licence for the internal market (§24(1) no. 2).
//! - The value is the price paid within the last 3 years, else an estimate: a price paid
//!   longer ago that keeps an object under its threshold is a warning.
//!
//! Not encoded: the exemption of goods in Germany for 2 years or less (the application does
//! not say when an object entered Germany), and the dealers' due diligence of §§41-45.
//!
//! Ages: "more than N years" only if so even at the latest year of the dating. Values:
//! "at least" the threshold, compared in euro cents.

use std::collections::BTreeMap;

use cartouche_rules_sdk::assess::{self, Assessment, Count, Facts, Reason, Table, ValueLimit, owned_by_living_maker};
use cartouche_rules_sdk::model::ValueBasis;
use cartouche_rules_sdk::model::plugin::is_eu_member;
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::{CulturalObject, FindingExt};

/// The rule.
pub struct GermanyExport;

/// The scheme prefix of the Annex I category codes (`EU116:3` is paintings).
pub const SCHEME: &str = "EU116";

/// The value of an object is the price paid for it within this many years, else an
/// estimate (KGSG §24).
pub const PRICE_VALID_YEARS: i32 = 3;

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
            "object {}: {} (Annex I category {number}) {age_en}, {value_en}: exporting it to another EU member state needs a licence (KGSG §24(1) no. 2, (2)); this certificate is that licence (unless the object has been in Germany for 2 years or less, which this check cannot see)",
            index + 1,
            names.en
        ),
    )
    .at(object_field(index, ""))
    .translated(
        "fr",
        format!(
            "objet {} : {} (catégorie {number} de l'annexe I) {age_fr}, {value_fr} : son exportation vers un autre État membre exige une autorisation (KGSG § 24, al. 1, n° 2, et al. 2) ; ce certificat en tient lieu (sauf si l'objet se trouve en Allemagne depuis deux ans au plus, ce que ce contrôle ne peut pas voir)",
            index + 1,
            names.fr
        ),
    )
    .translated(
        "de",
        format!(
            "Objekt {}: {} (Kategorie {number} des Anhangs I) {age_de}, {value_de}: die Ausfuhr in einen anderen Mitgliedstaat ist genehmigungspflichtig (§ 24 Abs. 1 Nr. 2, Abs. 2 KGSG); diese Bescheinigung ist die Genehmigung (außer das Objekt befindet sich erst seit höchstens zwei Jahren im Bundesgebiet)",
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

fn issuance(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
    let application = &subject.application;
    let destination = &application.destination_country;
    if !is_eu_member(destination) {
        return vec![
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
        ];
    }
    let mut findings = Vec::new();
    let facts = Facts { application, date: context.date, reference };
    for (index, object) in application.objects.iter().enumerate() {
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
            version: "1.0.0".into(),
            phases: vec![Phase::Issuance],
            descriptions: BTreeMap::from([
                ("en".into(), "Germany: licence for exports to other EU member states (KGSG §24(1) no. 2, (2))".into()),
                (
                    "fr".into(),
                    "Allemagne : autorisation d'exportation vers les autres États membres (KGSG § 24, al. 1, n° 2, et al. 2)"
                        .into(),
                ),
                (
                    "de".into(),
                    "Deutschland: Genehmigung der Ausfuhr in andere Mitgliedstaaten (§ 24 Abs. 1 Nr. 2, Abs. 2 KGSG)".into(),
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
