"""Italy's export rules (D.Lgs. 42/2004 arts. 65 and 68, as amended by L. 124/2017).

The Python port of ../it-export (Rust), built into a WebAssembly component by
componentize-py. It gives the same findings (codes, severities, fields, messages and
translations) on the same certificates:

- An object more than 70 years old, whose author is no longer living, worth more than
  EUR 13,500, leaves Italy only with an attestato di libera circolazione (ALC).
  Archaeological objects, manuscripts and archives need one at any value.
- An ALC is valid 5 years and cannot be renewed: the certificate may not run longer.
- Otherwise a self-declaration suffices (DVAL up to EUR 13,500; D50 for 50-70 years).
- One application covers at most 15 items.

Only the standard library is used. Money is never a float: a declared amount (a decimal
string) is read exactly into integer cents, converted to EUR by the host (`convert`,
half to even) and compared in integer cents, as the Rust SDK does.

What the Rust plugin takes from its SDK is ported here, and only that:
`helpers::{age, value_in, add_years, object_field, categories}`,
`reference::amount_cents`, and from `assess` the table of categories with
`ValueLimit::{Any, Over}`, `Count::WholeLot`, the exemption `by_living_maker` and the
choice of the decisive category.
"""

import json
from datetime import date

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import reference_data, types

# EUR 13,500 in cents: the ALC value threshold of art. 65 ("oltre 13.500 euro"), set by
# L. 124/2017.
ALC_VALUE_CENTS = 13_500_00
# Age threshold in years of art. 65 ("oltre settanta anni").
ALC_AGE_YEARS = 70
# Validity of an ALC in years (art. 68: five years, not renewable).
ALC_VALIDITY_YEARS = 5
# Items per application.
MAX_ITEMS = 15

# The table's scheme and currency: EU 116/2009 Annex I codes, thresholds in euros.
SCHEME = "EU116"
CURRENCY = "EUR"

# Largest values the Rust plugin's types hold; beyond them its certificate does not parse.
_I32 = (-(2**31), 2**31 - 1)
_U32_MAX = 2**32 - 1
_I64_MAX = 2**63 - 1


class _Unreadable(Exception):
    """The certificate lacks a field the rules read, or has one of the wrong type."""


# --- Categories (cartouche_rules_sdk::assess, as far as Italy uses it) ---------------


class Category:
    """One category of art. 65: more than 70 years old, an author no longer living, and a
    value over `over_cents` of the declared line as a whole (`Count::WholeLot`); with
    `over_cents` None the value is never read (`ValueLimit::Any`)."""

    __slots__ = ("code", "over_cents")

    def __init__(self, code, over_cents):
        self.code = code
        self.over_cents = over_cents


# EU 116/2009 Annex I categories that need an ALC at any value: archaeology (1),
# dismembered monuments (2), incunabula and manuscripts (9), archives (12).
ANY_VALUE = (Category("1", None), Category("2", None), Category("9", None), Category("12", None))

# Any other thing: an ALC over EUR 13,500.
OTHER_THINGS = Category("", ALC_VALUE_CENTS)


# Outcomes of one object against one category (`assess::Assessment`).
class Covered:
    """The category covers the object; `value_cents` is None at any value."""

    __slots__ = ("value_cents",)

    def __init__(self, value_cents):
        self.value_cents = value_cents


class TooYoung:
    """Not certainly more than 70 years old."""

    __slots__ = ()


class Exempt:
    """By an author still living (art. 65: "opera di autore non più vivente")."""

    __slots__ = ()


class BelowValue:
    """Worth at most the threshold."""

    __slots__ = ("cents", "threshold")

    def __init__(self, cents, threshold):
        self.cents = cents
        self.threshold = threshold


class Unreadable:
    """The value is needed and cannot be read in euros: `message` says why, `field` is
    the field at fault relative to the object (`value/amount` or `value/currency`)."""

    __slots__ = ("message", "field")

    def __init__(self, message, field):
        self.message = message
        self.field = field


def applicable(codes):
    """The table's categories the object declares, in its order (`EU116:1` is category
    "1"); the category of any other thing when it declares none of them."""
    found = []
    for code in codes:
        if code.startswith(SCHEME + ":"):
            number = code[len(SCHEME) + 1 :]
            for category in ANY_VALUE:
                if category.code == number:
                    found.append(category)
                    break
    return found or [OTHER_THINGS]


def assess(obj, category, year):
    """The object against one category: the age, then the exemption, then the value."""
    # "Oltre settanta anni": even the latest year of the dating is more than 70 years
    # before the evaluation date's year (1956 is exactly 70 in 2026, not over).
    if not year - obj["latest_year"] > ALC_AGE_YEARS:
        return TooYoung()
    # Art. 65: only works of an author no longer living; no maker, or no `living`,
    # counts as a deceased or unknown author.
    if obj["living"] is True:
        return Exempt()
    if category.over_cents is None:
        return Covered(None)
    cents = value_in_euros(obj)
    if isinstance(cents, Unreadable):
        return cents
    # "Oltre 13.500 euro": more than, so 13,500.00 itself is not covered.
    if cents > category.over_cents:
        return Covered(cents)
    return BelowValue(cents, category.over_cents)


def decisive(obj, year):
    """The object against its categories: the first that covers it; else the first whose
    value cannot be read; else the first (`assess::decisive`)."""
    first = None
    unreadable = None
    for category in applicable(obj["codes"]):
        assessment = assess(obj, category, year)
        if isinstance(assessment, Covered):
            return assessment
        if isinstance(assessment, Unreadable):
            if unreadable is None:
                unreadable = assessment
        elif first is None:
            first = assessment
    return unreadable if unreadable is not None else first


# --- Values, dates, fields (cartouche_rules_sdk::helpers, cartouche_model) -----------


_DIGITS = frozenset("0123456789")


def amount_cents(amount):
    """A declared amount ("13500.00", at most two decimals, ASCII digits only) in cents;
    None if it is not one or does not fit in 64 bits (`reference::amount_cents`)."""
    whole, _, fraction = amount.partition(".")
    if not whole or len(fraction) > 2 or not set(whole + fraction) <= _DIGITS:
        return None
    # More than 19 significant digits cannot fit (and would not be read by int()).
    if len(whole.lstrip("0")) > 19:
        return None
    cents = int(whole) * 100 + (int(fraction) * (10 if len(fraction) == 1 else 1) if fraction else 0)
    return cents if cents <= _I64_MAX else None


def rust_debug(text):
    """`text` quoted as Rust's `{:?}` prints a string (for the same messages)."""
    out = ['"']
    for char in text:
        if char == '"' or char == "\\":
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif char == "\0":
            out.append("\\0")
        elif ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0:
            out.append("\\u{%x}" % ord(char))
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def value_in_euros(obj):
    """The declared value of the object line (its whole quantity) in euro cents, through
    the operator's rates table; an `Unreadable` when it cannot be read (`value_in`)."""
    amount, currency = obj["amount"], obj["currency"]
    cents = amount_cents(amount)
    if cents is None:
        return Unreadable(
            "the amount %s is not a decimal with at most 2 decimals" % rust_debug(amount), "value/amount"
        )
    converted = reference_data.convert(cents, currency, CURRENCY)
    if converted is None:
        return Unreadable(
            "the operator's rates table cannot convert %s to %s" % (currency, CURRENCY), "value/currency"
        )
    return converted


def add_years(day, years):
    """`day` plus `years` calendar years. A period ending on a day its last month lacks
    (29 February in a common year) ends on 28 February (Reg. 1182/71 art. 3(2)(c)); a
    year out of range leaves the date as it is, as the Rust helper does."""
    year = day.year + years
    try:
        return day.replace(year=year)
    except ValueError:
        try:
            return day.replace(day=28, year=year)
        except ValueError:
            return day


def object_field(index, path):
    """JSON pointer to a field of the object at `index`; an empty `path` points at it."""
    return "/objects/%d/%s" % (index, path) if path else "/objects/%d" % index


def parse_date(text):
    """A `YYYY-MM-DD` date, as the model's `iso_date` reads it."""
    if (
        not isinstance(text, str)
        or len(text) != 10
        or text[4] != "-"
        or text[7] != "-"
        or not set(text[:4] + text[5:7] + text[8:]) <= _DIGITS
    ):
        raise _Unreadable("expected a date YYYY-MM-DD")
    try:
        return date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError as error:
        raise _Unreadable(str(error)) from None


def _date(document, key):
    try:
        return parse_date(document.get(key))
    except _Unreadable as error:
        raise _Unreadable("certificate: field `%s`: %s" % (key, error)) from None


def _get(mapping, key, kind, where, optional=False):
    """`mapping[key]` if it has the JSON type `kind`, else the certificate is unreadable."""
    if key not in mapping or (optional and mapping[key] is None):
        if optional:
            return None
        raise _Unreadable("%s: missing field `%s`" % (where, key))
    value = mapping[key]
    # bool is an int in Python, never a JSON number.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Unreadable("%s: field `%s` has the wrong type" % (where, key))
    return value


def _integer(mapping, key, where, low, high):
    value = _get(mapping, key, int, where)
    if not low <= value <= high:
        raise _Unreadable("%s: field `%s` is out of range" % (where, key))
    return value


def read_certificate(certificate):
    """What the rules read from the certificate JSON, checked as the Rust plugin's parse
    checks those fields: the issue date, the licence type, valid until, and per object its
    category codes, quantity, value, dating and whether its maker is living."""
    try:
        document = json.loads(certificate)
    except ValueError as error:
        raise _Unreadable("not JSON: %s" % error) from None
    if not isinstance(document, dict):
        raise _Unreadable("not a JSON object")
    licence_type = _get(document, "licence_type", str, "certificate")
    if licence_type not in ("standard", "specific_open", "general_open"):
        raise _Unreadable("certificate: unknown licence type %s" % json.dumps(licence_type))
    objects = []
    for index, raw in enumerate(_get(document, "objects", list, "certificate")):
        where = object_field(index, "")
        if not isinstance(raw, dict):
            raise _Unreadable("%s is not an object" % where)
        codes = _get(raw, "category_codes", list, where)
        if not all(isinstance(code, str) for code in codes):
            raise _Unreadable("%s: a category code is not a string" % where)
        value = _get(raw, "value", dict, where)
        dating = _get(raw, "dating", dict, where)
        maker = _get(raw, "maker", dict, where, optional=True)
        living = None
        if maker is not None:
            living = _get(maker, "living", bool, where + "/maker", optional=True)
        objects.append(
            {
                "codes": codes,
                "quantity": _integer(raw, "quantity", where, 0, _U32_MAX),
                "amount": _get(value, "amount", str, where + "/value"),
                "currency": _get(value, "currency", str, where + "/value"),
                "latest_year": _integer(dating, "latest_year", where + "/dating", *_I32),
                "living": living,
            }
        )
    return {
        "issue_date": _date(document, "issue_date"),
        "valid_until": _date(document, "valid_until"),
        "licence_type": licence_type,
        "objects": objects,
    }


# --- Findings -------------------------------------------------------------------------


def finding(code, severity, message, field, translations=()):
    """A finding; `translations` as (lang, text) pairs, sorted by language as the Rust
    SDK's map sorts them."""
    return types.Finding(
        code=code,
        severity=severity,
        message=message,
        field=field,
        translations=[types.Localized(lang=lang, text=text) for lang, text in sorted(translations)],
    )


def evaluate(subject, evaluation_date):
    """The findings on the certificate (as `read_certificate` gives it) at the evaluation
    date."""
    year = evaluation_date.year
    findings = []

    # One application covers at most 15 items, whatever their age or value.
    items = sum(obj["quantity"] for obj in subject["objects"])
    if items > MAX_ITEMS:
        findings.append(
            finding(
                "IT.TOO_MANY_ITEMS",
                types.Severity.ERROR,
                "an application covers at most %d items; this one has %d: split it" % (MAX_ITEMS, items),
                "/objects",
                [
                    ("fr", "une demande couvre au plus %d biens ; celle-ci en a %d : scindez-la" % (MAX_ITEMS, items)),
                    ("it", "una domanda comprende al massimo %d beni; questa ne ha %d: dividerla" % (MAX_ITEMS, items)),
                ],
            )
        )

    # Art. 65: each object against the categories it declares.
    needs_alc = False
    for index, obj in enumerate(subject["objects"]):
        number = index + 1
        assessment = decisive(obj, year)
        if isinstance(assessment, Covered):
            needs_alc = True
            if assessment.value_cents is None:
                why = "an archaeological object, manuscript or archive more than 70 years old"
            else:
                why = "more than 70 years old, by an author no longer living, worth more than EUR 13,500"
            findings.append(
                finding(
                    "IT.ALC_REQUIRED",
                    types.Severity.INFO,
                    "object %d: %s: this certificate serves as its attestato di libera circolazione" % (number, why),
                    object_field(index, ""),
                    [
                        ("fr", "objet %d : un attestato di libera circolazione est requis" % number),
                        ("it", "bene %d: è richiesto l'attestato di libera circolazione" % number),
                    ],
                )
            )
        elif isinstance(assessment, BelowValue):
            findings.append(
                finding(
                    "IT.DVAL_SUFFICES",
                    types.Severity.INFO,
                    "object %d: worth at most EUR 13,500: a DVAL self-declaration suffices" % number,
                    object_field(index, "value/amount"),
                )
            )
        elif isinstance(assessment, Unreadable):
            findings.append(
                finding(
                    "IT.VALUE_UNREADABLE",
                    types.Severity.ERROR,
                    "cannot compare the value with EUR 13,500: %s" % assessment.message,
                    object_field(index, assessment.field),
                )
            )
        # Not certainly over 70, or by a living author: nothing applies.

    # Art. 68: the ALC is valid 5 years. Open licences are left to eu-export.
    if needs_alc and subject["licence_type"] == "standard":
        # Issued on 29 February: the limit is 28 February five years on.
        limit = add_years(subject["issue_date"], ALC_VALIDITY_YEARS)
        valid_until = subject["valid_until"]
        if valid_until > limit:
            findings.append(
                finding(
                    "IT.ALC_VALIDITY",
                    types.Severity.ERROR,
                    "an attestato di libera circolazione is valid 5 years and cannot be renewed: "
                    "valid until must be %s or earlier, not %s" % (limit.isoformat(), valid_until.isoformat()),
                    "/valid_until",
                    [
                        (
                            "fr",
                            "un attestato di libera circolazione vaut 5 ans : date de validité au plus tard le %s"
                            % limit.isoformat(),
                        ),
                        ("it", "l'attestato di libera circolazione vale 5 anni: validità entro il %s" % limit.isoformat()),
                    ],
                )
            )
    return findings


class Rule(exports.Rule):
    """The `cartouche:rules/rule@1.0.0` export."""

    def describe(self):
        return types.PluginInfo(
            id="it-export-py",
            jurisdiction="IT",
            version="1.0.0",
            phases=[types.Phase.ISSUANCE],
            descriptions=[
                types.Localized(
                    lang="en",
                    text="Italy: attestato di libera circolazione (D.Lgs. 42/2004 arts. 65, 68); Python port of it-export",
                ),
                types.Localized(
                    lang="fr",
                    text="Italie : attestato di libera circolazione (D.Lgs. 42/2004 art. 65, 68) ; "
                    "portage en Python de it-export",
                ),
                types.Localized(
                    lang="it",
                    text="Italia: attestato di libera circolazione (D.Lgs. 42/2004 artt. 65, 68); "
                    "versione Python di it-export",
                ),
            ],
        )

    def evaluate(self, certificate, context):
        # An error string (raised as Err) makes the rule INDETERMINATE with that reason,
        # as the Rust SDK's glue does when the certificate or the date does not parse.
        # The certificate first, then the date, in the order the Rust glue reads them.
        try:
            subject = read_certificate(certificate)
        except _Unreadable as error:
            raise Err("the certificate does not parse: %s" % error) from None
        try:
            evaluation_date = parse_date(context.evaluation_date)
        except _Unreadable as error:
            raise Err("the evaluation date %s does not parse: %s" % (rust_debug(context.evaluation_date), error)) from None
        return evaluate(subject, evaluation_date)
