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
//! The rule runs only at the import check and only for goods entering the **customs
//! territory of the Union** (Reg. (EU) No 952/2013 Art. 4, see `cartouche_rules_sdk::model::territory`), which is not the
//! list of member states: a certificate issued in the customs territory (a member state, or
//! Monaco) moves the goods within it; a consignee in Büsingen, Heligoland, Livigno, Ceuta or
//! Melilla receives them outside it; goods created or discovered in the customs territory are
//! outside the Regulation (Art. 1(2)).
//!
//! Art. 3(4)-(5) exempt some imports from the licence or statement: returned goods (Art. 203
//! of the Union Customs Code: back within three years of their export from the Union, read
//! from `legal_status.entered`), temporary admission for education, science, conservation,
//! restoration, exhibition and museum cooperation (Art. 3(4)(c), detailed by Impl. Reg.
//! 2021/1079 Art. 3; read from a temporary export for exhibition, loan, research or
//! restoration), and, for Part B goods shown at a commercial art fair, an importer statement
//! instead of the licence (Art. 3(5)). These depend on the customs procedure the officer grants,
//! so they are warnings, never silent.

use std::collections::BTreeMap;

use cartouche_rules_sdk::FindingExt;
use cartouche_rules_sdk::assess::{Assessment, Category, Count, Facts, Table, ValueLimit};
use cartouche_rules_sdk::model::{Application, CulturalObject, DocumentKind, ExportType, Purpose};
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::time::Month;

use cartouche_rules_sdk::model::territory::{Place, Reading, code_inside, consignee_place};

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
pub const PART_C_VALUE_PER_ITEM_CENTS: i64 = 1_800_000;

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

/// UCC Art. 203(1): returned goods are relieved when "returned to that territory within a
/// period of three years" of their export from the Union.
pub const RETURNED_GOODS_YEARS: i32 = 3;

/// Art. 3(4)(a): the object entered the exporting country from the customs territory of the
/// Union (`legal_status.entered.from_country`) no more than three years before the import
/// check (on the third anniversary itself it is still within the period). The entry date is
/// the nearest date the certificate holds to the export from the Union (which was on or
/// before it); the officer checks the export declaration.
fn returned_goods(object: &CulturalObject, date: Date) -> Option<Date> {
    let entered = object.legal_status.as_ref()?.entered.as_ref()?;
    let from_union = entered.from_country.as_deref().is_some_and(code_inside);
    (from_union && date <= add_years(entered.date, RETURNED_GOODS_YEARS)).then_some(entered.date)
}

/// Art. 3(4)(c) with Impl. Reg. 2021/1079 Art. 3(1): a temporary export from the third country
/// whose purpose is one of those of temporary admission, with the condition of 2021/1079 Art.
/// 3(1) it must meet, in English and French.
fn temporary_admission(application: &Application) -> Option<(&'static str, &'static str)> {
    if application.export_type != ExportType::Temporary {
        return None;
    }
    match application.purpose {
        Purpose::Exhibition | Purpose::Loan => Some((
            "a temporary loan from the permanent collection of a museum or similar institution in a third country to a public museum or similar institution in the Union, for public exhibition or artistic performance (Impl. Reg. 2021/1079 Art. 3(1)(b)); not a commercial art fair (Art. 3(5))",
            "un prêt temporaire des collections permanentes d'un musée d'un pays tiers à un musée public de l'Union, pour exposition publique ou représentation artistique (règl. d'exécution 2021/1079 art. 3, par. 1, b) ; pas une foire d'art commerciale",
        )),
        Purpose::Research => Some((
            "exclusive use by public scientific, teaching or vocational institutions for teaching, vocational training or scientific research, under their responsibility (Impl. Reg. 2021/1079 Art. 3(1)(a))",
            "l'usage exclusif d'établissements publics scientifiques, d'enseignement ou de formation professionnelle, sous leur responsabilité (règl. d'exécution 2021/1079 art. 3, par. 1, a)",
        )),
        Purpose::Restoration => Some((
            "restoration or conservation by qualified professionals under the responsibility of a public museum or similar institution (Impl. Reg. 2021/1079 Art. 3(1)(d))",
            "une restauration ou conservation par des professionnels qualifiés sous la responsabilité d'un musée public (règl. d'exécution 2021/1079 art. 3, par. 1, d)",
        )),
        Purpose::Sale | Purpose::Expertise | Purpose::Personal | Purpose::Other => None,
    }
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
            version: "1.1.0".into(),
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
        if context.phase != Phase::ImportCheck || context.date < APPLICABLE_FROM {
            return Vec::new();
        }
        let destination = &application.destination_country;
        match consignee_place(destination, &application.consignee.address, Reading::Import) {
            Place::OutsideByCode => return Vec::new(),
            Place::Enclave(enclave) => {
                let name = enclave.name;
                return vec![
                    finding(
                        "EU.IMPORT_OUTSIDE_CUSTOMS_TERRITORY",
                        Severity::Info,
                        format!(
                            "the consignee's address is in {name}, part of {destination} but outside the customs \
                             territory of the Union (Reg. 952/2013 Art. 4(1)): the goods are not imported into the \
                             Union there, and Reg. 2019/880 asks no import licence or importer statement; they will \
                             be if they are brought from {name} into the customs territory"
                        ),
                    )
                    .at("/consignee/address")
                    .translated(
                        "fr",
                        format!(
                            "l'adresse du destinataire est à {name}, hors du territoire douanier de l'Union (règl. \
                             952/2013 art. 4, par. 1) : il n'y a pas d'importation dans l'Union et le règl. 2019/880 \
                             n'exige ni licence ni déclaration, sauf si les biens entrent ensuite dans le territoire \
                             douanier"
                        ),
                    ),
                ];
            }
            Place::Inside => {}
        }
        // Issued in the customs territory (a member state, or Monaco): the goods move within it.
        if code_inside(&application.issuing_authority.country) {
            return Vec::new();
        }
        let mut findings = Vec::new();
        let facts = Facts { application, date: context.date, reference };
        for (index, object) in application.objects.iter().enumerate() {
            let number = index + 1;
            let origin = object.provenance.as_ref().and_then(|provenance| provenance.origin_country.as_deref());
            if origin.is_some_and(code_inside) {
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
            let (needed_en, needed_fr, prefix) = match requirement {
                Requirement::ImportLicence => {
                    ("an import licence (Art. 4)", "une licence d'importation", IMPORT_LICENCE_PREFIX)
                }
                Requirement::ImporterStatement(_) => {
                    ("an importer statement (Art. 5)", "une déclaration de l'importateur", IMPORTER_STATEMENT_PREFIX)
                }
            };
            if document_with(object, prefix).is_none() {
                if let Some(entered) = returned_goods(object, context.date) {
                    findings.push(
                        finding(
                            "EU.IMPORT_RETURNED_GOODS",
                            Severity::Warning,
                            format!(
                                "object {number} would need {needed_en}, but it entered the exporting country from \
                                 the customs territory of the Union on {entered}, less than 3 years ago: as returned \
                                 goods (Reg. 952/2013 Art. 203) it needs none (Reg. 2019/880 Art. 3(4)(a)); check \
                                 that it is declared as returned goods, in the state in which it was exported, with \
                                 proof of its export from the Union; otherwise it needs {needed_en}"
                            ),
                        )
                        .at(object_field(index, "legal_status/entered"))
                        .translated(
                            "fr",
                            format!(
                                "objet {number} : {needed_fr} serait exigée, mais il est entré dans le pays \
                                 d'exportation depuis le territoire douanier de l'Union le {entered}, il y a moins \
                                 de 3 ans : en retour de marchandises (règl. 952/2013 art. 203) rien n'est exigé \
                                 (règl. 2019/880 art. 3, par. 4, a) ; vérifiez la déclaration et la preuve de \
                                 l'exportation depuis l'Union"
                            ),
                        ),
                    );
                    continue;
                }
                if let Some((condition_en, condition_fr)) = temporary_admission(application) {
                    findings.push(
                        finding(
                            "EU.IMPORT_TEMPORARY_ADMISSION",
                            Severity::Warning,
                            format!(
                                "object {number} would need {needed_en}, but it comes under a temporary export for \
                                 {:?}: placed under temporary admission (Reg. 952/2013 Art. 250) it needs none \
                                 (Reg. 2019/880 Art. 3(4)(c)) if the admission is for {condition_en}; if it is \
                                 released for free circulation or the condition is not met, it needs {needed_en}",
                                application.purpose
                            ),
                        )
                        .at("/purpose")
                        .translated(
                            "fr",
                            format!(
                                "objet {number} : {needed_fr} serait exigée, mais il s'agit d'une exportation \
                                 temporaire : sous le régime de l'admission temporaire (règl. 952/2013 art. 250), \
                                 rien n'est exigé (règl. 2019/880 art. 3, par. 4, c) s'il s'agit d'{condition_fr} ; \
                                 sinon, elle l'est"
                            ),
                        ),
                    );
                    continue;
                }
                if matches!(requirement, Requirement::ImportLicence)
                    && application.export_type == ExportType::Temporary
                    && let Some(document) = document_with(object, IMPORTER_STATEMENT_PREFIX)
                {
                    findings.push(
                        finding(
                            "EU.IMPORT_ART_FAIR_STATEMENT",
                            Severity::Warning,
                            format!(
                                "object {number}, an archaeological object or monument element more than 250 years \
                                 old, comes with an importer statement instead of an import licence: this is \
                                 allowed only for temporary admission (Reg. 952/2013 Art. 250) for exhibition at a \
                                 commercial art fair (Reg. 2019/880 Art. 3(5)); check that it is admitted \
                                 temporarily for such a fair, and the statement in the ICG system; otherwise it \
                                 needs an import licence"
                            ),
                        )
                        .at(object_field(index, &format!("documents/{document}")))
                        .translated(
                            "fr",
                            format!(
                                "objet {number} : une déclaration de l'importateur remplace la licence d'importation \
                                 seulement en admission temporaire pour une foire d'art commerciale (règl. 2019/880 \
                                 art. 3, par. 5) ; vérifiez-le, sinon la licence est exigée"
                            ),
                        ),
                    );
                    continue;
                }
            }
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
