//! Certificate numbers: `CC-YYYY-NNNNNN`, one gapless sequence per country and year.

use std::fmt;
use std::str::FromStr;

/// A parsed certificate number such as `FR-2026-000042`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CertificateNumber {
    country: [u8; 2],
    /// Year of issue.
    pub year: u16,
    /// Position in that country's sequence for that year, from 1.
    pub sequence: u32,
}

/// The highest sequence a number can carry (six digits).
pub const MAX_SEQUENCE: u32 = 999_999;

impl CertificateNumber {
    /// Builds a number; `None` when the country is not two upper-case letters or the
    /// sequence does not fit in six digits.
    pub fn new(country: &str, year: u16, sequence: u32) -> Option<Self> {
        let bytes = country.as_bytes();
        if !crate::types::is_country_code(country) {
            return None;
        }
        if sequence == 0 || sequence > MAX_SEQUENCE || year > 9999 {
            return None;
        }
        Some(Self { country: [bytes[0], bytes[1]], year, sequence })
    }

    /// The issuing country.
    pub fn country(&self) -> &str {
        // Both bytes are ASCII upper-case letters, checked in `new` and `from_str`.
        std::str::from_utf8(&self.country).unwrap_or("??")
    }
}

impl fmt::Display for CertificateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:04}-{:06}", self.country(), self.year, self.sequence)
    }
}

/// Why a string is not a certificate number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a certificate number (expected CC-YYYY-NNNNNN, e.g. FR-2026-000001)")]
pub struct NumberParseError;

impl FromStr for CertificateNumber {
    type Err = NumberParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bytes = text.as_bytes();
        if bytes.len() != 14 || bytes[2] != b'-' || bytes[7] != b'-' {
            return Err(NumberParseError);
        }
        let digits = |range: std::ops::Range<usize>| -> Result<u32, NumberParseError> {
            let part = &text[range];
            if part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().map_err(|_| NumberParseError)
            } else {
                Err(NumberParseError)
            }
        };
        let year = digits(3..7)? as u16;
        let sequence = digits(8..14)?;
        CertificateNumber::new(&text[0..2], year, sequence).ok_or(NumberParseError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_formats() {
        let number: CertificateNumber = "FR-2026-000042".parse().unwrap();
        assert_eq!(number.country(), "FR");
        assert_eq!(number.year, 2026);
        assert_eq!(number.sequence, 42);
        assert_eq!(number.to_string(), "FR-2026-000042");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "fr-2026-000001",
            "FR-2026-000000",
            "FR2026000001",
            "FR-26-000001",
            "FR-2026-00001a",
            "FR-2026-0000001",
            "ÉR-2026-00001",
        ] {
            assert!(bad.parse::<CertificateNumber>().is_err(), "{bad} accepted");
        }
    }

    proptest! {
        #[test]
        fn round_trips(country in "[A-Z]{2}", year in 0u16..=9999, sequence in 1u32..=MAX_SEQUENCE) {
            let number = CertificateNumber::new(&country, year, sequence).unwrap();
            prop_assert_eq!(number.to_string().parse::<CertificateNumber>().unwrap(), number);
        }
    }
}
