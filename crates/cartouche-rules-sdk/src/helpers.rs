//! Helpers for the questions most rules ask: how old is the object, what is it worth in
//! the currency of a threshold, which categories does it declare, where is that field,
//! when does a period of years end.

use cartouche_model::CulturalObject;
use cartouche_model::reference::amount_cents;
use time::Date;

use crate::Reference;

/// The object's age at `date` in whole years, from its dating range: the youngest it can
/// be (from `latest_year`) and the oldest (from `earliest_year`). Years before the common
/// era are negative, as in the schema (`-320` is 320 BCE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Age {
    /// Age if it was made as late as its dating allows.
    pub at_least: i32,
    /// Age if it was made as early as its dating allows.
    pub at_most: i32,
}

/// The age of `object` at `date`.
pub fn age(object: &CulturalObject, date: Date) -> Age {
    let year = date.year();
    Age { at_least: year - object.dating.latest_year, at_most: year - object.dating.earliest_year }
}

impl Age {
    /// Certainly more than `years` old (even at the latest date of its dating).
    pub fn certainly_over(self, years: i32) -> bool {
        self.at_least > years
    }
    /// Possibly more than `years` old (at the earliest date of its dating).
    pub fn possibly_over(self, years: i32) -> bool {
        self.at_most > years
    }
}

/// Why a value could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueError {
    /// The amount is not a decimal with at most two decimals.
    BadAmount(String),
    /// The rates table cannot convert between the two currencies.
    NoRate {
        /// The declared currency.
        from: String,
        /// The currency asked for.
        to: String,
    },
}

impl ValueError {
    /// The field at fault, relative to the object: `value/amount` or `value/currency`.
    pub fn field(&self) -> &'static str {
        match self {
            ValueError::BadAmount(_) => "value/amount",
            ValueError::NoRate { .. } => "value/currency",
        }
    }
}

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValueError::BadAmount(amount) => {
                write!(f, "the amount {amount:?} is not a decimal with at most 2 decimals")
            }
            ValueError::NoRate { from, to } => write!(f, "the operator's rates table cannot convert {from} to {to}"),
        }
    }
}

/// The object's declared value (for all its `quantity`) in `currency`, in cents, converted
/// through the operator's rates table when it is declared in another currency.
pub fn value_in(object: &CulturalObject, currency: &str, reference: &dyn Reference) -> Result<i64, ValueError> {
    let cents = amount_cents(&object.value.amount).ok_or_else(|| ValueError::BadAmount(object.value.amount.clone()))?;
    reference
        .convert(cents, &object.value.currency, currency)
        .ok_or_else(|| ValueError::NoRate { from: object.value.currency.clone(), to: currency.to_owned() })
}

/// `date` plus `years` calendar years. A period ending on a day its last month lacks
/// (29 February in a common year) ends on that month's last day, 28 February (Reg. (EEC,
/// Euratom) No 1182/71 Art. 3(2)(c)).
pub fn add_years(date: Date, years: i32) -> Date {
    let year = date.year() + years;
    date.replace_year(year).or_else(|_| date.replace_day(28).and_then(|day| day.replace_year(year))).unwrap_or(date)
}

/// Cents as `"13,500.00"` for messages.
pub fn format_cents(cents: i64) -> String {
    let whole = (cents / 100).abs().to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{}{grouped}.{:02}", if cents < 0 { "-" } else { "" }, (cents % 100).abs())
}

/// The codes the object declares under `scheme` (`"EU116"` gives `"3"` for `"EU116:3"`).
pub fn categories<'a>(object: &'a CulturalObject, scheme: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    object.category_codes.iter().filter_map(move |code| code.strip_prefix(scheme)?.strip_prefix(':'))
}

/// JSON pointer to a field of the object at `index`: `object_field(0, "value/amount")` is
/// `/objects/0/value/amount`; an empty `path` points at the object.
pub fn object_field(index: usize, path: &str) -> String {
    if path.is_empty() { format!("/objects/{index}") } else { format!("/objects/{index}/{path}") }
}

/// Whether the object's type or materials mention one of `words` (case-insensitive).
pub fn mentions(object: &CulturalObject, words: &[&str]) -> bool {
    let haystack = object
        .object_type
        .iter()
        .chain(object.materials_techniques.iter())
        .chain(object.title.iter())
        .map(|text| text.to_lowercase())
        .collect::<Vec<_>>()
        .join(" | ");
    words.iter().any(|word| haystack.contains(&word.to_lowercase()))
}

/// Words that make an object archaeological (type or materials), in the certificates'
/// languages.
pub const ARCHAEOLOGY_WORDS: [&str; 5] = ["archaeolog", "archéolog", "archeolog", "archäolog", "arqueol"];

/// Whether the object is archaeological material: EU116 category 1 (products of excavations
/// or finds) or 2 (elements of dismembered monuments), a find place, or a word for it in its
/// type or materials (not its title).
pub fn is_archaeological(object: &CulturalObject) -> bool {
    categories(object, "EU116").any(|code| code == "1" || code == "2")
        || object
            .provenance
            .as_ref()
            .and_then(|provenance| provenance.find_place.as_deref())
            .is_some_and(|place| !place.trim().is_empty())
        || object
            .object_type
            .iter()
            .chain(object.materials_techniques.iter())
            .map(|text| text.to_lowercase())
            .any(|text| ARCHAEOLOGY_WORDS.iter().any(|word| text.contains(word)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_are_added_on_the_calendar() {
        use time::macros::date;
        assert_eq!(add_years(date!(2026 - 11 - 28), 1), date!(2027 - 11 - 28));
        assert_eq!(add_years(date!(2026 - 11 - 28), 20), date!(2046 - 11 - 28));
        // 29 February: the period ends on the last day of February in a common year.
        assert_eq!(add_years(date!(2028 - 02 - 29), 1), date!(2029 - 02 - 28));
        assert_eq!(add_years(date!(2028 - 02 - 29), 5), date!(2033 - 02 - 28));
        assert_eq!(add_years(date!(2028 - 02 - 29), 4), date!(2032 - 02 - 29));
        assert_eq!(add_years(date!(2023 - 03 - 01), 3), date!(2026 - 03 - 01));
        assert_eq!(add_years(date!(2026 - 11 - 28), -3), date!(2023 - 11 - 28));
    }

    #[test]
    fn cents_print_with_grouping() {
        assert_eq!(format_cents(1_350_000), "13,500.00");
        assert_eq!(format_cents(5), "0.05");
        assert_eq!(format_cents(100_000_000_00), "100,000,000.00");
    }
}
