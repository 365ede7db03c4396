//! Switzerland's import rules under the bilateral agreements of the Federal Act on the
//! International Transfer of Cultural Property (KGTG / LTBC, SR 444.1) art. 7.
//!
//! Each agreement (art. II(1) of each) and the Ordinance (KGTV / OTBC, SR 444.11) art. 24(3)
//! say the same: cultural property of a category in the agreement's annex may be imported into
//! Switzerland only if the customs authorities are shown that the export provisions of the
//! other contracting state were complied with; where that state requires an export licence,
//! the licence is presented to customs.
//!
//! The plugin reads the state of origin from `provenance.origin_country` and the export licence
//! from the object's `documents` (a document of type `other` whose `ref` starts with
//! `EXPORT-LICENCE:`). A certificate issued by the state of origin is itself that state's
//! export document.

use std::collections::BTreeMap;

use cartouche_rules_sdk::FindingExt;
use cartouche_rules_sdk::model::{CulturalObject, DocumentKind};
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::time::Month;

/// The rule.
pub struct SwitzerlandImport;

/// Document `ref` prefix (type `other`) that carries the export licence of the state of
/// origin.
pub const EXPORT_LICENCE_PREFIX: &str = "EXPORT-LICENCE:";

/// One bilateral agreement under KGTG art. 7.
#[derive(Debug, Clone, Copy)]
pub struct Agreement {
    /// The other contracting state (ISO 3166-1 alpha-2).
    pub country: &'static str,
    /// Its name in English, for messages.
    pub name: &'static str,
    /// Date of signature.
    pub signed: Date,
    /// Date of entry into force: the agreement governs imports from this day.
    pub in_force: Date,
    /// The latest year of the annex's archaeological material where the Federal Office of
    /// Culture states it ("up to about 1500 AD"); `None` where the plugin does not encode a
    /// limit and treats archaeological material of any date as covered.
    pub until_year: Option<i32>,
}

/// A date from its parts (panics at compile time on an invalid date).
const fn day(year: i32, month: Month, day: u8) -> Date {
    match Date::from_calendar_date(year, month, day) {
        Ok(date) => date,
        Err(_) => panic!("invalid date"),
    }
}

/// The agreements in force or signed, with their dates as published by the Federal Office of
/// Culture (bak.admin.ch, "Bilaterale Vereinbarungen"), in order of entry into force.
pub const AGREEMENTS: [Agreement; 10] = [
    // SR 0.444.145.41.
    Agreement {
        country: "IT",
        name: "Italy",
        signed: day(2006, Month::October, 20),
        in_force: day(2008, Month::April, 27),
        until_year: None,
    },
    // SR 0.444.132.11.
    Agreement {
        country: "EG",
        name: "Egypt",
        signed: day(2010, Month::April, 14),
        in_force: day(2011, Month::February, 20),
        until_year: None,
    },
    // SR 0.444.137.21: "archäologische Altertumsfunde bis ca. 1500 n. Chr." (BAK, 2011).
    Agreement {
        country: "GR",
        name: "Greece",
        signed: day(2007, Month::May, 15),
        in_force: day(2011, Month::April, 13),
        until_year: Some(1500),
    },
    // SR 0.444.126.31.
    Agreement {
        country: "CO",
        name: "Colombia",
        signed: day(2010, Month::February, 1),
        in_force: day(2011, Month::August, 4),
        until_year: None,
    },
    // SR 0.444.124.91: "archäologische Altertumsfunde bis ca. 1500 n. Chr." (BAK, 2014).
    Agreement {
        country: "CN",
        name: "China",
        signed: day(2013, Month::August, 16),
        in_force: day(2014, Month::January, 8),
        until_year: Some(1500),
    },
    // "archäologische Altertumsfunde bis ca. 1500 n. Chr." (BAK, 2014).
    Agreement {
        country: "CY",
        name: "Cyprus",
        signed: day(2013, Month::January, 11),
        in_force: day(2014, Month::February, 15),
        until_year: Some(1500),
    },
    // SR 0.444.164.11 (revised agreement): "Kulturgüter aus der Zeit vor 1500 n. Chr." (BAK, 2016).
    Agreement {
        country: "PE",
        name: "Peru",
        signed: day(2016, Month::July, 12),
        in_force: day(2016, Month::October, 19),
        until_year: Some(1500),
    },
    // SR 0.444.156.31.
    Agreement {
        country: "MX",
        name: "Mexico",
        signed: day(2017, Month::August, 24),
        in_force: day(2018, Month::July, 25),
        until_year: None,
    },
    // "archäologische Funde von der Vorgeschichte bis ins Jahr 1500" (EDI, 2022).
    Agreement {
        country: "TR",
        name: "Türkiye",
        signed: day(2022, Month::November, 15),
        in_force: day(2023, Month::May, 4),
        until_year: Some(1500),
    },
    Agreement {
        country: "BO",
        name: "Bolivia",
        signed: day(2025, Month::September, 30),
        in_force: day(2026, Month::January, 11),
        until_year: None,
    },
];

/// The agreement with `country` in force on `date`.
pub fn agreement_in_force(country: &str, date: Date) -> Option<&'static Agreement> {
    AGREEMENTS.iter().find(|agreement| agreement.country == country && agreement.in_force <= date)
}

/// The index of the object's first document of type `other` whose `ref` is `prefix`
/// followed by a non-blank reference.
fn document_with(object: &CulturalObject, prefix: &str) -> Option<usize> {
    object.documents.as_deref().unwrap_or_default().iter().position(|document| {
        document.kind == DocumentKind::Other
            && document.reference.trim_start().strip_prefix(prefix).is_some_and(|rest| !rest.trim().is_empty())
    })
}

/// How the annex of an agreement covers an object, as far as the certificate tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Archaeological, and within the annex's period where one is encoded.
    Covered,
    /// Archaeological, but its dating reaches past the annex's "about 1500".
    Borderline,
    /// Not archaeological: other annex categories may still cover it.
    Unknown,
}

/// The object against the agreement's annex.
pub fn coverage(object: &CulturalObject, agreement: &Agreement) -> Coverage {
    if !is_archaeological(object) {
        return Coverage::Unknown;
    }
    match agreement.until_year {
        Some(year) if object.dating.latest_year > year => Coverage::Borderline,
        _ => Coverage::Covered,
    }
}

impl Rule for SwitzerlandImport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "ch-import".into(),
            jurisdiction: "CH".into(),
            version: "1.0.0".into(),
            phases: vec![Phase::ImportCheck],
            descriptions: BTreeMap::from([
                ("en".into(), "Switzerland: import under the bilateral agreements of KGTG/LTBC art. 7".into()),
                ("de".into(), "Schweiz: Einfuhr nach den bilateralen Vereinbarungen (Art. 7 KGTG)".into()),
                ("fr".into(), "Suisse : importation selon les accords bilatéraux (art. 7 LTBC)".into()),
                ("it".into(), "Svizzera: importazione secondo gli accordi bilaterali (art. 7 LTBC)".into()),
            ]),
        }
    }

    fn evaluate(subject: &RuleSubject, context: &Context, _reference: &dyn Reference) -> Vec<Finding> {
        let application = &subject.application;
        if context.phase != Phase::ImportCheck || application.destination_country != "CH" {
            return Vec::new();
        }
        let mut findings = Vec::new();
        for (index, object) in application.objects.iter().enumerate() {
            let number = index + 1;
            let Some(origin) = object.provenance.as_ref().and_then(|provenance| provenance.origin_country.as_deref())
            else {
                continue;
            };
            let Some(agreement) = agreement_in_force(origin, context.date) else { continue };
            let state = agreement.name;
            let since = agreement.in_force;
            let coverage = coverage(object, agreement);
            if application.issuing_authority.country == agreement.country {
                findings.push(
                    finding(
                        "CH.EXPORT_LICENCE_CERTIFICATE",
                        Severity::Info,
                        format!(
                            "object {number} comes from {state}, whose agreement with Switzerland is in force since \
                             {since}: this certificate, issued by {state}, is its export document (agreement art. \
                             II(1), KGTV art. 24(3)); state in the customs declaration that the export needed a \
                             licence (KGTV art. 25(2))"
                        ),
                    )
                    .at(object_field(index, ""))
                    .translated(
                        "de",
                        format!(
                            "Objekt {number}: Ursprung {state} (Vereinbarung seit {since}); dieses Zertifikat von \
                             {state} ist die Ausfuhrbewilligung (Art. 24 Abs. 3 KGTV)"
                        ),
                    )
                    .translated(
                        "fr",
                        format!(
                            "objet {number} : origine {state} (accord en vigueur depuis le {since}) ; ce certificat \
                             délivré par cet État est son autorisation d'exportation (art. 24, al. 3, OTBC)"
                        ),
                    )
                    .translated(
                        "it",
                        format!(
                            "oggetto {number}: origine {state} (accordo in vigore dal {since}); questo certificato \
                             rilasciato da tale Stato è la sua autorizzazione d'esportazione (art. 24 cpv. 3 OTBC)"
                        ),
                    ),
                );
                continue;
            }
            if let Some(document) = document_with(object, EXPORT_LICENCE_PREFIX) {
                findings.push(
                    finding(
                        "CH.EXPORT_LICENCE_PRESENT",
                        Severity::Info,
                        format!(
                            "object {number} comes from {state} (agreement in force since {since}); its export licence \
                             is referenced: present it to customs and check it matches the object (KGTV art. 24(3))"
                        ),
                    )
                    .at(object_field(index, &format!("documents/{document}")))
                    .translated("de", format!("Objekt {number}: Ausfuhrbewilligung von {state} angegeben (Art. 24 Abs. 3 KGTV)"))
                    .translated(
                        "fr",
                        format!("objet {number} : autorisation d'exportation de l'État d'origine indiquée (art. 24, al. 3, OTBC)"),
                    )
                    .translated(
                        "it",
                        format!("oggetto {number}: autorizzazione d'esportazione dello Stato d'origine indicata (art. 24 cpv. 3 OTBC)"),
                    ),
                );
                continue;
            }
            findings.push(match coverage {
                Coverage::Covered => finding(
                    "CH.EXPORT_LICENCE_MISSING",
                    Severity::Error,
                    format!(
                        "object {number} is archaeological material from {state}, covered by the agreement in force \
                         since {since}: it may be imported only on proof that {state}'s export provisions were \
                         complied with, presenting its export licence (KGTG art. 7, agreement art. II(1), KGTV art. \
                         24(3)); none is given: add a document of type \"other\" with ref \
                         \"{EXPORT_LICENCE_PREFIX} <licence number>\", or hold the object"
                    ),
                )
                .at(object_field(index, "documents"))
                .translated(
                    "de",
                    format!(
                        "Objekt {number}: archäologisches Kulturgut aus {state} (Vereinbarung seit {since}); die \
                         Einfuhr setzt den Nachweis der Ausfuhrbewilligung voraus (Art. 24 Abs. 3 KGTV), keine \
                         angegeben: Dokument \"other\" mit \"{EXPORT_LICENCE_PREFIX}\" beifügen oder zurückhalten"
                    ),
                )
                .translated(
                    "fr",
                    format!(
                        "objet {number} : bien archéologique de l'État d'origine (accord en vigueur depuis le {since}) ; \
                         l'importation exige son autorisation d'exportation (art. 24, al. 3, OTBC) et aucune n'est \
                         indiquée : ajoutez un document « other » « {EXPORT_LICENCE_PREFIX} » ou retenez l'objet"
                    ),
                )
                .translated(
                    "it",
                    format!(
                        "oggetto {number}: bene archeologico dello Stato d'origine (accordo in vigore dal {since}); \
                         l'importazione richiede la sua autorizzazione d'esportazione (art. 24 cpv. 3 OTBC) e non è \
                         indicata: aggiungere un documento \"other\" \"{EXPORT_LICENCE_PREFIX}\" o trattenere l'oggetto"
                    ),
                ),
                Coverage::Borderline => finding(
                    "CH.AGREEMENT_ANNEX_CHECK",
                    Severity::Warning,
                    format!(
                        "object {number} is archaeological material from {state} whose dating ({}) reaches past the \
                         agreement's \"about 1500 AD\": check the annex; if it covers the object, its export licence \
                         must be presented (KGTV art. 24(3)) as a document of type \"other\" with ref \
                         \"{EXPORT_LICENCE_PREFIX} <licence number>\"",
                        object.dating.text
                    ),
                )
                .at(object_field(index, "dating"))
                .translated(
                    "de",
                    format!(
                        "Objekt {number}: Datierung über ca. 1500 n. Chr. hinaus; Anhang der Vereinbarung prüfen, \
                         gegebenenfalls Ausfuhrbewilligung vorlegen (Art. 24 Abs. 3 KGTV)"
                    ),
                )
                .translated(
                    "fr",
                    format!(
                        "objet {number} : datation au-delà d'environ 1500 apr. J.-C. ; vérifiez l'annexe de l'accord \
                         et, le cas échéant, présentez l'autorisation d'exportation (art. 24, al. 3, OTBC)"
                    ),
                )
                .translated(
                    "it",
                    format!(
                        "oggetto {number}: datazione oltre il 1500 d.C. circa; verificare l'allegato dell'accordo e, \
                         se del caso, presentare l'autorizzazione d'esportazione (art. 24 cpv. 3 OTBC)"
                    ),
                ),
                Coverage::Unknown => finding(
                    "CH.AGREEMENT_STATE_ORIGIN",
                    Severity::Info,
                    format!(
                        "object {number} comes from {state}, whose agreement with Switzerland is in force since \
                         {since}: state in the customs declaration whether its export from {state} needed a licence \
                         (KGTV art. 25(2)); if the agreement's annex lists its category, the licence must be \
                         presented (KGTV art. 24(3))"
                    ),
                )
                .at(object_field(index, "provenance/origin_country"))
                .translated(
                    "de",
                    format!(
                        "Objekt {number}: Ursprung in einem Vertragsstaat (Vereinbarung seit {since}); in der \
                         Zollanmeldung angeben, ob die Ausfuhr bewilligungspflichtig war (Art. 25 Abs. 2 KGTV)"
                    ),
                )
                .translated(
                    "fr",
                    format!(
                        "objet {number} : origine dans un État partie à un accord (en vigueur depuis le {since}) ; \
                         indiquez dans la déclaration en douane si l'exportation était soumise à autorisation (art. \
                         25, al. 2, OTBC)"
                    ),
                )
                .translated(
                    "it",
                    format!(
                        "oggetto {number}: origine in uno Stato contraente (accordo in vigore dal {since}); indicare \
                         nella dichiarazione doganale se l'esportazione era soggetta ad autorizzazione (art. 25 cpv. 2 \
                         OTBC)"
                    ),
                ),
            });
        }
        findings
    }
}

cartouche_rules_sdk::export_rule!(SwitzerlandImport);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreements_enter_into_force_after_signature() {
        for agreement in AGREEMENTS {
            assert!(agreement.signed < agreement.in_force, "{}", agreement.name);
        }
    }
}
