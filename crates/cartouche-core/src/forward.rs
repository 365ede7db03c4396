//! Officer events recorded at a node for a certificate another registry issued (a
//! verifier node at a border post): signed with this node's federation key, kept in a
//! durable outbox in the store before anything is sent, delivered to the issuing
//! registry, and retried until it answers. The registry accepts them only from nodes it
//! pins as peers, applies each once (by its id), and refuses one that contradicts its
//! record (an exit already recorded elsewhere): that conflict is reported at both ends,
//! in the answer, the logs, the audit trail, the metrics and `/healthz`, never dropped.

use std::sync::Arc;

use cartouche_model::{Actor, EventKind, Role, StatusEvent};
use cartouche_seal::federation::{EVENT_TYP, ForwardedEvent, document_kid, verify_document};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::audit::{self, AuditAction, Outcome};
use crate::views::CertificateView;
use crate::{Caller, Core, CoreError, ErrorKind};

/// Where the outbox is kept in the store.
const OUTBOX_KEY: &str = "federation/outbox";
/// Where the conflicts are kept in the store (the latest [`MAX_CONFLICTS`]).
const CONFLICTS_KEY: &str = "federation/conflicts";
/// Conflicts kept for reporting.
pub const MAX_CONFLICTS: usize = 1000;
/// Events kept waiting for their registry at most (a post offline for weeks still
/// records its exits; past this, recording one more is refused with 507).
pub const MAX_QUEUED: usize = 100_000;

/// What a delivery attempt gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The registry recorded it (or had recorded it before).
    Recorded,
    /// The registry refused it: it contradicts its record (code, message).
    Conflict(String, String),
    /// The registry refused it for another reason (not a peer, not its country...).
    Refused(String, String),
    /// The registry could not be reached or failed: tried again later.
    Unreachable(String),
}

/// What a node asks of a peer registry over the network (HTTP in the binary).
pub trait Forwarder: Send + Sync {
    /// Delivers `document` (a forwarded event) to the registry at `url`.
    fn deliver(&self, url: &str, document: &str) -> Delivery;
    /// Asks the registry at `url` for a certificate with `document` (a signed request):
    /// the answer's body, or why there is none.
    fn fetch_certificate(&self, url: &str, document: &str) -> Result<Vec<u8>, String> {
        let _ = (url, document);
        Err("this node cannot reach its peers".into())
    }
    /// GETs `url` (a peer's public document, such as a photo), at most `limit` bytes.
    fn fetch(&self, url: &str, limit: u64) -> Result<Vec<u8>, String> {
        let _ = (url, limit);
        Err("this node cannot reach its peers".into())
    }
}

/// One event waiting for its registry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Queued {
    /// The event's id.
    pub id: String,
    /// The registry's URL.
    pub peer: String,
    /// The certificate.
    pub number: String,
    /// The signed document.
    pub document: String,
    /// When it was recorded here.
    #[serde(with = "time::serde::rfc3339")]
    pub queued_at: OffsetDateTime,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// An event its registry refused.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Conflict {
    /// The event's id.
    pub id: String,
    /// The registry's URL.
    pub peer: String,
    /// The certificate.
    pub number: String,
    /// The registry's code.
    pub code: String,
    /// The registry's message.
    pub message: String,
    /// When it was refused.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// What became of an event recorded for another registry's certificate.
#[derive(Debug, Clone, Serialize)]
pub struct ForwardedView {
    /// The event's id.
    pub id: String,
    /// The certificate.
    pub number: String,
    /// The registry it went to.
    pub forwarded_to: String,
    /// `delivered`, or `queued` (the registry is unreachable: it is delivered when it
    /// answers again).
    pub state: &'static str,
    /// For a person.
    pub message: String,
}

/// What recording an officer's event did.
#[derive(Debug, Clone)]
pub enum EventOutcome {
    /// Recorded in this registry.
    Recorded(Box<CertificateView>),
    /// Forwarded to the registry that issued the certificate.
    Forwarded(ForwardedView),
}

/// The outbox's state, for `/healthz`.
#[derive(Debug, Clone, Serialize)]
pub struct ForwardingHealth {
    /// Events waiting for their registry.
    pub queued: usize,
    /// Events refused by their registry (kept for the operator).
    pub conflicts: usize,
    /// The latest refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_conflict: Option<String>,
}

impl Core {
    fn read_list<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Vec<T>, CoreError> {
        match self.store.artifact(key)? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|error| CoreError::internal(format!("the store's {key} is unreadable: {error}"))),
            None => Ok(Vec::new()),
        }
    }

    fn write_list<T: Serialize>(&self, key: &str, items: &[T]) -> Result<(), CoreError> {
        let bytes = serde_json::to_vec(items).map_err(|error| CoreError::internal(error.to_string()))?;
        self.store.put_artifact(key, &bytes)?;
        Ok(())
    }

    /// Signs the event, keeps it in the outbox (durably), then tries to deliver it.
    pub(crate) fn forward_event(
        &self,
        caller: &Caller,
        number: &str,
        event: &StatusEvent,
        peer: &str,
    ) -> Result<EventOutcome, CoreError> {
        let mut id_bytes = [0u8; 16];
        cartouche_seal::random_bytes(&mut id_bytes)
            .map_err(|error| CoreError::internal(format!("no randomness for an event id: {error}")))?;
        let id = cartouche_model::canonical::hex(&id_bytes);
        let forwarded = ForwardedEvent {
            id: id.clone(),
            number: number.to_owned(),
            kind: event.kind,
            office: event.office.clone().unwrap_or_default(),
            country: caller.country.clone().unwrap_or_default(),
            declaration_ref: event.declaration_ref.clone(),
            at: event.at.unix_timestamp(),
            officer: caller.token_id.clone(),
            origin: self.config.public_url.clone(),
        };
        let payload = serde_json::to_vec(&forwarded).map_err(|error| CoreError::internal(error.to_string()))?;
        let document = self.sign_federation(EVENT_TYP, &payload)?;
        let queued = Queued {
            id: id.clone(),
            peer: peer.to_owned(),
            number: number.to_owned(),
            document,
            queued_at: self.now(),
            attempts: 0,
            last_error: None,
        };
        {
            let _outbox = self.federation.outbox.lock().unwrap_or_else(|p| p.into_inner());
            let mut items: Vec<Queued> = self.read_list(OUTBOX_KEY)?;
            if items.len() >= MAX_QUEUED {
                return Err(CoreError::new(
                    ErrorKind::StorageFull,
                    "outbox_full",
                    format!("{MAX_QUEUED} events are waiting for their registries: restore the connection first"),
                ));
            }
            items.push(queued.clone());
            self.write_list(OUTBOX_KEY, &items)?;
        }
        let detail = format!("{} at {}, forwarded to {peer} (event {id})", kind_name(event.kind), forwarded.office);
        let action =
            if event.kind == EventKind::Exited { AuditAction::CertificateExit } else { AuditAction::CertificateReturn };
        let entry = audit::entry(self.now(), Some(&caller.actor()), action, number, Outcome::Ok, &detail);
        if let Err(error) = self.store.append_audit(entry) {
            tracing::error!(error = %error, "could not write the audit entry of a forwarded event");
        }
        let (state, message) = match self.deliver(queued)? {
            Delivery::Recorded => ("delivered", format!("recorded at {peer}, the registry that issued {number}")),
            Delivery::Unreachable(error) => (
                "queued",
                format!(
                    "{peer}, the registry that issued {number}, cannot be reached ({error}): the event is kept here and delivered when it answers"
                ),
            ),
            Delivery::Conflict(code, message) | Delivery::Refused(code, message) => {
                return Err(CoreError::conflict(
                    "event_conflict",
                    format!("{peer}, the registry that issued {number}, refused this event ({code}): {message}"),
                )
                .with_details(serde_json::json!({ "forwarded_to": peer, "id": id, "registry_code": code })));
            }
        };
        Ok(EventOutcome::Forwarded(ForwardedView {
            id,
            number: number.to_owned(),
            forwarded_to: peer.to_owned(),
            state,
            message,
        }))
    }

    /// Tries one queued event and settles it: delivered, it leaves the outbox; refused, it
    /// moves to the conflicts; unreachable, it stays, with the attempt counted. An event
    /// another attempt settled meanwhile is left as that attempt left it.
    fn deliver(&self, queued: Queued) -> Result<Delivery, CoreError> {
        let Some(forwarder) = self.federation.settings.forwarder.clone() else {
            return Ok(Delivery::Unreachable("this node has no forwarder".into()));
        };
        let delivery = forwarder.deliver(&queued.peer, &queued.document);
        let _outbox = self.federation.outbox.lock().unwrap_or_else(|p| p.into_inner());
        let mut items: Vec<Queued> = self.read_list(OUTBOX_KEY)?;
        let Some(position) = items.iter().position(|item| item.id == queued.id) else {
            return Ok(Delivery::Recorded);
        };
        let (id, number, peer) = (&queued.id, &queued.number, &queued.peer);
        match &delivery {
            Delivery::Recorded => {
                tracing::info!(%id, %number, %peer, "forwarded event delivered");
                metrics::counter!("cartouche_forwarded_events_total", "outcome" => "delivered").increment(1);
                items.remove(position);
            }
            Delivery::Conflict(code, message) | Delivery::Refused(code, message) => {
                tracing::warn!(%id, %number, %peer, %code, error = %message, "forwarded event refused by its registry: kept as a conflict");
                metrics::counter!("cartouche_forwarded_events_total", "outcome" => "conflict").increment(1);
                items.remove(position);
                let mut conflicts: Vec<Conflict> = self.read_list(CONFLICTS_KEY)?;
                conflicts.push(Conflict {
                    id: id.clone(),
                    peer: peer.clone(),
                    number: number.clone(),
                    code: code.clone(),
                    message: message.clone(),
                    at: self.now(),
                });
                let excess = conflicts.len().saturating_sub(MAX_CONFLICTS);
                conflicts.drain(..excess);
                self.write_list(CONFLICTS_KEY, &conflicts)?;
            }
            Delivery::Unreachable(error) => {
                tracing::warn!(%id, %number, %peer, %error, "forwarded event not delivered: kept, retried later");
                items[position].attempts += 1;
                items[position].last_error = Some(error.clone());
            }
        }
        self.write_list(OUTBOX_KEY, &items)?;
        Ok(delivery)
    }

    /// Tries every queued event once (the serve loop calls it); returns how many are
    /// still waiting.
    pub fn retry_forwarded(&self) -> Result<usize, CoreError> {
        let items: Vec<Queued> = {
            let _outbox = self.federation.outbox.lock().unwrap_or_else(|p| p.into_inner());
            self.read_list(OUTBOX_KEY)?
        };
        for item in items {
            self.deliver(item)?;
        }
        let _outbox = self.federation.outbox.lock().unwrap_or_else(|p| p.into_inner());
        Ok(self.read_list::<Queued>(OUTBOX_KEY)?.len())
    }

    /// The outbox's state (`None` when nothing was ever forwarded or refused).
    pub fn forwarding_health(&self) -> Option<ForwardingHealth> {
        let queued: Vec<Queued> = self.read_list(OUTBOX_KEY).ok()?;
        let conflicts: Vec<Conflict> = self.read_list(CONFLICTS_KEY).ok()?;
        if queued.is_empty() && conflicts.is_empty() {
            return None;
        }
        Some(ForwardingHealth {
            queued: queued.len(),
            conflicts: conflicts.len(),
            last_conflict: conflicts.last().map(|c| format!("{} at {}: {} ({})", c.number, c.peer, c.message, c.code)),
        })
    }

    /// An event forwarded by a pinned peer (`POST /api/v1/federation/events`): checked
    /// under that peer's federation key, applied once, audited; a contradiction of the
    /// record is refused (409) and audited as denied.
    pub fn accept_forwarded_event(&self, document: &str) -> Result<CertificateView, CoreError> {
        // The signature is this endpoint's authentication: a document that names no key
        // this registry pins is refused as an unknown sender, whatever else is wrong.
        let kid = document_kid(document).unwrap_or_default();
        let Some((peer, key)) = self.pinned_peer_by_kid(&kid) else {
            return Err(CoreError::new(
                ErrorKind::Forbidden,
                "unknown_peer",
                "this registry accepts forwarded events only from the nodes it pins (--peer URL=KEY)",
            ));
        };
        let payload = verify_document(document, EVENT_TYP, &key).map_err(|refusal| {
            CoreError::new(ErrorKind::Forbidden, "bad_signature", format!("the forwarded event is refused: {refusal}"))
        })?;
        let event: ForwardedEvent = serde_json::from_slice(&payload)
            .map_err(|error| CoreError::invalid("invalid_document", format!("not a forwarded event: {error}")))?;
        let parsed = crate::certificate_number(&event.number)?;
        self.check_served(parsed.country())?;
        if !matches!(event.kind, EventKind::Exited | EventKind::Returned) {
            return Err(CoreError::invalid("invalid_event", "nodes forward \"exited\" or \"returned\" only"));
        }
        let now = self.now();
        let at = OffsetDateTime::from_unix_timestamp(event.at)
            .ok()
            .filter(|at| *at <= now + time::Duration::minutes(5))
            .ok_or_else(|| CoreError::invalid("invalid_event", "the event's time is in the future"))?;
        let token_id = format!("peer:{kid}:{}", crate::audit::bounded(&event.id, 32));
        let actor = Actor { role: Role::Officer, country: Some(event.country.clone()), token_id: token_id.clone() };
        let today = now.date();
        if let Some(record) = self.store.certificate(&event.number)? {
            if record.events.iter().any(|e| e.actor.token_id == token_id) {
                return Ok(self.certificate_view(&record, today));
            }
        }
        let office = format!("{} (via {peer})", crate::audit::bounded(&event.office, 150));
        let status_event = StatusEvent {
            kind: event.kind,
            at,
            actor: actor.clone(),
            reason: None,
            office: Some(office.clone()),
            country: Some(event.country.clone()),
            declaration_ref: event.declaration_ref.clone(),
        };
        let action =
            if event.kind == EventKind::Exited { AuditAction::CertificateExit } else { AuditAction::CertificateReturn };
        let entry = audit::entry(now, Some(&actor), action, &event.number, Outcome::Ok, &office);
        match self.store.record_event(&event.number, status_event, today, entry) {
            Ok(record) => {
                tracing::info!(number = %event.number, peer = %peer, id = %event.id, "forwarded event recorded");
                Ok(self.certificate_view(&record, today))
            }
            Err(error) => {
                let error = CoreError::from(error);
                // A second delivery of the same event that raced the first: already applied.
                if let Some(record) = self.store.certificate(&event.number)? {
                    if record.events.iter().any(|e| e.actor.token_id == token_id) {
                        return Ok(self.certificate_view(&record, today));
                    }
                }
                if error.kind == ErrorKind::Conflict {
                    let detail = format!("{} at {office} refused: {}", kind_name(event.kind), error.message);
                    let entry = audit::entry(now, Some(&actor), action, &event.number, Outcome::Denied, &detail);
                    if let Err(failure) = self.store.append_audit(entry) {
                        tracing::error!(error = %failure, "could not write the audit entry of a refused forwarded event");
                    }
                    tracing::warn!(number = %event.number, peer = %peer, id = %event.id, code = error.code, "a forwarded event contradicts the record: refused");
                    metrics::counter!("cartouche_forwarded_event_conflicts_total", "peer" => peer.clone()).increment(1);
                }
                Err(error)
            }
        }
    }
}

/// A forwarder that never reaches anything (tests, and nodes without peers).
pub struct NoForwarder;

impl Forwarder for NoForwarder {
    fn deliver(&self, _: &str, _: &str) -> Delivery {
        Delivery::Unreachable("no forwarder".into())
    }
}

/// Shared handle to a forwarder.
pub type SharedForwarder = Arc<dyn Forwarder>;

fn kind_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Exited => "exit",
        EventKind::Returned => "return",
        _ => "event",
    }
}
