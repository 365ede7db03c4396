//! Spain's export rules (Ley 16/1985, de 25 de junio, del Patrimonio Histórico Español,
//! arts. 5, 28 and 31; Real Decreto 111/1986, de 10 de enero, arts. 45 ff.).
//!
//! - Art. 5.2: goods of the Spanish Historical Heritage more than 100 years old, and goods
//!   in the Inventario General (art. 26) whatever their age, leave Spain only with the prior
//!   and express authorisation of the State (the *permiso de exportación*), to another EU
//!   member state too (RD 111/1986 art. 45).
//! - Art. 5.3: goods declared Bien de Interés Cultural (art. 9) and goods the State declares
//!   inexportable may not be exported; the State may authorise their temporary exit (art. 31).
//! - Art. 28.2: public administrations may not alienate the movable goods of the Spanish
//!   Historical Heritage (save between themselves): a public object cannot leave for sale.
//! - A temporary export permit runs at most 5 years (renewable up to 10 years for BIC and 20
//!   for other goods: RD 111/1986, as the Ministry of Culture states it).
//!
//! The EU licence for exports out of the Union (Reg. (EC) 116/2009) is the `eu-export`
//! plugin's: this plugin checks only the Spanish law.

use std::collections::BTreeMap;

use cartouche_rules_sdk::model::{Application, ExportType, Purpose};
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::{CulturalObject, FindingExt};

/// The rule.
pub struct SpainExport;

/// Age in years beyond which an export needs a permit ("más de cien años", art. 5.2).
pub const PERMIT_AGE_YEARS: i32 = 100;
/// The longest a temporary export permit runs, in years (RD 111/1986).
pub const TEMPORARY_TERM_YEARS: i32 = 5;

/// Bien de Interés Cultural (Ley 16/1985 art. 9): not exportable (art. 5.3).
pub const BIC: &str = "ES:BIC";
/// In the Inventario General de Bienes Muebles (art. 26): a permit at any age (art. 5.2).
pub const INVENTARIO_GENERAL: &str = "ES:INVENTARIO_GENERAL";
/// Expressly declared inexportable by the State as a precautionary measure (art. 5.3).
pub const INEXPORTABLE: &str = "ES:INEXPORTABLE";

/// Why an object needs the State's authorisation to leave Spain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// BIC or declared inexportable: temporary exit only (art. 5.3, 31).
    TemporaryOnly,
    /// In the Inventario General (art. 5.2).
    Inventoried,
    /// More than 100 years old (art. 5.2).
    Old,
    /// Its dating straddles the 100 years: possibly a permit.
    PossiblyOld,
}

/// What art. 5 says of `object` at `date`, `None` when it needs no permit.
pub fn need(object: &CulturalObject, date: Date) -> Option<Need> {
    let age = age(object, date);
    if object.designated(BIC) || object.designated(INEXPORTABLE) {
        Some(Need::TemporaryOnly)
    } else if object.designated(INVENTARIO_GENERAL) {
        Some(Need::Inventoried)
    } else if age.certainly_over(PERMIT_AGE_YEARS) {
        Some(Need::Old)
    } else if age.possibly_over(PERMIT_AGE_YEARS) {
        Some(Need::PossiblyOld)
    } else {
        None
    }
}

fn designation_name(object: &CulturalObject) -> &'static str {
    if object.designated(BIC) { "Bien de Interés Cultural" } else { "declared inexportable" }
}

fn object_findings(index: usize, object: &CulturalObject, application: &Application, date: Date) -> Vec<Finding> {
    let number = index + 1;
    let export_type = application.export_type;
    let mut findings = Vec::new();
    match (need(object, date), export_type) {
        (Some(Need::TemporaryOnly), ExportType::Definitive) => findings.push(
            finding(
                "ES.EXPORT_PROHIBITED",
                Severity::Error,
                format!(
                    "object {number}: {} goods may not be exported from Spain (Ley 16/1985 art. 5.3); only a temporary exit can be authorised (art. 31): apply for a temporary export",
                    designation_name(object)
                ),
            )
            .at(object_field(index, "legal_status/designations"))
            .translated(
                "es",
                format!(
                    "bien {number}: los bienes declarados de interés cultural o inexportables no pueden exportarse (Ley 16/1985, art. 5.3); solo cabe autorizar su salida temporal (art. 31)"
                ),
            ),
        ),
        (Some(Need::TemporaryOnly), ExportType::Temporary) => findings.push(
            finding(
                "ES.TEMPORARY_EXIT_ONLY",
                Severity::Info,
                format!(
                    "object {number}: {} goods may leave Spain only temporarily, under the conditions the State sets (Ley 16/1985 arts. 5.3 and 31); failing to bring it back by the re-import date is an illicit export",
                    designation_name(object)
                ),
            )
            .at(object_field(index, ""))
            .translated(
                "es",
                format!(
                    "bien {number}: solo puede salir temporalmente, con las condiciones que fije la Administración del Estado (Ley 16/1985, arts. 5.3 y 31); no reintegrarlo en plazo es exportación ilícita"
                ),
            ),
        ),
        (Some(Need::Inventoried), _) => findings.push(
            finding(
                "ES.PERMIT_REQUIRED",
                Severity::Info,
                format!(
                    "object {number}: in the Inventario General, whatever its age: it leaves Spain only with a permiso de exportación (Ley 16/1985 art. 5.2), to an EU member state too; this certificate serves as that permit"
                ),
            )
            .at(object_field(index, ""))
            .translated(
                "es",
                format!(
                    "bien {number}: incluido en el Inventario General: su salida requiere permiso de exportación (Ley 16/1985, art. 5.2), también hacia la Unión Europea"
                ),
            ),
        ),
        (Some(Need::Old), _) => findings.push(
            finding(
                "ES.PERMIT_REQUIRED",
                Severity::Info,
                format!(
                    "object {number}: more than 100 years old: it leaves Spain only with a permiso de exportación (Ley 16/1985 art. 5.2), to an EU member state too; this certificate serves as that permit"
                ),
            )
            .at(object_field(index, ""))
            .translated(
                "es",
                format!(
                    "bien {number}: con más de cien años de antigüedad: su salida requiere permiso de exportación (Ley 16/1985, art. 5.2), también hacia la Unión Europea"
                ),
            ),
        ),
        (Some(Need::PossiblyOld), _) => findings.push(
            finding(
                "ES.AGE_UNCERTAIN",
                Severity::Warning,
                format!(
                    "object {number}: its dating ({} to {}) allows it to be more than 100 years old: if it is, it needs a permiso de exportación (Ley 16/1985 art. 5.2); state a narrower dating or treat it as needing one",
                    object.dating.earliest_year, object.dating.latest_year
                ),
            )
            .at(object_field(index, "dating"))
            .translated(
                "es",
                format!(
                    "bien {number}: su datación permite que tenga más de cien años: en tal caso requiere permiso de exportación (Ley 16/1985, art. 5.2)"
                ),
            ),
        ),
        (None, _) => {}
    }
    if object.is_public_property() && export_type == ExportType::Definitive {
        // A sale is an alienation: refused; any other definitive exit is flagged.
        findings.push(if application.purpose == Purpose::Sale { public_sale(index) } else { public_property(index) });
    }
    findings
}

/// Art. 28.2: public administrations may not alienate goods of the Spanish Historical
/// Heritage (save between themselves): a definitive exit other than a sale is flagged.
fn public_property(index: usize) -> Finding {
    let number = index + 1;
    finding(
        "ES.PUBLIC_PROPERTY",
        Severity::Warning,
        format!(
            "object {number}: public property: public administrations may not alienate goods of the Spanish Historical Heritage except to one another (Ley 16/1985 art. 28.2): check that this definitive exit transfers no ownership"
        ),
    )
    .at(object_field(index, "legal_status/ownership"))
    .translated(
        "es",
        format!(
            "bien {number}: de titularidad pública: las Administraciones Públicas no pueden enajenar bienes del Patrimonio Histórico Español salvo entre sí (Ley 16/1985, art. 28.2): compruebe que esta salida definitiva no transmite la propiedad"
        ),
    )
}

/// Art. 28.2: a public object exported definitively for sale is refused.
fn public_sale(index: usize) -> Finding {
    let number = index + 1;
    finding(
        "ES.PUBLIC_PROPERTY_SALE",
        Severity::Error,
        format!(
            "object {number}: public property exported for sale: public administrations may not alienate goods of the Spanish Historical Heritage except to one another (Ley 16/1985 art. 28.2)"
        ),
    )
    .at(object_field(index, "legal_status/ownership"))
    .translated(
        "es",
        format!(
            "bien {number}: bien de titularidad pública exportado para su venta: las Administraciones Públicas no pueden enajenarlo salvo entre sí (Ley 16/1985, art. 28.2)"
        ),
    )
}

impl Rule for SpainExport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "es-export".into(),
            jurisdiction: "ES".into(),
            version: "1.0.0".into(),
            phases: vec![Phase::Issuance],
            descriptions: BTreeMap::from([
                (
                    "en".into(),
                    "Spain: permiso de exportación, inexportable goods and public property (Ley 16/1985 arts. 5, 28, 31)"
                        .into(),
                ),
                (
                    "es".into(),
                    "España: permiso de exportación, bienes inexportables y bienes públicos (Ley 16/1985, arts. 5, 28 y 31)"
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
        let mut findings = Vec::new();
        let mut needs_permit = false;
        for (index, object) in application.objects.iter().enumerate() {
            needs_permit |= need(object, context.date).is_some();
            findings.extend(object_findings(index, object, application, context.date));
        }
        if needs_permit
            && application.export_type == ExportType::Temporary
            && let Some(due) = application.reimport_due_date
        {
            let limit = add_years(subject.issue_date, TEMPORARY_TERM_YEARS);
            if due > limit {
                findings.push(
                finding(
                    "ES.TEMPORARY_TERM",
                    Severity::Error,
                    format!(
                        "a temporary export permit runs at most {TEMPORARY_TERM_YEARS} years (RD 111/1986; renewals are decided later): the re-import date must be {limit} or earlier, not {due}"
                    ),
                )
                .at("/reimport_due_date")
                .translated(
                    "es",
                    format!(
                        "el permiso de exportación temporal se concede por un máximo de cinco años (RD 111/1986): la fecha de reimportación debe ser el {limit} o anterior"
                    ),
                ),
            );
            }
        }
        findings
    }
}

cartouche_rules_sdk::export_rule!(SpainExport);
