//! Where the HSM is: an RFC 7512 PKCS#11 URI.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::HsmError;

const EXAMPLE: &str =
    "pkcs11:token=<label>?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/cartouche/hsm-pin";

/// Where the HSM is and how to log in: parsed from an RFC 7512 PKCS#11 URI such as
/// `pkcs11:token=cartouche?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/cartouche/hsm-pin`.
///
/// The PIN is kept private and never printed by `Debug`.
#[derive(Clone)]
pub struct HsmConfig {
    /// The vendor's PKCS#11 module (a shared library), from `module-path=`.
    pub module: PathBuf,
    /// The label of the token holding the keys, from `token=`.
    pub token_label: String,
    pin: String,
}

impl fmt::Debug for HsmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HsmConfig")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("pin", &"<redacted>")
            .finish()
    }
}

impl HsmConfig {
    /// Parses `pkcs11:token=<label>?module-path=<path>&pin-source=file:<path>`.
    ///
    /// As in RFC 7512, path attributes (before `?`) are separated by `;`, query attributes (after `?`) by `&`,
    /// and values are percent-decoded. The only path attribute is `token=` (required). The query attributes
    /// are `module-path=` (required), `pin-source=` (a `file:` URI or a plain path; the file is read here and
    /// its trailing newline trimmed) and `pin-value=` (the PIN itself: for tests only, as the URI ends up
    /// in configuration files and process listings). When the URI gives no PIN, `env_pin` is used (the
    /// service passes the `CARTOUCHE_HSM_PIN` environment variable).
    pub fn parse(uri: &str, env_pin: Option<String>) -> Result<Self, HsmError> {
        let uri = uri.trim();
        let Some(rest) = strip_prefix_ignore_case(uri, "pkcs11:") else {
            return Err(HsmError::Config(format!("the HSM URI must start with pkcs11:, e.g. {EXAMPLE}")));
        };
        let (path_part, query_part) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };

        let mut token: Option<String> = None;
        let mut module: Option<String> = None;
        let mut pin_source: Option<String> = None;
        let mut pin_value: Option<String> = None;
        let mut unknown: Vec<String> = Vec::new();

        for attr in path_part.split(';').filter(|a| !a.is_empty()) {
            let (name, value) = split_attr(attr)?;
            match name.as_str() {
                "token" => set_once(&mut token, "token", value)?,
                "module-path" | "pin-source" | "pin-value" => {
                    return Err(HsmError::Config(format!(
                        "{name}= is a query attribute in a PKCS#11 URI: put it after '?', e.g. {EXAMPLE}"
                    )));
                }
                _ => unknown.push(name),
            }
        }
        for attr in query_part.unwrap_or("").split('&').filter(|a| !a.is_empty()) {
            let (name, value) = split_attr(attr)?;
            match name.as_str() {
                "module-path" => set_once(&mut module, "module-path", value)?,
                "pin-source" => set_once(&mut pin_source, "pin-source", value)?,
                "pin-value" => set_once(&mut pin_value, "pin-value", value)?,
                "token" => {
                    return Err(HsmError::Config(format!(
                        "token= is a path attribute in a PKCS#11 URI: put it before '?', e.g. {EXAMPLE}"
                    )));
                }
                _ => unknown.push(name),
            }
        }
        if !unknown.is_empty() {
            return Err(HsmError::Config(format!(
                "the PKCS#11 URI has attributes this service does not understand: {}; it accepts token= \
                 before '?' and module-path=, pin-source= (and, for tests, pin-value=) after it, e.g. {EXAMPLE}",
                unknown.join(", ")
            )));
        }

        let token_label = match token {
            Some(t) if !t.trim().is_empty() => t,
            _ => {
                return Err(HsmError::Config(format!(
                    "the PKCS#11 URI needs token=<label> (the token's label, as shown by the vendor's tools, \
                     e.g. softhsm2-util --show-slots), e.g. {EXAMPLE}"
                )));
            }
        };
        let module = match module {
            Some(m) if !m.is_empty() => PathBuf::from(m),
            _ => {
                return Err(HsmError::Config(format!(
                    "the PKCS#11 URI needs module-path=... (the vendor's .so, for SoftHSM2 \
                     /usr/lib/softhsm/libsofthsm2.so), e.g. {EXAMPLE}"
                )));
            }
        };

        let pin = match (pin_source, pin_value) {
            (Some(_), Some(_)) => {
                return Err(HsmError::Config(
                    "the PKCS#11 URI gives both pin-source= and pin-value=: keep only pin-source=file:<path>".into(),
                ));
            }
            (Some(source), None) => read_pin_source(&source)?,
            (None, Some(value)) => {
                if value.is_empty() {
                    return Err(HsmError::Config(
                        "pin-value= in the PKCS#11 URI is empty: use pin-source=file:<path> instead".into(),
                    ));
                }
                value
            }
            (None, None) => match env_pin {
                Some(p) if !p.is_empty() => p,
                _ => {
                    return Err(HsmError::Config(format!(
                        "no PIN for the HSM: add pin-source=file:<path to a file holding the user PIN> to the \
                         PKCS#11 URI (e.g. {EXAMPLE}) or set CARTOUCHE_HSM_PIN"
                    )));
                }
            },
        };

        Ok(HsmConfig { module, token_label, pin })
    }

    /// The user PIN.
    pub(crate) fn pin(&self) -> &str {
        &self.pin
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) { s.get(prefix.len()..) } else { None }
}

fn split_attr(attr: &str) -> Result<(String, String), HsmError> {
    let Some((name, value)) = attr.split_once('=') else {
        return Err(HsmError::Config(format!(
            "{:?} in the PKCS#11 URI is not of the form name=value, e.g. {EXAMPLE}",
            attr
        )));
    };
    let name = percent_decode(name)?.to_ascii_lowercase();
    let value = percent_decode(value)?;
    Ok((name, value))
}

fn set_once(slot: &mut Option<String>, name: &str, value: String) -> Result<(), HsmError> {
    if slot.is_some() {
        return Err(HsmError::Config(format!("{name}= appears twice in the PKCS#11 URI: keep one")));
    }
    *slot = Some(value);
    Ok(())
}

/// RFC 3986 percent-decoding; the result must be UTF-8.
fn percent_decode(s: &str) -> Result<String, HsmError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16));
            let lo = bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16));
            match (hi, lo) {
                (Some(hi), Some(lo)) => {
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                }
                _ => {
                    return Err(HsmError::Config(format!(
                        "bad percent-encoding in the PKCS#11 URI near {:?}: write % as %25 and other reserved \
                         characters as %XX",
                        s.get(i..).unwrap_or("")
                    )));
                }
            }
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| HsmError::Config(format!("{s:?} in the PKCS#11 URI does not percent-decode to UTF-8")))
}

/// Reads the PIN named by `pin-source=`: `file:/path`, `file:///path`, `file://localhost/path` or a plain path.
fn read_pin_source(source: &str) -> Result<String, HsmError> {
    let path: &str = if let Some(rest) = strip_prefix_ignore_case(source, "file:") {
        if let Some(after) = rest.strip_prefix("//") {
            // file://<host>/<path>: only an empty host or localhost make sense here.
            let (host, path) = match after.find('/') {
                Some(i) => after.split_at(i),
                None => (after, ""),
            };
            if !(host.is_empty() || host.eq_ignore_ascii_case("localhost")) || path.is_empty() {
                return Err(HsmError::Config(format!(
                    "pin-source={source} names a file on another host: write pin-source=file:/path/to/pin-file"
                )));
            }
            path
        } else {
            rest
        }
    } else if source.contains(':') && !source.starts_with('/') && !source.starts_with('.') {
        return Err(HsmError::Config(format!(
            "pin-source={source} is not supported: write pin-source=file:/path/to/pin-file (a file holding the \
             user PIN)"
        )));
    } else {
        source
    };
    if path.is_empty() {
        return Err(HsmError::Config("pin-source= names no file: write pin-source=file:/path/to/pin-file".into()));
    }
    let text = std::fs::read_to_string(Path::new(path)).map_err(|e| {
        HsmError::Config(format!(
            "cannot read the HSM PIN file {path} named by pin-source=: {e}; it must be a readable file holding \
             the user PIN"
        ))
    })?;
    let pin = text.trim_end_matches(['\n', '\r']).to_owned();
    if pin.is_empty() {
        return Err(HsmError::Config(format!("the HSM PIN file {path} is empty: write the user PIN in it")));
    }
    Ok(pin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode() {
        assert_eq!(percent_decode("a%20b%2Fc").ok().as_deref(), Some("a b/c"));
        assert!(percent_decode("a%2").is_err());
        assert!(percent_decode("a%zz").is_err());
        assert!(percent_decode("%ff").is_err());
    }

    #[test]
    fn debug_hides_pin() {
        let c = HsmConfig::parse("pkcs11:token=t?module-path=/m.so&pin-value=s3cret", None);
        let c = c.ok();
        let text = format!("{c:?}");
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("redacted"), "{text}");
    }
}
