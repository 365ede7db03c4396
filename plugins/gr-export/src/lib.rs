//! Greece: the export of monuments under the Code for the protection of antiquities and
//! cultural heritage in general, ratified by L. 4858/2021 (ΦΕΚ Α' 220/19.11.2021), which
//! codified L. 3028/2002. Articles are cited by their L. 3028/2002 numbers (see README).
//!
//! - **Art. 2**: *ancient monuments* are cultural objects up to **1830**; *recent monuments*
//!   are later cultural objects protected for their significance.
//! - **Art. 20(1)**: movable monuments are (a) antiquities dating up to **1453**; (b)
//!   antiquities after 1453 and up to **1830** that are excavation finds or detached from
//!   immovable monuments, and religious icons and liturgical objects of that period; (c)-(e)
//!   other objects, once **declared** monuments (`GR:DECLARED`).
//! - **Art. 34(1)**: the export of monuments is prohibited, save (2) under a **permit**,
//!   where the monument is not of particular importance for the country's cultural heritage
//!   and the unity of important collections is not harmed; (3) for monuments of the **last
//!   100 years**, where their staying in Greece is not deemed necessary.
//!
//! A monument therefore leaves Greece only under the permit this certificate stands for
//! (`GR.EXPORT_PERMIT_REQUIRED`, info). Datings that straddle 1453 or 1830 may make the
//! object a monument: a warning asks the office to settle the date.

use std::collections::BTreeMap;

use cartouche_rules_sdk::FindingExt;
use cartouche_rules_sdk::model::ExportType;
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::{CulturalObject, Reference};

/// The rule.
pub struct GreeceExport;

/// Art. 2 and 20(1)(b): ancient monuments date "up to 1830" (1830 included).
pub const ANCIENT_UNTIL: i32 = 1830;

/// Art. 20(1)(a): every antiquity dating up to 1453 is a monument.
pub const BYZANTINE_UNTIL: i32 = 1453;

/// Art. 34(3): monuments "of the period of the last hundred years".
pub const RECENT_YEARS: i32 = 100;

/// The designation of a monument declared by decision of the Minister (art. 20(1)(c)-(e)).
pub const DECLARED: &str = "GR:DECLARED";

/// Why an object is a monument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ground {
    /// Art. 20(1)(a): dating up to 1453.
    Antiquity,
    /// Art. 20(1)(b): 1453-1830, an excavation find, an element of a monument, an icon or a
    /// liturgical object.
    PostByzantine,
    /// Art. 20(1)(c)-(e): declared a monument.
    Declared,
}

/// Words that identify a religious icon or liturgical object (art. 20(1)(b)), in the
/// object's type, materials or title; English and Greek.
pub const ICON_WORDS: [&str; 6] = ["icon", "liturgical", "εικόνα", "λειτουργικ", "φορητή εικόνα", "ιερό σκεύος"];

/// Whether the object is of a kind art. 20(1)(b) protects without a declaration: an
/// archaeological find (EU116:1), an element of a dismembered monument (EU116:2), a
/// religious icon or a liturgical object.
pub fn protected_kind(object: &CulturalObject) -> bool {
    categories(object, "EU116").any(|code| code == "1" || code == "2") || mentions(object, &ICON_WORDS)
}

/// Whether the object would be a monument if made in `year` (art. 20(1)).
pub fn ground_if_made(object: &CulturalObject, year: i32) -> Option<Ground> {
    if object.designated(DECLARED) {
        Some(Ground::Declared)
    } else if year <= BYZANTINE_UNTIL {
        Some(Ground::Antiquity)
    } else if year <= ANCIENT_UNTIL && protected_kind(object) {
        Some(Ground::PostByzantine)
    } else {
        None
    }
}

impl Rule for GreeceExport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "gr-export".into(),
            jurisdiction: "GR".into(),
            version: "1.0.0".into(),
            phases: vec![Phase::Issuance],
            descriptions: BTreeMap::from([
                (
                    "en".into(),
                    "Greece: export of monuments only under permit (Code for the protection of antiquities, L. 4858/2021; L. 3028/2002 arts. 2, 20, 34)"
                        .into(),
                ),
                (
                    "el".into(),
                    "Ελλάδα: εξαγωγή μνημείων μόνο με άδεια (Κώδικας για την προστασία των αρχαιοτήτων, ν. 4858/2021· ν. 3028/2002 άρθρα 2, 20, 34)"
                        .into(),
                ),
            ]),
        }
    }

    fn evaluate(subject: &RuleSubject, context: &Context, _reference: &dyn Reference) -> Vec<Finding> {
        if context.phase != Phase::Issuance {
            return Vec::new();
        }
        let application = &subject.application;
        let temporary = application.export_type == ExportType::Temporary;
        let mut findings = Vec::new();
        for (index, object) in application.objects.iter().enumerate() {
            let number = index + 1;
            let dating = &object.dating;
            match (ground_if_made(object, dating.latest_year), ground_if_made(object, dating.earliest_year)) {
                (Some(ground), _) => {
                    let why = match ground {
                        Ground::Antiquity => "an antiquity dating up to 1453 (art. 20(1)(a))".to_owned(),
                        Ground::PostByzantine => "an excavation find, element of a monument, icon or liturgical \
                                                  object dating up to 1830 (art. 20(1)(b))"
                            .to_owned(),
                        Ground::Declared => "a declared monument (GR:DECLARED, art. 20(1)(c)-(e))".to_owned(),
                    };
                    // Art. 34(3) only when the whole dating lies within the last 100 years.
                    let recent =
                        ground == Ground::Declared && context.date.year() - dating.earliest_year < RECENT_YEARS;
                    let condition = if recent {
                        "a monument of the last 100 years: the permit may be granted if its staying in Greece \
                         is not deemed necessary for the country's cultural heritage (art. 34(3))"
                    } else {
                        "the permit may be granted only if it is not of particular importance for the country's \
                         cultural heritage and the unity of important collections is not harmed (art. 34(2))"
                    };
                    let kind = if temporary { "its temporary export" } else { "its export" };
                    findings.push(
                        finding(
                            "GR.EXPORT_PERMIT_REQUIRED",
                            Severity::Info,
                            format!(
                                "object {number}: {why}: the export of monuments is prohibited save under a \
                                 permit (art. 34(1)); this certificate stands for the permit for {kind}; {condition}"
                            ),
                        )
                        .at(object_field(index, ""))
                        .translated(
                            "el",
                            format!(
                                "αντικείμενο {number}: μνημείο· η εξαγωγή μνημείων απαγορεύεται χωρίς άδεια \
                                 (άρθρο 34 παρ. 1)· το παρόν πιστοποιητικό επέχει θέση άδειας εξαγωγής"
                            ),
                        ),
                    );
                }
                (None, Some(_)) => findings.push(
                    finding(
                        "GR.DATING_STRADDLES_LIMIT",
                        Severity::Warning,
                        format!(
                            "object {number}: dated {} ({} to {}): it may be a monument (up to 1453, or up to \
                             1830 for finds, elements of monuments, icons and liturgical objects: art. 20(1)); \
                             establish the date: a monument leaves Greece only under a permit (art. 34)",
                            dating.text, dating.earliest_year, dating.latest_year
                        ),
                    )
                    .at(object_field(index, "dating"))
                    .translated(
                        "el",
                        format!(
                            "αντικείμενο {number}: η χρονολόγηση επιτρέπει να είναι μνημείο (άρθρο 20 παρ. 1)· \
                             να προσδιοριστεί η χρονολογία"
                        ),
                    ),
                ),
                (None, None) => {}
            }
        }
        findings
    }
}

cartouche_rules_sdk::export_rule!(GreeceExport);
