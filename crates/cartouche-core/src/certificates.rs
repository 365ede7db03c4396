//! Certificates: issuing (rules, then numbering and signing under the store's lock),
//! reading, listing and searching, status changes and officer events.

use cartouche_model::canonical::hex;
use cartouche_model::lifecycle::state as lifecycle_state;
use cartouche_model::{
    Actor, Certificate, CertificateState, EventKind, Role, RuleEvaluation, RuleOutcome, Severity, StatusEvent,
    StatusView, validate_application,
};
use cartouche_seal::{SealClaims, qr_text, sign};
use cartouche_store::{CertificateRecord, Idempotency, IssueOutcome, ListQuery};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::Date;

use crate::audit::{self, AuditAction, Outcome};
use crate::views::{
    CertificateLinks, CertificateRead, CertificateView, Issued, ListItem, ListPage, PublicState, PublicStatus, rfc3339,
};
use crate::{Action, Caller, Core, CoreError, certificate_number};

/// Longest `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY: usize = 200;

/// An issuance request: the application as sent (its bytes are what an idempotency key
/// is bound to) and the key, if any.
#[derive(Debug, Clone, Copy)]
pub struct IssueRequest<'a> {
    /// The application, JSON.
    pub body: &'a [u8],
    /// The `Idempotency-Key`, if any.
    pub idempotency_key: Option<&'a str>,
}

/// A list or search request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListRequest {
    /// Only this country.
    pub country: Option<String>,
    /// Only this state.
    pub status: Option<String>,
    /// Text searched in numbers, parties, titles, makers, types and descriptions.
    pub q: Option<String>,
    /// Start after this number.
    pub after: Option<String>,
    /// At most this many (1 to 500, default 50).
    pub limit: Option<usize>,
}

/// A status change by an issuer or the admin.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// Why (shown to officers who scan the certificate).
    pub reason: String,
}

/// An exit or a return recorded by an officer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficerEvent {
    /// `exited` or `returned`.
    pub kind: EventKind,
    /// The customs office.
    pub office: String,
    /// The customs declaration, if any.
    pub declaration_ref: Option<String>,
}

/// Full-size photos embedded in one document, in bytes; past it, the stored thumbnails
/// stand in, so a certificate of 100 objects with 10 photos each stays a sane size.
pub const FULL_PHOTO_BUDGET: usize = 48 * 1024 * 1024;

/// What the printable certificate shows.
#[derive(Debug, Clone)]
pub struct Printable {
    /// The record.
    pub record: CertificateRecord,
    /// Its state today.
    pub state: CertificateState,
    /// The text of its QR code.
    pub qr_text: String,
    /// Its photos' bytes by SHA-256 (those stored).
    pub photos: std::collections::BTreeMap<String, Vec<u8>>,
}

/// The registry's view of a record at `today`.
pub fn status_view(record: &CertificateRecord, today: Date) -> StatusView {
    let view = lifecycle_state(&record.certificate, &record.events, today);
    StatusView {
        state: view.state,
        since: view.cause.map(|event| event.at),
        reason: view.cause.and_then(|event| event.reason.clone()),
        events: record.events.clone(),
    }
}

/// The rule-refusal policy of issuance: any error finding refuses (`rules_refused`), and
/// so does any rule that could not be evaluated (`rules_indeterminate`); warnings and
/// information do not. Both carry every evaluation in `details.rule_evaluations`.
pub fn refusal_of(evaluations: &[RuleEvaluation]) -> Option<CoreError> {
    let errors: Vec<_> =
        evaluations.iter().flat_map(|e| e.findings.iter()).filter(|f| f.severity == Severity::Error).collect();
    let indeterminate = evaluations.iter().any(|e| e.outcome == RuleOutcome::Indeterminate);
    if errors.is_empty() && !indeterminate {
        return None;
    }
    let (code, message) = if errors.is_empty() {
        (
            "rules_indeterminate",
            format!(
                "a rule of the issuing country could not be evaluated, so the certificate was not issued: {}",
                evaluations
                    .iter()
                    .filter(|e| e.outcome == RuleOutcome::Indeterminate)
                    .flat_map(|e| e.findings.iter().map(|f| f.message.as_str()))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )
    } else {
        (
            "rules_refused",
            format!(
                "the issuing country's rules refuse this application: {}",
                errors.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("; ")
            ),
        )
    };
    Some(CoreError::unprocessable(code, message).with_details(json!({ "rule_evaluations": evaluations })))
}

/// Seals an issued certificate with `signer` into the record the store keeps, with its
/// `issued` event. Refuses a certificate that would outlive the signing key. Runs under
/// the store's issuance lock, once the number is known.
fn seal_record(
    certificate: Certificate,
    status: (u64, &str),
    signer: &cartouche_seal::Signer,
    key_expiry: Option<time::OffsetDateTime>,
    actor: &Actor,
    unavailable: &std::cell::Cell<bool>,
) -> Result<CertificateRecord, String> {
    let claims = SealClaims::with_status(&certificate, status.0, status.1)
        .map_err(|error| format!("cannot build the seal: {error}"))?;
    if key_expiry.is_some_and(|expiry| claims.exp > expiry.unix_timestamp()) {
        return Err(format!("the certificate would outlive signing key {}; rotate the key first", signer.kid));
    }
    let token = sign(&claims, signer).map_err(|error| {
        unavailable.set(error.unavailable);
        error.to_string()
    })?;
    let issued = StatusEvent {
        kind: EventKind::Issued,
        at: certificate.issued_at,
        actor: actor.clone(),
        reason: None,
        office: None,
        country: None,
        declaration_ref: None,
    };
    Ok(CertificateRecord {
        certificate,
        token,
        kid: signer.kid.clone(),
        events: vec![issued],
        log_index: None,
        certificate_sha256: Some(claims.certificate_sha256_hex()),
    })
}

fn matches_query(certificate: &Certificate, needle: &str) -> bool {
    let application = &certificate.application;
    let mut haystacks =
        vec![certificate.number.as_str(), application.applicant.name.as_str(), application.consignee.name.as_str()];
    for object in &application.objects {
        haystacks.push(&object.description);
        haystacks.extend(object.title.as_deref());
        haystacks.extend(object.maker.as_ref().map(|m| m.name.as_str()));
        haystacks.extend(object.object_type.iter().map(String::as_str));
    }
    haystacks.iter().any(|text| text.to_lowercase().contains(needle))
}

impl Core {
    /// The full view of a record.
    pub fn certificate_view(&self, record: &CertificateRecord, today: Date) -> CertificateView {
        let number = &record.certificate.number;
        let link = qr_text(&self.config.public_url, &record.token);
        CertificateView {
            certificate: record.certificate.clone(),
            token: record.token.clone(),
            kid: record.kid.clone(),
            qr_text: link.clone(),
            status: status_view(record, today),
            links: CertificateLinks { self_: format!("/api/v1/certificates/{number}"), verify: link },
            referrals: Vec::new(),
        }
    }

    /// Issues a certificate: validates the application, checks that the caller may issue
    /// for its country, runs the issuing country's rules (refusing on an error finding
    /// or an indeterminate rule), then numbers, signs and stores it in one durable write.
    /// With an idempotency key seen before for the same body, answers the original.
    pub fn issue(&self, caller: &Caller, request: IssueRequest<'_>) -> Result<Issued, CoreError> {
        self.check_issuer(caller)?;
        let idempotency = match request.idempotency_key {
            Some(key) => {
                if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(CoreError::invalid(
                        "invalid_idempotency_key",
                        "Idempotency-Key must be 1 to 200 visible ASCII characters",
                    ));
                }
                Some(Idempotency {
                    scoped_key: format!("{}:{key}", caller.token_id),
                    request_sha256: hex(&Sha256::digest(request.body)),
                })
            }
            None => None,
        };
        let value: Value = crate::parse_json(request.body)?;
        let now = self.now();
        let today = now.date();
        let application = validate_application(&value, today)?;
        let country = application.issuing_authority.country.clone();
        self.authorize(caller, Action::Issue, Some(&country), &country)?;
        self.check_served(&country)?;

        let evaluations = self.rules.issuance(&application, today);
        if let Some(refusal) = refusal_of(&evaluations) {
            return Err(refusal);
        }

        let keys = self.keys();
        let signer = keys.signer(&country, now)?.clone();
        let key_expiry = keys.expires_at(&signer.kid);
        let actor = caller.actor();
        let entry = audit::entry(
            now,
            Some(&actor),
            AuditAction::CertificateIssue,
            "",
            Outcome::Ok,
            &format!("signed with key {}", signer.kid),
        );
        let signer_unavailable = std::cell::Cell::new(false);
        let status_uri = self.status_list_uri();
        let mut build = |number: &str, log_index: u64| {
            let certificate = Certificate {
                number: number.to_owned(),
                issue_date: today,
                issued_at: now,
                application: application.clone(),
                rule_evaluations: evaluations.clone(),
            };
            seal_record(certificate, (log_index, &status_uri), &signer, key_expiry, &actor, &signer_unavailable)
        };
        let outcome = match self.store.issue(&country, now.year(), idempotency.as_ref(), entry, &mut build) {
            Err(cartouche_store::StoreError::Build(message)) if signer_unavailable.get() => {
                // Nothing was stored and no number was used: the request can be repeated.
                return Err(CoreError::new(
                    crate::ErrorKind::Unavailable,
                    "hsm_unavailable",
                    format!("{message}; nothing was issued, try again once the HSM is back"),
                ));
            }
            other => other?,
        };
        let (record, replayed) = match outcome {
            IssueOutcome::Created(record) => (record, false),
            IssueOutcome::Replayed(record) => (record, true),
        };
        if !replayed {
            metrics::counter!("cartouche_certificates_issued_total", "country" => country.clone()).increment(1);
            tracing::info!(number = %record.certificate.number, token_id = %caller.token_id, "certificate issued");
        }
        let mut view = self.certificate_view(&record, today);
        // The photos compared with the watch lists: a likeness is reported, not refused.
        view.referrals =
            self.photo_referrals(&crate::watch::certificate_photos(&record.certificate.application.objects)).0;
        if !replayed {
            self.audit_referrals(caller, &record.certificate.number, &view.referrals);
        }
        Ok(Issued { view, replayed })
    }

    /// Refuses a caller who may issue for no country (faces call it before reading the
    /// application, so that such a caller learns nothing from it).
    pub fn check_issuer(&self, caller: &Caller) -> Result<(), CoreError> {
        if caller.role != Role::Issuer {
            let target = caller.country.clone().unwrap_or_else(|| "(no country)".into());
            self.authorize(caller, Action::Issue, caller.country.as_deref(), &target)?;
        }
        Ok(())
    }

    /// A record for a caller allowed to read it (`None` if there is no such certificate).
    pub fn certificate_record(&self, caller: &Caller, number: &str) -> Result<CertificateRecord, CoreError> {
        let parsed = certificate_number(number)?;
        self.authorize(caller, Action::Read, Some(parsed.country()), number)?;
        self.store
            .certificate(number)?
            .ok_or_else(|| CoreError::not_found(format!("certificate {number} does not exist")))
    }

    /// A certificate: the full record for a caller allowed to read it, the public status
    /// for anyone without a token.
    pub fn read_certificate(&self, caller: Option<&Caller>, number: &str) -> Result<CertificateRead, CoreError> {
        let today = self.now().date();
        if let Some(caller) = caller {
            let record = self.certificate_record(caller, number)?;
            let mut view = self.certificate_view(&record, today);
            view.referrals =
                self.photo_referrals(&crate::watch::certificate_photos(&record.certificate.application.objects)).0;
            return Ok(CertificateRead::Full(Box::new(view)));
        }
        Ok(CertificateRead::Public(self.public_status(number)?))
    }

    /// What anyone may know of a certificate.
    pub fn public_status(&self, number: &str) -> Result<PublicStatus, CoreError> {
        certificate_number(number)?;
        let record = self
            .store
            .certificate(number)?
            .ok_or_else(|| CoreError::not_found(format!("certificate {number} does not exist")))?;
        let view = lifecycle_state(&record.certificate, &record.events, self.now().date());
        Ok(PublicStatus {
            number: record.certificate.number.clone(),
            issuing_country: record.certificate.application.issuing_authority.country.clone(),
            status: PublicState { state: view.state, since: view.cause.map(|e| e.at) },
        })
    }

    /// Certificates in number order, filtered by country, state and text. An issuer sees
    /// its own country's by default.
    pub fn list(&self, caller: &Caller, request: ListRequest) -> Result<ListPage, CoreError> {
        let country = match (caller.role, &request.country) {
            (Role::Issuer, None) => caller.country.clone(),
            (_, country) => country.clone(),
        };
        if let Some(country) = &country {
            crate::country_code(country, "country")?;
        }
        let wanted_state = match &request.status {
            Some(text) => Some(CertificateState::parse(text).ok_or_else(|| {
                CoreError::invalid(
                    "invalid_status",
                    format!(
                        "unknown status {:?}; use active, suspended, revoked, used, exported_temporarily, overdue or expired",
                        audit::bounded(text, 40)
                    ),
                )
            })?),
            None => None,
        };
        let limit = request.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(CoreError::invalid("invalid_limit", "limit must be between 1 and 500"));
        }
        if let Some(after) = &request.after {
            certificate_number(after)?;
        }
        let needle = request.q.as_ref().map(|q| q.to_lowercase()).filter(|q| !q.is_empty());
        if needle.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err(CoreError::invalid("invalid_query", "q is longer than 200 characters"));
        }
        match (&country, caller.role) {
            (None, Role::Admin | Role::Officer) => {}
            (None, _) => self.authorize(caller, Action::Read, None, "*")?,
            (Some(country), _) => self.authorize(caller, Action::Read, Some(country), country)?,
        }
        let today = self.now().date();
        let filter = |record: &CertificateRecord| {
            if let Some(wanted) = wanted_state {
                if lifecycle_state(&record.certificate, &record.events, today).state != wanted {
                    return false;
                }
            }
            match &needle {
                Some(needle) => matches_query(&record.certificate, needle),
                None => true,
            }
        };
        let page = self.store.list_certificates(&ListQuery {
            country: country.as_deref(),
            after: request.after.as_deref(),
            limit,
            filter: &filter,
        })?;
        let items = page
            .records
            .iter()
            .map(|record| {
                let application = &record.certificate.application;
                ListItem {
                    number: record.certificate.number.clone(),
                    issuing_country: application.issuing_authority.country.clone(),
                    issued_at: rfc3339(record.certificate.issued_at),
                    state: lifecycle_state(&record.certificate, &record.events, today).state,
                    export_type: application.export_type,
                    reimport_due_date: application.reimport_due_date.map(|d| d.to_string()),
                    destination_country: application.destination_country.clone(),
                    applicant: application.applicant.name.clone(),
                    titles: application
                        .objects
                        .iter()
                        .map(|o| o.title.clone().unwrap_or_else(|| o.object_type.join(" / ")))
                        .collect(),
                }
            })
            .collect();
        Ok(ListPage { items, next_after: page.next_after })
    }

    /// Revokes, suspends or reinstates (`kind`) a certificate, with a reason.
    pub fn change_status(
        &self,
        caller: &Caller,
        number: &str,
        kind: EventKind,
        change: StatusChange,
    ) -> Result<CertificateView, CoreError> {
        let action = match kind {
            EventKind::Revoked => AuditAction::CertificateRevoke,
            EventKind::Suspended => AuditAction::CertificateSuspend,
            EventKind::Reinstated => AuditAction::CertificateReinstate,
            other => return Err(CoreError::internal(format!("{other:?} is not a status change"))),
        };
        let parsed = certificate_number(number)?;
        self.authorize(caller, Action::ChangeStatus, Some(parsed.country()), number)?;
        let reason = change.reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(CoreError::invalid(
                "invalid_reason",
                "give a reason of 1 to 1000 characters; it is shown to officers who scan the certificate",
            ));
        }
        let event = StatusEvent {
            kind,
            at: self.now(),
            actor: caller.actor(),
            reason: Some(reason.clone()),
            office: None,
            country: None,
            declaration_ref: None,
        };
        self.record(caller, number, event, action, &reason)
    }

    /// An officer records an exit or a return.
    pub fn record_event(
        &self,
        caller: &Caller,
        number: &str,
        event: OfficerEvent,
    ) -> Result<crate::forward::EventOutcome, CoreError> {
        let parsed = certificate_number(number)?;
        self.authorize(caller, Action::RecordEvent, Some(parsed.country()), number)?;
        let action = match event.kind {
            EventKind::Exited => AuditAction::CertificateExit,
            EventKind::Returned => AuditAction::CertificateReturn,
            _ => {
                return Err(CoreError::invalid(
                    "invalid_event",
                    "officers record \"exited\" or \"returned\"; issuers revoke, suspend and reinstate",
                ));
            }
        };
        let office = event.office.trim().to_owned();
        if office.is_empty() || office.chars().count() > 200 {
            return Err(CoreError::invalid("invalid_office", "name the customs office (1 to 200 characters)"));
        }
        if event.declaration_ref.as_ref().is_some_and(|r| r.is_empty() || r.chars().count() > 100) {
            return Err(CoreError::invalid(
                "invalid_declaration_ref",
                "the declaration reference must be 1 to 100 characters",
            ));
        }
        let status_event = StatusEvent {
            kind: event.kind,
            at: self.now(),
            actor: caller.actor(),
            reason: None,
            office: Some(office.clone()),
            country: caller.country.clone(),
            declaration_ref: event.declaration_ref,
        };
        // Another registry's certificate: forwarded to it (a verifier node, or a registry
        // where a foreign object is checked).
        if !self.served_countries().iter().any(|c| c == parsed.country()) {
            if let Some(peer) = self.peer_url_for(parsed.country()) {
                return self.forward_event(caller, number, &status_event, &peer);
            }
        }
        self.record(caller, number, status_event, action, &office)
            .map(|view| crate::forward::EventOutcome::Recorded(Box::new(view)))
    }

    fn record(
        &self,
        caller: &Caller,
        number: &str,
        event: StatusEvent,
        action: AuditAction,
        detail: &str,
    ) -> Result<CertificateView, CoreError> {
        let now = self.now();
        let entry = audit::entry(now, Some(&caller.actor()), action, number, Outcome::Ok, detail);
        let record = self.store.record_event(number, event, now.date(), entry)?;
        tracing::info!(number = %number, action = action.as_str(), token_id = %caller.token_id, "status event recorded");
        Ok(self.certificate_view(&record, now.date()))
    }

    /// What the printable certificate shows, for a caller allowed to read it: the record,
    /// its state today, its QR text and its photos (full size within
    /// [`FULL_PHOTO_BUDGET`] bytes, then the thumbnails).
    pub fn printable(&self, caller: &Caller, number: &str) -> Result<Printable, CoreError> {
        let record = self.certificate_record(caller, number)?;
        let mut photos = std::collections::BTreeMap::new();
        let mut budget = FULL_PHOTO_BUDGET;
        for photo in record.certificate.application.objects.iter().flat_map(|object| &object.photos) {
            if photos.contains_key(&photo.sha256) {
                continue;
            }
            if let Some(found) = self.store.photo(&photo.sha256)? {
                let bytes = if found.jpeg.len() <= budget { found.jpeg } else { found.thumbnail };
                budget = budget.saturating_sub(bytes.len());
                photos.insert(photo.sha256.clone(), bytes);
            }
        }
        let state = lifecycle_state(&record.certificate, &record.events, self.now().date()).state;
        let qr_text = qr_text(&self.config.public_url, &record.token);
        Ok(Printable { record, state, qr_text, photos })
    }

    /// The QR text of a certificate, for a caller allowed to read it.
    pub fn qr_text_of(&self, caller: &Caller, number: &str) -> Result<String, CoreError> {
        let record = self.certificate_record(caller, number)?;
        Ok(qr_text(&self.config.public_url, &record.token))
    }
}
