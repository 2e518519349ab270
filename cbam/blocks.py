"""Rule building blocks: the Polars expressions border-adjustment designs are assembled from.

Each block takes expressions (columns or literals) and returns an expression, so a design is a
chain of ``with_columns`` over the import rows, never a loop. The regimes in ``rates/regimes/``
are built from these blocks (``cbam._engine``); a model can also call them directly.

Example:
    >>> import polars as pl
    >>> from cbam import blocks
    >>> rows = pl.DataFrame({"t": [100.0], "see": [2.0], "baseline": [1.5]})
    >>> rows.select(
    ...     blocks.net_charge(
    ...         blocks.embedded_emissions(pl.col("t"), pl.col("see")),
    ...         blocks.baseline_allowance(pl.col("t"), pl.col("baseline"), pl.lit(0.9)),
    ...     )
    ... ).item()
    65.0

"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

__all__ = [
    "ad_valorem_tier_rate",
    "baseline_allowance",
    "carbon_price_deduction",
    "embedded_emissions",
    "exact_units",
    "free_allocation_adjustment",
    "free_allocation_share",
    "from_units",
    "importer_total",
    "net_charge",
    "scoped_intensity",
    "to_eur",
]


def scoped_intensity(direct: pl.Expr, indirect: pl.Expr, counts_indirect: pl.Expr) -> pl.Expr:
    """Specific embedded emissions in a scope: direct, plus indirect where they count.

    Source: Reg. (EU) 2023/956 Annex IV (direct and indirect embedded emissions); the UK
    Finance Act 2026 s.143 defers indirect emissions (Deloitte, 2025).

    Example:
        >>> import polars as pl
        >>> pl.select(scoped_intensity(pl.lit(1.0), pl.lit(0.25), pl.lit(True))).item()
        1.25

    """
    return direct + pl.when(counts_indirect).then(indirect.fill_null(0.0)).otherwise(0.0)


def default_intensity(
    direct: pl.Expr, indirect: pl.Expr, total: pl.Expr, counts_indirect: pl.Expr
) -> pl.Expr:
    """A default value in a scope: direct, or the published total where indirect count.

    The total is the figure published beside direct and indirect (IR 2025/2621 Annex I),
    rounded on its own: 1.21 where the rounded direct and indirect add up to 1.22. Without
    one, the direct and indirect values add up (``scoped_intensity``).

    Example:
        >>> import polars as pl
        >>> one = pl.lit(True)
        >>> pl.select(default_intensity(pl.lit(1.1), pl.lit(0.12), pl.lit(1.21), one)).item()
        1.21

    """
    published = pl.when(counts_indirect & total.is_not_null()).then(total)
    return published.otherwise(scoped_intensity(direct, indirect, counts_indirect))


def embedded_emissions(
    quantity: pl.Expr, intensity: pl.Expr, scale: pl.Expr | None = None
) -> pl.Expr:
    """Embedded emissions, t CO2e: quantity x specific embedded emissions (x clinker share).

    Source: Reg. (EU) 2023/956 Annex IV point 2; cement default values are per tonne of
    clinker (IR 2025/2621), hence ``scale``.

    Example:
        >>> import polars as pl
        >>> pl.select(embedded_emissions(pl.lit(10.0), pl.lit(0.8), pl.lit(0.5))).item()
        4.0

    """
    base = quantity * intensity
    return base if scale is None else base * scale


def free_allocation_adjustment(
    quantity: pl.Expr, benchmark: pl.Expr, factor: pl.Expr, correction: pl.Expr | None = None
) -> pl.Expr:
    """Free-allocation adjustment, t CO2e: quantity x benchmark x CBAM factor (x CSCF).

    Source: Reg. (EU) 2023/956 Art. 31; benchmarks of IR (EU) 2025/2620; CBAM factor of
    Directive 2003/87/EC Art. 10a(1a).

    Example:
        >>> import polars as pl
        >>> pl.select(free_allocation_adjustment(pl.lit(100.0), pl.lit(1.5), pl.lit(0.9))).item()
        135.0

    """
    base = quantity * benchmark * factor
    return base if correction is None else base * correction


def free_allocation_share(embedded: pl.Expr, share: pl.Expr) -> pl.Expr:
    """Tonnes not charged when a price is reduced by a sector's free-allocation share.

    The UK charge is the UK ETS price 'reduced by the sector's free-allocation percentage'
    (Finance Act 2026 s.149): price x (1 - share) x embedded = price x (embedded - this).

    Example:
        >>> import polars as pl
        >>> pl.select(free_allocation_share(pl.lit(200.0), pl.lit(0.25))).item()
        50.0

    """
    return embedded * share


def baseline_allowance(
    quantity: pl.Expr, reference_intensity: pl.Expr, applicable_percentage: pl.Expr
) -> pl.Expr:
    """Tonnes below a declining baseline, which a baseline-intensity charge leaves uncharged.

    Clean Competition Act (S.3523, 119th Congress; S.4355, 117th): imports pay on the carbon
    intensity above the US industry average times an applicable percentage that declines.

    Example:
        >>> import polars as pl
        >>> pl.select(baseline_allowance(pl.lit(10.0), pl.lit(2.0), pl.lit(0.95))).item()
        19.0

    """
    return quantity * reference_intensity * applicable_percentage


def ad_valorem_tier_rate(ratio: pl.Expr, tiers: Sequence[tuple[float, float]]) -> pl.Expr:
    """The ad valorem rate of the highest tier whose ``ratio_above`` the ratio exceeds.

    ``tiers`` are (ratio_above, rate) pairs by increasing ratio; a ratio at or below the first
    bound pays 0. Foreign Pollution Fee Act (S.1325, 119th Congress): a charge on customs value
    set by the pollution-intensity ratio of the origin to the United States.

    Example:
        >>> import polars as pl
        >>> rate = ad_valorem_tier_rate(pl.col("r"), [(1.1, 0.15), (1.5, 0.3)])
        >>> pl.DataFrame({"r": [1.0, 1.2, 2.0]}).select(rate.alias("rate"))["rate"].to_list()
        [0.0, 0.15, 0.3]

    """
    expr: pl.Expr = pl.lit(0.0)
    for bound, rate in tiers:
        expr = pl.when(ratio > bound).then(pl.lit(rate)).otherwise(expr)
    return expr


def carbon_price_deduction(
    embedded: pl.Expr, price_paid: pl.Expr, charge_price: pl.Expr
) -> pl.Expr:
    """Tonnes deducted for a carbon price paid abroad: embedded x paid / charge price, capped.

    Source: Reg. (EU) 2023/956 Art. 9 (the reduction never exceeds the embedded emissions);
    UK Finance Act 2026 s.150 gives the same relief in money.

    Example:
        >>> import polars as pl
        >>> pl.select(carbon_price_deduction(pl.lit(10.0), pl.lit(20.0), pl.lit(80.0))).item()
        2.5

    """
    share = (
        pl.when(price_paid <= 0)
        .then(0.0)
        # A price paid at least the charge price deducts everything, exactly (x * (1 / x)
        # can fall an ulp short of 1: a fee of 4e-11 where a linked ETS's price is the EU's).
        .when(price_paid >= charge_price)
        .then(1.0)
        .when(charge_price > 0)
        # Times the reciprocal: Polars divides by a constant so, and a row must not depend on
        # whether the price is one (the same rows in another frame, on another engine).
        .then(pl.min_horizontal(price_paid * (1.0 / charge_price), pl.lit(1.0)))
        .otherwise(1.0)
    )
    return embedded * share


def net_charge(embedded: pl.Expr, *allowances: pl.Expr) -> pl.Expr:
    """Tonnes charged: embedded emissions less every allowance, never below zero.

    Source: Reg. (EU) 2023/956 Art. 22 (certificates surrendered); the floor at zero is
    common to every design (no design pays importers).

    Example:
        >>> import polars as pl
        >>> pl.select(net_charge(pl.lit(5.0), pl.lit(3.0), pl.lit(4.0))).item()
        0.0

    """
    total = embedded
    for allowance in allowances:
        total = total - allowance
    return total.clip(lower_bound=0.0)


def importer_total(amount: pl.Expr, importer: pl.Expr, year: pl.Expr) -> pl.Expr:
    """An importer's annual total of ``amount`` (mass or value), the basis of thresholds.

    Sources: EU de minimis, 50 t per importer and year (Reg. (EU) 2025/2083); UK registration
    threshold of GBP 50,000 a year (Finance Act 2026 Part 5).

    Example:
        >>> import polars as pl
        >>> rows = pl.DataFrame({"imp": ["a", "a", "b"], "y": [1, 1, 1], "v": [2.0, 3.0, 4.0]})
        >>> rows.select(importer_total(pl.col("v"), pl.col("imp"), pl.col("y")))["v"].to_list()
        [5.0, 5.0, 4.0]

    """
    return amount.sum().over([importer, year])


def exact_units(amount: pl.Expr, decimals: int, cap: float) -> pl.Expr:
    """An amount as whole units of 10^-decimals (Int128), for sums that decide a threshold.

    Summed as integers, amounts give the same total in any order, engine or batching, and a
    total compares with a threshold exactly: five shipments of 1.218, 6.326, 8.124, 2.578 and
    31.754 t are 50,000,000 g, whatever the order (``rates/eu/exact_sums.yaml``). A row counts
    at most ``cap``; null, NaN, infinite and negative amounts count 0 (bad inputs have their
    own checks).

    Example:
        >>> import polars as pl
        >>> rows = pl.DataFrame({"t": [1.218, 6.326, 2.578, 31.754, 8.124]})
        >>> rows.select(exact_units(pl.col("t"), 6, 1e12).sum()).item()
        50000000
        >>> 1.218 + 6.326 + 2.578 + 31.754 + 8.124  # as floats, in this order
        50.00000000000001

    """
    valid = amount.is_finite() & (amount > 0)
    scaled = (amount.clip(upper_bound=cap) * float(10**decimals)).round()
    return pl.when(valid).then(scaled).otherwise(0.0).cast(pl.Int128)


def from_units(units: pl.Expr, decimals: int) -> pl.Expr:
    """Whole units of 10^-decimals back to a float amount (``exact_units``' inverse).

    Example:
        >>> import polars as pl
        >>> pl.select(from_units(pl.lit(50_000_000, pl.Int128), 6)).item()
        50.0

    """
    amount = units.cast(pl.Float64)
    # Divided by a column, not a constant: the in-memory engine multiplies by a constant's
    # reciprocal (32306378 g is 32.306377999999995 t there, 32.306378 t streamed).
    return amount / (amount * 0.0 + float(10**decimals))


def to_eur(amount: pl.Expr, eur_per_unit: pl.Expr) -> pl.Expr:
    """An amount in another currency, in EUR (``rates/carbon_prices/fx.csv`` rates).

    Example:
        >>> import polars as pl
        >>> round(pl.select(to_eur(pl.lit(100.0), pl.lit(1.17741))).item(), 6)
        117.741

    """
    return amount * eur_per_unit
