//! Verification: the seal's offline checks, then the registry (the record, its hash and
//! token, the lifecycle state), then the exit-check rules (and the destination's import
//! rules when asked), folded into one verdict by [`cartouche_model::verdict_of`]. The
//! wording of every registry and rules check is here, in one place.

use cartouche_model::canonical::canonical_sha256_hex;
use cartouche_model::{
    CertificateState, Check, CheckName, CheckOutcome, ExportType, RuleEvaluation, RuleOutcome, Severity, Verdict,
};
use cartouche_seal::verify_seal;
use cartouche_store::CertificateRecord;

use crate::certificates::status_view;
use crate::views::rfc3339;
use crate::{Core, CoreError};

/// Longest QR text accepted for verification (a seal is at most 4096 bytes, written as
/// two digits per character after the public URL).
pub const MAX_QR_TEXT_BYTES: usize = 12 * 1024;

/// What to verify, normalised once for every face (JSON body, form, link, photo): the QR
/// text trimmed, the checkpoint country upper-cased and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyRequest {
    /// The QR text (`{public-url}/v/{digits}`, `/v/{token}` or the bare token).
    pub qr: String,
    /// The checkpoint's country (ISO 3166-1 alpha-2, upper case), for the exit-check rules.
    pub checkpoint_country: Option<String>,
    /// Also run the destination's import rules.
    pub import_check: bool,
}

impl VerifyRequest {
    /// Normalises what a face received: trims the QR text; trims and upper-cases the
    /// checkpoint country (empty is none) and refuses one that is not a country code
    /// (`invalid_country`). A code that is not a Cartouche seal at all (a web address, a
    /// product code, a health certificate) is `not_a_certificate`, never a verdict: a
    /// damaged seal is INVALID, but a bus ticket is not a forged certificate.
    pub fn new(qr: &str, checkpoint_country: Option<&str>, import_check: bool) -> Result<Self, CoreError> {
        let checkpoint_country = checkpoint_country.map(|c| c.trim().to_ascii_uppercase()).filter(|c| !c.is_empty());
        if let Some(country) = &checkpoint_country {
            crate::country_code(country, "checkpoint_country")?;
        }
        let qr = qr.trim();
        cartouche_seal::recognise(qr).map_err(|kind| not_a_certificate(kind, qr))?;
        Ok(Self { qr: qr.to_owned(), checkpoint_country, import_check })
    }
}

/// How much of a code that is not a certificate is given back (`details.read`).
const READ_SHOWN_CHARS: usize = 200;

/// `not_a_certificate` (422), with what the code looks like in `details.kind` and its
/// first characters in `details.read` (a photo's code is shown to the officer who
/// uploaded it).
pub fn not_a_certificate(kind: cartouche_seal::NotASeal, read: &str) -> CoreError {
    CoreError::unprocessable(
        "not_a_certificate",
        format!(
            "this is not an export certificate: the code is {}, not the seal of a Cartouche certificate; \
             scan the QR code printed on the certificate itself",
            kind.describe()
        ),
    )
    .with_details(serde_json::json!({
        "kind": kind.as_str(),
        "read": read.chars().take(READ_SHOWN_CHARS).collect::<String>(),
    }))
}

/// A verdict, with the registry's record when the seal matched it (the verdict page
/// shows the full description without reading it again).
#[derive(Debug, Clone)]
pub struct Verification {
    /// The verdict.
    pub verdict: Verdict,
    /// The registry's record, when the seal matched it.
    pub record: Option<CertificateRecord>,
}

/// The registry-status check of a record, in words an officer can act on.
fn registry_check(record: &CertificateRecord, today: time::Date) -> (Check, cartouche_model::StatusView) {
    let view = status_view(record, today);
    let when = view.since.map(rfc3339).unwrap_or_default();
    let cause_event = record.events.iter().rev().find(|e| Some(e.at) == view.since);
    let office = cause_event
        .map(|e| match (&e.office, &e.country) {
            (Some(office), Some(country)) => format!("{office} ({country})"),
            (Some(office), None) => office.clone(),
            _ => "an unnamed office".into(),
        })
        .unwrap_or_default();
    let reason = view.reason.clone().unwrap_or_default();
    let application = &record.certificate.application;
    let due = application.reimport_due_date.map(|d| d.to_string()).unwrap_or_default();
    let name = CheckName::RegistryStatus;
    let check = match view.state {
        CertificateState::Active => Check::pass(name, "active: not used, not revoked, not suspended"),
        CertificateState::ExportedTemporarily => {
            Check::pass(name, format!("out on temporary export since {when} ({office}); due back by {due}"))
        }
        CertificateState::Overdue => Check::fail(
            name,
            format!("overdue: exported temporarily on {when} ({office}), due back by {due}, no return recorded"),
        ),
        CertificateState::Used if application.export_type == ExportType::Temporary => Check::fail(
            name,
            format!("already used: the object went out and came back (return recorded at {office} on {when})"),
        ),
        CertificateState::Used => Check::fail(name, format!("already exited: used at {office} on {when}")),
        CertificateState::Revoked => Check::fail(name, format!("revoked on {when}: {reason}")),
        CertificateState::Suspended => Check::fail(name, format!("suspended since {when}: {reason}")),
        CertificateState::Expired => Check::fail(name, format!("expired: valid until {}", application.valid_until)),
    };
    (check, view)
}

impl Core {
    /// The `photo_watch` check: the certificate's photos compared with the watch lists'
    /// photos (none when no list has photos). A likeness is a referral (not checked:
    /// INDETERMINATE), never a failure.
    fn photo_watch_check(
        &self,
        objects: &[cartouche_model::CulturalObject],
        referrals: &mut Vec<cartouche_model::verdict::Referral>,
    ) -> Option<Check> {
        if !self.watching_photos() {
            return None;
        }
        let name = CheckName::PhotoWatch;
        let photos = crate::watch::certificate_photos(objects);
        let (found, unavailable) = self.photo_referrals(&photos);
        let (listed, lists) = self.watch_extent();
        let check = if let Some(nearest) = found.first() {
            let more = if found.len() > 1 { format!(" (and {} more)", found.len() - 1) } else { String::new() };
            Check::not_checked(
                name,
                format!(
                    "possible match: photo of object {} and entry {} of list {} (version {}, as of {}), {} of {} bits apart{more}: compare the object with both photos before you let it pass",
                    nearest.object + 1,
                    nearest.reference,
                    nearest.list,
                    nearest.version,
                    nearest.as_of,
                    nearest.distance,
                    nearest.bits
                ),
            )
        } else if unavailable.len() == photos.len() {
            Check::not_checked(
                name,
                format!(
                    "none of the certificate's {} photos is available here: not compared with the watch lists",
                    photos.len()
                ),
            )
        } else {
            let missing = if unavailable.is_empty() {
                String::new()
            } else {
                format!(" ({} more not held by the registry: not compared)", unavailable.len())
            };
            Check::pass(
                name,
                format!(
                    "{} photos compared with {listed} photos of {lists} watch lists: no likeness{missing}",
                    photos.len() - unavailable.len()
                ),
            )
        };
        *referrals = found;
        Some(check)
    }
}

/// The check of a set of rule evaluations (`kind`: "exit-check" or "import").
fn rules_check(name: CheckName, kind: &str, rules: &[RuleEvaluation], country: &str) -> Check {
    if rules.is_empty() {
        return Check::pass(name, format!("no {kind} rules are published for {country}"));
    }
    let ran = rules.iter().map(|r| format!("{} {}", r.plugin, r.version)).collect::<Vec<_>>().join(", ");
    let said = |outcome: RuleOutcome| {
        rules
            .iter()
            .filter(|r| r.outcome == outcome)
            .flat_map(|r| r.findings.iter().filter(|f| f.severity != Severity::Info))
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    if rules.iter().any(|r| r.outcome == RuleOutcome::Fail) {
        Check::fail(name, format!("{kind} rules refuse: {} (ran {ran})", said(RuleOutcome::Fail)))
    } else if rules.iter().any(|r| r.outcome == RuleOutcome::Indeterminate) {
        Check::not_checked(
            name,
            format!("a rule could not be evaluated: {} (ran {ran})", said(RuleOutcome::Indeterminate)),
        )
    } else {
        Check::pass(name, format!("passed: {ran}"))
    }
}

impl Core {
    /// Runs every check on the request's QR text and folds them into a verdict. Needs no
    /// caller: anyone may verify. Never fails on a bad seal (that is an INVALID verdict);
    /// fails only on an internal error.
    pub fn verify(&self, request: &VerifyRequest) -> Result<Verification, CoreError> {
        let now = self.now();
        // A seal of a country another registry speaks for is verified with that peer's
        // bundle. The claimed country only routes: the peer's ring verifies everything.
        if self.has_peers() {
            let token = cartouche_seal::token_from_qr_text(&request.qr);
            if let Some(country) = cartouche_seal::federation::claimed_country(&token) {
                if !self.served_countries().contains(&country) {
                    if let Some((url, peer)) = self.peer_for(&country) {
                        return Ok(self.verify_foreign(request, &url, &peer, now));
                    }
                }
            }
        }
        let keys = self.keys();
        let report = verify_seal(&request.qr, &keys.ring, now);
        let mut checks = report.checks;
        let mut status = None;
        let mut rules = Vec::new();
        let mut referrals = Vec::new();
        let mut matched_record = None;
        let summary = report.claims.as_ref().and_then(|claims| claims.summary());
        let sealed = report.claims.as_ref().filter(|_| checks.iter().all(|c| c.outcome != CheckOutcome::Fail));
        if let Some(claims) = sealed {
            let number = claims.n.clone();
            match self.store.certificate(&number) {
                Ok(Some(record)) => {
                    // The hash stored at issuance (the record is checksummed, so it is as
                    // trustworthy as the certificate beside it); computed for records of
                    // before it was stored.
                    let hash = match &record.certificate_sha256 {
                        Some(hash) => hash.clone(),
                        None => canonical_sha256_hex(&record.certificate)
                            .map_err(|error| CoreError::internal(format!("cannot hash {number}: {error}")))?,
                    };
                    let matched = hash == claims.certificate_sha256_hex()
                        && record.token == cartouche_seal::token_from_qr_text(&request.qr);
                    checks.push(if matched {
                        Check::pass(CheckName::CertificateHash, "the seal matches the registry's certificate")
                    } else {
                        Check::fail(CheckName::CertificateHash,
                            "the seal does not match the certificate in the registry: it may have been re-issued or altered",
                        )
                    });
                    let today = now.date();
                    let (check, view) = registry_check(&record, today);
                    checks.push(check);
                    checks.push(self.log_check(&record));
                    status = Some(view);
                    let country = request.checkpoint_country.as_deref();
                    let exit = self.rules.exit_check(&record.certificate, &hash, today, country);
                    checks.push(rules_check(CheckName::Rules, "exit-check", &exit, &claims.c));
                    rules = exit;
                    if request.import_check {
                        let import = self.rules.import_check(&record.certificate, &hash, today, country);
                        let destination = &record.certificate.application.destination_country;
                        checks.push(rules_check(CheckName::ImportRules, "import", &import, destination));
                        rules.extend(import);
                    }
                    if let Some(check) = self.photo_watch_check(&record.certificate.application.objects, &mut referrals) {
                        checks.push(check);
                    }
                    if matched {
                        matched_record = Some(record);
                    }
                }
                Ok(None) => checks.push(Check::fail(CheckName::RegistryStatus,
                    format!(
                        "{number} is not in the registry, although its seal verifies: treat it as a forgery and report it"
                    ),
                )),
                Err(error) => {
                    tracing::error!(error = %error, number = %number, "registry lookup failed during verification");
                    checks.push(Check::not_checked(CheckName::RegistryStatus, "the registry could not be reached: status unknown"));
                }
            }
        }
        let kind = cartouche_model::verdict_of(&checks);
        metrics::counter!("cartouche_verifications_total", "verdict" => kind.as_str()).increment(1);
        let verdict = Verdict {
            verdict: kind,
            checked_at: now,
            checks,
            certificate: summary,
            status,
            key: report.key,
            rules,
            referrals,
        };
        Ok(Verification { verdict, record: matched_record })
    }

    /// Verifies a seal of a country `peer` speaks for: its keys, its status list as of its
    /// last good bundle (not checked past the status budget).
    fn verify_foreign(
        &self,
        request: &VerifyRequest,
        url: &str,
        peer: &crate::federation::PeerData,
        now: time::OffsetDateTime,
    ) -> Verification {
        let report = verify_seal(&request.qr, &peer.ring, now);
        let mut checks = report.checks;
        let opened = &peer.opened;
        let who = crate::federation::peer_name(url, &opened.bundle.countries);
        let sealed = report.claims.as_ref().filter(|_| checks.iter().all(|c| c.outcome != CheckOutcome::Fail));
        let mut rules = Vec::new();
        let mut referrals = Vec::new();
        if let Some(claims) = sealed {
            checks.push(crate::federation::status_check(
                claims,
                &opened.list,
                &opened.status.sub,
                opened.status.iat,
                now.unix_timestamp(),
                self.max_status_age().whole_seconds(),
                &who,
            ));
            // The exit-check rules of the issuing country (its plugins, downloaded from
            // its bundle), on the certificate's full text asked of its registry.
            let hash = claims.certificate_sha256_hex();
            // The photos its seal names may be asked of the peer (and of no other).
            self.remember_peer_photos(url, claims.o.iter().flat_map(|object| object.p.iter()));
            match self.peer_certificate(url, &claims.n, &hash) {
                Ok(certificate) => {
                    // The peer publishes exit-check plugins this node does not run yet:
                    // never "no rules are published".
                    let missing = self.missing_peer_plugins(url);
                    if !missing.is_empty() {
                        checks.push(Check::not_checked(
                            CheckName::Rules,
                            format!(
                                "{who} publishes exit-check plugins not yet in service here ({}): the rules could not run",
                                missing.iter().map(|p| format!("{} {}", p.id, p.version)).collect::<Vec<_>>().join(", ")
                            ),
                        ));
                    } else {
                        let country = request.checkpoint_country.as_deref();
                        let exit = self.rules.exit_check(&certificate, &hash, now.date(), country);
                        checks.push(rules_check(CheckName::Rules, "exit-check", &exit, &claims.c));
                        rules = exit;
                    }
                    if let Some(check) = self.photo_watch_check(&certificate.application.objects, &mut referrals) {
                        checks.push(check);
                    }
                }
                Err(reason) => checks.push(Check::not_checked(
                    CheckName::Rules,
                    format!("the exit-check rules could not run: the certificate's full text is not available from {who} ({reason})"),
                )),
            }
        }
        let kind = cartouche_model::verdict_of(&checks);
        metrics::counter!("cartouche_verifications_total", "verdict" => kind.as_str()).increment(1);
        metrics::counter!("cartouche_peer_verifications_total", "peer" => url.to_owned()).increment(1);
        let summary = report.claims.as_ref().and_then(|claims| claims.summary());
        let verdict = Verdict {
            verdict: kind,
            checked_at: now,
            checks,
            certificate: summary,
            status: None,
            key: report.key,
            rules,
            referrals,
        };
        Verification { verdict, record: None }
    }

    /// Reads the QR code in a photo or camera frame (JPEG or PNG, within the image
    /// limits), without verifying anything.
    pub fn scan(&self, image: &[u8]) -> Result<String, CoreError> {
        use cartouche_seal::scan::ScanError;
        cartouche_seal::scan::decode_qr(image).map_err(|error| {
            let code = match &error {
                ScanError::UnsupportedFormat => "unsupported_image",
                ScanError::TooLarge { .. } => "image_too_large",
                ScanError::Corrupt(_) => "image_unreadable",
                ScanError::NoQrCode => "no_qr_code",
            };
            CoreError::unprocessable(code, error.to_string())
        })
    }

    /// Which of the verdict's sealed photos the registry holds (a key lookup: no photo is
    /// read), in the verdict's order; for a peer's certificate, those its registry may
    /// serve (fetched when the page asks for them).
    pub fn photos_on_file(&self, verdict: &Verdict) -> Vec<String> {
        verdict
            .certificate
            .iter()
            .flat_map(|summary| summary.objects.iter().flat_map(|o| o.photos.iter()))
            .filter(|sha| crate::photos::is_photo_hash(sha))
            .filter(|sha| self.store.has_photo(sha).unwrap_or(false) || self.peer_photo_source(sha).is_some())
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checkpoint_country_is_normalised_once() {
        let request = VerifyRequest::new("  a.b.c ", Some(" fr "), false).unwrap();
        assert_eq!(request.qr, "a.b.c");
        assert_eq!(request.checkpoint_country.as_deref(), Some("FR"));
        assert_eq!(VerifyRequest::new("a.b.c", Some(""), true).unwrap().checkpoint_country, None);
        assert_eq!(VerifyRequest::new("a.b.c", Some("France"), false).unwrap_err().code, "invalid_country");
    }

    #[test]
    fn a_code_that_is_not_a_seal_is_named_so() {
        let error = VerifyRequest::new("https://shop.example/p/42", None, false).unwrap_err();
        assert_eq!((error.kind, error.code), (crate::ErrorKind::Unprocessable, "not_a_certificate"));
        assert_eq!(error.details.unwrap()["kind"], "web_address");
        assert!(error.message.starts_with("this is not an export certificate"), "{}", error.message);
        // A damaged seal is still a seal: verification says what is wrong with it.
        assert!(VerifyRequest::new("https://registry.example/v/123", None, false).is_ok());
    }
}
