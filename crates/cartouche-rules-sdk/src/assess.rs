//! Category assessment, shared by the export and import rules: whether an object falls in
//! a category of a country's table (an age, a value threshold in a currency, per item or
//! for the whole lot, and the country's exemption), and why not when it does not.
//!
//! A plugin keeps its table (a `const` slice of [`Category`], with whatever label type it
//! words its findings with), its exceptions as hooks ([`Exemption`], or by choosing which
//! categories apply to an object) and its findings. The rules here are the same for every
//! plugin:
//!
//! - **Age**: "more than N years" holds only when even the latest year of the dating is
//!   more than N years before the evaluation date (see [`Age::certainly_over`]).
//! - **Exemption**: checked once the age is met, before the value is read.
//! - **Value**: compared in cents of the table's currency, after conversion through the
//!   operator's rates; [`ValueLimit::AtLeast`] is `>=`, [`ValueLimit::Over`] is `>`;
//!   [`Count::PerItem`] compares the line's value with the threshold times its quantity (no
//!   division, so no rounding), [`Count::WholeLot`] with the threshold itself. A category at
//!   [`ValueLimit::Any`] never reads the value.
//! - **Several categories**: the object is covered when any of them covers it (the first
//!   that does decides the wording); else, if one needs a value that cannot be read, that is
//!   the outcome; else the first category's reason.
//!
//! [`Age::certainly_over`]: crate::helpers::Age::certainly_over

use cartouche_model::{Application, CulturalObject};
use time::Date;

use crate::Reference;
use crate::helpers::{ValueError, age, categories, value_in};

/// A category's value threshold, in cents of the table's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueLimit {
    /// Any value: the value is not read.
    Any,
    /// The value must be at least this ("corresponds to or exceeds", "égale ou
    /// supérieure", "or more").
    AtLeast(i64),
    /// The value must be more than this ("oltre", "above").
    Over(i64),
}

impl ValueLimit {
    /// The threshold for one item, `None` at any value.
    pub fn cents(self) -> Option<i64> {
        match self {
            ValueLimit::Any => None,
            ValueLimit::AtLeast(cents) | ValueLimit::Over(cents) => Some(cents),
        }
    }

    /// Whether `cents` meets `threshold` under this comparison.
    fn is_met(self, cents: i64, threshold: i64) -> bool {
        match self {
            ValueLimit::Any => true,
            ValueLimit::AtLeast(_) => cents >= threshold,
            ValueLimit::Over(_) => cents > threshold,
        }
    }
}

/// What a value threshold counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// Each item: a line of `quantity` identical items meets the threshold when its declared
    /// (total) value meets the threshold times the quantity.
    PerItem,
    /// The line as a whole (collections; rules that value a set as one).
    WholeLot,
}

/// A country's exemption: whether the object is outside a category although old and
/// valuable enough. A plain function, so that a plugin links only the exemptions it uses;
/// [`owned_by_living_maker`] and [`by_living_maker`] are the common ones.
pub type Exemption = fn(&CulturalObject, &Application) -> bool;

/// One category of a table. `L` is the plugin's label (names in its languages, a kind).
#[derive(Debug, Clone)]
pub struct Category<L> {
    /// Its code in the table's scheme (`"3"` for `EU116:3`).
    pub code: &'static str,
    /// The plugin's label.
    pub label: L,
    /// The object must be more than this many years old; `None`: no age condition.
    pub over_years: Option<i32>,
    /// The value threshold.
    pub value: ValueLimit,
    /// What the threshold counts.
    pub count: Count,
    /// Who is exempt, if anyone.
    pub exemption: Option<Exemption>,
}

impl<L> Category<L> {
    /// Whether the threshold is counted per item on this object (more than one item, per
    /// item): what messages say as "per item".
    pub fn per_item(&self, object: &CulturalObject) -> bool {
        object.quantity > 1 && self.count == Count::PerItem && self.value != ValueLimit::Any
    }

    /// The threshold the object's declared value is compared with: per item times the
    /// quantity (a quantity of 0 counts as 1), or for the whole lot; `None` at any value.
    pub fn threshold_for(&self, object: &CulturalObject) -> Option<i64> {
        let items = match self.count {
            Count::PerItem => i64::from(object.quantity.max(1)),
            Count::WholeLot => 1,
        };
        self.value.cents().map(|cents| cents.saturating_mul(items))
    }
}

/// What an assessment reads besides the object.
#[derive(Clone, Copy)]
pub struct Facts<'a> {
    /// The application: its owner and applicant, for the exemptions.
    pub application: &'a Application,
    /// The date ages are counted at.
    pub date: Date,
    /// The operator's rates.
    pub reference: &'a dyn Reference,
}

/// Why an object is outside a category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Not certainly more than `over` years old: at least `at_least` by its dating.
    TooYoung {
        /// The category's age.
        over: i32,
        /// The youngest the object can be.
        at_least: i32,
    },
    /// The category's exemption applies.
    Exempt,
    /// Its value, `cents`, does not meet `threshold` (the threshold times the quantity when
    /// counted per item).
    BelowValue {
        /// The declared value in the table's currency.
        cents: i64,
        /// What it was compared with.
        threshold: i64,
    },
}

/// One object against one category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assessment {
    /// The category covers the object; `value_cents` is its value in the table's currency
    /// when the category has a threshold.
    Covered {
        /// The value that met the threshold.
        value_cents: Option<i64>,
    },
    /// The category does not cover it.
    NotCovered(Reason),
    /// The category needs the value and it cannot be read in the table's currency.
    Unreadable(ValueError),
}

impl Assessment {
    /// Whether the category covers the object.
    pub fn is_covered(&self) -> bool {
        matches!(self, Assessment::Covered { .. })
    }
}

/// Whether `name` and `other` name the same person: case and spacing ignored.
pub fn same_person(name: &str, other: &str) -> bool {
    let mut left = name.split_whitespace().map(str::to_lowercase);
    let mut right = other.split_whitespace().map(str::to_lowercase);
    loop {
        match (left.next(), right.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// Whether the object belongs to its living maker: the maker is living and is the owner
/// (box 7, or the applicant when no owner is named), names compared with [`same_person`]
/// (Reg. 116/2009 Annex I A.3-A.9 "not belonging to their originators"; KGSG §24(1) no. 2;
/// Code du patrimoine Annex 1 to R.111-1).
pub fn owned_by_living_maker(object: &CulturalObject, application: &Application) -> bool {
    let owner = application.owner.as_ref().unwrap_or(&application.applicant);
    object.maker.as_ref().is_some_and(|maker| maker.living == Some(true) && same_person(&maker.name, &owner.name))
}

/// Whether the object's maker is living, whoever owns it (D.Lgs. 42/2004 art. 65: "opera
/// di autore non più vivente").
pub fn by_living_maker(object: &CulturalObject, _application: &Application) -> bool {
    object.maker.as_ref().and_then(|maker| maker.living) == Some(true)
}

/// The object against one category, its value read in `currency`: the age, then the
/// exemption, then the value.
pub fn assess<L>(object: &CulturalObject, category: &Category<L>, currency: &str, facts: &Facts<'_>) -> Assessment {
    if let Some(over) = category.over_years {
        let age = age(object, facts.date);
        if !age.certainly_over(over) {
            return Assessment::NotCovered(Reason::TooYoung { over, at_least: age.at_least });
        }
    }
    if category.exemption.is_some_and(|exempt| exempt(object, facts.application)) {
        return Assessment::NotCovered(Reason::Exempt);
    }
    let Some(threshold) = category.threshold_for(object) else {
        return Assessment::Covered { value_cents: None };
    };
    match value_in(object, currency, facts.reference) {
        Err(error) => Assessment::Unreadable(error),
        Ok(cents) if category.value.is_met(cents, threshold) => Assessment::Covered { value_cents: Some(cents) },
        Ok(cents) => Assessment::NotCovered(Reason::BelowValue { cents, threshold }),
    }
}

/// The object against every category of `applicable` (values in `currency`): the first
/// that covers it; else the first whose value cannot be read; else the first. `None` when
/// `applicable` is empty.
pub fn decisive<'c, L: 'c>(
    object: &CulturalObject,
    applicable: impl IntoIterator<Item = &'c Category<L>>,
    currency: &str,
    facts: &Facts<'_>,
) -> Option<(&'c Category<L>, Assessment)> {
    let mut first = None;
    let mut unreadable = None;
    for category in applicable {
        let assessment = assess(object, category, currency, facts);
        match assessment {
            Assessment::Covered { .. } => return Some((category, assessment)),
            Assessment::Unreadable(_) if unreadable.is_none() => unreadable = Some((category, assessment)),
            _ if first.is_none() => first = Some((category, assessment)),
            _ => {}
        }
    }
    // The first category decides the wording unless a value could not be read.
    match (unreadable, first) {
        (Some(unreadable), _) => Some(unreadable),
        (None, first) => first,
    }
}

/// A country's categories: codes of one scheme, thresholds in one currency, and optionally
/// a category for goods that declare none of them.
#[derive(Debug)]
pub struct Table<L: 'static> {
    /// The category codes' scheme (`"EU116"`).
    pub scheme: &'static str,
    /// The thresholds' currency (`"EUR"`).
    pub currency: &'static str,
    /// The categories, in the order the plugin lists them.
    pub categories: &'static [Category<L>],
    /// The category of goods that declare no code of the table (Italy's "any other thing",
    /// Reg. 2019/880 Part C's "other goods"); `None`: such goods are in no category.
    pub other_goods: Option<&'static Category<L>>,
}

impl<L: 'static> Table<L> {
    /// The category with `code`.
    pub fn category(&self, code: &str) -> Option<&'static Category<L>> {
        self.categories.iter().find(|category| category.code == code)
    }

    /// The categories the object declares, in its order; the category of other goods when it declares none of the table's.
    pub fn applicable(&self, object: &CulturalObject) -> Vec<&'static Category<L>> {
        let mut found: Vec<&'static Category<L>> =
            categories(object, self.scheme).filter_map(|code| self.category(code)).collect();
        if found.is_empty() {
            found.extend(self.other_goods);
        }
        found
    }

    /// Codes of the table's scheme that the object declares and the table lacks, with their
    /// position in `category_codes`.
    pub fn unknown_codes<'o>(&self, object: &'o CulturalObject) -> impl Iterator<Item = (usize, &'o str)> {
        object.category_codes.iter().enumerate().filter_map(move |(position, code)| {
            let number = code.strip_prefix(self.scheme)?.strip_prefix(':')?;
            self.category(number).is_none().then_some((position, code.as_str()))
        })
    }

    /// The object against its [`applicable`](Self::applicable) categories (see
    /// [`decisive`]); `None` when it is in none.
    pub fn assess(&self, object: &CulturalObject, facts: &Facts<'_>) -> Option<(&'static Category<L>, Assessment)> {
        decisive(object, self.applicable(object), self.currency, facts)
    }
}

#[cfg(test)]
mod tests {
    use cartouche_model::reference::ReferenceData;
    use time::macros::date;

    use super::*;

    /// Rates of the case files: EUR 1 = GBP 0.84 = USD 1.05; no JPY.
    fn rates() -> ReferenceData {
        serde_json::from_str(
            r#"{"rates": {"base": "EUR", "date": "2026-11-27", "rates": {"GBP": "0.8400", "USD": "1.0500"}}}"#,
        )
        .expect("the rates parse")
    }

    /// The French example (a painting of about 1780 by Hubert Robert, not living, owned by a
    /// gallery), its object changed by `change`.
    fn application(change: impl FnOnce(&mut CulturalObject)) -> Application {
        let mut application: Application =
            serde_json::from_str(include_str!("../../../schemas/examples/fr-painting-to-us.json")).expect("it parses");
        change(&mut application.objects[0]);
        application
    }

    fn worth(amount: &str, currency: &str) -> impl FnOnce(&mut CulturalObject) {
        move |object| {
            object.value.amount = amount.to_owned();
            object.value.currency = currency.to_owned();
        }
    }

    fn dated(earliest_year: i32, latest_year: i32) -> impl FnOnce(&mut CulturalObject) {
        move |object| {
            object.dating.earliest_year = earliest_year;
            object.dating.latest_year = latest_year;
        }
    }

    fn category(over_years: Option<i32>, value: ValueLimit, count: Count) -> Category<&'static str> {
        Category { code: "3", label: "test", over_years, value, count, exemption: None }
    }

    /// The application's first object against `category`, in `currency`, on 28 November 2026.
    fn assessed(application: &Application, category: &Category<&'static str>, currency: &str) -> Assessment {
        let reference = rates();
        let facts = Facts { application, date: date!(2026 - 11 - 28), reference: &reference };
        assess(&application.objects[0], category, currency, &facts)
    }

    fn covered(cents: i64) -> Assessment {
        Assessment::Covered { value_cents: Some(cents) }
    }

    fn below(cents: i64, threshold: i64) -> Assessment {
        Assessment::NotCovered(Reason::BelowValue { cents, threshold })
    }

    #[test]
    fn at_least_covers_the_threshold_itself() {
        let painting = category(Some(50), ValueLimit::AtLeast(150_000_00), Count::PerItem);
        for (amount, expected) in [
            ("149999.99", below(149_999_99, 150_000_00)),
            ("150000.00", covered(150_000_00)),
            ("150000.01", covered(150_000_01)),
        ] {
            assert_eq!(assessed(&application(worth(amount, "EUR")), &painting, "EUR"), expected, "{amount}");
        }
    }

    #[test]
    fn over_does_not_cover_the_threshold_itself() {
        let alc = category(Some(70), ValueLimit::Over(13_500_00), Count::WholeLot);
        for (amount, expected) in [
            ("13499.99", below(13_499_99, 13_500_00)),
            ("13500.00", below(13_500_00, 13_500_00)),
            ("13500.01", covered(13_500_01)),
        ] {
            assert_eq!(assessed(&application(worth(amount, "EUR")), &alc, "EUR"), expected, "{amount}");
        }
    }

    #[test]
    fn any_value_never_reads_the_value() {
        let archaeology = category(Some(100), ValueLimit::Any, Count::PerItem);
        let any = Assessment::Covered { value_cents: None };
        assert_eq!(assessed(&application(worth("1", "JPY")), &archaeology, "EUR"), any);
        assert_eq!(assessed(&application(worth("not a number", "EUR")), &archaeology, "EUR"), any);
        assert_eq!(archaeology.threshold_for(&application(|_| {}).objects[0]), None);
    }

    #[test]
    fn an_age_counts_only_when_even_the_latest_year_of_the_dating_is_over_it() {
        let painting = category(Some(50), ValueLimit::AtLeast(1_00), Count::PerItem);
        let too_young = |at_least| Assessment::NotCovered(Reason::TooYoung { over: 50, at_least });
        for ((earliest, latest), expected) in [
            ((1976, 1976), too_young(50)),
            ((1975, 1975), covered(420_000_00)),
            ((1977, 1977), too_young(49)),
            // A range is certainly over 50 only if its latest year is.
            ((1970, 1980), too_young(46)),
            ((1900, 1976), too_young(50)),
            ((1900, 1975), covered(420_000_00)),
            // Before the common era: 320-300 BCE.
            ((-320, -300), covered(420_000_00)),
        ] {
            let application = application(dated(earliest, latest));
            assert_eq!(assessed(&application, &painting, "EUR"), expected, "{earliest}-{latest}");
        }
        // No age condition (collections): a recent dating is covered.
        let collection = category(None, ValueLimit::AtLeast(1_00), Count::WholeLot);
        assert_eq!(assessed(&application(dated(2025, 2026)), &collection, "EUR"), covered(420_000_00));
    }

    #[test]
    fn an_object_too_young_is_not_covered_whatever_its_value_says() {
        let painting = category(Some(50), ValueLimit::AtLeast(1_00), Count::PerItem);
        let application = application(|object| {
            dated(2000, 2000)(object);
            worth("1000", "JPY")(object);
        });
        assert_eq!(
            assessed(&application, &painting, "EUR"),
            Assessment::NotCovered(Reason::TooYoung { over: 50, at_least: 26 })
        );
    }

    #[test]
    fn per_item_thresholds_count_the_quantity_and_whole_lots_do_not() {
        let per_item = category(Some(50), ValueLimit::AtLeast(15_000_00), Count::PerItem);
        let whole_lot = category(Some(50), ValueLimit::AtLeast(15_000_00), Count::WholeLot);
        let three = |amount: &'static str| {
            application(move |object| {
                object.quantity = 3;
                worth(amount, "EUR")(object);
            })
        };
        assert_eq!(assessed(&three("44999.99"), &per_item, "EUR"), below(44_999_99, 45_000_00));
        assert_eq!(assessed(&three("45000.00"), &per_item, "EUR"), covered(45_000_00));
        assert_eq!(assessed(&three("45000.01"), &per_item, "EUR"), covered(45_000_01));
        assert_eq!(assessed(&three("14999.99"), &whole_lot, "EUR"), below(14_999_99, 15_000_00));
        assert_eq!(assessed(&three("15000.00"), &whole_lot, "EUR"), covered(15_000_00));
        // "More than" per item: 2 items over EUR 100 each.
        let over = category(None, ValueLimit::Over(100_00), Count::PerItem);
        let two = |amount: &'static str| {
            application(move |object| {
                object.quantity = 2;
                worth(amount, "EUR")(object);
            })
        };
        assert_eq!(assessed(&two("200.00"), &over, "EUR"), below(200_00, 200_00));
        assert_eq!(assessed(&two("200.01"), &over, "EUR"), covered(200_01));
        // Messages say "per item" only for several items counted per item.
        let object = &three("1").objects[0];
        assert!(per_item.per_item(object));
        assert!(!whole_lot.per_item(object));
        assert!(!per_item.per_item(&application(|_| {}).objects[0]));
        assert!(!category(None, ValueLimit::Any, Count::PerItem).per_item(object));
    }

    #[test]
    fn a_quantity_of_zero_counts_as_one_item_and_huge_ones_saturate() {
        let per_item = category(None, ValueLimit::AtLeast(15_000_00), Count::PerItem);
        let mut object = application(|_| {}).objects.remove(0);
        object.quantity = 0;
        assert_eq!(per_item.threshold_for(&object), Some(15_000_00));
        object.quantity = u32::MAX;
        let huge = category(None, ValueLimit::AtLeast(i64::MAX / 2), Count::PerItem);
        assert_eq!(huge.threshold_for(&object), Some(i64::MAX));
    }

    #[test]
    fn values_are_converted_through_the_rates_at_the_exact_threshold() {
        let painting = category(Some(50), ValueLimit::AtLeast(150_000_00), Count::PerItem);
        // GBP 126,000.00 / 0.84 = EUR 150,000.00; GBP 125,999.99 = EUR 149,999.988 -> .99.
        assert_eq!(assessed(&application(worth("126000.00", "GBP")), &painting, "EUR"), covered(150_000_00));
        assert_eq!(assessed(&application(worth("125999.99", "GBP")), &painting, "EUR"), below(149_999_99, 150_000_00));
        // A threshold in GBP: EUR 214,285.73 * 0.84 = GBP 180,000.01.
        let gb = category(Some(50), ValueLimit::Over(180_000_00), Count::WholeLot);
        assert_eq!(assessed(&application(worth("214285.73", "EUR")), &gb, "GBP"), covered(180_000_01));
        assert_eq!(assessed(&application(worth("214285.72", "EUR")), &gb, "GBP"), below(180_000_00, 180_000_00));
    }

    #[test]
    fn a_value_that_cannot_be_read_is_unreadable_with_the_field_at_fault() {
        let painting = category(Some(50), ValueLimit::AtLeast(150_000_00), Count::PerItem);
        let no_rate = assessed(&application(worth("1000000", "JPY")), &painting, "EUR");
        let Assessment::Unreadable(error) = no_rate else { panic!("{no_rate:?}") };
        assert_eq!(error, ValueError::NoRate { from: "JPY".into(), to: "EUR".into() });
        assert_eq!(error.field(), "value/currency");
        for amount in ["12.345", "1e6", "-5", "", "99999999999999999"] {
            let bad = assessed(&application(worth(amount, "EUR")), &painting, "EUR");
            assert_eq!(bad, Assessment::Unreadable(ValueError::BadAmount(amount.into())), "{amount:?}");
            assert_eq!(ValueError::BadAmount(amount.into()).field(), "value/amount");
        }
        // Without any rates table, only the threshold's own currency can be read.
        let application = application(worth("150000", "GBP"));
        let facts =
            Facts { application: &application, date: date!(2026 - 11 - 28), reference: &ReferenceData::default() };
        assert_eq!(
            assess(&application.objects[0], &painting, "EUR", &facts),
            Assessment::Unreadable(ValueError::NoRate { from: "GBP".into(), to: "EUR".into() })
        );
        assert_eq!(assess(&application.objects[0], &painting, "GBP", &facts), covered(150_000_00));
    }

    fn made_by(name: &str, living: Option<bool>, owner: Option<&str>) -> Application {
        let mut application = application(|object| {
            let maker = object.maker.as_mut().expect("the example names its maker");
            maker.name = name.to_owned();
            maker.living = living;
        });
        application.applicant.name = "Jeanne  Martin".into();
        if let Some(owner) = owner {
            let mut party = application.applicant.clone();
            party.name = owner.to_owned();
            application.owner = Some(party);
        }
        application
    }

    #[test]
    fn an_object_owned_by_its_living_maker_is_exempt() {
        let mut painting = category(Some(50), ValueLimit::AtLeast(1_00), Count::PerItem);
        painting.exemption = Some(owned_by_living_maker);
        let exempt = Assessment::NotCovered(Reason::Exempt);
        // The owner, else the applicant; case and spacing ignored.
        assert_eq!(assessed(&made_by("jeanne martin", Some(true), None), &painting, "EUR"), exempt);
        assert_eq!(assessed(&made_by("Paul Roy", Some(true), Some("PAUL   roy")), &painting, "EUR"), exempt);
        // Not when the maker is dead or not known to be living, or owns nothing.
        for application in [
            made_by("Jeanne Martin", Some(false), None),
            made_by("Jeanne Martin", None, None),
            made_by("Jeanne Martin", Some(true), Some("Paul Roy")),
            made_by("Jeanne Marti", Some(true), None),
        ] {
            assert_eq!(assessed(&application, &painting, "EUR"), covered(420_000_00));
        }
        // The exemption is no reason when the age already is.
        let young = made_by("Jeanne Martin", Some(true), None);
        let mut young = young;
        young.objects[0].dating.latest_year = 2000;
        assert!(matches!(assessed(&young, &painting, "EUR"), Assessment::NotCovered(Reason::TooYoung { .. })));
    }

    #[test]
    fn a_living_maker_is_exempt_whoever_owns_the_object() {
        let mut alc = category(Some(70), ValueLimit::Over(13_500_00), Count::WholeLot);
        alc.exemption = Some(by_living_maker);
        assert_eq!(
            assessed(&made_by("Paul Roy", Some(true), Some("Galerie")), &alc, "EUR"),
            Assessment::NotCovered(Reason::Exempt)
        );
        assert_eq!(assessed(&made_by("Paul Roy", None, Some("Galerie")), &alc, "EUR"), covered(420_000_00));
        assert_eq!(assessed(&application(|object| object.maker = None), &alc, "EUR"), covered(420_000_00));
    }

    #[test]
    fn the_first_covering_category_decides_then_an_unreadable_value_then_the_first_reason() {
        let application = application(worth("20000", "EUR"));
        let reference = rates();
        let facts = Facts { application: &application, date: date!(2026 - 11 - 28), reference: &reference };
        let object = &application.objects[0];
        let too_old = Category { code: "11", ..category(Some(300), ValueLimit::AtLeast(1_00), Count::PerItem) };
        let too_dear = Category { code: "3", ..category(Some(50), ValueLimit::AtLeast(150_000_00), Count::PerItem) };
        let cheap = Category { code: "5", ..category(Some(50), ValueLimit::AtLeast(15_000_00), Count::PerItem) };
        let in_yen = Category { code: "7", ..category(Some(50), ValueLimit::AtLeast(1_00), Count::PerItem) };
        let code = |found: Option<(&Category<&str>, Assessment)>| found.map(|(category, _)| category.code);
        assert_eq!(code(decisive(object, [&too_old, &too_dear, &cheap], "EUR", &facts)), Some("5"));
        assert_eq!(code(decisive(object, [&too_old, &too_dear], "EUR", &facts)), Some("11"));
        assert_eq!(code(decisive(object, [&too_dear, &too_old], "EUR", &facts)), Some("3"));
        // A value the rates cannot convert outweighs a reason, not a category that covers.
        assert_eq!(code(decisive(object, [&too_old, &in_yen], "JPY", &facts)), Some("7"));
        assert!(matches!(decisive(object, [&too_old, &in_yen], "JPY", &facts), Some((_, Assessment::Unreadable(_)))));
        let any = Category { code: "1", ..category(Some(100), ValueLimit::Any, Count::PerItem) };
        assert_eq!(code(decisive(object, [&in_yen, &any], "JPY", &facts)), Some("1"));
        assert_eq!(code(decisive(object, [] as [&Category<&str>; 0], "EUR", &facts)), None);
    }

    const CATEGORIES: [Category<&str>; 3] = [
        Category {
            code: "1",
            label: "archaeology",
            over_years: Some(100),
            value: ValueLimit::Any,
            count: Count::PerItem,
            exemption: None,
        },
        Category {
            code: "3",
            label: "paintings",
            over_years: Some(50),
            value: ValueLimit::AtLeast(150_000_00),
            count: Count::PerItem,
            exemption: None,
        },
        Category {
            code: "13",
            label: "collections",
            over_years: None,
            value: ValueLimit::AtLeast(50_000_00),
            count: Count::WholeLot,
            exemption: None,
        },
    ];

    const OTHER: Category<&str> = Category {
        code: "",
        label: "other",
        over_years: Some(200),
        value: ValueLimit::AtLeast(18_000_00),
        count: Count::PerItem,
        exemption: None,
    };

    const TABLE: Table<&str> = Table { scheme: "EU116", currency: "EUR", categories: &CATEGORIES, other_goods: None };

    fn coded(codes: &[&str]) -> CulturalObject {
        application(|object| object.category_codes = codes.iter().map(|code| (*code).to_owned()).collect())
            .objects
            .remove(0)
    }

    #[test]
    fn a_table_finds_the_declared_categories_in_their_order() {
        let labels = |table: &Table<&str>, codes: &[&str]| -> Vec<&str> {
            table.applicable(&coded(codes)).iter().map(|category| category.label).collect()
        };
        assert_eq!(labels(&TABLE, &["EU116:13", "FR:1", "EU116:99", "EU116:1"]), ["collections", "archaeology"]);
        // Another scheme, a longer prefix or a padded number is not a code of the table.
        assert!(labels(&TABLE, &["FR:3", "EU1163:3", "EU116:03", "EU116"]).is_empty());
        let with_other = Table { other_goods: Some(&OTHER), ..TABLE };
        assert_eq!(labels(&with_other, &["EU116:99"]), ["other"]);
        assert_eq!(labels(&with_other, &["EU116:3"]), ["paintings"]);
        let object = coded(&["EU116:3", "FR:2", "EU116:16", "EU116:"]);
        let unknown: Vec<(usize, &str)> = TABLE.unknown_codes(&object).collect();
        assert_eq!(unknown, [(2, "EU116:16"), (3, "EU116:")]);
        assert_eq!(TABLE.category("13").map(|category| category.label), Some("collections"));
        assert!(TABLE.category("4").is_none());
    }

    #[test]
    fn a_table_assesses_in_its_currency() {
        let reference = rates();
        let application = application(|object| {
            object.category_codes = vec!["EU116:3".into(), "EU116:1".into()];
            worth("126000.00", "GBP")(object);
        });
        let facts = Facts { application: &application, date: date!(2026 - 11 - 28), reference: &reference };
        let (category, assessment) = TABLE.assess(&application.objects[0], &facts).expect("two categories apply");
        assert_eq!((category.label, assessment), ("paintings", covered(150_000_00)));
        assert!(TABLE.assess(&coded(&[]), &facts).is_none());
    }

    #[test]
    fn names_compare_without_case_or_spacing() {
        assert!(same_person("Jeanne Martin", " jeanne   MARTIN "));
        assert!(!same_person("Jeanne Martin", "Jeanne-Martin"));
        assert!(!same_person("Jeanne Martin", "Jeanne Martin Roy"));
        assert!(!same_person("Jeanne Martin", "Jeanne"));
        assert!(same_person("", "  "));
    }
}
