"""Italy's export rules (D.Lgs. 42/2004 arts. 10, 11, 65-68 and 71, as amended by L. 124/2017).

The Python port of ../it-export (Rust), built into a WebAssembly component by
componentize-py. It gives the same findings (codes, severities, fields, messages and
translations) on the same certificates:

- Public cultural property and goods declared of cultural interest (`IT:DECLARED`) may not
  leave Italy for good (art. 65(1), (2)(a)); they may leave temporarily (arts. 66-67).
- An object more than 70 years old, whose author is no longer living, worth more than
  EUR 13,500, leaves Italy only with an attestato di libera circolazione (ALC).
  Archaeological objects and manuscripts need one at any value; archives at any age and
  value; photographs over 25 and means of transport over 75 years at any value (art.
  65(3)(b)-(c), art. 11(1)(f)-(g)).
- An ALC is valid 5 years and cannot be renewed: the certificate may not run longer.
- The return of a temporary exit is at most 18 months after the exit (art. 71(4)), except
  in the cases of art. 67(1).
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
# Art. 11(1)(f): photographs and films over 25 years; (g): means of transport over 75.
PHOTOGRAPH_AGE_YEARS = 25
TRANSPORT_AGE_YEARS = 75
# Art. 71(4): the return term is at most 18 months after the exit.
REIMPORT_TERM_MONTHS = 18
# The designation of goods declared of cultural interest (art. 13).
DECLARED = "IT:DECLARED"

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
    """One category of art. 65(3): more than `over_years` old (None: any age), an author no
    longer living when `living_exempt`, and a value over `over_cents` of the declared line
    as a whole (`Count::WholeLot`); with `over_cents` None the value is never read
    (`ValueLimit::Any`). `why` words the finding."""

    __slots__ = ("code", "over_years", "over_cents", "living_exempt", "why")

    def __init__(self, code, over_years, over_cents, living_exempt, why):
        self.code = code
        self.over_years = over_years
        self.over_cents = over_cents
        self.living_exempt = living_exempt
        self.why = why


_OLD_AT_ANY_VALUE = "an archaeological object, manuscript or archive more than 70 years old"

# EU 116/2009 Annex I categories that need an ALC at any value: archaeology (1),
# dismembered monuments (2), incunabula and manuscripts (9) over 70 by an author no longer
# living; archives and documents (12) at any age (art. 65(3)(b)); photographs and films (8)
# over 25 and means of transport (14) over 75 years (art. 65(3)(c), art. 11(1)(f)-(g)).
ANY_VALUE = (
    Category("1", ALC_AGE_YEARS, None, True, _OLD_AT_ANY_VALUE),
    Category("2", ALC_AGE_YEARS, None, True, _OLD_AT_ANY_VALUE),
    Category("9", ALC_AGE_YEARS, None, True, _OLD_AT_ANY_VALUE),
    Category("12", None, None, False, "archives or documents of cultural interest (art. 65(3)(b)), at any age and value"),
    Category(
        "8",
        PHOTOGRAPH_AGE_YEARS,
        None,
        False,
        "a photograph or film more than 25 years old (art. 65(3)(c), art. 11(1)(f)), at any value",
    ),
    Category(
        "14",
        TRANSPORT_AGE_YEARS,
        None,
        False,
        "a means of transport more than 75 years old (art. 65(3)(c), art. 11(1)(g)), at any value",
    ),
)

# Any thing of cultural interest (art. 65(3)(a)): an ALC over EUR 13,500.
OTHER_THINGS = Category(
    "",
    ALC_AGE_YEARS,
    ALC_VALUE_CENTS,
    True,
    "more than 70 years old, by an author no longer living, worth more than EUR 13,500",
)


# Outcomes of one object against one category (`assess::Assessment`).
class Covered:
    """The category covers the object; `value_cents` is None at any value."""

    __slots__ = ("value_cents", "category")

    def __init__(self, value_cents, category):
        self.value_cents = value_cents
        self.category = category


class TooYoung:
    """Not certainly more than the category's age."""

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


def declared(codes):
    """The categories of `ANY_VALUE` the object declares, in its order (`EU116:12` is
    category "12")."""
    found = []
    for code in codes:
        if code.startswith(SCHEME + ":"):
            number = code[len(SCHEME) + 1 :]
            for category in ANY_VALUE:
                if category.code == number:
                    found.append(category)
                    break
    return found


def assess(obj, category, year):
    """The object against one category: the age, then the exemption, then the value."""
    # "More than N years": even the latest year of the dating is more than N years before
    # the evaluation date's year (1956 is exactly 70 in 2026, not over).
    if category.over_years is not None and not year - obj["latest_year"] > category.over_years:
        return TooYoung()
    # Art. 65(3)(a): only works of an author no longer living; no maker, or no `living`,
    # counts as a deceased or unknown author. The categories of (b)-(c) exempt no one.
    if category.living_exempt and obj["living"] is True:
        return Exempt()
    if category.over_cents is None:
        return Covered(None, category)
    cents = value_in_euros(obj)
    if isinstance(cents, Unreadable):
        return cents
    # "Superiore a 13.500 euro": more than, so 13,500.00 itself is not covered.
    if cents > category.over_cents:
        return Covered(cents, category)
    return BelowValue(cents, category.over_cents)


def assessed(obj, year):
    """The object against the categories of `ANY_VALUE` it declares, then any thing: the
    first that covers it; else the first whose value cannot be read; else the reason any
    thing does not cover it (the Rust plugin's `assessed`)."""
    unreadable = None
    for category in declared(obj["codes"]) + [OTHER_THINGS]:
        assessment = assess(obj, category, year)
        if isinstance(assessment, Covered):
            return assessment
        if isinstance(assessment, Unreadable) and unreadable is None:
            unreadable = assessment
    if unreadable is not None:
        return unreadable
    return assess(obj, OTHER_THINGS, year)


def protection(obj, year):
    """Why the object may not leave Italy for good (art. 65(1), (2)(a)): "declared"
    (`IT:DECLARED`, art. 13) at any age; "public" property when an archive (EU116:12, art.
    10(2)(b)) or more than 70 years old by an author not known to be living (art. 10(1),
    (5)); else None."""
    if DECLARED in obj["designations"]:
        return "declared"
    archive = (SCHEME + ":12") in obj["codes"]
    old = year - obj["latest_year"] > ALC_AGE_YEARS and obj["living"] is not True
    if obj["ownership"] == "public" and (archive or old):
        return "public"
    return None


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


def add_months(day, months):
    """`day` plus `months` calendar months; a day the last month lacks becomes its last day
    (31 August + 18 months: 28 or 29 February), as the Rust plugin's `add_months` does."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    if not 1 <= year <= 9999:
        return day
    if month == 12:
        last = 31
    else:
        last = (date(year, month + 1, 1) - date(year, month, 1)).days
    return date(year, month, min(day.day, last))


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
    checks those fields: the issue date, the licence type, valid until, the export type,
    purpose and return date, and per object its category codes, quantity, value, dating,
    whether its maker is living, its ownership and designations."""
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
        status = _get(raw, "legal_status", dict, where, optional=True) or {}
        ownership = _get(status, "ownership", str, where + "/legal_status", optional=True)
        if ownership not in (None, "private", "public"):
            raise _Unreadable("%s/legal_status: unknown ownership %s" % (where, json.dumps(ownership)))
        designations = _get(status, "designations", list, where + "/legal_status", optional=True) or []
        if not all(isinstance(code, str) for code in designations):
            raise _Unreadable("%s/legal_status: a designation is not a string" % where)
        objects.append(
            {
                "codes": codes,
                "quantity": _integer(raw, "quantity", where, 0, _U32_MAX),
                "amount": _get(value, "amount", str, where + "/value"),
                "currency": _get(value, "currency", str, where + "/value"),
                "latest_year": _integer(dating, "latest_year", where + "/dating", *_I32),
                "living": living,
                "ownership": ownership,
                "designations": designations,
            }
        )
    export_type = _get(document, "export_type", str, "certificate")
    if export_type not in ("definitive", "temporary"):
        raise _Unreadable("certificate: unknown export type %s" % json.dumps(export_type))
    purpose = _get(document, "purpose", str, "certificate")
    if purpose not in ("sale", "exhibition", "loan", "restoration", "expertise", "research", "personal", "other"):
        raise _Unreadable("certificate: unknown purpose %s" % json.dumps(purpose))
    reimport = None
    if document.get("reimport_due_date") is not None:
        reimport = _date(document, "reimport_due_date")
    return {
        "issue_date": _date(document, "issue_date"),
        "valid_until": _date(document, "valid_until"),
        "licence_type": licence_type,
        "export_type": export_type,
        "purpose": purpose,
        "reimport_due_date": reimport,
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


_WHAT = {
    "declared": (
        "legal_status/designations",
        "declared of cultural interest (art. 13)",
        "dichiarato di interesse culturale (art. 13)",
    ),
    "public": (
        "legal_status/ownership",
        "cultural property of the State or another public body (art. 10(1)-(2))",
        "bene culturale appartenente allo Stato o ad altro ente pubblico (art. 10, commi 1-2)",
    ),
}


def protection_finding(index, kind, temporary):
    """`IT.TEMPORARY_EXIT_ONLY` or `IT.EXPORT_PROHIBITED` for a protected object."""
    field, what_en, what_it = _WHAT[kind]
    number = index + 1
    if temporary:
        return finding(
            "IT.TEMPORARY_EXIT_ONLY",
            types.Severity.INFO,
            "object %d: %s: it may leave Italy only temporarily (arts. 65(1), 66-67), at any value; "
            "this certificate serves as its attestato di circolazione temporanea (art. 71)" % (number, what_en),
            object_field(index, field),
            [
                ("fr", "objet %d : bien protégé, il ne peut sortir d'Italie qu'à titre temporaire (art. 65, 66-67)" % number),
                (
                    "it",
                    "bene %d: %s: può uscire solo temporaneamente (artt. 65, comma 1, 66-67); il presente certificato "
                    "vale come attestato di circolazione temporanea (art. 71)" % (number, what_it),
                ),
            ],
        )
    return finding(
        "IT.EXPORT_PROHIBITED",
        types.Severity.ERROR,
        "object %d: %s: its definitive exit from Italy is prohibited (D.Lgs. 42/2004 art. 65(1)-(2)(a)); "
        "only a temporary exit can be authorised (arts. 66-67)" % (number, what_en),
        object_field(index, field),
        [
            ("fr", "objet %d : bien protégé, sa sortie définitive d'Italie est interdite (art. 65, al. 1-2)" % number),
            ("it", "bene %d: %s: l'uscita definitiva è vietata (art. 65, commi 1 e 2, lett. a)" % (number, what_it)),
        ],
    )


def reimport_term(subject, evaluation_date, phase):
    """Art. 71(4): at the exit check the exit is the evaluation date; at issuance a return
    more than 18 months after valid until is certainly too late, and one more than 18
    months after the issue date is lawful only if the goods leave late enough. Exits for
    a purpose other than an exhibition or a sale may be art. 67(1) cases: a warning."""
    due = subject["reimport_due_date"]
    if due is None:
        return None
    article_67 = subject["purpose"] not in ("exhibition", "sale")

    def too_long(exit_day, when):
        limit = add_months(exit_day, REIMPORT_TERM_MONTHS)
        if not due > limit:
            return None
        if article_67:
            severity = types.Severity.WARNING
            unless = (
                ": allowed only in the cases of art. 67(1) (diplomats' furniture and seats, analysis or "
                "conservation abroad, agreements with foreign museums): check"
            )
        else:
            severity, unless = types.Severity.ERROR, ""
        return finding(
            "IT.REIMPORT_TERM_TOO_LONG",
            severity,
            "the return date %s is more than 18 months after %s (%s at the latest): the return term of a "
            "temporary exit is at most 18 months after the exit (D.Lgs. 42/2004 art. 71(4))%s"
            % (due.isoformat(), when, limit.isoformat(), unless),
            "/reimport_due_date",
            [
                (
                    "fr",
                    "la date de retour %s dépasse de plus de 18 mois la sortie (%s au plus tard ; art. 71, al. 4)"
                    % (due.isoformat(), limit.isoformat()),
                ),
                (
                    "it",
                    "il termine per il rientro %s supera i diciotto mesi dall'uscita (entro il %s; art. 71, comma 4)"
                    % (due.isoformat(), limit.isoformat()),
                ),
            ],
        )

    if phase == types.Phase.EXIT_CHECK:
        return too_long(evaluation_date, "this exit")
    if phase != types.Phase.ISSUANCE:
        return None
    result = too_long(subject["valid_until"], "the last day of validity")
    if result is not None:
        return result
    limit = add_months(subject["issue_date"], REIMPORT_TERM_MONTHS)
    if not due > limit:
        return None
    return finding(
        "IT.EXIT_NOT_BEFORE",
        types.Severity.WARNING,
        "the return date %s is more than 18 months after the issue date (%s): the goods may leave Italy no "
        "earlier than 18 months before it (D.Lgs. 42/2004 art. 71(4)), unless in a case of art. 67(1)"
        % (due.isoformat(), limit.isoformat()),
        "/reimport_due_date",
        [
            (
                "fr",
                "la date de retour %s dépasse de plus de 18 mois la date de délivrance : les biens ne peuvent sortir "
                "plus de 18 mois avant elle (art. 71, al. 4)" % due.isoformat(),
            ),
            (
                "it",
                "il termine per il rientro %s supera i diciotto mesi dal rilascio: i beni non possono uscire più di "
                "diciotto mesi prima (art. 71, comma 4)" % due.isoformat(),
            ),
        ],
    )


def exit_check(subject, evaluation_date):
    """At the exit: the return term counted from today (art. 71(4)), when a temporary
    export has an object that needs an authorisation."""
    if subject["export_type"] != "temporary":
        return []
    year = evaluation_date.year
    needs = any(
        protection(obj, year) is not None or isinstance(assessed(obj, year), Covered) for obj in subject["objects"]
    )
    result = reimport_term(subject, evaluation_date, types.Phase.EXIT_CHECK) if needs else None
    return [result] if result is not None else []


def evaluate(subject, evaluation_date, phase=None):
    """The findings on the certificate (as `read_certificate` gives it) at the evaluation
    date, in the phase (issuance when None)."""
    if phase is not None and phase == types.Phase.EXIT_CHECK:
        return exit_check(subject, evaluation_date)
    if phase is not None and phase != types.Phase.ISSUANCE:
        return []
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

    temporary = subject["export_type"] == "temporary"
    needs_alc = False
    needs_authorisation = False
    for index, obj in enumerate(subject["objects"]):
        number = index + 1
        # Art. 65(1), (2)(a): public and declared cultural property leaves only temporarily.
        kind = protection(obj, year)
        if kind is not None:
            needs_authorisation = True
            findings.append(protection_finding(index, kind, temporary))
            continue
        # Art. 65(3): each object against the categories it declares, then any thing.
        assessment = assessed(obj, year)
        if isinstance(assessment, Covered):
            needs_alc = True
            needs_authorisation = True
            findings.append(
                finding(
                    "IT.ALC_REQUIRED",
                    types.Severity.INFO,
                    "object %d: %s: this certificate serves as its attestato di libera circolazione"
                    % (number, assessment.category.why),
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
        # Not certainly over the age, or by a living author: nothing applies.

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

    # Art. 71(4): the return term of a temporary exit that needs an authorisation.
    if temporary and needs_authorisation:
        result = reimport_term(subject, evaluation_date, types.Phase.ISSUANCE)
        if result is not None:
            findings.append(result)
    return findings


class Rule(exports.Rule):
    """The `cartouche:rules/rule@1.0.0` export."""

    def describe(self):
        return types.PluginInfo(
            id="it-export-py",
            jurisdiction="IT",
            version="1.1.0",
            phases=[types.Phase.ISSUANCE, types.Phase.EXIT_CHECK],
            descriptions=[
                types.Localized(
                    lang="en",
                    text="Italy: attestato di libera circolazione and temporary exit (D.Lgs. 42/2004 arts. 65-68, 71); "
                    "Python port of it-export",
                ),
                types.Localized(
                    lang="fr",
                    text="Italie : attestato di libera circolazione et sortie temporaire (D.Lgs. 42/2004 art. 65-68, 71) ; "
                    "portage en Python de it-export",
                ),
                types.Localized(
                    lang="it",
                    text="Italia: attestato di libera circolazione e uscita temporanea (D.Lgs. 42/2004 artt. 65-68, 71); "
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
        return evaluate(subject, evaluation_date, context.phase)
