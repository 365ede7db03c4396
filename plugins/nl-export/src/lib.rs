//! The Netherlands' export rules (Erfgoedwet, Wet van 9 december 2015, chapters 3 and 4).
//!
//! - A protected cultural object or collection (*beschermd cultuurgoed*, *beschermde
//!   verzameling*, designated under art. 3.7) may not be brought outside the Netherlands for
//!   good while it is designated; it may leave temporarily with the Minister's permission
//!   (chapter 4, § 4.1).
//! - Art. 4.22(1)-(3): a cultural object in the inventory of a public collection (a museum,
//!   archive or library owned by the State or another public body; a religious body's
//!   inventory; a designated subsidised private museum; the State's list of museum objects)
//!   leaves only with its owner's written consent, replaced by a permit of the Minister when
//!   the owner does not declare itself (4.22(2)).
//! - Art. 4.22(4)(c): so do government archival documents more than 50 years old.
//!
//! The Netherlands has no general national export licence: exports out of the EU above the
//! thresholds of Reg. (EC) 116/2009 are the `eu-export` plugin's.

use std::collections::BTreeMap;

use cartouche_rules_sdk::assess::same_person;
use cartouche_rules_sdk::model::{Application, ExportType};
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::{CulturalObject, FindingExt};

/// The rule.
pub struct NetherlandsExport;

/// Protected cultural object or part of a protected collection (Erfgoedwet art. 3.7).
pub const PROTECTED: &str = "NL:PROTECTED";
/// In a collection art. 4.22(1) or (3) covers (public, religious, designated subsidised
/// museum, the State's list of museum objects).
pub const PUBLIC_COLLECTION: &str = "NL:PUBLIC_COLLECTION";
/// Archival documents are covered when more than this many years old (art. 4.22(4)(c):
/// "ouder dan vijftig jaar").
pub const ARCHIVES_AGE_YEARS: i32 = 50;

/// Whether the applicant is the owner: no owner named (box 7), or the same name.
fn applicant_owns(application: &Application) -> bool {
    application.owner.as_ref().is_none_or(|owner| same_person(&owner.name, &application.applicant.name))
}

fn protected(index: usize, application: &Application) -> Finding {
    let number = index + 1;
    match (application.export_type, &application.national_certificate) {
        (ExportType::Definitive, _) => finding(
            "NL.PROTECTED_DEFINITIVE",
            Severity::Error,
            format!(
                "object {number}: a protected cultural object (Erfgoedwet art. 3.7) may not be brought outside the Netherlands for good while it is designated; only a temporary exit with the Minister's permission is possible"
            ),
        )
        .at(object_field(index, "legal_status/designations"))
        .translated(
            "nl",
            format!(
                "object {number}: een beschermd cultuurgoed (Erfgoedwet art. 3.7) mag niet blijvend buiten Nederland worden gebracht zolang de aanwijzing geldt; alleen tijdelijk, met toestemming van de minister"
            ),
        ),
        (ExportType::Temporary, None) => finding(
            "NL.PERMISSION_NOT_RECORDED",
            Severity::Warning,
            format!(
                "object {number}: a protected cultural object (Erfgoedwet art. 3.7) leaves the Netherlands temporarily only with the Minister's permission: record it in national_certificate"
            ),
        )
        .at("/national_certificate")
        .translated(
            "nl",
            format!(
                "object {number}: een beschermd cultuurgoed mag alleen met toestemming van de minister tijdelijk buiten Nederland worden gebracht: vermeld de vergunning in national_certificate"
            ),
        ),
        (ExportType::Temporary, Some(_)) => finding(
            "NL.PERMISSION_RECORDED",
            Severity::Info,
            format!(
                "object {number}: a protected cultural object leaving temporarily under the Minister's permission recorded in national_certificate; it must come back by the re-import date"
            ),
        )
        .at("/national_certificate")
        .translated(
            "nl",
            format!(
                "object {number}: beschermd cultuurgoed, tijdelijk buiten Nederland met de vermelde vergunning van de minister; het moet uiterlijk op de terugkeerdatum terug zijn"
            ),
        ),
    }
}

fn owner_consent(index: usize, application: &Application, code: &str, what: (&str, &str)) -> Finding {
    let number = index + 1;
    let (what_en, what_nl) = what;
    if applicant_owns(application) {
        finding(
            code,
            Severity::Info,
            format!(
                "object {number}: {what_en} leaves the Netherlands only with its owner's written consent (Erfgoedwet art. 4.22); the applicant is the owner"
            ),
        )
        .at(object_field(index, ""))
        .translated(
            "nl",
            format!(
                "object {number}: {what_nl} mag alleen met schriftelijke toestemming van de eigenaar buiten Nederland worden gebracht (Erfgoedwet art. 4.22); de aanvrager is de eigenaar"
            ),
        )
    } else {
        finding(
            code,
            Severity::Warning,
            format!(
                "object {number}: {what_en} leaves the Netherlands only with its owner's written consent (Erfgoedwet art. 4.22(1)); the owner is not the applicant: attach the consent, or the Minister's permit that replaces it when the owner does not declare itself (4.22(2))"
            ),
        )
        .at("/owner")
        .translated(
            "nl",
            format!(
                "object {number}: {what_nl} mag alleen met schriftelijke toestemming van de eigenaar buiten Nederland worden gebracht (Erfgoedwet art. 4.22, eerste lid); de eigenaar is niet de aanvrager: voeg de toestemming bij, of de vergunning van de minister die haar vervangt (tweede lid)"
            ),
        )
    }
}

fn object_findings(index: usize, object: &CulturalObject, application: &Application, date: Date) -> Vec<Finding> {
    let mut findings = Vec::new();
    if object.designated(PROTECTED) {
        findings.push(protected(index, application));
    }
    let archives = categories(object, "EU116").any(|code| code == "12");
    if archives && age(object, date).certainly_over(ARCHIVES_AGE_YEARS) {
        findings.push(owner_consent(
            index,
            application,
            "NL.ARCHIVES_CONSENT",
            (
                "archival documents more than 50 years old, if they are government records (Archiefwet 1995 art. 1(c)),",
                "archiefbescheiden ouder dan vijftig jaar, indien overheidsarchief (Archiefwet 1995 art. 1, onder c),",
            ),
        ));
    } else if object.designated(PUBLIC_COLLECTION) {
        findings.push(owner_consent(
            index,
            application,
            "NL.OWNER_CONSENT",
            ("a cultural object of a public collection", "een cultuurgoed uit een openbare collectie"),
        ));
    } else if object.is_public_property() {
        findings.push(owner_consent(
            index,
            application,
            "NL.OWNER_CONSENT",
            (
                "a publicly owned cultural object, if in the inventory of a museum, archive or library,",
                "een cultuurgoed in eigendom van een openbaar lichaam, indien vermeld in de inventarislijst van een museum, archief of bibliotheek,",
            ),
        ));
    }
    findings
}

impl Rule for NetherlandsExport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "nl-export".into(),
            jurisdiction: "NL".into(),
            version: "1.0.0".into(),
            phases: vec![Phase::Issuance],
            descriptions: BTreeMap::from([
                (
                    "en".into(),
                    "Netherlands: protected cultural objects and public collections (Erfgoedwet arts. 3.7, 4.22)"
                        .into(),
                ),
                (
                    "nl".into(),
                    "Nederland: beschermde cultuurgoederen en openbare collecties (Erfgoedwet art. 3.7, 4.22)".into(),
                ),
            ]),
        }
    }

    fn evaluate(subject: &RuleSubject, context: &Context, _reference: &dyn Reference) -> Vec<Finding> {
        if context.phase != Phase::Issuance {
            return Vec::new();
        }
        let application = &subject.application;
        application
            .objects
            .iter()
            .enumerate()
            .flat_map(|(index, object)| object_findings(index, object, application, context.date))
            .collect()
    }
}

cartouche_rules_sdk::export_rule!(NetherlandsExport);
