"""``summarise``: totals by any grouping, which reconcile exactly with the rows."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from cbam._errors import CbamInputError, InputProblem, ScenarioError, shorten
from cbam._interop import FrameT, same_kind
from cbam._schema import fees_as_polars, key_as_read, number_as_read
from cbam._territory import imported_elsewhere

_LEN = pl.select(pl.len()).dtypes[0]  # the dtype of a row count
SUMMED = (
    "quantity_t",
    "embedded_t",
    "free_allocation_t",
    "deduction_t",
    "certificates",
    "fee_before_exemptions_eur",
    "fee_eur",
)
# Every column of summarise's table that is a total, not a group.
SUMMARY_COLUMNS = (
    "rows",
    *SUMMED,
    "deduction_eur",
    "exempt_rows",
    "flagged_rows",
    "outside_rows",
    "ave",
    "ave_pct",
)


# Amounts of at most 2^40 (about 1.1e12) as whole multiples of 2^-60: exact for every float
# from 2^-8 up, within 2^-61 below, and 2^27 rows of them sum within Int128. Below 2^-40 a
# positive amount would round to nothing (a customs value of 1e-144 priced as none): such
# amounts are added as floats.
_UNIT = 2.0**-60
EXACT_BELOW = 2.0**40
EXACT_FROM = 2.0**-40
# Amounts from 2^40 to 2^90 are whole multiples of 2^-12 (their last bit is 2^-12 or more):
# exact too, and 2^25 rows of them sum within Int128.
_LARGE_UNIT = 2.0**-12
_LARGE_BELOW = 2.0**90


def order_free_sum(expr: pl.Expr) -> pl.Expr:
    """``expr.sum()``, the same in any row order: amounts are added as exact integers.

    Floats added in another order can differ in the last bit, and a total that falls on half
    a cent then prints another cent. Each amount is a whole number of 2^-60 units (exact for
    amounts from 2^-8 up), the integers are summed, and the total is rounded to a float once:
    the sum depends on the values only, and a group of one row sums to that row's value.
    Amounts from 2^40 to 2^90 are whole numbers of 2^-12 units, exact as well; larger ones,
    those below 2^-40 (not 0), and infinite or NaN ones are added as floats.

    Example:
        >>> a = pl.DataFrame({"x": [1e6, 0.1, -1e6, 0.2]})
        >>> a.select(pl.col("x").sum()).item() == a.reverse().select(pl.col("x").sum()).item()
        False
        >>> [f.select(order_free_sum(pl.col("x"))).item() for f in (a, a.reverse())]
        [0.30000000000000004, 0.30000000000000004]

    """
    amount = expr.cast(pl.Float64)
    size = amount.abs()
    small = (size < EXACT_BELOW) & ((size >= EXACT_FROM) | (amount == 0))
    large = (size >= EXACT_BELOW) & (size < _LARGE_BELOW)
    # Masked before the cast, which Polars runs on every row, the others' too (1e300 fails).
    large_units = (pl.when(large).then(amount) / _LARGE_UNIT).round().cast(pl.Int128)
    rest = pl.when(~small & ~large).then(amount)
    # + 0.0 turns an empty sum's -0.0 into 0.0.
    return (
        exact_total(exact_units(pl.when(small).then(amount)).sum())
        + large_units.sum().cast(pl.Float64) * _LARGE_UNIT
        + rest.sum()
        + 0.0
    )


def exact_units(amount: pl.Expr) -> pl.Expr:
    """An amount below ``EXACT_BELOW`` as a whole number of 2^-60 units (Int128), exactly.

    Summed (in any order) and read back by ``exact_total``: ``order_free_sum`` where every
    amount is known to be 0 or between ``EXACT_FROM`` and ``EXACT_BELOW``, at the cost of
    one integer column.
    """
    return (amount.cast(pl.Float64) * (1 / _UNIT)).round().cast(pl.Int128)  # 2^60: exact


def exact_total(units: pl.Expr) -> pl.Expr:
    """A sum of ``exact_units`` as a float, rounded once."""
    return units.cast(pl.Float64) * _UNIT


def grouping(
    by: str | Iterable[str],
    available: Iterable[str],
    what: str = "by",
    results: Iterable[str] = (),
) -> list[str]:
    """Validated grouping columns, as every function taking ``by=`` reads them.

    ``by`` is a column name or a list of distinct names of ``available`` (empty: one grand
    total), none of them one of the ``results`` the table computes per group (``fee_eur``
    summed per ``fee_eur`` would be two columns of one name). ``what`` names the argument in
    messages (``by``, ``--by``).

    Raises:
        TypeError: ``by`` is neither a name nor a list of names.
        ScenarioError: a name given twice, not among ``available`` or among ``results``,
            naming it.

    Example:
        >>> grouping("origin", ["origin", "sector"]), grouping([], ["origin"])
        (['origin'], [])

    """
    if isinstance(by, str):
        names: list[Any] = [by]
    else:
        try:
            names = list(by)
        except TypeError:
            raise TypeError(
                f"{what} must be a column name or a list of names, not {type(by).__name__}"
            ) from None
    odd = [n for n in names if not isinstance(n, str)]
    if odd:
        raise TypeError(
            f"{what} must hold column names (text), not {shorten(odd)} "
            f"({', '.join(sorted({type(n).__name__ for n in odd}))})"
        )
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ScenarioError(f"{what}: {shorten(twice)} given more than once")
    columns = list(available)
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise ScenarioError(
            f"{what}: unknown columns {shorten(unknown)} (available: {', '.join(columns)})"
        )
    totals = set(results)
    clash = [n for n in names if n in totals]
    if clash:
        raise ScenarioError(
            f"{what}: {shorten(clash)} is a column of the totals (computed per group), not one "
            "to group by; group by a copy of it under another name"
        )
    return names


def summarise(fees: FrameT, by: Sequence[str] = ("origin", "sector")) -> FrameT:
    """Sum a ``compute`` result by the given columns, largest fee first.

    Sums skip no rows silently: rows flagged in lenient mode are counted in ``flagged_rows``
    (their results are null), exempt rows in ``exempt_rows``. Where the rows carry a
    ``destination``, those imported outside the regime's territory are not its imports: they
    stay out of every sum and of ``ave`` and are counted in ``outside_rows``. ``ave`` is total
    fee over total customs value of the unflagged rows that have one (a ratio), ``ave_pct``
    the same in percent. Groups come largest fee first; a grouping by ``year`` (or
    ``rules_year``) lists the years in order first, then the fees within each year. Origins,
    codes, routes and destinations group as the rules read them (``key_as_read``): ``tur`` and
    `` TUR`` are one origin, ``7208 10 00`` and ``72081000`` one code.

    Args:
        fees: A frame returned by ``cbam.compute``.
        by: Grouping columns, e.g. ``["origin", "sector", "year"]``; empty for a grand total.

    Example:
        >>> import polars as pl, cbam
        >>> rows = pl.DataFrame({"year": [2026, 2026], "origin": ["TUR", "TUR"],
        ...     "cn_code": ["72071111", "72071111"], "quantity_t": [100.0, 50.0]})
        >>> s = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
        >>> cbam.summarise(cbam.compute(rows, s), by=["origin"])["fee_eur"].round(2).to_list()
        [14533.2]

    """
    rows = fees_as_polars(fees)  # pandas and the like: summed in Polars
    names = rows.collect_schema().names()
    return same_kind(fees, summed(rows, names, grouping(by, names, results=SUMMARY_COLUMNS)))


def computed(names: Sequence[str], needed: Sequence[str]) -> None:
    """Refuse a frame without the ``compute`` columns ``needed`` (raw imports, say).

    Raises:
        ScenarioError: naming the columns missing and those found.

    """
    missing = [c for c in needed if c not in names]
    if missing:
        raise ScenarioError(
            f"not a cbam.compute result: no column(s) {shorten(missing)} (columns found: "
            f"{shorten(list(names))}); pass compute's output, or the imports to cbam.totals"
        )


def summed(
    rows: pl.LazyFrame, names: Sequence[str], groups: Sequence[str], weight: str | None = None
) -> pl.LazyFrame:
    """``summarise``'s totals of computed ``rows`` by ``groups``, sorted as it sorts them.

    ``weight`` names a column of row counts when each row stands for several (``cbam.totals``
    prices keys whose rows were summed first); without it each row counts once.
    """
    computed(names, (*SUMMED, "certificate_price_eur", "exempt", "input_error"))
    schema = rows.collect_schema()  # amounts read as compute reads them (' 100' is 100)
    value = number_as_read("value_eur", schema)
    # Rows imported outside the regime's territory are not its imports: counted apart.
    elsewhere: pl.Expr = imported_elsewhere(names)
    inside: pl.Expr = ~elsewhere
    # Flagged rows have no fee: their customs value stays out of ``ave`` too.
    priced_value = (value > 0) & inside & pl.col("input_error").is_null()
    fee_with_value = pl.when(priced_value).then(pl.col("fee_eur"))
    valued = pl.when(priced_value).then(value)
    ave = order_free_sum(fee_with_value) / order_free_sum(valued)
    share = "fee_share_charged"
    charged_share = pl.col(share).cast(pl.Float64) if share in names else pl.lit(1.0)

    def counted(condition: pl.Expr, name: str) -> pl.Expr:
        if weight is None:
            return condition.sum().alias(name)
        return pl.when(condition).then(pl.col(weight)).otherwise(0).sum().cast(_LEN).alias(name)

    aggregations = [
        (pl.len() if weight is None else pl.col(weight).sum().cast(_LEN)).alias("rows"),
        # Flagged rows (lenient mode) have no results; their mass stays out of the totals too.
        *[
            order_free_sum(
                pl.when(pl.col("input_error").is_null() & inside).then(number_as_read(c, schema))
            ).alias(c)
            for c in SUMMED
        ],
        # The deducted certificates valued at the certificate price, on the share of the fee
        # charged (Art. 9 relief, EUR): an exempt row is relieved of nothing.
        order_free_sum(
            pl.when(inside).then(
                pl.col("deduction_t") * pl.col("certificate_price_eur") * charged_share
            )
        ).alias("deduction_eur"),
        # Boolean whatever came back from pandas (all-None: an object column of text).
        counted(
            pl.col("exempt").cast(pl.Boolean, strict=False).fill_null(False) & inside, "exempt_rows"
        ),
        counted(pl.col("input_error").is_not_null(), "flagged_rows"),
        *([counted(elsewhere, "outside_rows")] if "destination" in names else []),
        # Null, not NaN or inf, for a group without any positive customs value (or with one
        # too small for the ratio), as compute has it row by row.
        pl.when((order_free_sum(valued) > 0) & ave.is_finite()).then(ave).alias("ave"),
    ]
    # Keys as the rules read them: 'tur' and ' TUR' are one origin, priced alike.
    schema = rows.collect_schema()
    keyed = rows.with_columns(key_as_read(g, schema) for g in groups)
    result = (
        keyed.group_by(groups).agg(aggregations) if groups else rows.select(aggregations)
    ).with_columns((pl.col("ave") * 100).alias("ave_pct"))
    years: list[str] = [g for g in ("year", "rules_year") if g in groups]
    others: list[str] = [g for g in groups if g not in years]
    return result.sort(
        [*years, "fee_eur", *others],
        descending=[False] * len(years) + [True] + [False] * len(others),
        nulls_last=True,
    ).map_batches(lambda totals: _finite(totals, groups))


def _finite(totals: pl.DataFrame, groups: Sequence[str]) -> pl.DataFrame:
    """``totals``, if every sum is a number: finite rows can sum past what a float holds."""
    sums = [c for c in (*SUMMED, "deduction_eur") if c in totals.columns]
    bad = totals.filter(pl.any_horizontal(~pl.col(sums).is_finite()))
    if bad.is_empty():
        return totals
    first = bad.row(0, named=True)
    column = next(c for c in sums if first[c] is not None and not math.isfinite(first[c]))
    group = ", ".join(f"{g} {shorten(first[g], 40)}" for g in groups) or "all rows"
    raise CbamInputError(
        [
            InputProblem(
                "quantity_t",
                f"the {column} of {len(bad)} group(s) sums past the largest number a 64-bit "
                f"float holds (about 1.8e308), first {group}: are the quantities in tonnes?",
                0,
            )
        ]
    )
