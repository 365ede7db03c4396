//! Read-only reference data that rule plugins may consult: the operator's currency rates
//! table and watch lists of stolen objects. Pure functions, shared by the plugin host and
//! the SDK's native test harness so both answer exactly alike.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

/// Fixed-point scale of parsed rates: six decimals.
const RATE_SCALE: i128 = 1_000_000;

/// A currency rates table: how many units of each currency one unit of `base` buys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatesTable {
    /// The base currency (ISO 4217), normally `EUR`.
    pub base: String,
    /// The date the rates are of (printed in messages).
    #[serde(with = "crate::types::iso_date")]
    pub date: Date,
    /// Units of each currency per one unit of `base`, as decimal strings with at most six
    /// decimals (`"0.8412"`), never floats.
    pub rates: BTreeMap<String, String>,
}

/// Why a rates table was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RatesError {
    /// A rate is not a positive decimal with at most six decimals.
    #[error("rate of {currency} is {value:?}: it must be a positive decimal with at most 6 decimals")]
    BadRate {
        /// The currency.
        currency: String,
        /// The text found.
        value: String,
    },
    /// A currency code is not three upper-case letters.
    #[error("{0:?} is not an ISO 4217 currency code (three upper-case letters)")]
    BadCurrency(String),
}

fn parse_rate(text: &str) -> Option<i128> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || fraction.len() > 6 || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i128 = whole.parse().ok()?;
    let fraction_value: i128 = if fraction.is_empty() { 0 } else { fraction.parse().ok()? };
    let scaled = whole.checked_mul(RATE_SCALE)? + fraction_value * 10_i128.pow(6 - fraction.len() as u32);
    (scaled > 0).then_some(scaled)
}

fn is_currency(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

impl RatesTable {
    /// Checks every currency code and rate.
    pub fn check(&self) -> Result<(), RatesError> {
        if !is_currency(&self.base) {
            return Err(RatesError::BadCurrency(self.base.clone()));
        }
        for (currency, value) in &self.rates {
            if !is_currency(currency) {
                return Err(RatesError::BadCurrency(currency.clone()));
            }
            if parse_rate(value).is_none() {
                return Err(RatesError::BadRate { currency: currency.clone(), value: value.clone() });
            }
        }
        Ok(())
    }

    fn rate(&self, currency: &str) -> Option<i128> {
        if currency == self.base { Some(RATE_SCALE) } else { self.rates.get(currency).and_then(|r| parse_rate(r)) }
    }

    /// Converts `amount_cents` (hundredths of a unit, whatever the currency) from one
    /// currency to another, rounding half to even. `None` if a currency is unknown or the
    /// result does not fit.
    pub fn convert(&self, amount_cents: i64, from: &str, to: &str) -> Option<i64> {
        if from == to {
            return Some(amount_cents);
        }
        let (from_rate, to_rate) = (self.rate(from)?, self.rate(to)?);
        let numerator = i128::from(amount_cents).checked_mul(to_rate)?;
        let (quotient, remainder) = (numerator / from_rate, numerator % from_rate);
        let twice = remainder.abs() * 2;
        let away = twice > from_rate || (twice == from_rate && quotient % 2 != 0);
        let rounded = if away { quotient + numerator.signum() } else { quotient };
        i64::try_from(rounded).ok()
    }
}

/// A list of objects to watch for (stolen, looted), as loaded by the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchList {
    /// The list's name, e.g. `INTERPOL-SWOA`.
    pub name: String,
    /// Its entries.
    pub entries: Vec<WatchEntry>,
}

/// One object on a watch list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchEntry {
    /// The entry's reference in its list.
    pub reference: String,
    /// What the object is, for the officer.
    pub description: String,
    /// Title of the object, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Its maker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maker: Option<String>,
    /// SHA-256 (hex) of known photos of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photo_sha256: Vec<String>,
}

/// A search of the watch lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchQuery {
    /// SHA-256 of the object's photos.
    pub photo_sha256: Vec<String>,
    /// Its title.
    pub title: Option<String>,
    /// Its maker.
    pub maker: Option<String>,
    /// Its inscriptions (not matched yet; kept for lists that index them).
    pub inscriptions: Option<String>,
}

/// A watch-list entry that matches a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchHit {
    /// The list.
    pub list_name: String,
    /// The entry's reference.
    pub reference: String,
    /// `photo` or `title-and-maker`.
    pub matched_on: String,
    /// The entry's description.
    pub description: String,
}

/// Lower-case letters and digits only, so that spacing, case and punctuation differences
/// do not hide a match.
fn normalized(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Everything a plugin may consult.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceData {
    /// The rates table, if one is loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rates: Option<RatesTable>,
    /// The watch lists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub watch_lists: Vec<WatchList>,
}

impl ReferenceData {
    /// Converts through the rates table (`None` without one).
    pub fn convert(&self, amount_cents: i64, from: &str, to: &str) -> Option<i64> {
        match &self.rates {
            Some(table) => table.convert(amount_cents, from, to),
            None if from == to => Some(amount_cents),
            None => None,
        }
    }

    /// The rates table's date, or an empty string.
    pub fn rates_date(&self) -> String {
        self.rates.as_ref().map(|table| table.date.to_string()).unwrap_or_default()
    }

    /// Entries matching by a photo hash, or by title and maker together (normalized).
    pub fn search(&self, query: &WatchQuery) -> Vec<WatchHit> {
        let title = query.title.as_deref().map(normalized).filter(|t| !t.is_empty());
        let maker = query.maker.as_deref().map(normalized).filter(|m| !m.is_empty());
        let mut hits = Vec::new();
        for list in &self.watch_lists {
            for entry in &list.entries {
                let matched_on = if entry
                    .photo_sha256
                    .iter()
                    .any(|sha| query.photo_sha256.iter().any(|wanted| wanted.eq_ignore_ascii_case(sha)))
                {
                    "photo"
                } else if title.is_some()
                    && maker.is_some()
                    && entry.title.as_deref().map(normalized) == title
                    && entry.maker.as_deref().map(normalized) == maker
                {
                    "title-and-maker"
                } else {
                    continue;
                };
                hits.push(WatchHit {
                    list_name: list.name.clone(),
                    reference: entry.reference.clone(),
                    matched_on: matched_on.to_owned(),
                    description: entry.description.clone(),
                });
            }
        }
        hits
    }

    /// Checks the rates table.
    pub fn check(&self) -> Result<(), RatesError> {
        self.rates.as_ref().map_or(Ok(()), RatesTable::check)
    }
}

/// Parses a declared amount (`"13500.00"`, at most two decimals) into cents.
pub fn amount_cents(amount: &str) -> Option<i64> {
    let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    if whole.is_empty() || fraction.len() > 2 || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let cents: i64 =
        if fraction.is_empty() { 0 } else { fraction.parse::<i64>().ok()? * if fraction.len() == 1 { 10 } else { 1 } };
    whole.checked_mul(100)?.checked_add(cents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RatesTable {
        RatesTable {
            base: "EUR".into(),
            date: time::macros::date!(2026 - 11 - 27),
            rates: [("GBP", "0.8400"), ("CHF", "0.9350"), ("USD", "1.0500")]
                .into_iter()
                .map(|(c, r)| (c.to_owned(), r.to_owned()))
                .collect(),
        }
    }

    #[test]
    fn converts_through_the_base_with_half_even_rounding() {
        let t = table();
        assert_eq!(t.convert(100_00, "EUR", "GBP"), Some(84_00));
        assert_eq!(t.convert(84_00, "GBP", "EUR"), Some(100_00));
        assert_eq!(t.convert(180_000_00, "GBP", "EUR"), Some(214_285_71));
        assert_eq!(t.convert(1, "EUR", "GBP"), Some(1)); // 0.84 rounds to 1
        assert_eq!(t.convert(5, "EUR", "CHF"), Some(5)); // 4.675 -> 5
        assert_eq!(t.convert(100, "EUR", "XXX"), None);
        assert_eq!(t.convert(i64::MAX, "GBP", "EUR"), None);
        assert!(t.check().is_ok());
    }

    #[test]
    fn bad_rates_are_refused() {
        let mut t = table();
        t.rates.insert("JPY".into(), "1e3".into());
        assert!(matches!(t.check(), Err(RatesError::BadRate { .. })));
        t.rates.remove("JPY");
        t.rates.insert("jpy".into(), "160".into());
        assert_eq!(t.check(), Err(RatesError::BadCurrency("jpy".into())));
    }

    #[test]
    fn amounts_parse_to_cents() {
        assert_eq!(amount_cents("13500"), Some(1_350_000));
        assert_eq!(amount_cents("13500.5"), Some(1_350_050));
        assert_eq!(amount_cents("13500.01"), Some(1_350_001));
        assert_eq!(amount_cents("1.234"), None);
        assert_eq!(amount_cents("-1"), None);
        assert_eq!(amount_cents(""), None);
    }

    #[test]
    fn watch_lists_match_photos_or_title_and_maker() {
        let data = ReferenceData {
            rates: None,
            watch_lists: vec![WatchList {
                name: "TEST".into(),
                entries: vec![WatchEntry {
                    reference: "T-1".into(),
                    description: "stolen".into(),
                    title: Some("La Liseuse".into()),
                    maker: Some("Jean-Honoré Fragonard".into()),
                    photo_sha256: vec!["ab".repeat(32)],
                }],
            }],
        };
        let by_title = WatchQuery {
            title: Some("la  liseuse".into()),
            maker: Some("JEAN HONORÉ FRAGONARD".into()),
            ..WatchQuery::default()
        };
        assert_eq!(data.search(&by_title)[0].matched_on, "title-and-maker");
        let by_photo = WatchQuery { photo_sha256: vec!["AB".repeat(32)], ..WatchQuery::default() };
        assert_eq!(data.search(&by_photo)[0].matched_on, "photo");
        let title_only = WatchQuery { title: Some("La Liseuse".into()), ..WatchQuery::default() };
        assert!(data.search(&title_only).is_empty());
    }
}
