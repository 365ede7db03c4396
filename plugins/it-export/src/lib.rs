//! Italy's export rules (D.Lgs. 42/2004 arts. 65 and 68, as amended by L. 124/2017).
//!
//! - An object more than 70 years old, whose author is no longer living, worth more than
//!   EUR 13,500, leaves Italy only with an attestato di libera circolazione (ALC).
//!   Archaeological objects, manuscripts and archives need one at any value.
//! - An ALC is valid 5 years and cannot be renewed: the certificate may not run longer.
//! - Otherwise a self-declaration suffices (DVAL up to EUR 13,500; D50 for 50-70 years).
//! - One application covers at most 15 items.

use std::collections::BTreeMap;

use cartouche_rules_sdk::assess::{Assessment, Category, Count, Facts, Reason, Table, ValueLimit, by_living_maker};
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::{FindingExt, model::LicenceType};

/// The rule.
pub struct ItalyExport;

/// EUR 13,500 in cents: the ALC value threshold ("oltre 13.500 euro").
pub const ALC_VALUE_CENTS: i64 = 13_500_00;
/// Age threshold in years ("oltre settanta anni").
pub const ALC_AGE_YEARS: i32 = 70;
/// Validity of an ALC in years.
pub const ALC_VALIDITY_YEARS: i32 = 5;
/// Items per application.
pub const MAX_ITEMS: u32 = 15;

/// A thing more than 70 years old by an author no longer living, with an ALC at `value`.
const fn alc(code: &'static str, value: ValueLimit) -> Category<()> {
    Category {
        code,
        label: (),
        over_years: Some(ALC_AGE_YEARS),
        value,
        // The declared value of the object line (its whole quantity).
        count: Count::WholeLot,
        exemption: Some(by_living_maker),
    }
}

/// EU 116/2009 Annex I categories that need an ALC at any value: archaeology (1),
/// dismembered monuments (2), incunabula and manuscripts (9), archives (12).
pub const ANY_VALUE: [Category<()>; 4] =
    [alc("1", ValueLimit::Any), alc("2", ValueLimit::Any), alc("9", ValueLimit::Any), alc("12", ValueLimit::Any)];

/// Any other thing: an ALC over EUR 13,500.
pub const OTHER_THINGS: Category<()> = alc("", ValueLimit::Over(ALC_VALUE_CENTS));

/// Art. 65 as an assessment table: `EU116` codes, thresholds in euros.
pub const TABLE: Table<()> =
    Table { scheme: "EU116", currency: "EUR", categories: &ANY_VALUE, other_goods: Some(&OTHER_THINGS) };

impl Rule for ItalyExport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "it-export".into(),
            jurisdiction: "IT".into(),
            version: "1.0.0".into(),
            phases: vec![Phase::Issuance],
            descriptions: BTreeMap::from([
                ("en".into(), "Italy: attestato di libera circolazione (D.Lgs. 42/2004 arts. 65, 68)".into()),
                ("fr".into(), "Italie : attestato di libera circolazione (D.Lgs. 42/2004 art. 65, 68)".into()),
                ("it".into(), "Italia: attestato di libera circolazione (D.Lgs. 42/2004 artt. 65, 68)".into()),
            ]),
        }
    }

    fn evaluate(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
        let application = &subject.application;
        let mut findings = Vec::new();
        let items: u32 = application.objects.iter().map(|object| object.quantity).sum();
        if items > MAX_ITEMS {
            findings.push(
                finding(
                    "IT.TOO_MANY_ITEMS",
                    Severity::Error,
                    format!("an application covers at most {MAX_ITEMS} items; this one has {items}: split it"),
                )
                .at("/objects")
                .translated(
                    "fr",
                    format!("une demande couvre au plus {MAX_ITEMS} biens ; celle-ci en a {items} : scindez-la"),
                )
                .translated(
                    "it",
                    format!("una domanda comprende al massimo {MAX_ITEMS} beni; questa ne ha {items}: dividerla"),
                ),
            );
        }
        let mut needs_alc = false;
        let facts = Facts { application, date: context.date, reference };
        for (index, object) in application.objects.iter().enumerate() {
            match TABLE.assess(object, &facts) {
                Some((_, Assessment::Covered { value_cents })) => {
                    needs_alc = true;
                    let why = if value_cents.is_none() {
                        "an archaeological object, manuscript or archive more than 70 years old"
                    } else {
                        "more than 70 years old, by an author no longer living, worth more than EUR 13,500"
                    };
                    findings.push(
                        finding(
                            "IT.ALC_REQUIRED",
                            Severity::Info,
                            format!(
                                "object {}: {why}: this certificate serves as its attestato di libera circolazione",
                                index + 1
                            ),
                        )
                        .at(object_field(index, ""))
                        .translated(
                            "fr",
                            format!("objet {} : un attestato di libera circolazione est requis", index + 1),
                        )
                        .translated(
                            "it",
                            format!("bene {}: è richiesto l'attestato di libera circolazione", index + 1),
                        ),
                    );
                }
                Some((_, Assessment::NotCovered(Reason::BelowValue { .. }))) => findings.push(
                    finding(
                        "IT.DVAL_SUFFICES",
                        Severity::Info,
                        format!("object {}: worth at most EUR 13,500: a DVAL self-declaration suffices", index + 1),
                    )
                    .at(object_field(index, "value/amount")),
                ),
                Some((_, Assessment::Unreadable(error))) => findings.push(
                    finding(
                        "IT.VALUE_UNREADABLE",
                        Severity::Error,
                        format!("cannot compare the value with EUR 13,500: {error}"),
                    )
                    .at(object_field(index, error.field())),
                ),
                // Not certainly over 70, or by a living author: nothing applies.
                Some((_, Assessment::NotCovered(_))) | None => {}
            }
        }
        if needs_alc && application.licence_type == LicenceType::Standard {
            // Issued on 29 February: the limit is 28 February five years on.
            let limit = add_years(subject.issue_date, ALC_VALIDITY_YEARS);
            if application.valid_until > limit {
                findings.push(
                    finding(
                        "IT.ALC_VALIDITY",
                        Severity::Error,
                        format!(
                            "an attestato di libera circolazione is valid 5 years and cannot be renewed: valid until must be {limit} or earlier, not {}",
                            application.valid_until
                        ),
                    )
                    .at("/valid_until")
                    .translated("fr", format!("un attestato di libera circolazione vaut 5 ans : date de validité au plus tard le {limit}"))
                    .translated("it", format!("l'attestato di libera circolazione vale 5 anni: validità entro il {limit}")),
                );
            }
        }
        findings
    }
}

cartouche_rules_sdk::export_rule!(ItalyExport);
