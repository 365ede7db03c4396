//! EU import of cultural goods: Regulation (EU) 2019/880, Annex Parts B and C.
//!
//! From 28 June 2025, cultural goods created or discovered outside the Union and imported
//! into it need:
//!
//! - **Part B** (Art. 4): an **import licence** for archaeological objects (EU116:1) and
//!   elements of dismembered monuments (EU116:2) more than 250 years old, at any value;
//! - **Part C** (Art. 5): an **importer statement** for other cultural goods more than 200
//!   years old worth EUR 18,000 or more per item.
//!
//! The certificate has no field for either reference. By convention the object's
//! `documents` carry them: an entry of type `other` whose `ref` starts with
//! `IMPORT-LICENCE:` or `IMPORTER-STATEMENT:`, followed by the reference.
//!
//! The rule runs only at the import check, only when the destination is an EU member state
//! and only for goods entering the Union: a certificate issued by a member state moves the
//! goods within the Union, and goods created or discovered in the Union (provenance origin in
//! a member state) are outside the Regulation (Art. 1(2)).

use std::collections::BTreeMap;

use cartouche_rules_sdk::FindingExt;
use cartouche_rules_sdk::assess::{Assessment, Category, Count, Facts, Table, ValueLimit};
use cartouche_rules_sdk::model::plugin::is_eu_member;
use cartouche_rules_sdk::model::{CulturalObject, DocumentKind};
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::time::Month;

/// The rule.
pub struct EuImport;

/// Art. 16: the import licence and importer statement apply from the date the electronic
/// system (ICG) is operational, at the latest 28 June 2025. Before it, no finding.
pub const APPLICABLE_FROM: Date = match Date::from_calendar_date(2025, Month::June, 28) {
    Ok(date) => date,
    Err(_) => panic!("28 June 2025 is a valid date"),
};

/// Annex Part B: archaeological objects and monument elements "more than 250 years old".
pub const PART_B_AGE_YEARS: i32 = 250;

/// Annex Part C: other cultural goods "more than 200 years old".
pub const PART_C_AGE_YEARS: i32 = 200;

/// Annex Part C: a customs value of EUR 18,000 **or more** per item (in cents).
pub const PART_C_VALUE_PER_ITEM_CENTS: i64 = 18_000_00;

/// The Annex part a category is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Part B: an import licence, at any value.
    B,
    /// Part C: an importer statement.
    C,
}

/// Part B's (c) products of archaeological excavations or discoveries (EU116:1) and (d)
/// elements of dismembered monuments (EU116:2): "more than 250 years old", at any value.
const fn part_b(code: &'static str) -> Category<Part> {
    Category {
        code,
        label: Part::B,
        over_years: Some(PART_B_AGE_YEARS),
        value: ValueLimit::Any,
        count: Count::PerItem,
        exemption: None,
    }
}

/// The EU116 categories of Part B. Part C does not list these two.
pub const PART_B: [Category<Part>; 2] = [part_b("1"), part_b("2")];

/// Part C: other cultural goods "more than 200 years old" worth EUR 18,000 "or more" per item.
pub const PART_C: Category<Part> = Category {
    code: "",
    label: Part::C,
    over_years: Some(PART_C_AGE_YEARS),
    value: ValueLimit::AtLeast(PART_C_VALUE_PER_ITEM_CENTS),
    count: Count::PerItem,
    exemption: None,
};

/// The Annex as an assessment table: `EU116` codes, thresholds in euros.
pub const TABLE: Table<Part> =
    Table { scheme: "EU116", currency: "EUR", categories: &PART_B, other_goods: Some(&PART_C) };

/// Document `ref` prefix that carries the import licence reference (type `other`).
pub const IMPORT_LICENCE_PREFIX: &str = "IMPORT-LICENCE:";

/// Document `ref` prefix that carries the importer statement reference (type `other`).
pub const IMPORTER_STATEMENT_PREFIX: &str = "IMPORTER-STATEMENT:";

/// The index of the object's first document of type `other` whose `ref` is `prefix`
/// followed by a non-blank reference.
fn document_with(object: &CulturalObject, prefix: &str) -> Option<usize> {
    object.documents.as_deref().unwrap_or_default().iter().position(|document| {
        document.kind == DocumentKind::Other
            && document.reference.trim_start().strip_prefix(prefix).is_some_and(|rest| !rest.trim().is_empty())
    })
}

/// What an object needs at import.
enum Requirement {
    /// Part B: an import licence.
    ImportLicence,
    /// Part C: an importer statement (value of the whole quantity in EUR cents).
    ImporterStatement(i64),
}

impl Rule for EuImport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "eu-import".into(),
            jurisdiction: "EU".into(),
            version: "1.0.0".into(),
            phases: vec![Phase::ImportCheck],
            descriptions: BTreeMap::from([
                ("en".into(), "EU: import licence and importer statement (Reg. (EU) 2019/880, Annex B and C)".into()),
                (
                    "fr".into(),
                    "UE : licence d'importation et déclaration de l'importateur (règl. (UE) 2019/880, annexe B et C)"
                        .into(),
                ),
                (
                    "de".into(),
                    "EU: Einfuhrgenehmigung und Erklärung des Einführers (VO (EU) 2019/880, Anhang B und C)".into(),
                ),
            ]),
        }
    }

    fn evaluate(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
        let application = &subject.application;
        if context.phase != Phase::ImportCheck
            || context.date < APPLICABLE_FROM
            || !is_eu_member(&application.destination_country)
            // Issued by a member state: the goods move within the Union, they are not imported.
            || is_eu_member(&application.issuing_authority.country)
        {
            return Vec::new();
        }
        let mut findings = Vec::new();
        let facts = Facts { application, date: context.date, reference };
        for (index, object) in application.objects.iter().enumerate() {
            let number = index + 1;
            let origin = object.provenance.as_ref().and_then(|provenance| provenance.origin_country.as_deref());
            if origin.is_some_and(is_eu_member) {
                // Art. 1(2): goods created or discovered in the customs territory of the Union.
                continue;
            }
            let requirement = match TABLE.assess(object, &facts) {
                Some((category, Assessment::Covered { value_cents })) => match category.label {
                    Part::B => Requirement::ImportLicence,
                    Part::C => Requirement::ImporterStatement(value_cents.unwrap_or_default()),
                },
                Some((_, Assessment::Unreadable(error))) => {
                    findings.push(
                        finding(
                            "EU.IMPORT_VALUE_UNREADABLE",
                            Severity::Error,
                            format!(
                                "object {number}: more than 200 years old, but its value cannot be compared \
                                 with EUR 18,000 per item (Reg. 2019/880 Annex Part C): {error}; correct the \
                                 value or load a rates table that has its currency"
                            ),
                        )
                        .at(object_field(index, error.field()))
                        .translated(
                            "fr",
                            format!(
                                "objet {number} : plus de 200 ans, mais sa valeur ne peut être comparée à \
                                 18 000 EUR par article : corrigez la valeur ou chargez un barème de change \
                                 qui a sa devise"
                            ),
                        ),
                    );
                    continue;
                }
                // Not certainly over 250 (Part B) or 200 (Part C) years old, or under EUR 18,000
                // per item (compared without dividing, so that no rounding creeps in).
                Some((_, Assessment::NotCovered(_))) | None => continue,
            };
            findings.push(match requirement {
                Requirement::ImportLicence => match document_with(object, IMPORT_LICENCE_PREFIX) {
                    Some(document) => finding(
                        "EU.IMPORT_LICENCE_PRESENT",
                        Severity::Info,
                        format!(
                            "object {number}: an archaeological object or monument element more than 250 years \
                             old needs an import licence (Reg. 2019/880 Art. 4, Annex Part B); its reference is \
                             given: check it in the ICG system"
                        ),
                    )
                    .at(object_field(index, &format!("documents/{document}")))
                    .translated(
                        "fr",
                        format!(
                            "objet {number} : licence d'importation requise (règl. 2019/880 art. 4) ; sa \
                             référence est fournie : vérifiez-la dans le système ICG"
                        ),
                    ),
                    None => finding(
                        "EU.IMPORT_LICENCE_MISSING",
                        Severity::Error,
                        format!(
                            "object {number}: an archaeological object or monument element more than 250 years \
                             old needs an import licence at any value (Reg. 2019/880 Art. 4, Annex Part B), and \
                             none is given: add a document of type \"other\" with ref \
                             \"{IMPORT_LICENCE_PREFIX} <licence number>\", or hold the goods"
                        ),
                    )
                    .at(object_field(index, "documents"))
                    .translated(
                        "fr",
                        format!(
                            "objet {number} : une licence d'importation est requise quelle que soit la valeur \
                             (règl. 2019/880 art. 4) et aucune n'est fournie : ajoutez un document de type \
                             « other » dont la référence commence par « {IMPORT_LICENCE_PREFIX} »"
                        ),
                    ),
                },
                Requirement::ImporterStatement(cents) => {
                    let value = format_cents(cents);
                    match document_with(object, IMPORTER_STATEMENT_PREFIX) {
                        Some(document) => finding(
                            "EU.IMPORTER_STATEMENT_PRESENT",
                            Severity::Info,
                            format!(
                                "object {number}: more than 200 years old and worth EUR {value}, EUR 18,000 or \
                                 more per item: it needs an importer statement (Reg. 2019/880 Art. 5, Annex Part \
                                 C); its reference is given: check it in the ICG system"
                            ),
                        )
                        .at(object_field(index, &format!("documents/{document}")))
                        .translated(
                            "fr",
                            format!(
                                "objet {number} : déclaration de l'importateur requise (règl. 2019/880 art. 5) ; \
                                 sa référence est fournie : vérifiez-la dans le système ICG"
                            ),
                        ),
                        None => finding(
                            "EU.IMPORTER_STATEMENT_MISSING",
                            Severity::Error,
                            format!(
                                "object {number}: more than 200 years old and worth EUR {value}, EUR 18,000 or \
                                 more per item: it needs an importer statement (Reg. 2019/880 Art. 5, Annex Part \
                                 C), and none is given: add a document of type \"other\" with ref \
                                 \"{IMPORTER_STATEMENT_PREFIX} <statement number>\", or hold the goods"
                            ),
                        )
                        .at(object_field(index, "documents"))
                        .translated(
                            "fr",
                            format!(
                                "objet {number} : une déclaration de l'importateur est requise (règl. 2019/880 \
                                 art. 5) et aucune n'est fournie : ajoutez un document de type « other » dont la \
                                 référence commence par « {IMPORTER_STATEMENT_PREFIX} »"
                            ),
                        ),
                    }
                }
            });
        }
        findings
    }
}

cartouche_rules_sdk::export_rule!(EuImport);
