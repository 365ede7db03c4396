//! The QR code of a seal: its text, and rendering it to PNG and SVG.
//!
//! The QR text is the URL `{public-url}/v/{digits}`, where `{digits}` is the token with
//! every character written as two decimal digits (its code minus 45, as SMART Health Cards
//! do). Any phone camera opens it as a link, and the digits go into a QR *numeric*
//! segment, which packs 3.3 bits per digit (6.7 bits per token character) where a byte
//! segment needs 8. Together with the DEFLATE-compressed payload this keeps a one-object
//! seal within QR version 20 at error correction M. Verifiers accept this form, the
//! URL with the plain token, and the bare token.

use qrcode::{EcLevel, QrCode, Version};

/// Errors of QR rendering.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// The text does not fit in any QR version at this error-correction level.
    #[error("the seal does not fit in a QR code at error correction {0:?}")]
    TooLong(EcLevel),
    /// The image could not be encoded.
    #[error("cannot encode the QR image: {0}")]
    Image(String),
}

/// The first character the numeric form encodes (`-`, code 45); base64url's highest is `z`
/// (122), so every character becomes two digits 00..=77.
const NUMERIC_OFFSET: u8 = 45;

/// Writes `token` as digits, two per character.
pub fn token_to_digits(token: &str) -> String {
    let mut out = String::with_capacity(token.len() * 2);
    for byte in token.bytes() {
        let value = byte.saturating_sub(NUMERIC_OFFSET);
        out.push(char::from(b'0' + value / 10));
        out.push(char::from(b'0' + value % 10));
    }
    out
}

/// Reads a token back from its digits; `None` if `digits` is not such a form.
pub fn digits_to_token(digits: &str) -> Option<String> {
    let bytes = digits.as_bytes();
    if bytes.is_empty() || bytes.len() % 2 != 0 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut out = String::with_capacity(bytes.len() / 2);
    for pair in bytes.chunks_exact(2) {
        let value = (pair[0] - b'0') * 10 + (pair[1] - b'0');
        let byte = value.checked_add(NUMERIC_OFFSET).filter(|b| *b <= b'z')?;
        out.push(char::from(byte));
    }
    Some(out)
}

/// The text put in the QR code: `{public_url}/v/{digits of the token}`.
pub fn qr_text(public_url: &str, token: &str) -> String {
    format!("{}/v/{}", public_url.trim_end_matches('/'), token_to_digits(token))
}

/// Parses an error-correction level name (`L`, `M`, `Q`, `H`).
pub fn parse_ec_level(text: &str) -> Option<EcLevel> {
    match text {
        "L" | "l" => Some(EcLevel::L),
        "M" | "m" => Some(EcLevel::M),
        "Q" | "q" => Some(EcLevel::Q),
        "H" | "h" => Some(EcLevel::H),
        _ => None,
    }
}

/// The QR code of `text` (segments chosen by the encoder: byte for the URL, numeric for
/// the digits).
pub fn qr_code(text: &str, level: EcLevel) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(text.as_bytes(), level).map_err(|_| QrError::TooLong(level))
}

/// The QR version (1..=40) `text` needs at `level`.
pub fn qr_version(text: &str, level: EcLevel) -> Result<i16, QrError> {
    match qr_code(text, level)?.version() {
        Version::Normal(version) | Version::Micro(version) => Ok(version),
    }
}

/// Quiet zone around the code, in modules (the standard asks for 4).
pub const QUIET_ZONE_MODULES: u32 = 4;

/// Renders `text` as a PNG whose side is about `size_px` (at least 2 pixels per module,
/// whole pixels per module so it stays crisp), with the quiet zone.
pub fn render_png(text: &str, level: EcLevel, size_px: u32) -> Result<Vec<u8>, QrError> {
    let code = qr_code(text, level)?;
    let modules = code.width() as u32 + 2 * QUIET_ZONE_MODULES;
    let scale = (size_px / modules).max(2);
    let image = code.render::<image::Luma<u8>>().quiet_zone(true).module_dimensions(scale, scale).build();
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).map_err(|error| QrError::Image(error.to_string()))?;
    Ok(out.into_inner())
}

/// Renders `text` as an SVG of about `size_px` pixels, with the quiet zone.
pub fn render_svg(text: &str, level: EcLevel, size_px: u32) -> Result<String, QrError> {
    let code = qr_code(text, level)?;
    let modules = code.width() as u32 + 2 * QUIET_ZONE_MODULES;
    let scale = (size_px / modules).max(1);
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .module_dimensions(scale, scale)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn digits_round_trip_base64url_and_dots() {
        let token = "eyJhbGciOiJFZERTQSJ9.abc-_XYZ.0189";
        assert_eq!(digits_to_token(&token_to_digits(token)).unwrap(), token);
        assert!(digits_to_token("123").is_none());
        assert!(digits_to_token("99").is_none(), "78 and above are not base64url");
        assert!(digits_to_token("12a4").is_none());
    }

    proptest! {
        #[test]
        fn any_token_alphabet_round_trips(token in "[A-Za-z0-9_.-]{1,200}") {
            prop_assert_eq!(digits_to_token(&token_to_digits(&token)).unwrap(), token);
        }
    }
}
