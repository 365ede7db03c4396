//! Austria's export rules (Denkmalschutzgesetz, DMSG, BGBl. 533/1923 as amended by
//! BGBl. I 41/2024, 3. Abschnitt "Schutz vor widerrechtlicher Ausfuhr", §§ 16-22).
//!
//! - Objects under monument protection (by Bescheid, § 3; by Verordnung, § 2a; by the legal
//!   presumption of § 2 for objects of public bodies) leave Austria only with a Bewilligung of
//!   the Bundesdenkmalamt, whatever their value or age (§ 16, § 17 for a permanent export,
//!   § 22 for a temporary one).
//! - So do all archaeological objects, and autographs whose author died more than 20 years
//!   ago (Bundesdenkmalamt).
//! - Other cultural goods exported to another EU member state need a Bewilligung above the
//!   value thresholds of the Verordnung BGBl. II 484/1999 (the Bundesdenkmalamt names EUR
//!   15,000 for drawings, photographs and mosaics, 30,000 for watercolours, gouaches and
//!   pastels, 50,000 for sculpture and other antiques); out of the EU, Reg. (EC) 116/2009
//!   applies (the `eu-export` plugin).
//! - A temporary export is authorised for at most 5 years.

use std::collections::BTreeMap;

use cartouche_rules_sdk::assess::{Assessment, Category, Count, Facts, Table, ValueLimit};
use cartouche_rules_sdk::model::ExportType;
use cartouche_rules_sdk::model::plugin::is_eu_member;
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::{CulturalObject, FindingExt};

/// The rule.
pub struct AustriaExport;

/// Under monument protection (Unterschutzstellung, DMSG §§ 2, 2a, 3).
pub const PROTECTED: &str = "AT:PROTECTED";
/// The longest a temporary export is authorised, in years (§ 22).
pub const TEMPORARY_TERM_YEARS: i32 = 5;

/// A value category of BGBl. II 484/1999 as the Bundesdenkmalamt states it: at least the
/// value, per item, at any age (the ages of the Verordnung were not verified).
const fn at_least(code: &'static str, label: &'static str, euros: i64) -> Category<&'static str> {
    Category {
        code,
        label,
        over_years: None,
        value: ValueLimit::AtLeast(euros * 100),
        count: Count::PerItem,
        exemption: None,
    }
}

/// The value categories for exports to other EU member states, by `EU116` code.
pub const INTRA_EU: [Category<&'static str>; 5] = [
    at_least("4", "watercolours, gouaches and pastels", 30_000),
    at_least("5", "mosaics and drawings", 15_000),
    at_least("7", "sculpture", 50_000),
    at_least("8", "photographs", 15_000),
    at_least("15", "other antiques", 50_000),
];

/// The table of [`INTRA_EU`], in euros.
pub const TABLE: Table<&'static str> =
    Table { scheme: "EU116", currency: "EUR", categories: &INTRA_EU, other_goods: None };

fn declares(object: &CulturalObject, code: &str) -> bool {
    categories(object, "EU116").any(|declared| declared == code)
}

fn permit(index: usize, why_en: &str, why_de: &str) -> Finding {
    let number = index + 1;
    finding(
        "AT.PERMIT_REQUIRED",
        Severity::Info,
        format!(
            "object {number}: {why_en}: it leaves Austria only with a Bewilligung of the Bundesdenkmalamt (DMSG § 16; § 17 permanent, § 22 temporary export); this certificate serves as that Bewilligung"
        ),
    )
    .at(object_field(index, ""))
    .translated(
        "de",
        format!(
            "Objekt {number}: {why_de}: die Ausfuhr bedarf einer Bewilligung des Bundesdenkmalamtes (§ 16 DMSG; § 17 dauernde, § 22 vorübergehende Ausfuhr)"
        ),
    )
}

/// Whether `object` needs a Bewilligung, with its findings.
fn object_findings(index: usize, object: &CulturalObject, facts: &Facts<'_>) -> (bool, Vec<Finding>) {
    if object.designated(PROTECTED) {
        let finding = permit(index, "under monument protection", "steht unter Denkmalschutz");
        return (true, vec![finding]);
    }
    if object.is_public_property() {
        let finding = permit(
            index,
            "public property, under monument protection by legal presumption (DMSG § 2) unless the Bundesdenkmalamt has found otherwise",
            "im öffentlichen Eigentum, kraft gesetzlicher Vermutung unter Denkmalschutz (§ 2 DMSG), sofern nicht anders festgestellt",
        );
        return (true, vec![finding]);
    }
    if declares(object, "1") {
        let finding = permit(
            index,
            "an archaeological object, at any value or age",
            "archäologischer Gegenstand, unabhängig von Wert und Alter",
        );
        return (true, vec![finding]);
    }
    let mut findings = Vec::new();
    let number = index + 1;
    if declares(object, "9") && object.maker.as_ref().and_then(|maker| maker.living) != Some(true) {
        findings.push(
            finding(
                "AT.AUTOGRAPH_AUTHOR",
                Severity::Warning,
                format!(
                    "object {number}: a manuscript or autograph whose author is not known to be living: if the author died more than 20 years ago, it needs a Bewilligung of the Bundesdenkmalamt at any value; the application does not give the date of death"
                ),
            )
            .at(object_field(index, "maker"))
            .translated(
                "de",
                format!(
                    "Objekt {number}: Autograph oder Handschrift eines nicht lebenden Urhebers: ist er vor mehr als 20 Jahren verstorben, bedarf die Ausfuhr unabhängig vom Wert einer Bewilligung des Bundesdenkmalamtes"
                ),
            ),
        );
    }
    if !is_eu_member(&facts.application.destination_country) {
        // Out of the EU: the Annex I thresholds of Reg. 116/2009 are eu-export's.
        return (false, findings);
    }
    match TABLE.assess(object, facts) {
        Some((category, Assessment::Covered { value_cents })) => {
            let value = format_cents(value_cents.unwrap_or_default());
            let threshold = format_cents(category.value.cents().unwrap_or_default());
            findings.push(permit(
                index,
                &format!(
                    "{} worth EUR {value}, at least EUR {threshold} per item, exported within the EU",
                    category.label
                ),
                &format!("im Wert von EUR {value}, mindestens EUR {threshold} je Stück, Ausfuhr in die EU"),
            ));
            (true, findings)
        }
        Some((_, Assessment::Unreadable(error))) => {
            findings.push(
                finding(
                    "AT.VALUE_UNREADABLE",
                    Severity::Error,
                    format!("object {number}: cannot compare its value with the threshold in euros: {error}"),
                )
                .at(object_field(index, error.field()))
                .translated(
                    "de",
                    format!(
                        "Objekt {number}: der Wert lässt sich nicht mit der Wertgrenze in Euro vergleichen: {error}"
                    ),
                ),
            );
            (false, findings)
        }
        Some((_, Assessment::NotCovered(_))) | None => (false, findings),
    }
}

impl Rule for AustriaExport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "at-export".into(),
            jurisdiction: "AT".into(),
            version: "1.0.0".into(),
            phases: vec![Phase::Issuance],
            descriptions: BTreeMap::from([
                ("en".into(), "Austria: Ausfuhrbewilligung of the Bundesdenkmalamt (DMSG §§ 16-22)".into()),
                ("de".into(), "Österreich: Ausfuhrbewilligung des Bundesdenkmalamtes (§§ 16-22 DMSG)".into()),
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
        let mut needs_permit = false;
        for (index, object) in application.objects.iter().enumerate() {
            let (needed, found) = object_findings(index, object, &facts);
            needs_permit |= needed;
            findings.extend(found);
        }
        if needs_permit
            && application.export_type == ExportType::Temporary
            && let Some(due) = application.reimport_due_date
        {
            let limit = add_years(subject.issue_date, TEMPORARY_TERM_YEARS);
            if due > limit {
                findings.push(
                    finding(
                        "AT.TEMPORARY_TERM",
                        Severity::Error,
                        format!(
                            "a temporary export is authorised for at most {TEMPORARY_TERM_YEARS} years (DMSG § 22): the re-import date must be {limit} or earlier, not {due}"
                        ),
                    )
                    .at("/reimport_due_date")
                    .translated(
                        "de",
                        format!(
                            "die vorübergehende Ausfuhr wird für höchstens fünf Jahre bewilligt (§ 22 DMSG): Rückkehr spätestens am {limit}"
                        ),
                    ),
                );
            }
        }
        findings
    }
}

cartouche_rules_sdk::export_rule!(AustriaExport);
