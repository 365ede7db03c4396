//! `cartouche bundle fetch` and `cartouche verify --bundle`: registries' signed bundles
//! kept in one file, and verification with no network at all (signature, key validity,
//! status as of the bundle, within the status budget).

use std::path::Path;

use anyhow::{Context, bail};
use cartouche_model::{Check, CheckName, Verdict, verdict_of};
use cartouche_seal::federation::{
    IAT_LEEWAY_SECONDS, OpenedBundle, federation_key_text, parse_federation_key, read_bundle,
};
use cartouche_seal::{KeyRing, verify_seal};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The format of a bundle file.
const FORMAT: &str = "cartouche-offline-bundles/1";

/// The file `bundle fetch` writes.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BundleFile {
    format: String,
    #[serde(with = "time::serde::rfc3339")]
    fetched_at: OffsetDateTime,
    bundles: Vec<FetchedBundle>,
}

/// One registry's bundle, with the key it was checked against.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FetchedBundle {
    server: String,
    federation_key: String,
    bundle: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into()
}

/// `cartouche bundle fetch --server URL[=KEY]... --out FILE`. Each bundle is checked
/// against the pinned key (KEY), or, without one, the key the server describes at
/// /.well-known/cartouche-registry.json (trusted on first use, and said so).
pub fn fetch(servers: &[String], out: &Path) -> anyhow::Result<std::process::ExitCode> {
    cartouche_seal::install_crypto_provider();
    if servers.is_empty() {
        bail!("give at least one --server URL (or URL=KEY to pin its federation key)");
    }
    let agent = agent();
    let now = device_clock()?;
    let mut bundles = Vec::new();
    for server in servers {
        let (url, key) = match server.split_once('=') {
            Some((url, key)) => {
                let key = parse_federation_key(key).map_err(|error| anyhow::anyhow!("--server {url}: {error}"))?;
                (url.trim_end_matches('/').to_owned(), key)
            }
            None => {
                let url = server.trim_end_matches('/').to_owned();
                let text = fetch_text(&agent, &format!("{url}/.well-known/cartouche-registry.json"))
                    .map_err(|error| anyhow::anyhow!("cannot read the registry's description: {error}"))?;
                let description: cartouche_seal::federation::RegistryDescription = serde_json::from_str(&text)
                    .with_context(|| format!("{url} does not describe itself as a Cartouche registry"))?;
                let key = parse_federation_key(&description.federation_key)
                    .map_err(|error| anyhow::anyhow!("{url}: {error}"))?;
                eprintln!(
                    "{url}: trusting its federation key {} on first use; pin it with --server {url}={}",
                    description.federation_kid, description.federation_key
                );
                (url, key)
            }
        };
        let token = fetch_text(&agent, &format!("{url}/api/v1/bundle"))
            .map_err(|error| anyhow::anyhow!("cannot fetch the bundle: {error}"))?;
        let opened = cartouche_seal::federation::open_bundle(&token, &key, now.unix_timestamp())
            .map_err(|refusal| anyhow::anyhow!("{url}: the bundle is refused ({}): {refusal}", refusal.code()))?;
        eprintln!(
            "{url}: bundle {} for {} ({} keys, {} status entries, {} plugins), valid until {}",
            opened.bundle.sequence,
            opened.bundle.countries.join(","),
            opened.bundle.trust_list.keys.len(),
            opened.list.len(),
            opened.bundle.plugins.len(),
            rfc3339(opened.bundle.exp)
        );
        bundles.push(FetchedBundle {
            server: url,
            federation_key: federation_key_text(&key),
            bundle: token.trim().to_owned(),
        });
    }
    let file = BundleFile { format: FORMAT.into(), fetched_at: now, bundles };
    let text = serde_json::to_string_pretty(&file)?;
    let temporary = out.with_extension("tmp");
    std::fs::write(&temporary, text).with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, out).with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!("wrote {}", out.display());
    Ok(std::process::ExitCode::SUCCESS)
}

/// The device's clock; in tests, `CARTOUCHE_UNSAFE_FAKE_CLOCK` (an RFC 3339 instant) sets it.
pub fn device_clock() -> anyhow::Result<OffsetDateTime> {
    match std::env::var("CARTOUCHE_UNSAFE_FAKE_CLOCK") {
        Ok(text) => OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
            .with_context(|| format!("CARTOUCHE_UNSAFE_FAKE_CLOCK {text:?} is not an RFC 3339 instant")),
        Err(_) => Ok(OffsetDateTime::now_utc()),
    }
}

fn rfc3339(at: i64) -> String {
    OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| at.to_string())
}

/// Reads and checks a bundle file: every bundle's signature under the key it was fetched
/// with.
fn read(path: &Path) -> anyhow::Result<Vec<(String, OpenedBundle)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read the bundle file {}", path.display()))?;
    let file: BundleFile = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a bundle file (from `cartouche bundle fetch`)", path.display()))?;
    if file.format != FORMAT {
        bail!("{} is a {:?} file; this verifier reads {FORMAT}", path.display(), file.format);
    }
    let mut opened = Vec::new();
    for entry in &file.bundles {
        let key = parse_federation_key(&entry.federation_key)
            .map_err(|error| anyhow::anyhow!("{}: {error}", entry.server))?;
        let bundle = read_bundle(&entry.bundle, &key).map_err(|refusal| {
            anyhow::anyhow!(
                "{}: the bundle of {} is refused ({}): {refusal}",
                path.display(),
                entry.server,
                refusal.code()
            )
        })?;
        opened.push((entry.server.clone(), bundle));
    }
    Ok(opened)
}

/// Verifies `seal` with the bundles in `path` at `now`, with no network.
pub fn verify_offline(seal: &str, path: &Path, max_status_age: i64, now: OffsetDateTime) -> anyhow::Result<Verdict> {
    cartouche_seal::install_crypto_provider();
    let bundles = read(path)?;
    let token = cartouche_seal::token_from_qr_text(seal);
    let country = cartouche_seal::federation::claimed_country(&token);
    let chosen = country
        .as_deref()
        .and_then(|country| bundles.iter().find(|(_, opened)| opened.bundle.countries.iter().any(|c| c == country)));
    let Some((server, opened)) = chosen else {
        let held: Vec<String> = bundles.iter().flat_map(|(_, o)| o.bundle.countries.clone()).collect();
        let checks = vec![Check::not_checked(
            CheckName::Key,
            format!(
                "no bundle in {} speaks for {} (it holds {}): fetch that country's registry bundle and verify again",
                path.display(),
                country.as_deref().unwrap_or("the seal's country"),
                if held.is_empty() { "none".to_owned() } else { held.join(", ") }
            ),
        )];
        return Ok(Verdict {
            verdict: verdict_of(&checks),
            checked_at: now,
            checks,
            certificate: None,
            status: None,
            key: None,
            rules: Vec::new(),
            referrals: Vec::new(),
        });
    };
    let newest = opened.bundle.iat.max(opened.status.iat);
    if now.unix_timestamp() + IAT_LEEWAY_SECONDS < newest {
        bail!(
            "this device's clock reads {}, before the bundle of {server} was signed ({}): check the device clock; nothing was verified",
            rfc3339(now.unix_timestamp()),
            rfc3339(newest)
        );
    }
    // Keys newer than the bundle may exist: an unknown kid is "refresh", not a forgery.
    let ring = KeyRing::new(&opened.bundle.trust_list, false)
        .map_err(|error| anyhow::anyhow!("the bundle of {server} holds an invalid key: {error}"))?;
    let report = verify_seal(seal, &ring, now);
    let mut checks = report.checks;
    let sealed =
        report.claims.as_ref().filter(|_| checks.iter().all(|c| c.outcome != cartouche_model::CheckOutcome::Fail));
    if let Some(claims) = sealed {
        let who = format!("{}'s registry ({server}), offline bundle", opened.bundle.countries.join("/"));
        checks.push(cartouche_core::federation::status_check(
            claims,
            &opened.list,
            &opened.status.sub,
            opened.status.iat,
            now.unix_timestamp(),
            max_status_age,
            &who,
        ));
    }
    Ok(Verdict {
        verdict: verdict_of(&checks),
        checked_at: now,
        checks,
        certificate: report.claims.as_ref().and_then(|claims| claims.summary()),
        status: None,
        key: report.key,
        rules: Vec::new(),
        referrals: Vec::new(),
    })
}

/// GETs `url` as text, at most the largest federation document.
pub(crate) fn fetch_text(agent: &ureq::Agent, url: &str) -> Result<String, String> {
    let mut response = agent.get(url).call().map_err(|error| format!("{url}: {error}"))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(cartouche_seal::federation::MAX_DOCUMENT_BYTES as u64)
        .read_to_string()
        .map_err(|error| format!("{url}: {error}"))?;
    if status != 200 {
        return Err(format!("{url} answered {status}: {}", body.chars().take(200).collect::<String>()));
    }
    Ok(body)
}

/// Delivers forwarded officer events over HTTP: `POST {registry}/api/v1/federation/events`.
pub struct HttpForwarder {
    agent: ureq::Agent,
}

impl HttpForwarder {
    /// A forwarder with a 10 s timeout.
    pub fn new() -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(10)))
            .build()
            .into();
        Self { agent }
    }
}

impl cartouche_core::forward::Forwarder for HttpForwarder {
    fn fetch(&self, url: &str, limit: u64) -> Result<Vec<u8>, String> {
        fetch_bytes(&self.agent, url, limit)
    }

    fn fetch_certificate(&self, url: &str, document: &str) -> Result<Vec<u8>, String> {
        let target = format!("{url}/api/v1/federation/certificate");
        let mut response = self
            .agent
            .post(&target)
            .config()
            .timeout_global(Some(std::time::Duration::from_secs(3)))
            .build()
            .header("content-type", "text/plain")
            .send(document)
            .map_err(|error| format!("{target}: {error}"))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(4 << 20)
            .read_to_vec()
            .map_err(|error| format!("{target}: {error}"))?;
        if status != 200 {
            let code = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|value| value["error"]["code"].as_str().map(str::to_owned))
                .unwrap_or_default();
            return Err(format!("{target} answered {status} {code}"));
        }
        Ok(body)
    }

    fn deliver(&self, url: &str, document: &str) -> cartouche_core::forward::Delivery {
        use cartouche_core::forward::Delivery;
        let target = format!("{url}/api/v1/federation/events");
        let mut response = match self.agent.post(&target).header("content-type", "text/plain").send(document) {
            Ok(response) => response,
            Err(error) => return Delivery::Unreachable(format!("{target}: {error}")),
        };
        let status = response.status().as_u16();
        let body = response.body_mut().with_config().limit(64 * 1024).read_to_string().unwrap_or_default();
        let error: Option<(String, String)> = serde_json::from_str::<serde_json::Value>(&body).ok().map(|value| {
            let code = value["error"]["code"].as_str().unwrap_or("unknown").to_owned();
            let message = value["error"]["message"].as_str().unwrap_or("").to_owned();
            (code, message)
        });
        let (code, message) = error.unwrap_or_else(|| ("unknown".into(), body.chars().take(200).collect()));
        match status {
            200 => Delivery::Recorded,
            409 => Delivery::Conflict(code, message),
            // Overloaded, or its disk full: it will take it later.
            408 | 429 | 507 => Delivery::Unreachable(format!("{target} answered {status} ({code})")),
            400..=499 => Delivery::Refused(code, message),
            _ => Delivery::Unreachable(format!("{target} answered {status} ({code})")),
        }
    }
}

/// Puts in service the exit-check plugins `url`'s bundle lists that this node lacks:
/// publication and component downloaded, the component checked against the bundle's
/// sha256, then the same checks as any publication. A failure is logged and tried again
/// at the next sync.
pub fn install_peer_plugins(core: &cartouche_core::Core, agent: &ureq::Agent, url: &str) {
    for plugin in core.missing_peer_plugins(url) {
        let result = (|| -> Result<(), String> {
            let publication =
                fetch_text(agent, &format!("{url}/api/v1/plugins/{}/{}/publication.json", plugin.id, plugin.version))?;
            let publication: cartouche_core::peers::Publication =
                serde_json::from_str(&publication).map_err(|error| format!("not a publication: {error}"))?;
            let mut response = agent.get(&plugin.url).call().map_err(|error| format!("{}: {error}", plugin.url))?;
            if response.status().as_u16() != 200 {
                return Err(format!("{} answered {}", plugin.url, response.status().as_u16()));
            }
            let component = response
                .body_mut()
                .with_config()
                .limit(64 << 20)
                .read_to_vec()
                .map_err(|error| format!("{}: {error}", plugin.url))?;
            core.install_peer_plugin(url, &plugin, &publication, &component).map_err(|error| error.message)
        })();
        if let Err(error) = result {
            tracing::warn!(peer = %url, plugin = %plugin.id, version = %plugin.version, %error, "a peer's plugin could not be put in service; tried again at the next sync");
        }
    }
}

/// GETs `url`, at most `limit` bytes; an answer other than 200 is an error.
pub(crate) fn fetch_bytes(agent: &ureq::Agent, url: &str, limit: u64) -> Result<Vec<u8>, String> {
    let mut response = agent.get(url).call().map_err(|error| format!("{url}: {error}"))?;
    let status = response.status().as_u16();
    let body =
        response.body_mut().with_config().limit(limit).read_to_vec().map_err(|error| format!("{url}: {error}"))?;
    if status != 200 {
        return Err(format!("{url} answered {status}"));
    }
    Ok(body)
}
