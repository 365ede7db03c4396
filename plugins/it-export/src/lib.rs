//! Italy's export rules (D.Lgs. 42/2004 arts. 10, 11, 65-68 and 71, as amended by L. 124/2017).
//!
//! - Art. 65(1) (with art. 10(1)-(3) and (5)) and 65(2)(a): cultural property of the State,
//!   the regions and other public bodies (more than 70 years old and by an author no longer
//!   living; public archives at any age) and goods declared of cultural interest (art. 13,
//!   `IT:DECLARED`) may not leave Italy for good; they may leave temporarily (arts. 66-67).
//! - Art. 65(3)(a): an object more than 70 years old, whose author is no longer living,
//!   worth more than EUR 13,500, leaves Italy only with an attestato di libera circolazione
//!   (ALC). Archaeological objects and manuscripts need one at any value.
//! - Art. 65(3)(b): archives and documents of private persons, at any age and value.
//! - Art. 65(3)(c) with art. 11(1)(f)-(g): photographs and films more than 25 years old and
//!   means of transport more than 75 years old, at any value, whoever owns them.
//! - An ALC is valid 5 years and cannot be renewed (art. 68): the certificate may not run
//!   longer.
//! - Art. 71(4): the return term of a temporary exit is at most 18 months after the exit,
//!   except in the cases of art. 67(1).
//! - Otherwise a self-declaration suffices (DVAL up to EUR 13,500; D50 for 50-70 years).
//! - One application covers at most 15 items.

use std::collections::BTreeMap;

use cartouche_rules_sdk::assess::{self, Assessment, Category, Count, Facts, Reason, ValueLimit, by_living_maker};
use cartouche_rules_sdk::model::{ExportType, LicenceType, Purpose};
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::time::Month;
use cartouche_rules_sdk::{CulturalObject, FindingExt};

/// The rule.
pub struct ItalyExport;

/// EUR 13,500 in cents: the ALC value threshold ("superiore a 13.500 euro").
pub const ALC_VALUE_CENTS: i64 = 1_350_000;
/// Age threshold in years ("oltre settanta anni").
pub const ALC_AGE_YEARS: i32 = 70;
/// Validity of an ALC in years.
pub const ALC_VALIDITY_YEARS: i32 = 5;
/// Items per application.
pub const MAX_ITEMS: u32 = 15;
/// Art. 11(1)(f): photographs and films "la cui produzione risalga ad oltre venticinque anni".
pub const PHOTOGRAPH_AGE_YEARS: i32 = 25;
/// Art. 11(1)(g): "mezzi di trasporto aventi più di settantacinque anni".
pub const TRANSPORT_AGE_YEARS: i32 = 75;
/// Art. 71(4): the return term is at most this many months after the exit.
pub const REIMPORT_TERM_MONTHS: u32 = 18;
/// The designation of goods declared of cultural interest (art. 13).
pub const DECLARED: &str = "IT:DECLARED";
/// The scheme of the category codes the plugin reads (`EU116:12` is archives).
pub const SCHEME: &str = "EU116";

/// Why a category covers an object, for the finding's message.
pub type Why = &'static str;

/// A thing more than 70 years old by an author no longer living, with an ALC at `value`.
const fn alc(code: &'static str, why: Why, value: ValueLimit) -> Category<Why> {
    Category {
        code,
        label: why,
        over_years: Some(ALC_AGE_YEARS),
        value,
        // The declared value of the object line (its whole quantity).
        count: Count::WholeLot,
        exemption: Some(by_living_maker),
    }
}

/// A category of art. 65(3)(b)-(c): at any value, whoever made or owns it.
const fn any_value(code: &'static str, why: Why, over_years: Option<i32>) -> Category<Why> {
    Category { code, label: why, over_years, value: ValueLimit::Any, count: Count::WholeLot, exemption: None }
}

const OLD_AT_ANY_VALUE: Why = "an archaeological object, manuscript or archive more than 70 years old";

/// EU 116/2009 Annex I categories that need an ALC at any value: archaeology (1),
/// dismembered monuments (2), incunabula and manuscripts (9) more than 70 years old by an
/// author no longer living; archives and documents (12) at any age (art. 65(3)(b));
/// photographs and films (8) more than 25 years old and means of transport (14) more than
/// 75 years old (art. 65(3)(c), art. 11(1)(f)-(g)).
pub const ANY_VALUE: [Category<Why>; 6] = [
    alc("1", OLD_AT_ANY_VALUE, ValueLimit::Any),
    alc("2", OLD_AT_ANY_VALUE, ValueLimit::Any),
    alc("9", OLD_AT_ANY_VALUE, ValueLimit::Any),
    any_value("12", "archives or documents of cultural interest (art. 65(3)(b)), at any age and value", None),
    any_value(
        "8",
        "a photograph or film more than 25 years old (art. 65(3)(c), art. 11(1)(f)), at any value",
        Some(PHOTOGRAPH_AGE_YEARS),
    ),
    any_value(
        "14",
        "a means of transport more than 75 years old (art. 65(3)(c), art. 11(1)(g)), at any value",
        Some(TRANSPORT_AGE_YEARS),
    ),
];

/// Any thing of cultural interest (art. 65(3)(a)): an ALC over EUR 13,500.
pub const OTHER_THINGS: Category<Why> = alc(
    "",
    "more than 70 years old, by an author no longer living, worth more than EUR 13,500",
    ValueLimit::Over(ALC_VALUE_CENTS),
);

/// The object against the categories of `ANY_VALUE` it declares, then any thing (art.
/// 65(3)(a)): the first that covers it; else the first whose value cannot be read; else the
/// reason any thing does not cover it (worth at most EUR 13,500: a DVAL; too young, or by a
/// living author: nothing).
pub fn assessed(object: &CulturalObject, facts: &Facts<'_>) -> (&'static Category<Why>, Assessment) {
    let declared =
        categories(object, SCHEME).filter_map(|code| ANY_VALUE.iter().find(|category| category.code == code));
    match assess::decisive(object, declared.chain(std::iter::once(&OTHER_THINGS)), "EUR", facts) {
        Some((category, assessment @ (Assessment::Covered { .. } | Assessment::Unreadable(_)))) => {
            (category, assessment)
        }
        _ => (&OTHER_THINGS, assess::assess(object, &OTHER_THINGS, "EUR", facts)),
    }
}

/// Why an object may not leave Italy for good (art. 65(1) and (2)(a)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// Declared of cultural interest (art. 13; art. 10(3)).
    Declared,
    /// Public property that is cultural property (art. 10(1) and (5); art. 10(2)(b) for
    /// archives) or awaits the verification of art. 12 (art. 65(2)(a)).
    Public,
}

/// The object's protection, if any, at `date`: declared (`IT:DECLARED`) at any age; public
/// property when an archive (EU116:12), or more than 70 years old and by an author not
/// known to be living.
pub fn protection(object: &CulturalObject, date: Date) -> Option<Protection> {
    if object.designated(DECLARED) {
        return Some(Protection::Declared);
    }
    let archive = categories(object, SCHEME).any(|code| code == "12");
    let old = age(object, date).certainly_over(ALC_AGE_YEARS)
        && object.maker.as_ref().and_then(|maker| maker.living) != Some(true);
    (object.is_public_property() && (archive || old)).then_some(Protection::Public)
}

/// `date` plus `months` calendar months; a day the last month lacks becomes its last day
/// (31 August + 18 months: 28 or 29 February), as `add_years` does for 29 February.
pub fn add_months(date: Date, months: u32) -> Date {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + months as i32;
    let (year, month) = (index.div_euclid(12), (index.rem_euclid(12) + 1) as u8);
    let Ok(month) = Month::try_from(month) else { return date };
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(date)
}

/// Whether a temporary exit for `purpose` may be one of art. 67(1) (diplomats' furniture,
/// diplomatic seats, analysis or conservation abroad, cultural agreements with foreign
/// museums), whose term is not limited to 18 months. An exhibition is art. 66; a sale is
/// no case of temporary exit.
pub fn may_be_article_67(purpose: Purpose) -> bool {
    !matches!(purpose, Purpose::Exhibition | Purpose::Sale)
}

fn protection_finding(index: usize, protection: Protection, temporary: bool) -> Finding {
    let (field, what_en, what_it) = match protection {
        Protection::Declared => (
            "legal_status/designations",
            "declared of cultural interest (art. 13)",
            "dichiarato di interesse culturale (art. 13)",
        ),
        Protection::Public => (
            "legal_status/ownership",
            "cultural property of the State or another public body (art. 10(1)-(2))",
            "bene culturale appartenente allo Stato o ad altro ente pubblico (art. 10, commi 1-2)",
        ),
    };
    let number = index + 1;
    if temporary {
        finding(
            "IT.TEMPORARY_EXIT_ONLY",
            Severity::Info,
            format!(
                "object {number}: {what_en}: it may leave Italy only temporarily (arts. 65(1), 66-67), at any value; this certificate serves as its attestato di circolazione temporanea (art. 71)"
            ),
        )
        .at(object_field(index, field))
        .translated(
            "fr",
            format!("objet {number} : bien protégé, il ne peut sortir d'Italie qu'à titre temporaire (art. 65, 66-67)"),
        )
        .translated(
            "it",
            format!(
                "bene {number}: {what_it}: può uscire solo temporaneamente (artt. 65, comma 1, 66-67); il presente certificato vale come attestato di circolazione temporanea (art. 71)"
            ),
        )
    } else {
        finding(
            "IT.EXPORT_PROHIBITED",
            Severity::Error,
            format!(
                "object {number}: {what_en}: its definitive exit from Italy is prohibited (D.Lgs. 42/2004 art. 65(1)-(2)(a)); only a temporary exit can be authorised (arts. 66-67)"
            ),
        )
        .at(object_field(index, field))
        .translated(
            "fr",
            format!("objet {number} : bien protégé, sa sortie définitive d'Italie est interdite (art. 65, al. 1-2)"),
        )
        .translated(
            "it",
            format!("bene {number}: {what_it}: l'uscita definitiva è vietata (art. 65, commi 1 e 2, lett. a)"),
        )
    }
}

/// Art. 71(4): at issuance the exit is not yet known. Leaving on the last day of validity at
/// the latest, a return more than 18 months after valid until is certainly too late; one
/// more than 18 months after the issue date is lawful only if the goods leave late enough.
/// At the exit check the exit is the evaluation date.
fn reimport_term(subject: &RuleSubject, context: &Context) -> Option<Finding> {
    let application = &subject.application;
    let due = application.reimport_due_date?;
    let article_67 = may_be_article_67(application.purpose);
    let too_long = |exit: Date, when: &str| {
        let limit = add_months(exit, REIMPORT_TERM_MONTHS);
        (due > limit).then(|| {
            let (severity, unless) = if article_67 {
                (Severity::Warning, ": allowed only in the cases of art. 67(1) (diplomats' furniture and seats, analysis or conservation abroad, agreements with foreign museums): check")
            } else {
                (Severity::Error, "")
            };
            finding(
                "IT.REIMPORT_TERM_TOO_LONG",
                severity,
                format!(
                    "the return date {due} is more than 18 months after {when} ({limit} at the latest): the return term of a temporary exit is at most 18 months after the exit (D.Lgs. 42/2004 art. 71(4)){unless}"
                ),
            )
            .at("/reimport_due_date")
            .translated("fr", format!("la date de retour {due} dépasse de plus de 18 mois la sortie ({limit} au plus tard ; art. 71, al. 4)"))
            .translated("it", format!("il termine per il rientro {due} supera i diciotto mesi dall'uscita (entro il {limit}; art. 71, comma 4)"))
        })
    };
    match context.phase {
        Phase::ExitCheck => too_long(context.date, "this exit"),
        Phase::Issuance => too_long(application.valid_until, "the last day of validity").or_else(|| {
            let limit = add_months(subject.issue_date, REIMPORT_TERM_MONTHS);
            (due > limit).then(|| {
                finding(
                    "IT.EXIT_NOT_BEFORE",
                    Severity::Warning,
                    format!(
                        "the return date {due} is more than 18 months after the issue date ({limit}): the goods may leave Italy no earlier than 18 months before it (D.Lgs. 42/2004 art. 71(4)), unless in a case of art. 67(1)"
                    ),
                )
                .at("/reimport_due_date")
                .translated("fr", format!("la date de retour {due} dépasse de plus de 18 mois la date de délivrance : les biens ne peuvent sortir plus de 18 mois avant elle (art. 71, al. 4)"))
                .translated("it", format!("il termine per il rientro {due} supera i diciotto mesi dal rilascio: i beni non possono uscire più di diciotto mesi prima (art. 71, comma 4)"))
            })
        }),
        Phase::ImportCheck => None,
    }
}

fn too_many_items(items: u32) -> Finding {
    finding(
        "IT.TOO_MANY_ITEMS",
        Severity::Error,
        format!("an application covers at most {MAX_ITEMS} items; this one has {items}: split it"),
    )
    .at("/objects")
    .translated("fr", format!("une demande couvre au plus {MAX_ITEMS} biens ; celle-ci en a {items} : scindez-la"))
    .translated("it", format!("una domanda comprende al massimo {MAX_ITEMS} beni; questa ne ha {items}: dividerla"))
}

fn issuance(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
    let application = &subject.application;
    let mut findings = Vec::new();
    let items: u32 = application.objects.iter().map(|object| object.quantity).sum();
    if items > MAX_ITEMS {
        findings.push(too_many_items(items));
    }
    let temporary = application.export_type == ExportType::Temporary;
    let mut needs_alc = false;
    let mut needs_authorisation = false;
    let facts = Facts { application, date: context.date, reference };
    for (index, object) in application.objects.iter().enumerate() {
        if let Some(protection) = protection(object, context.date) {
            needs_authorisation = true;
            findings.push(protection_finding(index, protection, temporary));
            continue;
        }
        match assessed(object, &facts) {
            (category, Assessment::Covered { .. }) => {
                needs_alc = true;
                needs_authorisation = true;
                findings.push(
                    finding(
                        "IT.ALC_REQUIRED",
                        Severity::Info,
                        format!(
                            "object {}: {}: this certificate serves as its attestato di libera circolazione",
                            index + 1,
                            category.label
                        ),
                    )
                    .at(object_field(index, ""))
                    .translated("fr", format!("objet {} : un attestato di libera circolazione est requis", index + 1))
                    .translated("it", format!("bene {}: è richiesto l'attestato di libera circolazione", index + 1)),
                );
            }
            (_, Assessment::NotCovered(Reason::BelowValue { .. })) => findings.push(
                finding(
                    "IT.DVAL_SUFFICES",
                    Severity::Info,
                    format!("object {}: worth at most EUR 13,500: a DVAL self-declaration suffices", index + 1),
                )
                .at(object_field(index, "value/amount")),
            ),
            (_, Assessment::Unreadable(error)) => findings.push(
                finding(
                    "IT.VALUE_UNREADABLE",
                    Severity::Error,
                    format!("cannot compare the value with EUR 13,500: {error}"),
                )
                .at(object_field(index, error.field())),
            ),
            // Not certainly over the age, or by a living author: nothing applies.
            (_, Assessment::NotCovered(_)) => {}
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
    if temporary && needs_authorisation {
        findings.extend(reimport_term(subject, context));
    }
    findings
}

/// At the exit: the return term counted from today (art. 71(4)), when an object needs an
/// authorisation to leave temporarily.
fn exit_check(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
    let application = &subject.application;
    if application.export_type != ExportType::Temporary {
        return Vec::new();
    }
    let facts = Facts { application, date: context.date, reference };
    let needs_authorisation = application
        .objects
        .iter()
        .any(|object| protection(object, context.date).is_some() || assessed(object, &facts).1.is_covered());
    if needs_authorisation { reimport_term(subject, context).into_iter().collect() } else { Vec::new() }
}

impl Rule for ItalyExport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "it-export".into(),
            jurisdiction: "IT".into(),
            version: "1.1.0".into(),
            phases: vec![Phase::Issuance, Phase::ExitCheck],
            descriptions: BTreeMap::from([
                (
                    "en".into(),
                    "Italy: attestato di libera circolazione and temporary exit (D.Lgs. 42/2004 arts. 65-68, 71)"
                        .into(),
                ),
                (
                    "fr".into(),
                    "Italie : attestato di libera circolazione et sortie temporaire (D.Lgs. 42/2004 art. 65-68, 71)"
                        .into(),
                ),
                (
                    "it".into(),
                    "Italia: attestato di libera circolazione e uscita temporanea (D.Lgs. 42/2004 artt. 65-68, 71)"
                        .into(),
                ),
            ]),
        }
    }

    fn evaluate(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
        match context.phase {
            Phase::Issuance => issuance(subject, context, reference),
            Phase::ExitCheck => exit_check(subject, context, reference),
            Phase::ImportCheck => Vec::new(),
        }
    }
}

cartouche_rules_sdk::export_rule!(ItalyExport);
