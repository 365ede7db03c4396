//! Certificate types, field for field as in `schemas/application.schema.json` and
//! `schemas/certificate.schema.json` (see `schemas/FIELDS.md` for the form boxes).

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// Serde for ISO dates (`YYYY-MM-DD`).
#[allow(missing_docs)]
mod iso_date_format {
    time::serde::format_description!(pub iso_date, Date, "[year]-[month]-[day]");
}
pub use iso_date_format::iso_date;

/// Serde for optional ISO dates (`YYYY-MM-DD`), omitted when `None`.
pub mod iso_date_option {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    /// Serializes `Some(date)` as `YYYY-MM-DD`.
    pub fn serialize<S: Serializer>(value: &Option<Date>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(date) => super::iso_date::serialize(date, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Deserializes an optional `YYYY-MM-DD`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Date>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapper(#[serde(with = "super::iso_date")] Date);
        Ok(Option::<Wrapper>::deserialize(deserializer)?.map(|wrapper| wrapper.0))
    }
}

/// An ISO 3166-1 alpha-2 country code, upper case (`FR`, `IT`, `GB`).
pub type CountryCode = String;

/// Whether `text` has the shape of a country code: two upper-case ASCII letters.
pub fn is_country_code(text: &str) -> bool {
    text.len() == 2 && text.bytes().all(|b| b.is_ascii_uppercase())
}

/// Licence types of Reg. 1081/2012 Art. 1-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceType {
    /// One export of one object.
    Standard,
    /// Repeated temporary export of one object by one holder.
    SpecificOpen,
    /// Temporary export from a museum's permanent collection.
    GeneralOpen,
}

impl LicenceType {
    /// Whether the licence allows repeated exit-and-return cycles.
    pub fn is_open(self) -> bool {
        !matches!(self, LicenceType::Standard)
    }
}

/// Box 4: definitive or temporary export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportType {
    /// The object leaves for good.
    Definitive,
    /// The object leaves and must come back by the re-import date.
    Temporary,
}

/// Box 13: purpose of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Purpose {
    Sale,
    Exhibition,
    Loan,
    Restoration,
    Expertise,
    Research,
    Personal,
    Other,
}

/// Box 5: the authority that issues the certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuingAuthority {
    /// The issuing state; the seal must be signed with this country's key.
    pub country: CountryCode,
    /// Name of the ministry or office.
    pub name: String,
    /// Postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The authority's own identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// A person or organisation (boxes 1, 3, 6, 7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Full name.
    pub name: String,
    /// Postal address.
    pub address: String,
    /// Country of the address.
    pub country: CountryCode,
}

/// Box 12: declared value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Value {
    /// Decimal amount as a string (`"180000.00"`), never a float.
    pub amount: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// Whether the amount is a price paid or an estimate.
    pub basis: ValueBasis,
    /// When the price was paid or the estimate made.
    #[serde(default, with = "iso_date_option", skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
}

/// How a value was arrived at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ValueBasis {
    Price,
    Estimate,
}

/// Box 15: one measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measurement {
    /// What is measured.
    pub dimension: Dimension,
    /// The measured value, greater than zero. Whole numbers are written as integers
    /// (`58`, not `58.0`), as JSON canonicalization (RFC 8785) requires.
    #[serde(with = "whole_numbers_as_integers")]
    pub value: f64,
    /// Its unit.
    pub unit: Unit,
}

mod whole_numbers_as_integers {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Largest integer an f64 represents exactly.
    const EXACT: f64 = 9_007_199_254_740_992.0;

    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        if value.fract() == 0.0 && value.abs() < EXACT {
            serializer.serialize_i64(*value as i64)
        } else {
            serializer.serialize_f64(*value)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        f64::deserialize(deserializer)
    }
}

/// Measured dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Dimension {
    Height,
    Width,
    Depth,
    Length,
    Diameter,
    Weight,
}

/// Units of measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Unit {
    Mm,
    Cm,
    M,
    In,
    G,
    Kg,
    Lb,
}

impl Unit {
    /// The unit's symbol as printed.
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Mm => "mm",
            Unit::Cm => "cm",
            Unit::M => "m",
            Unit::In => "in",
            Unit::G => "g",
            Unit::Kg => "kg",
            Unit::Lb => "lb",
        }
    }
}

/// Box 16 / Object ID 6: date or period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dating {
    /// The dating as written ("c. 1650", "4th century BC").
    pub text: String,
    /// Earliest possible year (negative is BCE).
    pub earliest_year: i32,
    /// Latest possible year (negative is BCE).
    pub latest_year: i32,
}

/// Box 19 / Object ID 7: maker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Maker {
    /// Person, firm or cultural group.
    pub name: String,
    /// Whether the maker is alive (several national rules exempt living makers' works).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub living: Option<bool>,
    /// Period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// Workshop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workshop: Option<String>,
    /// Style.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
}

/// Where the object comes from (CPTO; Reg. 2019/880).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Country where the object was created or found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_country: Option<CountryCode>,
    /// Find-spot of an excavated object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub find_place: Option<String>,
    /// Ownership history, oldest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<String>>,
}

/// CITES data for objects containing protected species (Reg. 338/97).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cites {
    /// Species (e.g. "Loxodonta africana").
    pub species: String,
    /// Date before which the specimen was acquired.
    #[serde(default, with = "iso_date_option", skip_serializing_if = "Option::is_none")]
    pub acquired_before: Option<Date>,
    /// Reference of the CITES document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_ref: Option<String>,
}

/// Who owns an object, where the law distinguishes public property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ownership {
    /// A private person or body.
    Private,
    /// The State, a region, a municipality or another public body or institution.
    Public,
}

/// An object's last entry into the exporting country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Date of entry.
    #[serde(with = "iso_date")]
    pub date: Date,
    /// Country it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_country: Option<CountryCode>,
    /// Entered under a temporary admission and leaving again under it.
    pub temporary: bool,
}

/// The legal status of an object where national law turns on it (`legal_status`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalStatus {
    /// Public or private property; omitted: private.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ownership: Option<Ownership>,
    /// National registers and protections, each `COUNTRY:CODE` (schemas/FIELDS.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub designations: Vec<String>,
    /// Exported by its maker, who owns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_by_maker: Option<bool>,
    /// Its last entry into the exporting country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entered: Option<Entry>,
}

impl LegalStatus {
    /// Whether the object is under the designation `code` (`"ES:BIC"`).
    pub fn has(&self, code: &str) -> bool {
        self.designations.iter().any(|designation| designation == code)
    }
}

impl CulturalObject {
    /// Whether the object is public property.
    pub fn is_public_property(&self) -> bool {
        self.legal_status.as_ref().and_then(|status| status.ownership) == Some(Ownership::Public)
    }

    /// Whether the object is under the designation `code` (`"ES:BIC"`).
    pub fn designated(&self, code: &str) -> bool {
        self.legal_status.as_ref().is_some_and(|status| status.has(code))
    }
}

/// The national document an export certificate relies on (`national_certificate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NationalCertificate {
    /// Its number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Date it was issued.
    #[serde(with = "iso_date")]
    pub issue_date: Date,
    /// Its last day of validity; `None`: permanent.
    #[serde(default, with = "iso_date_option", skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Date>,
}

/// Box 24: a photograph, referenced by the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Photo {
    /// Lower-case hex SHA-256 of the image file.
    pub sha256: String,
    /// Caption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

/// Box 18: supporting document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Kind of document.
    #[serde(rename = "type")]
    pub kind: DocumentKind,
    /// Reference (title, catalogue number, file name).
    #[serde(rename = "ref")]
    pub reference: String,
    /// SHA-256 of the document file, when one is attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// Kinds of supporting documents (box 18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum DocumentKind {
    Bibliography,
    Catalogue,
    List,
    IdentificationMarks,
    ProofOfValue,
    Other,
}

/// One cultural object (boxes 8-20, Object ID).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CulturalObject {
    /// Box 8: category codes such as `EU116:3`.
    pub category_codes: Vec<String>,
    /// Box 10: HS/CN code.
    pub hs_code: String,
    /// Box 11.
    pub quantity: u32,
    /// Box 12.
    pub value: Value,
    /// Box 14.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Object ID 2: type, broad then narrow.
    pub object_type: Vec<String>,
    /// Box 15.
    pub measurements: Vec<Measurement>,
    /// Box 16.
    pub dating: Dating,
    /// Box 19.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maker: Option<Maker>,
    /// Box 20.
    pub materials_techniques: Vec<String>,
    /// Box 17 / Object ID 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inscriptions: Option<String>,
    /// Box 17 / Object ID 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinguishing_features: Option<String>,
    /// Box 9 / Object ID 11.
    pub description: String,
    /// Provenance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// CITES data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cites: Option<Cites>,
    /// Legal status where national law turns on it (ownership, designations, maker-export,
    /// last entry); omitted when none applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_status: Option<LegalStatus>,
    /// Box 24.
    pub photos: Vec<Photo>,
    /// Box 18.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<Document>>,
}

impl CulturalObject {
    /// "H 65 cm × W 54 cm", the dimensions as printed and sealed.
    pub fn dimensions_text(&self) -> String {
        self.measurements
            .iter()
            .map(|measurement| {
                let letter = match measurement.dimension {
                    Dimension::Height => "H",
                    Dimension::Width => "W",
                    Dimension::Depth => "D",
                    Dimension::Length => "L",
                    Dimension::Diameter => "Ø",
                    Dimension::Weight => "Wt",
                };
                format!("{letter} {} {}", measurement.value, measurement.unit.symbol())
            })
            .collect::<Vec<_>>()
            .join(" × ")
    }
}

/// Boxes 21-22: declaration and signatory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declaration {
    /// Place of signature.
    pub place: String,
    /// Date of signature.
    #[serde(with = "iso_date")]
    pub date: Date,
    /// Who signed.
    pub signatory: Signatory,
    /// The declaration's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The signatory of the declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signatory {
    /// Name.
    pub name: String,
    /// Role or capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// What an issuer submits: `schemas/application.schema.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// Art. 1.
    pub licence_type: LicenceType,
    /// Box 5.
    pub issuing_authority: IssuingAuthority,
    /// Box 2.
    #[serde(with = "iso_date")]
    pub valid_until: Date,
    /// Box 4.
    pub export_type: ExportType,
    /// Box 4, for temporary exports only.
    #[serde(default, with = "iso_date_option", skip_serializing_if = "Option::is_none")]
    pub reimport_due_date: Option<Date>,
    /// The national document this certificate relies on, where one export is covered by
    /// two (France: the national certificate and the EU licence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national_certificate: Option<NationalCertificate>,
    /// Box 13.
    pub purpose: Purpose,
    /// BCP 47 language of the form (Art. 3).
    pub language: String,
    /// Box 1.
    pub applicant: Party,
    /// Box 3.
    pub consignee: Party,
    /// Box 3.
    pub destination_country: CountryCode,
    /// Box 6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub representative: Option<Party>,
    /// Box 7.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Party>,
    /// Boxes 8-20.
    pub objects: Vec<CulturalObject>,
    /// Boxes 21-22.
    pub declaration: Declaration,
}

/// An issued certificate: `schemas/certificate.schema.json`.
///
/// Its canonical JSON (see [`crate::canonical`]) is what the seal's `h` claim hashes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "FlatWire")]
pub struct Certificate {
    /// `CC-YYYY-NNNNNN`.
    pub number: String,
    /// Box 2/22: date of issue.
    #[serde(with = "iso_date")]
    pub issue_date: Date,
    /// Instant of issue.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// The application as accepted.
    #[serde(flatten)]
    pub application: Application,
    /// The rule plugins that ran at issuance, with their findings.
    pub rule_evaluations: Vec<RuleEvaluation>,
}

/// What a certificate, or a rule plugin's subject, is read from: the application's fields
/// beside the certificate's own, in one object. `#[serde(flatten)]` says the same for
/// writing, but reading through it buffers the whole document into an intermediate tree
/// first (about twice the work, and many allocations: it was a large part of a rule
/// plugin's call). Every field of [`Application`] is here with its serde attributes;
/// `tests/schema_conformance.rs::certificates_and_rule_subjects_read_back_every_field`
/// fails when one is missing.
#[derive(Deserialize)]
pub(crate) struct FlatWire {
    #[serde(default)]
    number: Option<String>,
    #[serde(with = "iso_date")]
    issue_date: Date,
    #[serde(default, with = "time::serde::rfc3339::option")]
    issued_at: Option<OffsetDateTime>,
    #[serde(default)]
    rule_evaluations: Option<Vec<RuleEvaluation>>,
    licence_type: LicenceType,
    issuing_authority: IssuingAuthority,
    #[serde(with = "iso_date")]
    valid_until: Date,
    export_type: ExportType,
    #[serde(default, with = "iso_date_option")]
    reimport_due_date: Option<Date>,
    #[serde(default)]
    national_certificate: Option<NationalCertificate>,
    purpose: Purpose,
    language: String,
    applicant: Party,
    consignee: Party,
    destination_country: CountryCode,
    #[serde(default)]
    representative: Option<Party>,
    #[serde(default)]
    owner: Option<Party>,
    objects: Vec<CulturalObject>,
    declaration: Declaration,
}

impl FlatWire {
    /// The certificate's own fields and the application.
    #[allow(clippy::type_complexity)]
    pub(crate) fn split(
        self,
    ) -> (Option<String>, Date, Option<OffsetDateTime>, Option<Vec<RuleEvaluation>>, Application) {
        let application = Application {
            licence_type: self.licence_type,
            issuing_authority: self.issuing_authority,
            valid_until: self.valid_until,
            export_type: self.export_type,
            reimport_due_date: self.reimport_due_date,
            national_certificate: self.national_certificate,
            purpose: self.purpose,
            language: self.language,
            applicant: self.applicant,
            consignee: self.consignee,
            destination_country: self.destination_country,
            representative: self.representative,
            owner: self.owner,
            objects: self.objects,
            declaration: self.declaration,
        };
        (self.number, self.issue_date, self.issued_at, self.rule_evaluations, application)
    }
}

impl TryFrom<FlatWire> for Certificate {
    type Error = &'static str;

    fn try_from(wire: FlatWire) -> Result<Self, Self::Error> {
        let (number, issue_date, issued_at, rule_evaluations, application) = wire.split();
        Ok(Certificate {
            number: number.ok_or("missing field `number`")?,
            issue_date,
            issued_at: issued_at.ok_or("missing field `issued_at`")?,
            application,
            rule_evaluations: rule_evaluations.ok_or("missing field `rule_evaluations`")?,
        })
    }
}

/// Phases at which rules run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum RulePhase {
    Issuance,
    ExitCheck,
    ImportCheck,
}

/// The outcome of one rule plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum RuleOutcome {
    Pass,
    Warning,
    Fail,
    Indeterminate,
}

/// Severity of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// One finding of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Stable code, e.g. `IT.ALC_REQUIRED`.
    pub code: String,
    /// Severity.
    pub severity: Severity,
    /// Message for a person.
    pub message: String,
    /// JSON pointer of the field it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The message in other languages, by language tag.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub translations: std::collections::BTreeMap<String, String>,
}

/// Which plugin ran and what it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleEvaluation {
    /// Plugin id.
    pub plugin: String,
    /// Plugin semver version.
    pub version: String,
    /// SHA-256 of the component.
    pub sha256: String,
    /// Phase it ran in.
    pub phase: RulePhase,
    /// Its outcome.
    pub outcome: RuleOutcome,
    /// Its findings.
    pub findings: Vec<Finding>,
}

/// Roles carried by API tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages keys and tokens; not scoped to a country.
    Admin,
    /// A ministry: issues and manages its own country's certificates.
    Issuer,
    /// A border officer: reads certificates and records exits and returns.
    Officer,
    /// Publishes rule plugins for its jurisdiction.
    PluginPublisher,
    /// Loads watch lists of stolen and missing objects (and their photos).
    WatchListEditor,
}

impl Role {
    /// The role's name as in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Issuer => "issuer",
            Role::Officer => "officer",
            Role::PluginPublisher => "plugin_publisher",
            Role::WatchListEditor => "watch_list_editor",
        }
    }
}

/// Who did something (recorded on events and in the audit log; never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// The actor's role.
    pub role: Role,
    /// The actor's country (absent for admin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
    /// Public id of the API token used.
    pub token_id: String,
}

/// Kinds of status events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum EventKind {
    Issued,
    Revoked,
    Suspended,
    Reinstated,
    Exited,
    Returned,
}

/// One status event in a certificate's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusEvent {
    /// What happened.
    pub kind: EventKind,
    /// When it was recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who recorded it.
    pub actor: Actor,
    /// Reason (required for revoke, suspend and reinstate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Customs office of exit or entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
    /// Country of that office.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
    /// Customs declaration reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration_ref: Option<String>,
}
