"""``summarise``: totals by any grouping, which reconcile exactly with the rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import polars as pl

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

SUMMED = (
    "quantity_t",
    "embedded_t",
    "free_allocation_t",
    "deduction_t",
    "certificates",
    "fee_before_exemptions_eur",
    "fee_eur",
)


def summarise(fees: FrameT, by: Sequence[str] = ("origin", "sector")) -> FrameT:
    """Sum a ``compute`` result by the given columns, largest fee first.

    Sums skip no rows silently: rows flagged in lenient mode are counted in ``flagged_rows``
    (their results are null), exempt rows in ``exempt_rows``. ``ave`` is total fee over total
    customs value of the rows that have one.

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
    groups: list[str] = list(by)
    has_value = "value_eur" in fees.lazy().collect_schema().names()
    value = (
        pl.col("value_eur").cast(pl.Float64, strict=False)
        if has_value
        else pl.lit(None, pl.Float64)
    )
    fee_with_value = pl.when(value > 0).then(pl.col("fee_eur"))
    valued = pl.when(value > 0).then(value)
    aggregations = [
        pl.len().alias("rows"),
        # Flagged rows (lenient mode) have no results; their mass stays out of the totals too.
        *[
            pl.when(pl.col("input_error").is_null())
            .then(pl.col(c).cast(pl.Float64, strict=False))
            .sum()
            .alias(c)
            for c in SUMMED
        ],
        # The deducted certificates valued at the certificate price (Art. 9 relief, EUR).
        (pl.col("deduction_t") * pl.col("certificate_price_eur")).sum().alias("deduction_eur"),
        pl.col("exempt").fill_null(False).sum().alias("exempt_rows"),
        pl.col("input_error").is_not_null().sum().alias("flagged_rows"),
        # Null, not NaN, for a group without any positive customs value.
        pl.when(valued.sum() > 0).then(fee_with_value.sum() / valued.sum()).alias("ave"),
    ]
    lazy = fees.lazy()
    summary = (
        lazy.group_by(groups).agg(aggregations) if groups else lazy.select(aggregations)
    ).sort(
        [pl.col("fee_eur"), *[pl.col(g) for g in groups]],
        descending=[True] + [False] * len(groups),
        nulls_last=True,
    )
    return summary.collect() if isinstance(fees, pl.DataFrame) else summary
