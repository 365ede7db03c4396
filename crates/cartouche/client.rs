//! Client commands: talk to a running server, or verify offline.
//!
//! Everything printed that comes from a server or a seal goes through [`printable`] (or
//! [`json_for_terminal`]): a forged seal or a hostile server must not be able to move the
//! cursor, clear the screen or reorder text on the officer's terminal.

use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use cartouche_model::{Check, CheckOutcome, Verdict, VerdictKind, verdict_of};
use cartouche_seal::{KeyRing, TrustList, is_unsafe_to_print, printable, verify_seal};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::ClientArgs;

/// `println!` that reports a closed pipe (`cartouche verify … | head -1`) as an error
/// instead of panicking; `main` treats it as a normal end.
macro_rules! out {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*)?
    };
}

pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn token(args: &ClientArgs) -> anyhow::Result<String> {
    if let Some(token) = &args.token {
        return Ok(token.trim().to_owned());
    }
    if let Some(path) = &args.token_file {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read the token file {}", path.display()))?;
        return Ok(text.trim().to_owned());
    }
    bail!("this command needs an API token: pass --token-file FILE or set CARTOUCHE_TOKEN")
}

fn url(args: &ClientArgs, path: &str) -> String {
    format!("{}{path}", args.server.trim_end_matches('/'))
}

/// Sends a request and returns the JSON body of a 2xx answer, or the server's error as
/// an error with its code and message.
fn call(
    args: &ClientArgs,
    method: &str,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, String)],
    auth: bool,
) -> anyhow::Result<Value> {
    let agent = agent();
    let target = url(args, path);
    let bearer = if auth { Some(format!("Bearer {}", token(args)?)) } else { None };
    let result = match method {
        "GET" => {
            let mut request = agent.get(&target);
            if let Some(bearer) = &bearer {
                request = request.header("Authorization", bearer);
            }
            request.call()
        }
        _ => {
            let mut request = agent.post(&target);
            if let Some(bearer) = &bearer {
                request = request.header("Authorization", bearer);
            }
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            request.send_json(body.cloned().unwrap_or(json!({})))
        }
    };
    let mut response = result.with_context(|| format!("cannot reach the Cartouche server at {}", args.server))?;
    let status = response.status();
    let text = response.body_mut().read_to_string().context("cannot read the server's answer")?;
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if status.is_success() {
        return Ok(value);
    }
    let code = printable(value["error"]["code"].as_str().unwrap_or("unknown"));
    let message = printable(value["error"]["message"].as_str().unwrap_or("(no message)"));
    let mut error = format!("{} {code}: {message}", status.as_u16());
    if let Some(errors) = value["error"]["details"]["errors"].as_array() {
        for field in errors {
            error.push_str(&format!(
                "\n  {}: {}",
                printable(field["path"].as_str().unwrap_or("")),
                printable(field["message"].as_str().unwrap_or(""))
            ));
        }
    }
    Err(anyhow!(error))
}

fn error_of(status: u16, value: &Value) -> anyhow::Error {
    let code = printable(value["error"]["code"].as_str().unwrap_or("unknown"));
    let message = printable(value["error"]["message"].as_str().unwrap_or("(no message)"));
    let mut error = format!("{status} {code}: {message}");
    for case in value["error"]["details"]["cases"].as_array().into_iter().flatten().filter(|c| c["passed"] == false) {
        let line = format!(
            "case {}: expected {} found {} {}",
            case["name"],
            case["expected"],
            case["found"],
            case["error"].as_str().unwrap_or("")
        );
        error.push_str(&format!("\n  {}", printable(&line)));
    }
    anyhow!(error)
}

/// GET without a token; the JSON of a 2xx answer.
pub fn get_json(args: &ClientArgs, path: &str) -> anyhow::Result<Value> {
    call(args, "GET", path, None, &[], false)
}

/// POSTs a multipart form (name, bytes, content type) with the token; the JSON of a 2xx.
pub fn post_multipart(args: &ClientArgs, path: &str, parts: &[(&str, Vec<u8>, &str)]) -> anyhow::Result<Value> {
    let boundary = format!("cartouche-{:016x}", time::OffsetDateTime::now_utc().unix_timestamp_nanos() as u64);
    let mut body = Vec::new();
    for (name, bytes, content_type) in parts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut response = agent()
        .post(&url(args, path))
        .header("Authorization", &format!("Bearer {}", token(args)?))
        .header("Content-Type", &format!("multipart/form-data; boundary={boundary}"))
        .send(&body[..])
        .with_context(|| format!("cannot reach the Cartouche server at {}", args.server))?;
    let status = response.status();
    let text = response.body_mut().read_to_string().context("cannot read the server's answer")?;
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if status.is_success() { Ok(value) } else { Err(error_of(status.as_u16(), &value)) }
}

/// POSTs raw bytes (a photo) with the token; the JSON of a 2xx.
pub fn post_bytes(args: &ClientArgs, path: &str, bytes: &[u8], content_type: &str) -> anyhow::Result<Value> {
    let mut response = agent()
        .post(&url(args, path))
        .header("Authorization", &format!("Bearer {}", token(args)?))
        .header("Content-Type", content_type)
        .send(bytes)
        .with_context(|| format!("cannot reach the Cartouche server at {}", args.server))?;
    let status = response.status();
    let text = response.body_mut().read_to_string().context("cannot read the server's answer")?;
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if status.is_success() { Ok(value) } else { Err(error_of(status.as_u16(), &value)) }
}

/// POSTs JSON with the token; the JSON of a 2xx.
pub fn post_json(args: &ClientArgs, path: &str, body: &Value) -> anyhow::Result<Value> {
    call(args, "POST", path, Some(body), &[], true)
}

/// GET with the token; the JSON of a 2xx.
pub fn get_json_auth(args: &ClientArgs, path: &str) -> anyhow::Result<Value> {
    call(args, "GET", path, None, &[], true)
}

fn print_json(value: &Value) -> anyhow::Result<()> {
    out!("{}", json_for_terminal(value)?);
    Ok(())
}

/// Pretty JSON safe for a terminal. serde_json already writes C0 controls in strings as
/// `\u001b`; DEL, C1 controls and bidi controls are written as `\uXXXX` too (still the
/// same JSON). Outside strings there are only the layout's newlines and spaces.
pub(crate) fn json_for_terminal(value: &Value) -> serde_json::Result<String> {
    let text = serde_json::to_string_pretty(value)?;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if u32::from(c) >= 0x7f && is_unsafe_to_print(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// `token create`.
pub fn create_token(
    args: &ClientArgs,
    role: &str,
    country: Option<String>,
    label: Option<String>,
) -> anyhow::Result<ExitCode> {
    let body = json!({ "role": role, "country": country, "label": label });
    let answer = call(args, "POST", "/api/v1/tokens", Some(&body), &[], true)?;
    eprintln!(
        "Token {} created; the secret below is shown only once.",
        printable(answer["id"].as_str().unwrap_or("?"))
    );
    out!("{}", printable(answer["token"].as_str().unwrap_or_default()));
    Ok(ExitCode::SUCCESS)
}

/// `issue FILE`.
pub fn issue(args: &ClientArgs, file: &Path, idempotency_key: Option<String>) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let body: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let headers: Vec<(&str, String)> = idempotency_key.map(|key| ("Idempotency-Key", key)).into_iter().collect();
    let answer = call(args, "POST", "/api/v1/certificates", Some(&body), &headers, true)?;
    eprintln!("Issued {}", printable(answer["certificate"]["number"].as_str().unwrap_or("?")));
    print_json(&answer)?;
    Ok(ExitCode::SUCCESS)
}

/// `keys rotate`.
pub fn rotate(args: &ClientArgs, country: &str, alg: Option<String>) -> anyhow::Result<ExitCode> {
    let body = json!({ "alg": alg });
    let answer = call(args, "POST", &format!("/api/v1/countries/{country}/keys"), Some(&body), &[], true)?;
    print_json(&answer)?;
    Ok(ExitCode::SUCCESS)
}

/// `keys list`: every key with where it lives.
pub fn list_keys(args: &ClientArgs) -> anyhow::Result<ExitCode> {
    let answer = call(args, "GET", "/api/v1/keys", None, &[], true)?;
    print_json(&answer)?;
    Ok(ExitCode::SUCCESS)
}

/// `keys import FILE`: a key from a key ceremony.
pub fn import_key(args: &ClientArgs, file: &Path) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read the key file {}", file.display()))?;
    let body: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let answer = call(args, "POST", "/api/v1/keys", Some(&body), &[], true)?;
    print_json(&answer)?;
    Ok(ExitCode::SUCCESS)
}

/// `keys retire --kid K [--sign-until T] [--verify-until T]`.
pub fn retire_key(
    args: &ClientArgs,
    kid: &str,
    sign_until: Option<String>,
    verify_until: Option<String>,
) -> anyhow::Result<ExitCode> {
    let mut body = serde_json::Map::new();
    if let Some(at) = sign_until {
        body.insert("sign_until".into(), Value::String(at));
    }
    if let Some(at) = verify_until {
        body.insert("verify_until".into(), Value::String(at));
    }
    let path = format!("/api/v1/keys/{kid}/retire");
    let answer = call(args, "POST", &path, Some(&Value::Object(body)), &[], true)?;
    print_json(&answer)?;
    Ok(ExitCode::SUCCESS)
}

/// `trust-list`.
pub fn trust_list(args: &ClientArgs) -> anyhow::Result<ExitCode> {
    let answer = call(args, "GET", "/api/v1/trust-list", None, &[], false)?;
    print_json(&answer)?;
    Ok(ExitCode::SUCCESS)
}

/// `qr NUMBER --out FILE`.
pub fn qr(args: &ClientArgs, number: &str, out: &Path, format: &str, ec: &str, size: u32) -> anyhow::Result<ExitCode> {
    if !matches!(format, "png" | "svg") {
        bail!("--format must be png or svg");
    }
    let path = format!("/api/v1/certificates/{number}/qr.{format}?ec={ec}&size={size}");
    let mut response = agent()
        .get(&url(args, &path))
        .header("Authorization", &format!("Bearer {}", token(args)?))
        .call()
        .with_context(|| format!("cannot reach the Cartouche server at {}", args.server))?;
    let status = response.status();
    let body = response.body_mut().with_config().limit(32 * 1024 * 1024).read_to_vec()?;
    if !status.is_success() {
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        bail!(
            "{} {}: {}",
            status.as_u16(),
            printable(value["error"]["code"].as_str().unwrap_or("unknown")),
            printable(value["error"]["message"].as_str().unwrap_or(""))
        );
    }
    std::fs::write(out, &body).with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!("Wrote the QR code of {number} to {}", out.display());
    Ok(ExitCode::SUCCESS)
}

/// `verify`.
/// Where `verify` gets what it checks against.
pub enum Offline {
    /// Online: the server verifies.
    No,
    /// A trust list (keys only).
    TrustList(std::path::PathBuf),
    /// Registries' bundles, with the status budget in seconds.
    Bundle(std::path::PathBuf, i64),
}

pub fn verify(
    args: &ClientArgs,
    seal: Option<&str>,
    image: Option<&Path>,
    offline: &Offline,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    let seal = match (seal, image) {
        (_, Some(path)) => {
            let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            if bytes.len() > cartouche_seal::scan::MAX_IMAGE_BYTES {
                bail!("{} is larger than {} bytes", path.display(), cartouche_seal::scan::MAX_IMAGE_BYTES);
            }
            cartouche_seal::scan::decode_qr(&bytes)
                .with_context(|| format!("no seal could be read from {}", path.display()))?
        }
        (Some("-"), None) => {
            let mut text = String::new();
            std::io::stdin().take(64 * 1024).read_to_string(&mut text)?;
            text
        }
        (Some(seal), None) => seal.to_owned(),
        (None, None) => bail!("give the seal (QR text or token) or --image PHOTO"),
    };
    // A web address, a product code, a health certificate: not a verdict, online or not.
    if let Err(kind) = cartouche_seal::recognise(&seal) {
        out!("NOT A CERTIFICATE");
        out!(
            "this is not an export certificate: the code is {}, not the seal of a Cartouche certificate",
            kind.describe()
        );
        return Ok(ExitCode::from(4));
    }
    let verdict: Verdict = match offline {
        Offline::TrustList(path) => verify_offline(&seal, path)?,
        Offline::Bundle(path, max_status_age) => {
            crate::bundle::verify_offline(&seal, path, *max_status_age, crate::bundle::device_clock()?)?
        }
        Offline::No => serde_json::from_value(call(
            args,
            "POST",
            "/api/v1/verify",
            Some(&json!({ "qr": seal.trim() })),
            &[],
            false,
        )?)
        .context("the server's verdict does not match schemas/verdict.schema.json")?,
    };
    if as_json {
        out!("{}", json_for_terminal(&serde_json::to_value(&verdict)?)?);
    } else {
        print_verdict(&verdict)?;
    }
    Ok(match verdict.verdict {
        VerdictKind::Valid => ExitCode::SUCCESS,
        VerdictKind::Invalid => ExitCode::from(2),
        VerdictKind::Indeterminate => ExitCode::from(3),
    })
}

fn verify_offline(seal: &str, path: &Path) -> anyhow::Result<Verdict> {
    cartouche_seal::install_crypto_provider();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read the trust list {}", path.display()))?;
    let list: TrustList =
        serde_json::from_str(&text).with_context(|| format!("{} is not a Cartouche trust list", path.display()))?;
    let ring = KeyRing::new(&list, false)
        .with_context(|| format!("the trust list {} holds an invalid key", path.display()))?;
    let now = OffsetDateTime::now_utc();
    let report = verify_seal(seal, &ring, now);
    let mut checks = report.checks;
    if report.claims.is_some() {
        let age = (now - list.generated_at).whole_hours();
        checks.push(Check {
            name: cartouche_model::CheckName::RegistryStatus,
            outcome: CheckOutcome::NotChecked,
            detail: format!("offline: revocation, suspension and exits are not known (trust list is {age} h old); verify online when you can"),
        });
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

/// Prints a verdict for a person: the verdict alone on the first line, then the sealed
/// summary and the checks, every text from the seal or the server escaped.
fn print_verdict(verdict: &Verdict) -> std::io::Result<()> {
    out!("{}", verdict.verdict.as_str());
    if let Some(summary) = &verdict.certificate {
        out!(
            "certificate {} issued by {} · {:?} export to {} · valid until {}",
            printable(&summary.number.to_string()),
            printable(&summary.issuing_country.to_string()),
            summary.export_type,
            printable(&summary.destination_country.to_string()),
            printable(&summary.valid_until.to_string())
        );
        for object in &summary.objects {
            out!(
                "  - {} | {} | {} | {} | qty {}",
                printable(object.title.as_deref().unwrap_or(&object.object_type)),
                printable(object.maker.as_deref().unwrap_or("maker unknown")),
                printable(&object.dating.to_string()),
                printable(&object.dimensions.to_string()),
                object.quantity
            );
        }
    }
    for check in &verdict.checks {
        let mark = match check.outcome {
            CheckOutcome::Pass => "pass",
            CheckOutcome::Fail => "FAIL",
            CheckOutcome::NotChecked => "not checked",
        };
        out!("  [{mark}] {}: {}", printable(check.name.as_str()), printable(&check.detail));
    }
    Ok(())
}
