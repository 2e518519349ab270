"""``read_trade``: trade panels as analysts hold them (BACI, Comtrade, Comext, wide), as inputs.

Each reader is a set of Polars expressions over a lazy scan (``scan_csv``/``scan_parquet``),
so a ten-million-row BACI year streams. Country codes go through the publisher's documented
exceptions (``country_lists/trade_codes_*.csv``, built by ``scripts/build_trade_codes.py``)
and, for every other code, ISO 3166-1 (``country_lists/iso3166_1.csv``, from pycountry).
Quantities become tonnes, values EUR at the annual rates of ``rates/carbon_prices/fx.csv``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from numbers import Integral, Real
from pathlib import Path
from typing import Literal

import polars as pl
from narwhals.typing import IntoDataFrame

from cbam._carbon_prices import fx_by_year, fx_table
from cbam._countries import country_group, iso3_codes, upper_ascii, upper_ascii_text
from cbam._errors import CbamInputError, ScenarioError, first_line, shorten
from cbam._interop import (
    a_file,
    duplicated,
    encoding_hint,
    read_fault,
    record_lines,
    short_line,
    to_polars,
)
from cbam._resources import data_dir
from cbam._schema import OUTPUT_COLUMNS, Check, collect_problems
from cbam._territory import UNION

TradeFormat = Literal["baci", "comtrade", "comext", "wide"]
FORMATS: tuple[TradeFormat, ...] = ("baci", "comtrade", "comext", "wide")
_SHOWN = 40  # characters of an offending value echoed in a message
_FX_YEARS = range(1988, 2061)
# Wide files: a measure and a four-digit year, e.g. tonnes_2022, eur_2022.
_WIDE = re.compile(r"^(tonnes|t|kg|eur|value_eur|usd)_(\d{4})$", re.IGNORECASE)
_TONNES_PER = {"tonnes": 1.0, "t": 1.0, "kg": 0.001}


@dataclass(frozen=True)
class _Codes:
    """One publisher's country codes: code -> ISO3, and the codes it refuses, with their names."""

    iso3: dict[str, str]
    refused: dict[str, str]  # code -> "aggregate: World" / "not_a_country: Ceuta"
    union: frozenset[str]  # codes that stand for the EU as one importer


@cache
def _codes(system: str) -> _Codes:
    folder = data_dir("country_lists")
    iso = pl.read_csv(folder / "iso3166_1.csv", infer_schema=False)
    # Comext's GEO codes are ISO alpha-2; the others, ISO numeric without leading zeros.
    key = pl.col("iso2") if system == "comext" else pl.col("numeric").cast(pl.Int64).cast(pl.String)
    mapped = dict(iso.filter(key.is_not_null()).select(key, "iso3").iter_rows())
    path = folder / f"trade_codes_{system}.csv"
    try:
        table = pl.read_csv(path, infer_schema=False).fill_null("")
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ScenarioError(f"{path}: cannot read trade-code table: {exc}") from exc
    refused: dict[str, str] = {}
    union: set[str] = set()
    for code, iso3, kind, name in table.select("code", "iso3", "kind", "name").iter_rows():
        mapped.pop(code, None)
        if kind == "country":
            mapped[code] = iso3
        elif kind == "union":
            union.add(code)
        else:
            refused[code] = f"{kind.replace('_', ' ')}: {name}"
    return _Codes(mapped, refused, frozenset(union))


# ------------------------------------------------------------------------- expressions
def _text(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.strip_chars()


def _number(column: str) -> pl.Expr:
    return _text(column).cast(pl.Float64, strict=False)


def _shown(expr: pl.Expr) -> pl.Expr:
    """A value as a message shows it: at most ``_SHOWN`` characters, saying how long it was."""
    text = expr.cast(pl.String).fill_null("empty")
    length = text.str.len_chars()
    cut = pl.format("{}... ({} characters)", text.str.slice(0, _SHOWN), length)
    return pl.when(length > _SHOWN).then(cut).otherwise(text)


@dataclass(frozen=True)
class _ValueCheck(Check):
    """A check of a key column's value alone (a country or product code, a period, a flow).

    Such columns hold few values: the validation pass reads each distinct one once, not each
    row (``_any_failed``).
    """


@dataclass(frozen=True)
class _FlowCheck(Check):
    """Rows of one flow (the same ``keys`` as read) given twice, among those with a quantity.

    A window over every row would keep the validation pass from streaming and read every
    key of every row: that pass compares the rows counted with their distinct ``raw``
    columns, and asks of each key's distinct source values whether two spellings read as one
    (``_twice_anywhere``); ``failed`` names the rows, when something failed.
    """

    keys: tuple[pl.Expr, ...] = ()
    raw: tuple[str, ...] = ()  # the columns that tell one flow from another, as given
    quantity: pl.Expr | None = None  # the rows counted: those with a quantity


def _fault(column: str, message: str, failed: pl.Expr, *, of_value: bool = False) -> Check:
    """A check of a source column, showing the column's value.

    ``of_value``: ``failed`` reads that column's value alone, elementwise (``_ValueCheck``).
    """
    kind = _ValueCheck if of_value else Check
    return kind(column, message, failed, _shown(_text(column)))


def _code_key(column: str, system: str) -> pl.Expr:
    """The code as the tables hold it: numeric codes without leading zeros, GEO codes upper."""
    raw = _text(column)
    if system == "comext":
        return upper_ascii(raw)
    return raw.cast(pl.Int64, strict=False).cast(pl.String)


@dataclass(frozen=True)
class _Country:
    """A country column read through a code table: the ISO3 expression and its checks."""

    iso3: pl.Expr
    checks: list[Check]

    def key(self, column: str) -> pl.Expr:
        """The country as overlaps are told: its ISO3, whatever the spelling.

        'EL' and 'GR', 'fr' and 'FR', '0156' and '156' are one; a code read as none stays
        apart, as given.
        """
        return pl.coalesce(self.iso3, pl.lit("\x00") + _text(column))


def _country(column: str, system: str, role: Literal["origin", "destination"]) -> _Country:
    codes = _codes(system)
    key = _code_key(column, system)
    iso3 = key.replace_strict(codes.iso3, default=None, return_dtype=pl.String)
    refused = key.replace_strict(codes.refused, default=None, return_dtype=pl.String)
    union = key.is_in(sorted(codes.union)).fill_null(False)
    if role == "destination":
        iso3 = pl.when(union).then(pl.lit(UNION)).otherwise(iso3)
    shown = _shown(_text(column))
    label = f"{column} ({role})"
    given = _text(column).fill_null("") != ""
    checks: list[Check] = [
        _ValueCheck(label, "missing", ~given, shown),
        _ValueCheck(
            label,
            "is an aggregate or not a country; refused so that nothing is counted twice "
            "(drop such rows)",
            refused.is_not_null(),
            pl.concat_str([shown, pl.lit(" = "), refused]),
        ),
        _ValueCheck(
            label,
            f"unknown {system} country code",
            given & refused.is_null() & iso3.is_null() & ~union,
            shown,
        ),
    ]
    if role == "origin":
        checks.append(
            _ValueCheck(
                label, "is the EU as a whole, which can only be a destination", union, shown
            )
        )
    return _Country(iso3, checks)


def _iso3_given(value: str | None, column: str | None, role: str) -> _Country | None:
    """An ISO3 origin or destination given as an argument or an ISO3 column (wide files)."""
    known = sorted(iso3_codes() | ({UNION} if role == "destination" else set()))
    if value is not None:
        code = upper_ascii_text(value.strip())
        if code not in known:
            extra = f", or {UNION} for the EU as a whole" if role == "destination" else ""
            raise ScenarioError(f"{role}={value!r}: not an ISO 3166-1 alpha-3 code{extra}")
        return _Country(pl.lit(code), [])
    if column is None:
        return None
    iso3 = upper_ascii(_text(column))
    given = iso3.fill_null("") != ""
    return _Country(
        iso3,
        [
            _fault(column, "missing", ~given),
            _fault(column, "unknown ISO 3166-1 alpha-3 code", given & ~iso3.is_in(known)),
        ],
    )


# The last heading of each HS chapter 01-09 (HS 2022 nomenclature: 0106, 0210, ... 0910).
_LAST_HEADING = {
    "01": 6,
    "02": 10,
    "03": 9,
    "04": 10,
    "05": 11,
    "06": 4,
    "07": 14,
    "08": 14,
    "09": 10,
}


def _digits(column: str) -> pl.Expr:
    """A product code's digits as given, with the leading zero a numeric read drops restored."""
    raw = _text(column).str.replace_all(" ", "", literal=True)
    return pl.when(raw.str.len_chars() % 2 == 1).then(pl.lit("0") + raw).otherwise(raw)


def _not_of_length(code: pl.Expr, digits: int) -> pl.Expr:
    """Rows whose well-formed code is not of ``digits`` digits (a malformed one is told apart)."""
    return code.str.contains(r"^[0-9]+$").fill_null(False) & (code.str.len_chars() != digits)


def _cn(column: str, *, taric: bool = False) -> tuple[pl.Expr, list[Check]]:
    """CN/HS code as text; 10-digit TARIC codes cut to their CN8 (the first eight digits)."""
    raw = _text(column).str.replace_all(" ", "", literal=True)
    code = _digits(column)
    if taric:
        code = pl.when(code.str.len_chars() == 10).then(code.str.slice(0, 8)).otherwise(code)
    lengths = "10, 8, 6, 4 or 2" if taric else "8, 6, 4 or 2"
    # ASCII digits: Polars' \d matches full-width and Arabic-Indic digits too, codes of no good.
    pattern = r"^([0-9]{2}){1,5}$" if taric else r"^([0-9]{2}){1,4}$"
    total = raw.str.to_uppercase().is_in(["TOTAL", "ALL"])
    # A restored zero makes a code of chapters 01-09, whose headings stop early (0714, 0814):
    # '2523290' is no '0252 32 90' but a CN8 that lost its last digit.
    heading = code.str.slice(2, 2).cast(pl.Int32, strict=False)
    last = code.str.slice(0, 2).replace_strict(_LAST_HEADING, default=None, return_dtype=pl.Int32)
    no_such_heading = (
        (raw.str.len_chars() % 2 == 1)
        & (code.str.len_chars() >= 4)
        & code.str.contains(pattern)
        & ~heading.is_between(1, last).fill_null(False)
    )
    return code, [
        _fault(column, "missing", raw.fill_null("") == "", of_value=True),
        _fault(
            column,
            "an odd number of digits, and with the leading zero a numeric read drops restored, "
            "a heading no HS chapter 01-09 has (a digit lost at the end?)",
            no_such_heading,
            of_value=True,
        ),
        _fault(
            column,
            "is a total over all products (TOTAL); refused so that nothing is counted twice",
            total,
            of_value=True,
        ),
        _fault(
            column,
            f"malformed product code ({lengths} digits)",
            (raw.fill_null("") != "") & ~total & ~code.str.contains(pattern),
            of_value=True,
        ),
    ]


def _quantity(
    column: str, tonnes_per_unit: float, rows: pl.Expr | None = None
) -> tuple[pl.Expr, list[Check]]:
    """A quantity column in tonnes (or MWh), checked on ``rows`` (every row without)."""
    number = _number(column)
    read = pl.lit(True) if rows is None else rows
    return number * tonnes_per_unit, [
        _fault(column, "missing or not a number", read & number.is_null()),
        _fault(column, "not a finite number", read & ~number.is_finite()),
        _fault(column, "negative", read & (number < 0)),
    ]


def _electricity(code: pl.Expr) -> pl.Expr:
    """Rows of electricity (CN 2716 00 00), declared in MWh, not by mass."""
    return code.str.starts_with("2716").fill_null(False)


def _no_energy(column: str, code: pl.Expr) -> Check:
    """Electricity in a format whose only quantity is a mass: refused, not read as MWh."""
    return _fault(
        column,
        "electricity (CN 2716 00 00) is declared in MWh, and this column is a mass; give "
        "its MWh as quantity_t in a plain file (refused rather than read as MWh)",
        _electricity(code),
        of_value=True,  # of the code's value alone
    )


# Comext's supplementary unit of CN 2716 00 00: 1 000 kWh, one MWh.
_MWH_UNITS = frozenset({"1000kwh", "mwh"})


def _value(
    column: str, scale: float, usd: bool, year: pl.Expr, eur_per_usd: Mapping[int, float] | None
) -> tuple[pl.Expr, pl.Expr | None, list[Check]]:
    """Value in EUR, the rate applied (USD values) and the checks."""
    number = _number(column) * scale
    checks = [
        _fault(column, "not a number", (_text(column).fill_null("") != "") & number.is_null()),
        _fault(column, "not a finite number", ~number.is_finite()),
        _fault(column, "negative", number < 0),
    ]
    if not usd:
        return number, None, checks
    rates = _usd_rates(eur_per_usd)
    rate = year.replace_strict(rates, default=None, return_dtype=pl.Float64)
    published = fx_table().filter(pl.col("currency") == "USD")["year"].to_list()
    checks.append(
        Check(
            column,
            f"no USD->EUR rate for the year (rates/carbon_prices/fx.csv has {min(published)}-"
            f"{max(published)}, the last carried forward; pass eur_per_usd={{year: rate}}, on "
            "the command line --eur-per-usd YEAR=RATE)",
            # A missing year has its own check (it names the year's column).
            number.is_not_null() & year.is_not_null() & rate.is_null(),
            _shown(year),
        )
    )
    return number * rate, rate, checks


def _usd_rates(eur_per_usd: Mapping[int, float] | None) -> dict[int, float]:
    table = fx_by_year(_FX_YEARS).filter(pl.col("currency") == "USD")
    rates = dict(zip(table["year"].to_list(), table["eur_per_unit"].to_list(), strict=True))
    for year, rate in (eur_per_usd or {}).items():
        shown = f"eur_per_usd[{shorten(repr(year), 20)}] = {shorten(repr(rate), 30)}"
        whole = isinstance(year, Integral) or (isinstance(year, str) and year.strip().isdigit())
        if isinstance(year, bool) or not whole:
            raise ScenarioError(f"{shown}: a year must be a whole number such as 2017")
        try:  # a float as read: Decimal('1E-400') is 0.0, Decimal('sNaN') none at all
            value = float(rate) if isinstance(rate, Real | Decimal) else math.nan
        except (ValueError, OverflowError):
            value = math.nan
        if isinstance(rate, bool) or not math.isfinite(value) or not value > 0:
            raise ScenarioError(f"{shown}: a rate must be a finite number above 0")
        rates[int(year)] = value
    return rates


def _whole(expr: pl.Expr) -> pl.Expr:
    number = expr.cast(pl.Float64, strict=False)
    return pl.when(number == number.round()).then(number).cast(pl.Int32, strict=False)


# ------------------------------------------------------------------------- the readers
@dataclass
class _Reader:
    """What one format yields: expressions of the contract columns, and the checks."""

    columns: dict[str, pl.Expr]
    checks: list[Check]


def _contract(
    year: pl.Expr,
    origin: pl.Expr,
    destination: pl.Expr | None,
    cn_code: pl.Expr,
    quantity_t: pl.Expr,
    value_eur: pl.Expr | None,
    *,
    rate: pl.Expr | None = None,
    quarter: pl.Expr | None = None,
) -> dict[str, pl.Expr]:
    """The contract columns a reader fills, in output order, less those its format lacks."""
    columns = {
        "year": year,
        "origin": origin,
        "destination": destination,
        "cn_code": cn_code,
        "quantity_t": quantity_t,
        "value_eur": value_eur,
        "quarter": quarter,
        "eur_per_usd": rate,
    }
    return {name: expr for name, expr in columns.items() if expr is not None}


def _pick(found: Sequence[str], *names: str, required: bool = True) -> str | None:
    """The first of ``names`` among the file's columns (case-insensitive, and only one)."""
    for name in names:
        matches = sorted(c for c in found if c.lower() == name.lower())
        if len(matches) > 1:
            raise _HeaderError(
                f"columns {' and '.join(matches)} are the same name ({name}) but for case; keep one"
            )
        if matches:
            return matches[0]
    if required:
        raise _HeaderError(f"no column {' or '.join(names)}")
    return None


class _HeaderError(Exception):
    """A column a format needs is missing or ambiguous (``read_trade`` adds file and format)."""


def _baci(found: Sequence[str], eur_per_usd: Mapping[int, float] | None) -> _Reader:
    t, i, j, k, v, q = (str(_pick(found, c)) for c in "tijkvq")
    year = _whole(_text(t))
    origin, destination = _country(i, "baci", "origin"), _country(j, "baci", "destination")
    cn, cn_checks = _cn(k)
    quantity, q_checks = _quantity(q, 1.0)  # metric tonnes
    value, rate, v_checks = _value(v, 1_000.0, True, year, eur_per_usd)  # thousand USD
    # BACI's lines are HS6: a heading or a CN8 line beside them would count a flow twice
    # (k 7207 beside 720711), and one code length is cheaper to hold than a levels check.
    hs6 = _fault(
        k,
        "not an HS6 code (BACI's k has six digits; a heading beside its lines would count "
        "them twice)",
        _not_of_length(cn, 6),
        of_value=True,
    )
    checks = [hs6, *origin.checks, *destination.checks, *cn_checks, *q_checks, *v_checks]
    checks.append(_no_energy(q, cn))
    flow = [year, origin.key(i), destination.key(j), cn]
    checks.append(_flow_twice(k, found, flow, (t, i, j, k, v, q), quantity))
    return _Reader(
        _contract(year, origin.iso3, destination.iso3, cn, quantity, value, rate=rate),
        [_year_check(t, year), *checks],
    )


def _year_check(column: str, year: pl.Expr) -> Check:
    return _fault(column, "missing or not a whole year", year.is_null(), of_value=True)


def _months_beside_total(
    period: str, raw: pl.Expr, year: pl.Expr, monthly: pl.Expr, *within: pl.Expr
) -> Check:
    """Months of a year whose total the file also holds, for the same reporter, partner, code.

    ``raw`` is the period as text (YYYY, YYYYMM or YYYY52), told against column ``period``.
    """
    total = _annual(raw).any().over([year, *within])
    return _fault(
        period,
        "a month of a year whose total (YYYY or YYYY52) the file also holds; refused so that "
        "nothing is counted twice",
        monthly & total,
    )


def _total_twice(period: str, raw: pl.Expr, year: pl.Expr, *within: pl.Expr) -> Check:
    """A year's total given twice, as YYYY and as YYYY52, for the same reporter, partner, code."""
    spellings = raw.filter(_annual(raw)).n_unique().over([year, *within])
    return _fault(
        period,
        "the year's total given twice (as YYYY and as YYYY52) for the same reporter, partner "
        "and code; refused so that nothing is counted twice (keep one)",
        _annual(raw) & (spellings > 1),
    )


def _flow_twice(
    column: str,
    found: Sequence[str],
    keys: Sequence[pl.Expr],
    read: Sequence[str | None],
    quantity: pl.Expr,
) -> Check:
    """One flow given on two rows: the same ``keys`` as read, and every column not ``read``.

    ``keys`` are the flow's reporter, partner, code, period and flow as read ('EL' and 'GR',
    '2025-01' and '202501', '7208 39 00' and '72083900' are one); ``read`` names the source
    columns they and the amounts come from. A column cbam does not read (Comext's
    STAT_PROCEDURE) keeps apart rows it tells apart; an exact copy is one flow twice. Only
    rows with a ``quantity`` count: one without is refused for that, and counts nothing.
    """
    others = [c for c in found if c not in read]
    counted = pl.all_horizontal(k.is_not_null() for k in [*keys, quantity])
    keys = [k for k in keys if k.meta.root_names()]  # a value given for every row tells none
    roots = {name for k in keys for name in k.meta.root_names()}
    return _FlowCheck(
        column,
        "the same flow given twice (the same reporter, partner, code, period and flow, "
        "however spelled); refused so that nothing is counted twice (keep one)",
        counted & (counted.sum().over([*keys, *map(pl.col, others)]) > 1),
        _shown(_text(column)),
        keys=tuple(keys),
        raw=tuple(c for c in found if c in roots or c in others),
        quantity=quantity,
    )


def _twice_anywhere(rows: pl.LazyFrame, found: pl.DataFrame, i: int, flow: _FlowCheck) -> bool:
    """Whether a flow is given twice, from the aggregates ``_any_failed`` collected.

    Rows apart in every ``raw`` column are apart as read, unless a key reads two spellings
    as one ('EL' and 'GR'). Only where rows are alike as given, or a key has two such
    spellings, are the rows read key by key (a row whose key cannot be read is no flow).
    """
    if found[f"_c_raw{i}"].item() < found[f"_c_counted{i}"].item():
        # Rows alike as given; told row by row, where a key of theirs could be read.
        return bool(rows.select(flow.failed.any()).collect().item())
    for j, key in enumerate(flow.keys):
        spelled = found.select(pl.col(f"_c_spelled{i}_{j}").explode()).unnest(f"_c_spelled{i}_{j}")
        read = spelled.select(key.alias("_c_read")).drop_nulls()
        if read.height > read["_c_read"].n_unique():
            return bool(rows.select(flow.failed.any()).collect().item())
    return False


def _levels_check(
    column: str,
    code: pl.Expr,
    *within: pl.Expr,
    year: pl.Expr | None = None,
    month: pl.Expr | None = None,
) -> Check:
    """Codes whose subcodes the file also holds for the same ``within`` keys: refused.

    Publishers' extracts can hold every level of the nomenclature at once (Comtrade's
    ``aggrLevel``, Comext's CN2/CN4/CN8); summed, each tonne would count two or three times.
    ``within`` (reporter, partner) keeps apart flows that cannot overlap: a chapter from one
    partner beside another partner's CN8 lines counts nothing twice. Periods overlap within
    a ``year`` where either row is the year's total (``month`` null) or both are one month.
    """
    keys = [w.cast(pl.String).fill_null("").alias(f"_k{i}") for i, w in enumerate(within)]
    if year is not None:
        keys.append(year.cast(pl.String).fill_null("").alias("_k_year"))

    def keyed(of: pl.Expr, *period: pl.Expr) -> pl.Expr:
        parts = [*keys, *(p.alias(f"_k_p{i}") for i, p in enumerate(period))]
        return pl.concat_str([*parts, of.fill_null("")], separator="\x1f")

    def parents(*period: pl.Expr) -> pl.Expr:
        # Each prefix from one reference to the codes: two evaluations of an unordered
        # unique() need not align, and a mask of one applied to the other picks codes at random.
        prefixes = [
            keyed(code.str.slice(0, n), *period).filter(code.str.len_chars() > n).unique()
            for n in (2, 4, 6, 8)  # 8: a CN8 line beside its TARIC subcodes
        ]
        return pl.concat(prefixes).implode()

    failed = keyed(code).is_in(parents())  # within the year: a total overlaps each month
    if month is not None:
        # A month overlaps itself and the year's total (the label "total"), no other month.
        label = month.cast(pl.String).fill_null("total")
        by_month = parents(label)
        beside = keyed(code, label).is_in(by_month) | keyed(code, pl.lit("total")).is_in(by_month)
        failed = pl.when(month.is_null()).then(failed).otherwise(beside)
    return _fault(
        column,
        "a product code whose subcodes the file also holds for the same period, reporter "
        "and partner (a chapter or heading beside its lines); refused so that nothing is "
        "counted twice (keep one level)",
        failed,
    )


def _union_beside_members(
    destination: pl.Expr,
    code: pl.Expr,
    month: pl.Expr,
    *within: pl.Expr,
    column: str,
) -> Check:
    """The EU as one reporter beside its member states for an overlapping code and period.

    Two codes overlap where the shorter starts the longer (the EU's 7207 holds France's
    7207 11 11, the EU's CN8 France's TARIC lines): for each code length ``n``, rows whose
    first ``n`` digits agree overlap where one of them has just ``n``. A month overlaps
    itself and the year's total (``month`` null), within the keys ``within`` (partner, flow,
    year). One window per length: the member rows' periods are bits of one mask (bit 0 the
    year's total, bit m month m), those of codes of just ``n`` digits 13 bits higher.
    """
    union = destination == UNION
    # EU27_2020 is the 27 members since 2020, back-calculated: the UK or Norway is no part.
    members = country_group("eu27").filter(pl.col("member_to").is_null())["iso3"]
    member = destination.is_in(members.sort().to_list()).fill_null(False)
    length = code.str.len_chars()
    month_number = month.cast(pl.Int64, strict=False).fill_null(0)  # 0: the year's total
    period_bit = month_number.replace_strict(
        {m: 1 << m for m in range(13)}, default=0, return_dtype=pl.Int64
    )
    # A union month meets a member row of that month or the year's total; a total meets all.
    meets = pl.when(month.is_null()).then((1 << 13) - 1).otherwise(period_bit | 1)
    found = []
    for n in (2, 4, 6, 8, 10):
        bits = pl.when(member & (length >= n)).then(period_bit).otherwise(0)
        bits = bits | pl.when(member & (length == n)).then(period_bit * (1 << 13)).otherwise(0)
        mask = bits.bitwise_or().over([*within, code.str.slice(0, n)])
        longer = (mask & meets) != 0  # a member code of n digits or more
        exact = ((mask // (1 << 13)) & meets) != 0  # a member code of just n digits
        found.append(((length == n) & longer) | ((length > n) & exact))
    return _fault(
        column,
        "the EU as a whole beside its member states for the same partner, an overlapping "
        "code and period; refused so that nothing is counted twice (keep one or the other)",
        union & pl.any_horizontal(found).fill_null(False),
    )


def _imported(column: str) -> pl.Expr:
    """Whether a row's flow is an import (Comext FLOW 1, Comtrade flowCode M)."""
    return _text(column).str.to_uppercase().is_in(["1", "M", "IMPORT"])


def _flow_check(column: str, keep: str) -> Check:
    return _fault(
        column,
        f"not an import flow (keep {keep}, imports: the reporter is the destination)",
        ~_imported(column).fill_null(False),  # an empty flow is no import either
        of_value=True,
    )


def _annual(raw: pl.Expr) -> pl.Expr:
    """Whether a period (text) is a year's total: YYYY, or Comext's YYYY52."""
    return (raw.str.len_chars() == 4) | ((raw.str.len_chars() == 6) & raw.str.ends_with("52"))


def _period(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Year, quarter (monthly periods) and whether the period is a month, from YYYY/YYYYMM text.

    Comext writes a year's total as YYYY52.
    """
    year = _whole(raw.str.slice(0, 4))
    month = raw.str.slice(4, 2).cast(pl.Int32, strict=False)
    monthly = (raw.str.len_chars() == 6) & month.is_between(1, 12)
    well_formed = (
        (raw.str.len_chars() == 4) | monthly | ((raw.str.len_chars() == 6) & (month == 52))
    )
    year = pl.when(well_formed).then(year)
    quarter = pl.when(monthly).then((month - 1) // 3 + 1).cast(pl.Int32)
    return year, quarter, monthly


def _comtrade(found: Sequence[str], eur_per_usd: Mapping[int, float] | None) -> _Reader:
    # refPeriodId (YYYYMMDD) is not read: a year's total and its January share 20260101.
    period_col = _pick(found, "period", "Period", required=False)
    year_col = _pick(found, "refYear", "Year", required=period_col is None)
    month_col = _pick(found, "refMonth", required=False) if period_col is None else None
    reporter = str(_pick(found, "reporterCode", "Reporter Code"))
    partner = str(_pick(found, "partnerCode", "Partner Code"))
    flow = str(_pick(found, "flowCode", "Trade Flow Code"))
    cmd = str(_pick(found, "cmdCode", "Commodity Code"))
    weight = str(_pick(found, "netWgt", "Netweight (kg)", "NetWeight (kg)"))
    value_col = str(_pick(found, "primaryValue", "Trade Value (US$)"))
    year_source = str(period_col or year_col)
    cn, cn_checks = _cn(cmd)
    origin = _country(partner, "comtrade", "origin")
    destination = _country(reporter, "comtrade", "destination")
    months: list[Check] = []
    dated = pl.lit(True)  # whether a row's period is one, so that it overlaps others
    if period_col is not None or month_col is not None:
        if period_col is not None:
            raw, told = _text(period_col), period_col
        else:  # refYear with refMonth: 1-12 a month, 52 (or none) the year's total
            given = _text(str(month_col))
            month = _whole(given)
            in_year = month.is_between(1, 12)
            year_text = _whole(_text(str(year_col))).cast(pl.String)
            padded = month.cast(pl.String).str.zfill(2)
            bad_month = (given.fill_null("") != "") & ~(in_year | (month == 52)).fill_null(False)
            # A month that is none (13) is flagged, and is neither a month nor the year's total
            # beside the other rows: 'YYYY??' is no period, so it overlaps none of them.
            raw = (
                pl.when(in_year)
                .then(year_text + padded)
                .when(bad_month)
                .then(year_text + "??")
                .otherwise(year_text)
            )
            told = str(month_col)
            dated = ~bad_month
            months.append(
                _fault(told, "not a month (1-12, or 52 or empty for the year's total)", bad_month)
            )
        year, quarter, monthly = _period(raw)
        if month_col is not None:  # the year is refYear's, whatever its month
            year = _whole(_text(str(year_col)))
        # Exports count nothing, so they overlap no import (a file may hold both flows).
        within = (destination.key(reporter), origin.key(partner), cn, _imported(flow))
        months.append(_months_beside_total(told, raw, year, monthly, *within))
        months.append(_total_twice(told, raw, year, *within))
        month_of = pl.when(monthly).then(raw.str.slice(4, 2))
        period_key: pl.Expr = pl.when(dated).then(raw)  # YYYY beside YYYY52: _total_twice
    else:
        year, quarter = _whole(_text(year_source)), None
        month_of = None
        period_key = pl.lit("total")
    quantity, q_checks = _quantity(weight, 0.001)  # net weight, kg
    q_checks.append(_no_energy(weight, cn))
    value, rate, v_checks = _value(value_col, 1.0, True, year, eur_per_usd)  # USD
    checks = [
        _year_check(year_source, year),
        *months,
        _levels_check(
            cmd,
            pl.when(dated).then(cn),  # a row of no period is no code beside another
            destination.key(reporter),
            origin.key(partner),
            _imported(flow),
            year=year,
            month=month_of,
        ),
        _flow_check(flow, "flowCode M"),
        *_breakdown_checks(found),
        _flow_twice(
            cmd,
            found,
            [year, period_key, destination.key(reporter), origin.key(partner), cn, _imported(flow)],
            (period_col, year_col, month_col, reporter, partner, flow, cmd, weight, value_col),
            quantity,
        ),
        *origin.checks,
        *destination.checks,
        *cn_checks,
        *q_checks,
        *v_checks,
    ]
    columns = _contract(
        year, origin.iso3, destination.iso3, cn, quantity, value, rate=rate, quarter=quarter
    )
    return _Reader(columns, checks)


def _breakdown_checks(found: Sequence[str]) -> list[Check]:
    """Comtrade rows that break a total down count the flow twice next to the total: refused.

    The breakdowns are by customs procedure, transport mode and second partner.
    """
    checks = []
    for name, total in (("customsCode", "C00"), ("motCode", "0"), ("partner2Code", "0")):
        column = _pick(found, name, required=False)
        if column is not None:
            text = _text(column).fill_null(total)
            checks.append(
                _fault(
                    column,
                    f"a breakdown of the total ({column} {total}); refused so that nothing is "
                    f"counted twice (keep only {column} {total})",
                    (text != total) & (text != ""),
                    of_value=True,
                )
            )
    return checks


def _comext(found: Sequence[str]) -> _Reader:
    period = str(_pick(found, "PERIOD", "TIME_PERIOD"))
    reporter = str(_pick(found, "DECLARANT_ISO", "REPORTER", "reporter"))
    partner = str(_pick(found, "PARTNER_ISO", "PARTNER", "partner"))
    flow = str(_pick(found, "FLOW", "flow"))
    product = str(_pick(found, "PRODUCT_NC", "PRODUCT", "product"))
    value_col = str(_pick(found, "VALUE_IN_EUROS", "VALUE_EUR", "value_eur"))
    kg = _pick(found, "QUANTITY_IN_KG", "QUANTITY_KG", required=False)
    quintals = _pick(found, "QUANTITY_IN_100KG", "quantity_100kg", required=kg is None)
    # SDMX writes a month YYYY-MM (TIME_PERIOD 2025-01), the bulk files YYYYMM.
    raw = _text(period).str.replace(r"^([0-9]{4})-([0-9]{2})$", "${1}${2}")
    year, quarter, monthly = _period(raw)
    month = pl.when(monthly).then(raw.str.slice(4, 2))
    origin = _country(partner, "comext", "origin")
    destination = _country(reporter, "comext", "destination")
    cn, cn_checks = _cn(product, taric=True)
    # Overlaps are told on the codes as given: a CN8 line beside its own TARIC lines counts
    # twice once both are cut to CN8, two TARIC lines of one CN8 do not.
    full = _digits(product)
    # Exports count nothing, so they overlap no import (a file may hold both flows).
    within = (destination.key(reporter), origin.key(partner), full, _imported(flow))
    mass_column, tonnes = (kg, 0.001) if kg else (str(quintals), 0.1)  # 100 kg quintals
    electricity = _electricity(cn)
    energy = _pick(found, "SUP_QUANTITY", "QUANTITY_IN_SUPPLEMENTARY_UNITS", required=False)
    if energy is None:
        quantity, q_checks = _quantity(mass_column, tonnes)
        q_checks.append(_no_energy(mass_column, cn))
    else:
        # Electricity's quantity is its supplementary one, 1 000 kWh (a MWh); no mass.
        mass, q_checks = _quantity(mass_column, tonnes, ~electricity)
        mwh, e_checks = _quantity(energy, 1.0, electricity)
        quantity = pl.when(electricity).then(mwh).otherwise(mass)
        q_checks += e_checks
        unit = _pick(found, "SUPP_UNIT", "SUPPLEMENTARY_UNIT", required=False)
        if unit is not None:
            spelled = _text(unit).str.to_lowercase().str.replace_all(r"[\s_]", "")
            q_checks.append(
                _fault(
                    unit,
                    "electricity's supplementary unit is not 1000 kWh (MWh)",
                    electricity & ~spelled.is_in(sorted(_MWH_UNITS)).fill_null(False),
                )
            )
    value, _, v_checks = _value(value_col, 1.0, False, year, None)
    return _Reader(
        _contract(year, origin.iso3, destination.iso3, cn, quantity, value, quarter=quarter),
        [
            _fault(
                period,
                "not a period (YYYY, YYYYMM, YYYY-MM or YYYY52)",
                year.is_null(),
                of_value=True,
            ),
            _months_beside_total(period, raw, year, monthly, *within),
            _total_twice(period, raw, year, *within),
            _flow_twice(
                product,
                found,
                [year, raw, *within],  # YYYY beside YYYY52 is _total_twice's
                (period, reporter, partner, flow, product, value_col, kg, quintals, energy),
                quantity,
            ),
            _levels_check(product, full, *within[:2], within[3], year=year, month=month),
            _union_beside_members(
                destination.iso3, full, month, within[1], within[3], year, column=reporter
            ),
            _flow_check(flow, "FLOW 1"),
            *origin.checks,
            *destination.checks,
            *cn_checks,
            *q_checks,
            *v_checks,
        ],
    )


def _wide(
    found: Sequence[str],
    origin: str | None,
    destination: str | None,
    year: int | None,
    eur_per_usd: Mapping[int, float] | None,
) -> list[_Reader]:
    """One reader per year of a file with year-suffixed columns (tonnes_2022, eur_2022)."""
    cn_col = str(_pick(found, "cn_code", "cn8", "product", "hs6"))
    for role, given in (("origin", origin), ("destination", destination)):
        own = _pick(found, role, required=False)
        if given is not None and own is not None:
            raise ScenarioError(
                f"the wide file has its own '{own}' column: {role}={shorten(given)!r} "
                f"(--{role}) would replace it on every row; leave {role} out"
            )
    if origin is None and _pick(found, "origin", required=False) is None:
        raise ScenarioError(
            "the wide file has no origin column: give every row's origin (origin='CHN', "
            "or --origin CHN on the command line)"
        )
    given_origin = _iso3_given(origin, _pick(found, "origin", required=False), "origin")
    given_dest = _iso3_given(
        destination,
        _pick(found, "destination", required=False) if destination is None else None,
        "destination",
    )
    measures: dict[int, dict[str, str]] = {}
    for column in found:
        match = _WIDE.match(column)
        if match and year in (None, int(match[2])):
            measures.setdefault(int(match[2]), {})[match[1].lower()] = column
    for y in measures:  # one quantity and one value a year: which one would count?
        for kinds in (tuple(_TONNES_PER), ("eur", "value_eur", "usd")):
            same = [
                c
                for c in found
                if (m := _WIDE.match(c)) and int(m[2]) == y and m[1].lower() in kinds
            ]
            if len(same) > 1:
                raise ScenarioError(
                    f"the wide file has {' and '.join(same)} for {y}: keep one (or rename "
                    "the others)"
                )
    if not measures:
        raise ScenarioError(
            "a wide file needs year-suffixed quantity columns such as tonnes_2022 or kg_2022 "
            f"(with eur_2022 or usd_2022 for values){f' for {year}' if year else ''}; "
            f"columns found: {shorten(', '.join(found), 300)}"
        )
    assert given_origin is not None
    cn, cn_checks = _cn(cn_col)
    places = [given_origin.iso3, *([given_dest.iso3] if given_dest is not None else [])]
    levels = _levels_check(cn_col, cn, *places)
    places_given = [_pick(found, role, required=False) for role in ("origin", "destination")]
    amounts = [c for c in found if _WIDE.match(c)]
    readers = []
    for y, measure in sorted(measures.items()):
        unit = next((m for m in _TONNES_PER if m in measure), None)
        if unit is None:
            raise ScenarioError(f"wide file: {y} has no tonnes_{y} or kg_{y} column")
        quantity, q_checks = _quantity(measure[unit], _TONNES_PER[unit])
        q_checks.append(_no_energy(measure[unit], cn))
        read = [cn_col, *places_given, *amounts]
        twice = _flow_twice(cn_col, found, [cn, *places], read, quantity)
        checks = [*given_origin.checks, *cn_checks, *q_checks, levels, twice]
        if given_dest is not None:
            checks += given_dest.checks
        the_year, value, rate = pl.lit(y, pl.Int32), None, None
        eur = measure.get("eur") or measure.get("value_eur")
        if eur is not None or "usd" in measure:
            usd = eur is None
            value, rate, v_checks = _value(eur or measure["usd"], 1.0, usd, the_year, eur_per_usd)
            checks += v_checks
        to = given_dest.iso3 if given_dest is not None else None
        columns = _contract(the_year, given_origin.iso3, to, cn, quantity, value, rate=rate)
        readers.append(_Reader(columns, checks))
    return readers


# ------------------------------------------------------------------------------ entry
def _scan(source: object, separator: str) -> tuple[pl.LazyFrame, str, int, str, str]:
    """The source as an all-text LazyFrame, its name, how its rows are numbered, its separator."""
    if not isinstance(source, str | Path):  # a frame: Polars, pandas, PyArrow, ...
        try:
            frame = to_polars(source, "trade frame")
        except TypeError:
            raise ScenarioError(
                "read_trade reads a file (a path) or a data frame (Polars, pandas, PyArrow), "
                f"not {shorten(type(source).__name__, 60)}"
            ) from None
        return frame.lazy().select(pl.all().cast(pl.String)), "<frame>", 1, "row", separator
    path = a_file(Path(source), "trade file")
    gzip = path.suffix.lower() == ".gz"
    suffix = ("".join(path.suffixes[-2:]) if gzip else path.suffix).lower()
    if suffix == ".parquet":
        lazy = pl.scan_parquet(path, glob=False)
        return lazy.select(pl.all().cast(pl.String)), str(path), 1, "row", separator
    if suffix in (".csv", ".txt", ".tsv", ".csv.gz", ".tsv.gz"):
        sep = "\t" if suffix.startswith(".tsv") else separator
        # All text: codes keep their leading zeros, and a bad number is reported, not guessed.
        # Bytes that are not UTF-8 (a Latin-1 description column) read as U+FFFD: a column
        # cbam reads then fails its own check, a carried one the check of read_trade.
        lazy = pl.scan_csv(
            path, separator=sep, infer_schema=False, encoding="utf8-lossy", glob=False
        )
        return lazy, str(path), 2, "line", sep
    raise ScenarioError(f"{path}: unsupported file type '{suffix}' (use .csv, .tsv or .parquet)")


def read_trade(
    source: str | Path | pl.DataFrame | pl.LazyFrame | IntoDataFrame,
    format: TradeFormat,
    *,
    origin: str | None = None,
    destination: str | None = None,
    year: int | None = None,
    keep: Sequence[str] | bool = (),
    eur_per_usd: Mapping[int, float] | None = None,
    on_error: Literal["raise", "flag"] = "raise",
    separator: str = ",",
) -> pl.LazyFrame:
    """Read a trade panel in a publisher's layout into cbam's input contract, lazily.

    Formats (column names matched case-insensitively):

    * ``"baci"``: CEPII BACI ``t, i, j, k, v, q``: exporter ``i`` is the origin, importer
      ``j`` the destination (BACI's ISO numeric-style codes), HS6 ``k``, value ``v`` in
      thousand USD, quantity ``q`` in tonnes.
    * ``"comtrade"``: UN Comtrade ``refYear`` (or ``period`` YYYY/YYYYMM), ``reporterCode``
      (the importer: destination), ``partnerCode`` (origin), ``flowCode`` (``M`` only),
      ``cmdCode``, ``netWgt`` (kg), ``primaryValue`` (USD). Comtrade's own codes (France 251,
      USA 842, 'Other Asia, nes' 490 = Taiwan) are converted; partner 0 'World' is refused.
    * ``"comext"``: Eurostat Comext ``DECLARANT_ISO`` (destination; ``EU27_2020`` gives
      ``EUU``, the EU as a whole), ``PARTNER_ISO`` (origin: GEO codes, EL = Greece, XK =
      Kosovo, XS = Serbia), ``PRODUCT_NC`` (CN8; 10-digit TARIC codes cut to CN8), ``FLOW``
      (1 = imports only), ``PERIOD`` (YYYY52 = the year, YYYYMM or YYYY-MM = a month, giving
      ``quarter``), ``VALUE_IN_EUROS``, ``QUANTITY_IN_KG`` (or ``QUANTITY_IN_100KG``).
      EXT_EU27_2020, INT_EU27_2020 and other aggregates are refused by name.
    * ``"wide"``: one row per code with year-suffixed columns (``tonnes_2022`` or
      ``kg_2022``, ``eur_2022`` or ``usd_2022``): one output row per code and year. The
      origin (and destination) come from ``origin=``/``destination=`` or ISO3 columns.

    USD values become EUR at the year's rate in ``rates/carbon_prices/fx.csv`` (ICAP's annual
    mean conversion rates, 2019 on, the last year carried forward; ``eur_per_usd`` adds or
    overrides years), and the rate applied is kept in ``eur_per_usd``.

    Args:
        source: A CSV/TSV (optionally gzipped) or Parquet file, or a frame (Polars, pandas,
            PyArrow or another that narwhals reads). A CSV's blank lines, and lines of empty
            fields only, hold no row and are skipped (``blank_lines`` lists them);
            ``source_line`` keeps the file's numbering.
        format: ``"baci"``, ``"comtrade"``, ``"comext"`` or ``"wide"``.
        origin: ISO3 origin of every row (wide files without an ``origin`` column).
        destination: ISO3 destination of every row (wide files), ``EUU`` for the EU.
        year: Wide files: read only this year's columns.
        keep: Source columns to carry along (``True``: every column the format does not
            read, an ``importer`` say); a name that cbam computes (``sector``) is carried as
            ``source_<name>``.
        eur_per_usd: EUR per USD by year, adding to or overriding the bundled rates.
        on_error: Either way one validation pass over the source says whether any row is
            faulty (a check of a country, code or period reads each distinct value once).
            ``"raise"`` (default): a ``CbamInputError`` naming the file, line, column and
            value of every kind of fault. ``"flag"``: a faulty row is kept with
            ``trade_error`` saying what is wrong and the unreadable field left empty, so that
            ``compute(..., on_error="flag")`` flags it too. No row is ever dropped.
        separator: CSV field separator.

    Returns:
        A LazyFrame with ``year, origin, destination, cn_code, quantity_t`` and, where the
        format has them, ``value_eur``, ``quarter`` and ``eur_per_usd``; then the ``keep``
        columns, ``source_line`` (the file line, or the 1-based row of a Parquet file or
        frame) and ``trade_error`` (null unless ``on_error="flag"`` found a fault).

    Raises:
        CbamInputError: faulty rows, when ``on_error="raise"``.
        ScenarioError: an unreadable file (empty, a ragged line), a missing column, one
            named twice (or twice but for case), or an unknown format.

    Example:
        >>> import polars as pl, cbam
        >>> baci = pl.DataFrame({"t": ["2026"], "i": ["156"], "j": ["251"], "k": ["720711"],
        ...                      "v": ["1000"], "q": ["12"]})
        >>> rows = cbam.read_trade(baci, "baci", eur_per_usd={2026: 0.9}).collect()
        >>> rows.select("year", "origin", "destination", "cn_code", "quantity_t",
        ...             "value_eur").row(0)
        (2026, 'CHN', 'FRA', '720711', 12.0, 900000.0)

    """
    if format not in FORMATS:
        raise ScenarioError(f"unknown trade format {format!r} (choose from {', '.join(FORMATS)})")
    if on_error not in ("raise", "flag"):
        raise ValueError(f"on_error must be 'raise' or 'flag', not {on_error!r}")
    for argument, given in (("origin", origin), ("destination", destination)):
        if given is not None and not isinstance(given, str):
            raise TypeError(
                f"{argument} must be an ISO3 code such as 'CHN', not {shorten(repr(given), 40)}"
            )
    if year is not None and (isinstance(year, bool) or not isinstance(year, Integral)):
        raise TypeError(f"year must be a whole year such as 2027, not {shorten(repr(year), 40)}")
    if eur_per_usd is not None and not isinstance(eur_per_usd, Mapping):
        raise TypeError(
            "eur_per_usd must map years to rates, e.g. {2024: 0.92}, not "
            f"{shorten(repr(eur_per_usd), 40)}"
        )
    every_other = keep is True
    if isinstance(keep, bool):
        keep = ()
    keep = [keep] if isinstance(keep, str) else keep  # one column's name, as by= takes it
    # Any collection of names (a list, a pandas Index, dict keys, a Series).
    wanted = list(keep) if isinstance(keep, Iterable) and not isinstance(keep, bytes) else None
    if isinstance(keep, Set) and wanted is not None:  # no order of its own: the same each run
        wanted = sorted(wanted, key=str)
    if wanted is None or not all(isinstance(c, str) for c in wanted):
        raise TypeError(
            "keep must be True or the names of source columns to carry, e.g. ['importer'], "
            f"not {shorten(repr(keep), 40)}"
        )
    keep = wanted
    if format != "wide":
        # The other layouts carry each row's own origin, destination and year.
        wide_only = [
            f"{a}="
            for a, v in (("origin", origin), ("destination", destination), ("year", year))
            if v is not None
        ]
        if wide_only:
            raise ScenarioError(
                f"{' and '.join(wide_only)}: for format 'wide' only (a {format} file gives each "
                "row's own: filter the result by its columns instead)"
            )
    lazy, name, first, label, separator = _scan(source, separator)
    try:
        found = lazy.collect_schema().names()
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ScenarioError(f"{name}: cannot read: {shorten(first_line(exc), 400)}") from exc
    if hint := encoding_hint(found):
        raise ScenarioError(f"{name}: {hint}")
    twice = duplicated(found)
    if twice:
        raise ScenarioError(f"{name}: the header names column(s) {twice} more than once; keep one")
    if len(found) == 1 and any(c in found[0] for c in ";\t|"):
        raise ScenarioError(
            f"{name}: the header has one column ({found[0][:60]!r}); is the separator "
            f"{separator!r} right? (read_trade(..., separator=';'), or save it with commas)"
        )
    try:
        if format == "baci":
            readers = [_baci(found, eur_per_usd)]
        elif format == "comtrade":
            readers = [_comtrade(found, eur_per_usd)]
        elif format == "comext":
            readers = [_comext(found)]
        else:
            readers = _wide(found, origin, destination, year, eur_per_usd)
    except _HeaderError as exc:
        raise ScenarioError(
            f"{name}: not a {format} file: {exc} (columns found: {shorten(', '.join(found), 300)})"
        ) from None
    except ScenarioError as exc:  # the reader's own, about the header: name the file
        raise ScenarioError(f"{name}: {exc}") from None
    if every_other:
        read = {n for r in readers for e in r.columns.values() for n in e.meta.root_names()}
        keep = [c for c in found if c not in read]
    keep = list(dict.fromkeys(keep))
    missing_keep = [c for c in keep if c not in found]
    if missing_keep:
        raise ScenarioError(f"{name}: keep={missing_keep}: no such columns (found: {found})")
    # A name cbam writes (sector, source_line) is carried as source_<name>.
    written = {*OUTPUT_COLUMNS, *readers[0].columns, "source_line", "trade_error"}
    names = {c: f"source_{c}" if c in written else c for c in keep}
    clash = [c for c in keep if names[c] != c and names[c] in names]
    if clash:
        raise ScenarioError(
            f"{name}: keep={shorten(keep)}: {clash[0]!r} is carried as {names[clash[0]]!r}, "
            "which keep also names; keep one of them"
        )
    carried = [pl.col(c).alias(names[c]) for c in keep]
    for reader in readers:
        reader.checks += [
            _fault(c, "not UTF-8 text (save the file as UTF-8)", _text(c).str.contains("\ufffd"))
            for c in keep
        ]
    if label == "line" and (short := short_line(Path(name), len(found), separator)):
        raise ScenarioError(f"{name}: cannot read{short}")  # its missing fields read as null
    numbered = _numbered(lazy, name, label, separator)
    if label == "line":  # a blank line, or one of empty fields, holds no row (blank_lines)
        numbered = numbered.filter(~pl.all_horizontal(pl.exclude("_c_row").is_null()))
    # One streaming pass says whether anything failed (a line with more fields than the
    # header fails it: told now, not at the caller's collect). The detailed report (lines,
    # values) or the flagged rows' texts need a second one only then; rows that all pass
    # need no error column.
    try:
        faulty = _any_failed(numbered, [c for r in readers for c in r.checks])
    except (OSError, pl.exceptions.PolarsError) as exc:  # a ragged line, ...
        raise _unreadable(name, separator, exc) from exc
    if on_error == "raise" and faulty:
        problems = []
        for reader in readers:
            # A wide file's readers (one per year) share the code checks: each fault once.
            problems += [p for p in collect_problems(numbered, reader.checks) if p not in problems]
        raise CbamInputError(problems, source=name, row_offset=first, row_label=label)
    parts = [_assemble(numbered, reader, carried, first, flag=faulty) for reader in readers]
    return pl.concat(parts, how="diagonal_relaxed") if len(parts) > 1 else parts[0]


def _unreadable(name: str, separator: str, exc: Exception) -> ScenarioError:
    """The file's read failed: Polars' cause, and the line at fault where one has more fields."""
    at = read_fault(Path(name), exc, separator)
    return ScenarioError(f"{name}: cannot read: {shorten(first_line(exc), 400)}{at}")


def blank_lines(source: str | Path, separator: str = ",") -> list[int]:
    r"""The lines of a CSV trade file that ``read_trade`` skips: blank, or of empty fields only.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        ...     _ = f.write("t,i\n2026,156\n\n,\n")
        >>> blank_lines(f.name)
        [3, 4]

    """
    lazy, name, first, label, separator = _scan(source, separator)
    if label != "line":
        return []
    empty = pl.all_horizontal(pl.exclude("_c_row").is_null())
    numbered = _numbered(lazy, name, label, separator)
    rows = numbered.filter(empty).select(pl.col("_c_row") + first).collect()
    return [int(n) for n in rows.to_series()]


def _numbered(lazy: pl.LazyFrame, name: str, label: str, separator: str) -> pl.LazyFrame:
    """The rows with ``_c_row``, their position: a CSV line's number less 2, as ``source_line``.

    Rows and lines differ where a quoted field spans lines (``record_lines``).
    """
    numbered = lazy.with_row_index("_c_row")
    if label != "line":
        return numbered
    count = lambda: lazy.select(pl.len()).collect(engine="streaming").item()  # noqa: E731
    try:
        starts = record_lines(Path(name), count, separator)
    except (OSError, pl.exceptions.PolarsError):
        return numbered  # a file Polars cannot parse: its read says why
    if starts is None:
        return numbered
    at = pl.Series([line - 2 for line in starts], dtype=pl.get_index_type())
    return numbered.with_columns(pl.lit(at).gather("_c_row").alias("_c_row"))


def _any_failed(rows: pl.LazyFrame, checks: list[Check]) -> bool:
    """Whether any row fails a check, in one streaming pass over the rows.

    A check of one key column's value alone (``_ValueCheck``) reads that column's distinct
    values, collected in the same pass: a BACI year's 10 million rows hold a few hundred
    countries and a few thousand codes.
    """
    by_value: dict[str, list[Check]] = {}
    by_row: list[Check] = []
    flows = [c for c in checks if isinstance(c, _FlowCheck)]
    for check in checks:
        roots = set(check.failed.meta.root_names())
        if isinstance(check, _FlowCheck):
            continue
        if isinstance(check, _ValueCheck) and len(roots) == 1:
            by_value.setdefault(roots.pop(), []).append(check)
        else:
            by_row.append(check)
    found = rows.select(
        pl.any_horizontal(_failed(by_row)).any().alias("_c_rows"),
        *[pl.col(c).unique().implode().alias(c) for c in by_value],
        *[agg for i, f in enumerate(flows) for agg in _flow_aggregates(i, f)],
    ).collect(engine="streaming")
    if found["_c_rows"].item():
        return True
    if any(_twice_anywhere(rows, found, i, f) for i, f in enumerate(flows)):
        return True
    return any(
        found.select(pl.col(c).explode()).select(pl.any_horizontal(_failed(fs)).any()).item()
        for c, fs in by_value.items()
    )


def _flow_aggregates(i: int, flow: _FlowCheck) -> list[pl.Expr]:
    """The rows counted, their distinct raw columns, and each key's distinct sources."""
    assert flow.quantity is not None
    counted = flow.quantity.is_not_null()
    return [
        pl.struct(flow.raw).filter(counted).n_unique().alias(f"_c_raw{i}"),
        counted.sum().alias(f"_c_counted{i}"),
        *[
            pl.struct(sorted(set(key.meta.root_names())))
            .unique()
            .implode()
            .alias(f"_c_spelled{i}_{j}")
            for j, key in enumerate(flow.keys)
        ],
    ]


def _failed(checks: list[Check]) -> list[pl.Expr]:
    return [c.failed.fill_null(False) for c in checks] or [pl.lit(False)]


def _assemble(
    lf: pl.LazyFrame, reader: _Reader, carried: list[pl.Expr], first: int, *, flag: bool
) -> pl.LazyFrame:
    columns = [expr.alias(c) for c, expr in reader.columns.items()]
    tail = [*carried, (pl.col("_c_row") + first).cast(pl.Int64).alias("source_line")]
    if not flag:  # validated: no row failed
        return lf.select(*columns, *tail, pl.lit(None, pl.String).alias("trade_error"))
    # Each check's outcome is computed once, as a column, then read by the error text and by
    # the quantity mask: a flagged row keeps what could be read but no quantity, so that
    # compute(..., on_error="flag") flags it as well and it never enters a total.
    flags = [c.failed.fill_null(False).alias(f"_c_f{i}") for i, c in enumerate(reader.checks)]
    failed = pl.any_horizontal([pl.col(f"_c_f{i}") for i in range(len(flags))] or [False])
    parts = [
        pl.when(pl.col(f"_c_f{i}")).then(
            pl.concat_str([pl.lit(f"{c.column}: {c.message} ("), c.shown, pl.lit(")")])
        )
        for i, c in enumerate(reader.checks)
    ]
    error = pl.when(failed).then(pl.concat_str(parts, separator="; ", ignore_nulls=True))
    # The converted columns go under reserved names, so the error text and the carried
    # columns still read the source's own (a wide file's cn_code, say).
    converted = [expr.alias(f"_c_out_{c}") for c, expr in reader.columns.items()]
    out = {c: pl.col(f"_c_out_{c}") for c in reader.columns}
    out["quantity_t"] = pl.when(~failed).then(out["quantity_t"])
    return lf.with_columns(*converted, *flags).select(
        *(e.alias(c) for c, e in out.items()), *tail, error.cast(pl.String).alias("trade_error")
    )
