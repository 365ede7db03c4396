//! Telling a Cartouche seal from every other code an officer may scan by mistake: a
//! web address, a product's barcode number, another country's health certificate, a
//! Wi-Fi code. Those are not export certificates at all, and an officer must be told so
//! in those words, never "signature invalid" or "expired" (which would suggest a forged
//! or lapsed certificate).
//!
//! What is *shaped* like a seal but damaged (a truncated link, a token with a wrong
//! signature) is still a seal: it goes through verification and is INVALID with the check
//! that failed. The line is drawn on the shape alone, before anything is decoded:
//! - a link to `…/v/…`, digits long enough to be a token, or three base64url parts (a
//!   compact JWS, or anything starting as its JSON header does) is a seal;
//! - so is text that *ends* with a long run of digits: a desk scanner typing the printed
//!   link through a keyboard layout other than its own turns `https://` and `/v/` into
//!   other characters, but digits come through on every layout.
//!
//! Everything else is not a certificate, with the kind of code it looks like.

use crate::qr;

/// The least number of digits taken for a token's numeric form: a seal's token is several
/// hundred characters, twice as many digits; product codes (GTIN-8 to GTIN-14, ISBN) and
/// phone numbers are far shorter.
pub const MIN_SEAL_DIGITS: usize = 64;

/// What a code that is not a Cartouche seal looks like (the API's
/// `not_a_certificate` error gives it as `details.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotASeal {
    /// A web address that is not a verification link.
    WebAddress,
    /// An EU Digital COVID Certificate (`HC1:`) or a SMART Health Card (`shc:/`).
    HealthCertificate,
    /// A short number, such as a product's barcode (EAN/GTIN, ISBN).
    ProductCode,
    /// Any other text (a Wi-Fi code, a contact card, words).
    Text,
}

impl NotASeal {
    /// The stable name (`web_address`, `health_certificate`, `product_code`, `text`).
    pub fn as_str(self) -> &'static str {
        match self {
            NotASeal::WebAddress => "web_address",
            NotASeal::HealthCertificate => "health_certificate",
            NotASeal::ProductCode => "product_code",
            NotASeal::Text => "text",
        }
    }

    /// What the code looks like, in a few English words, for the API's message.
    pub fn describe(self) -> &'static str {
        match self {
            NotASeal::WebAddress => "a web address",
            NotASeal::HealthCertificate => "a health certificate (EU Digital COVID Certificate or SMART Health Card)",
            NotASeal::ProductCode => "a product code (a barcode number)",
            NotASeal::Text => "some other text",
        }
    }
}

/// Whether `text` (as scanned, pasted or typed) is a Cartouche seal, possibly damaged, or
/// another kind of code. Empty text is left to verification, which refuses it.
pub fn recognise(text: &str) -> Result<(), NotASeal> {
    let text = text.trim();
    if text.is_empty() || ends_with_seal_digits(text) {
        return Ok(());
    }
    let lower = |n: usize| text.get(..n).map(str::to_ascii_lowercase);
    if lower(4).as_deref() == Some("hc1:") || lower(5).as_deref() == Some("shc:/") {
        return Err(NotASeal::HealthCertificate);
    }
    if lower(7).as_deref() == Some("http://") || lower(8).as_deref() == Some("https://") {
        return if text.contains("/v/") { Ok(()) } else { Err(NotASeal::WebAddress) };
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        // Long digits: a token's numeric form, damaged or not. Short: a product code.
        return if text.len() >= MIN_SEAL_DIGITS { Ok(()) } else { Err(NotASeal::ProductCode) };
    }
    if lower(4).as_deref() == Some("www.") {
        return Err(NotASeal::WebAddress);
    }
    // A compact JWS: three base64url parts; its JSON header always starts `eyJ` (`{"`).
    let jws_alphabet = text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if jws_alphabet && (text.bytes().filter(|&b| b == b'.').count() == 2 || text.starts_with("eyJ")) {
        return Ok(());
    }
    Err(NotASeal::Text)
}

/// The unshifted digit row of a French or Belgian (AZERTY) keyboard, for 0 to 9: a
/// scanner typing digits as a US keyboard would, on such a computer, types these.
const AZERTY_DIGIT_ROW: [char; 10] = ['à', '&', 'é', '"', '\'', '(', '-', 'è', '_', 'ç'];

/// The digits a text ends with, cut before any `?` or `#`: the run of digits at its end.
pub(crate) fn trailing_digits(text: &str) -> &str {
    let text = text.split(['?', '#']).next().unwrap_or(text);
    let start = text.bytes().rposition(|b| !b.is_ascii_digit()).map_or(0, |at| at + 1);
    &text[start..]
}

/// The digits a text ends with when they were typed through an AZERTY keyboard's digit
/// row: the run of such characters (and digits) at its end, as digits, if it has one of
/// the row's characters that no other layout and no base64url text gives (`-` and `_`
/// alone prove nothing).
fn trailing_azerty_digits(text: &str) -> Option<String> {
    let text = text.split(['?', '#']).next().unwrap_or(text);
    let digit = |c: char| c.to_digit(10).or_else(|| AZERTY_DIGIT_ROW.iter().position(|&d| d == c).map(|at| at as u32));
    let run: Vec<char> = text.chars().rev().take_while(|&c| digit(c).is_some()).collect();
    let telling = run.iter().any(|c| AZERTY_DIGIT_ROW.contains(c) && !matches!(c, '-' | '_'));
    telling.then(|| run.iter().rev().filter_map(|&c| digit(c).and_then(|d| char::from_digit(d, 10))).collect())
}

/// Whether `text` ends with enough digits, typed on any layout, to be a seal's numeric form.
fn ends_with_seal_digits(text: &str) -> bool {
    trailing_digits(text).len() >= MIN_SEAL_DIGITS
        || trailing_azerty_digits(text).is_some_and(|digits| digits.len() >= MIN_SEAL_DIGITS)
}

/// The token of a text that ends with a seal's digits (at least [`MIN_SEAL_DIGITS`]) but
/// is not a link this crate reads otherwise: the printed link typed by a desk scanner
/// through a foreign keyboard layout (`httpsÖ--registry.example-v-5601…` on a German
/// keyboard, `httpsM!!registry.example!v!(à&…` on a French one).
pub(crate) fn token_from_mangled_link(text: &str) -> Option<String> {
    let whole = text.split(['?', '#']).next().unwrap_or(text).chars().count();
    let plain = trailing_digits(text);
    let decoded = (plain.len() >= MIN_SEAL_DIGITS && plain.len() < whole).then(|| qr::digits_to_token(plain)).flatten();
    decoded.or_else(|| {
        let digits = trailing_azerty_digits(text)?;
        (digits.len() >= MIN_SEAL_DIGITS).then(|| qr::digits_to_token(&digits)).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(n: usize) -> String {
        "5601".repeat(n / 4 + 1)[..n].to_owned()
    }

    #[test]
    fn seals_and_damaged_seals_are_seals() {
        let link = format!("https://registry.example/v/{}", digits(800));
        for text in [
            link.as_str(),
            &digits(800),
            "eyJhbGciOiJFZERTQSJ9.eyJ2IjoxfQ.c2ln",
            "a.b.c",
            "eyJhbGciOi",
            "https://registry.example/v/",
            "https://evil.example/v/x.y.z",
            "HTTPS://REGISTRY.EXAMPLE/v/123",
            // The printed link typed by a scanner set to a US layout on a German keyboard.
            &format!("httpsÖ--registry.example-v-{}", digits(800)),
            &format!("https://registry.example/v/{}?lang=fr", digits(800)),
            "",
        ] {
            assert_eq!(recognise(text), Ok(()), "{text:?}");
        }
    }

    #[test]
    fn other_codes_are_named() {
        for (text, kind) in [
            ("https://www.example.com/products/42", NotASeal::WebAddress),
            ("http://example.com", NotASeal::WebAddress),
            ("www.example.com", NotASeal::WebAddress),
            ("HC1:6BFOXN%TS3DHPVO13J /G-/2YRVA.Q/R8JF62FCH", NotASeal::HealthCertificate),
            ("shc:/56762959532654603460292540772804336028702865", NotASeal::HealthCertificate),
            ("4006381333931", NotASeal::ProductCode),
            ("9780141036144", NotASeal::ProductCode),
            ("12345678", NotASeal::ProductCode),
            ("WIFI:S:customs-guest;T:WPA;P:secret;;", NotASeal::Text),
            ("BEGIN:VCARD\nVERSION:3.0\nEND:VCARD", NotASeal::Text),
            ("hello", NotASeal::Text),
            ("!!!.???.###", NotASeal::Text),
            ("a.b.c.d", NotASeal::Text),
            ("example.com", NotASeal::Text),
            ("Export licence no. 12", NotASeal::Text),
        ] {
            assert_eq!(recognise(text), Err(kind), "{text:?}");
        }
    }

    #[test]
    fn a_mangled_link_gives_its_token() {
        let token = "eyJhbGciOiJFZERTQSJ9.eyJ2IjoxfQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtYW5kLW1vcmU";
        let printed = qr::qr_text("https://registry.example", token);
        let typed = printed.replace(':', "Ö").replace('/', "-");
        assert_eq!(token_from_mangled_link(&typed).as_deref(), Some(token));
        assert_eq!(crate::token_from_qr_text(&typed), token);
        // The same link through a French keyboard: `:` and `/` become `M` and `!`, and
        // the digits the unshifted row's characters.
        let azerty: String = printed
            .chars()
            .map(|c| match c {
                ':' => 'M',
                '/' => '!',
                d if d.is_ascii_digit() => AZERTY_DIGIT_ROW[d.to_digit(10).unwrap() as usize],
                other => other,
            })
            .collect();
        assert!(azerty.contains("!v!") && azerty.contains('é'), "{azerty}");
        assert_eq!(recognise(&azerty), Ok(()));
        assert_eq!(crate::token_from_qr_text(&azerty), token);
        // Digits alone, or too few of them, are not a mangled link.
        assert_eq!(token_from_mangled_link(&qr::token_to_digits(token)), None);
        assert_eq!(token_from_mangled_link("tel-0033123456789"), None);
    }
}
