"""Indicators on a fee table (the output of ``cbam.compute``), each with its formula and source.

Every function takes the frame ``compute`` returned (DataFrame or LazyFrame) and gives the same
kind back. Rows flagged in lenient mode (``input_error`` set) have no results and are left out
of every sum, as ``summarise`` leaves them out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from numbers import Integral
from pathlib import Path
from typing import Any

import polars as pl

from cbam._design import EU_ENGINE
from cbam._engine import NO_RELIEF_SOURCE
from cbam._errors import ScenarioError, first_line, shorten
from cbam._eu import config
from cbam._interop import FrameT, same_kind, to_polars
from cbam._pipeline import compute, compute_strictly
from cbam._resolve import load_scenario, rebuilt, resolve
from cbam._scenario import Scenario
from cbam._schema import (
    OPTIONAL_COLUMNS,
    OUTPUT_COLUMNS,
    OUTPUT_SCHEMA,
    currency_as_read,
    fees_as_polars,
    key_as_read,
    key_table_as_read,
    number_as_read,
    result_columns,
    whole_as_read,
)
from cbam._summary import SUMMARY_COLUMNS, computed, grouping, order_free_sum, summarise
from cbam._territory import imported_elsewhere

DEFAULT_BY = ("origin", "sector", "year")
_ACTUAL_INPUTS = ("see_direct", "see_indirect")


def _valid(frame: pl.LazyFrame, *needed: str) -> pl.LazyFrame:
    """Rows with results that are the regime's imports: not flagged, not imported elsewhere.

    A row sent outside the territory owes nothing and is no import of the regime's: like
    ``summarise``, the indicators leave its tonnes, value and would-be fee out. ``needed``:
    the other ``compute`` columns the indicator reads.
    """
    names = frame.collect_schema().names()
    computed(names, ("fee_eur", "input_error", *needed))
    return frame.filter(pl.col("input_error").is_null() & ~imported_elsewhere(names))


def _valued(frame: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.Expr]:
    """The frame, and its customs value as Float64 where positive, else null.

    Fees without the optional ``value_eur`` column get it, all null: a null literal would be
    one value per group, counted once in ``rows_without_value``, not once per row.
    """
    schema = frame.collect_schema()
    if "value_eur" not in schema:
        frame = frame.with_columns(pl.lit(None, pl.Float64).alias("value_eur"))
        schema = frame.collect_schema()
    value = number_as_read("value_eur", schema)  # ' 55000' is the value compute read
    return frame, pl.when(value > 0).then(value)


def _group(frame: pl.LazyFrame, by: Sequence[str], aggs: list[pl.Expr]) -> pl.LazyFrame:
    made = [a.meta.output_name() for a in aggs]
    groups = grouping(by, frame.collect_schema().names(), results=made)
    schema = frame.collect_schema()
    # Keys as the rules read them.
    keyed = frame.with_columns(key_as_read(g, schema) for g in groups)
    out = keyed.group_by(groups).agg(aggs) if groups else frame.select(aggs)
    return out.sort(groups) if groups else out


def _lazy(fees: Any) -> pl.LazyFrame:
    """A fee table as a LazyFrame (pandas and other eager frames converted)."""
    return fees_as_polars(fees)


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """Divide, null (not NaN or inf) where the denominator is not positive or too small."""
    ratio = numerator / denominator
    return pl.when((denominator > 0) & ratio.is_finite()).then(ratio)


def ad_valorem_equivalents(fees: FrameT, by: Sequence[str] = DEFAULT_BY) -> FrameT:
    """Ad valorem equivalent of the fee: fee over customs value, by group.

    Formula: ``ave = sum(fee_eur) / sum(value_eur)`` over the group's rows with a positive
    customs value (rows without one are counted in ``rows_without_value`` and their fee stays
    out of the ratio); ``ave_before_exemptions`` does the same with
    ``fee_before_exemptions_eur``. A tariff modeller or CGE model can read ``ave`` as an ad
    valorem tariff equivalent on that trade flow.

    Source: the definition of an ad valorem equivalent of a specific charge (charge per unit of
    customs value). The customs value is the input's ``value_eur``; in the bundled data it is
    Eurostat Comext's statistical value at the EU border (``data/README.md``).

    Args:
        fees: A frame returned by ``cbam.compute``.
        by: Grouping columns (default origin, sector, year); empty for one overall row.

    Returns:
        ``by`` columns, ``rows``, ``rows_without_value``, ``value_eur``, ``fee_eur`` (all
        rows), ``ave`` and ``ave_before_exemptions``, sorted by ``by``.

    Example:
        >>> import polars as pl, cbam
        >>> rows = pl.DataFrame({"year": [2026], "origin": ["TUR"], "cn_code": ["72071111"],
        ...     "quantity_t": [100.0], "value_eur": [55_000.0]})
        >>> s = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
        >>> ave = cbam.ad_valorem_equivalents(cbam.compute(rows, s))
        >>> round(ave["ave"].item(), 6)   # 9,688.80 / 55,000
        0.17616

    """
    lazy, value = _valued(_valid(_lazy(fees)))
    valued = value.is_not_null()
    aggs = [
        pl.len().alias("rows"),
        (~valued).sum().alias("rows_without_value"),
        order_free_sum(value).alias("value_eur"),
        order_free_sum(pl.col("fee_eur")).alias("fee_eur"),
        _ratio(order_free_sum(pl.col("fee_eur").filter(valued)), order_free_sum(value)).alias(
            "ave"
        ),
        _ratio(
            order_free_sum(pl.col("fee_before_exemptions_eur").filter(valued)),
            order_free_sum(value),
        ).alias("ave_before_exemptions"),
    ]
    return same_kind(fees, _group(lazy, by, aggs))


def fee_per_tonne(fees: FrameT, by: Sequence[str] = DEFAULT_BY) -> FrameT:
    """Fee per tonne of good and per tonne of embedded emissions, by group.

    Formulas: ``fee_per_t = sum(fee_eur) / sum(quantity_t)`` (EUR per tonne of good);
    ``embedded_t_per_t = sum(embedded_t) / sum(quantity_t)``; ``fee_per_t_co2e =
    sum(fee_eur) / sum(embedded_t)``, the effective carbon price on the embedded emissions
    after free allocation, deduction and exemptions (at most the certificate price).
    Electricity's ``quantity_t`` is in MWh: its ratios are per MWh, so group by sector to
    keep it apart (the default ``by`` does).

    Source: Reg. (EU) 2023/956 Art. 7 and 22 (embedded emissions, certificates), as computed
    by ``cbam.compute``.

    Args:
        fees: A frame returned by ``cbam.compute``.
        by: Grouping columns (default origin, sector, year); empty for one overall row.

    Returns:
        ``by`` columns, ``quantity_t``, ``embedded_t``, ``fee_eur``, ``fee_per_t``,
        ``embedded_t_per_t`` and ``fee_per_t_co2e`` (null where the divisor is zero).

    Example:
        >>> import polars as pl, cbam
        >>> rows = pl.DataFrame({"year": [2026], "origin": ["TUR"], "cn_code": ["72071111"],
        ...     "quantity_t": [100.0]})
        >>> s = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
        >>> out = cbam.fee_per_tonne(cbam.compute(rows, s), by=["origin"])
        >>> [round(out[c].item(), 4) for c in ("fee_per_t", "fee_per_t_co2e")]
        [96.888, 38.1299]

    """
    lazy = _valid(_lazy(fees), "embedded_t")
    quantity = number_as_read("quantity_t", lazy.collect_schema())  # ' 100' is 100 t
    aggs = [
        order_free_sum(quantity).alias("quantity_t"),
        order_free_sum(pl.col("embedded_t")).alias("embedded_t"),
        order_free_sum(pl.col("fee_eur")).alias("fee_eur"),
    ]
    out = _group(lazy, by, aggs).with_columns(
        _ratio(pl.col("fee_eur"), pl.col("quantity_t")).alias("fee_per_t"),
        _ratio(pl.col("embedded_t"), pl.col("quantity_t")).alias("embedded_t_per_t"),
        _ratio(pl.col("fee_eur"), pl.col("embedded_t")).alias("fee_per_t_co2e"),
    )
    return same_kind(fees, out)


def exposure(
    fees: FrameT,
    by: Sequence[str] = ("origin", "year"),
    economy: pl.DataFrame | None = None,
) -> FrameT:
    """Exposure of each origin to the fee: as a share of its exports of these goods, and more.

    Formulas, per group: ``share_of_exports = sum(fee_eur) / sum(value_eur)``, the fee as a
    share of the origin's exports of the goods in the fee table to the importer (the rows with
    a positive customs value); where ``economy`` gives them, ``share_of_total_exports =
    sum(fee_eur) / total_exports_eur`` and ``share_of_gdp = sum(fee_eur) / gdp_eur``. Rows
    without a customs value count in ``fee_eur`` and in the shares of total exports and GDP.

    Source: definitions; the customs value is the input's ``value_eur`` (for the bundled data,
    Eurostat Comext's statistical value). No GDP or total-export table is bundled: the team's
    reference material has no cited one, so the caller supplies it.

    Args:
        fees: A frame returned by ``cbam.compute``.
        by: Grouping columns, ``origin`` first by default with ``year``.
        economy: Optional table with the ``by`` columns it shares with the fee table as keys
            (at least ``origin``) and ``total_exports_eur`` and/or ``gdp_eur`` (EUR, same
            year as the trade); extra columns are ignored.

    Returns:
        ``by`` columns, ``exports_eur``, ``fee_eur``, ``share_of_exports`` and, where given,
        ``total_exports_eur``, ``gdp_eur``, ``share_of_total_exports``, ``share_of_gdp``.

    Raises:
        ValueError: ``economy`` has no key column in ``by`` or neither denominator.

    Example:
        >>> import polars as pl, cbam
        >>> rows = pl.DataFrame({"year": [2026], "origin": ["TUR"], "cn_code": ["72071111"],
        ...     "quantity_t": [100.0], "value_eur": [55_000.0]})
        >>> s = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
        >>> economy = pl.DataFrame({"origin": ["TUR"], "gdp_eur": [1e6]})
        >>> out = cbam.exposure(cbam.compute(rows, s), economy=economy)
        >>> [round(out[c].item(), 7) for c in ("share_of_exports", "share_of_gdp")]
        [0.17616, 0.0096888]

    """
    lazy = _valid(_lazy(fees))
    by = grouping(by, lazy.collect_schema().names())
    lazy, value = _valued(lazy)
    aggs = [
        order_free_sum(value).alias("exports_eur"),
        order_free_sum(pl.col("fee_eur")).alias("fee_eur"),
        _ratio(
            order_free_sum(pl.col("fee_eur").filter(value.is_not_null())), order_free_sum(value)
        ).alias("share_of_exports"),
    ]
    out = _group(lazy, by, aggs)
    if economy is not None:
        given = to_polars(economy, "economy").lazy()
        columns = given.collect_schema().names()
        keys = [c for c in by if c in columns]
        denominators = [c for c in ("total_exports_eur", "gdp_eur") if c in columns]
        if not keys or not denominators:
            raise ValueError(
                f"economy needs a key column of by={list(by)} and total_exports_eur or "
                f"gdp_eur; it has {shorten(columns)}"
            )
        try:
            # Keys as the rules read them, as the totals group them ('tur' is TUR).
            grouped = out.collect_schema()
            table = key_table_as_read(
                given.select(*keys, *[pl.col(d).cast(pl.Float64) for d in denominators]).collect(),
                keys,
                grouped,
                "economy",
            ).with_columns(pl.col(k).cast(grouped[k]) for k in keys)  # checked: each fits
        except pl.exceptions.PolarsError as exc:
            raise ValueError(
                f"economy: its columns {keys + denominators} cannot be read as the fee "
                f"table's keys and as numbers: {shorten(first_line(exc))}"
            ) from None
        if table.select(keys).is_duplicated().any():  # a group joined twice would count twice
            raise ValueError(f"economy has duplicate keys in {keys}")
        numbers = pl.col(denominators)
        if table.filter(pl.any_horizontal(~numbers.is_finite() | (numbers < 0))).height:
            raise ValueError(
                f"economy: {', '.join(denominators)} must be finite numbers >= 0 (or empty)"
            )
        out = out.join(table.lazy(), on=keys, how="left", maintain_order="left").with_columns(
            _ratio(pl.col("fee_eur"), pl.col(d)).alias(
                "share_of_total_exports" if d == "total_exports_eur" else "share_of_gdp"
            )
            for d in denominators
        )
    return same_kind(fees, out)


def break_even_carbon_price(fees: FrameT, by: Sequence[str] | None = None) -> FrameT:
    """The carbon price paid at home that would bring each row's fee to zero.

    Formula (Reg. (EU) 2023/956 Art. 9 and 22, IR 2025/2620): certificates = max(0, E - F -
    E x min(1, p / P)) with E the embedded emissions, F the free-allocation adjustment, p the
    price paid abroad and P the certificate price, so the fee is zero once

        p* = P x max(0, 1 - F / E)

    ``break_even_price_eur_per_t`` is p* (0 where the free-allocation adjustment already covers
    the emissions; null where the row has no embedded emissions, or where no price paid abroad
    relieves it, ``carbon_price_source`` 'none (scenario: gross fee)' or 'none (no relief in
    us-cca-2025)');
    ``price_gap_eur_per_t`` = max(0, p* - price paid now) is how much more the home price must
    rise. Exempt rows get p* too: it zeroes their fee before exemptions.

    Args:
        fees: A frame returned by ``cbam.compute``.
        by: None for one value per row (the fee table with the two columns added); grouping
            columns for ``break_even_price_eur_per_t`` = the largest p* in the group (the home
            price that zeroes every row's fee) and ``break_even_price_weighted_eur_per_t``
            weighted by embedded emissions.

    Returns:
        The fee table with the two columns, or one row per group.

    Example:
        >>> import polars as pl, cbam
        >>> rows = pl.DataFrame({"year": [2026], "origin": ["TUR"], "cn_code": ["72071111"],
        ...     "quantity_t": [100.0]})
        >>> s = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
        >>> out = cbam.break_even_carbon_price(cbam.compute(rows, s))
        >>> round(out["break_even_price_eur_per_t"].item(), 4)   # 80 x (1 - 132.99 / 254.1)
        38.1299

    """
    lazy = _lazy(fees)
    computed(
        lazy.collect_schema().names(),
        (
            "embedded_t",
            "free_allocation_t",
            "fee_eur",
            "carbon_price_source",
            "carbon_price_paid_eur_per_t",
            "certificate_price_eur",
        ),
    )
    embedded = pl.col("embedded_t")
    share_free = pl.min_horizontal(pl.col("free_allocation_t") / embedded, pl.lit(1.0))
    # No price paid abroad relieves such rows: no break-even price exists.
    no_relief = pl.col("carbon_price_source").cast(pl.String).str.starts_with(NO_RELIEF_SOURCE)
    price = (
        pl.when((embedded > 0) & ~no_relief.fill_null(False))
        .then(pl.col("certificate_price_eur") * (1.0 - share_free))
        .alias("break_even_price_eur_per_t")
    )
    paid = pl.col("carbon_price_paid_eur_per_t").fill_null(0.0)
    rows = lazy.with_columns(price).with_columns(
        (pl.col("break_even_price_eur_per_t") - paid)
        .clip(lower_bound=0.0)
        .alias("price_gap_eur_per_t")
    )
    if by is None:
        return same_kind(fees, rows, keep_index=True)  # row by row: a pandas index kept
    weight = pl.when(pl.col("break_even_price_eur_per_t").is_not_null()).then(embedded)
    aggs = [
        order_free_sum(pl.col("embedded_t")).alias("embedded_t"),
        pl.col("break_even_price_eur_per_t").max(),
        _ratio(
            order_free_sum(pl.col("break_even_price_eur_per_t") * weight), order_free_sum(weight)
        ).alias("break_even_price_weighted_eur_per_t"),
    ]
    return same_kind(fees, _group(_valid(rows), by, aggs))


def actual_value_threshold(fees: FrameT, scenario: Scenario | str | Path = "eu-cbam") -> FrameT:
    """The actual intensity below which verified actual values beat the default values.

    With default values a row owes, per tonne of good (of clinker for the clinker-based cement
    headings), ``c_D = SEE_D (1 - d) - BM_B f`` certificates; with an actual intensity x it owes
    ``max(0, x (1 - d) - BM_A f)``, where f = CBAM factor x cross-sectoral correction factor,
    d = min(1, price paid abroad / certificate price) the Art. 9 deduction share, BM_B the
    cumulative column-B benchmark (defaults) and BM_A the column-A benchmark plus the row's
    ``precursor_benchmark_t_per_t`` (actual values; column B if the scenario sets
    ``actual_values_benchmark: B``). Where c_D > 0, actual values owe less exactly when
    x < x*, with

        x* = SEE_D - (BM_B - BM_A) f / (1 - d)

    (rules in ``cbam/_engine.py``: Reg. (EU) 2023/956 Art. 7, 9, 22; IR 2025/2620 Art. 3 and
    Annex; IR 2025/2621 Annex I). For cement and fertilisers x counts direct plus indirect
    emissions. Since column A leaves out the precursors' benchmarks, x* is below the default
    value: a producer must beat the marked-up default by the precursors' free allocation.

    Every regime is read the same way, off ``compute``: the rows are recomputed under
    ``scenario`` on default values and with actual values of 1, 1.5 and 2 times the default
    intensity; where the fee is linear in the intensity (the EU's benchmarks, the UK's
    free-allocation shares, relief for a price paid abroad), x* is where it meets the fee on
    default values, which for the EU CBAM is the formula above. Pass the scenario that made
    ``fees``.

    Args:
        fees: A frame returned by ``cbam.compute`` (its input columns are reused).
        scenario: The scenario that computed ``fees``.

    Returns:
        The fee table with ``default_see_t_per_t`` (SEE_D), ``default_benchmark_t_per_t``
        (BM_B), ``actual_benchmark_t_per_t`` (BM_A; null for charges without benchmarks) and
        ``actual_see_threshold_t_per_t`` (x*, null where the default values already owe
        nothing, the deduction covers everything, the row has no default value or no embedded
        emissions, the row is not a CBAM good, the fee does not rise with the intensity, or
        the charge is not linear in it: tiers).

    Example:
        >>> import polars as pl, cbam
        >>> rows = pl.DataFrame({"year": [2026], "origin": ["TUR"], "cn_code": ["72071111"],
        ...     "quantity_t": [100.0]})
        >>> s = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
        >>> out = cbam.actual_value_threshold(cbam.compute(rows, s), s)
        >>> cols = ["default_see_t_per_t", "default_benchmark_t_per_t",
        ...         "actual_benchmark_t_per_t", "actual_see_threshold_t_per_t"]
        >>> [round(v, 6) for v in out.select(cols).row(0)]   # 2.541 - (1.364 - 0.188) x 0.975
        [2.541, 1.364, 0.188, 1.3944]

    """
    chosen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    lazy = _lazy(fees)
    computed(lazy.collect_schema().names(), ("fee_eur", "input_error"))
    _made_by(lazy, chosen)
    # The input columns: those that are not outputs (or are also inputs).
    base = lazy.select(
        c for c in lazy.collect_schema().names() if c not in OUTPUT_COLUMNS or c in OPTIONAL_COLUMNS
    )
    _same_fees(lazy, compute(base, chosen, on_error="flag"), chosen)
    # Default values: the row's own actual values (and its precursors, which need them) go.
    defaults_in = base.drop([*_ACTUAL_INPUTS, "precursor_benchmark_t_per_t"], strict=False)
    defaults = compute(defaults_in, chosen, on_error="flag")
    default_cols = defaults.select(
        pl.col("see_t_per_t").alias("default_see_t_per_t"),
        pl.col("benchmark_t_per_t").alias("default_benchmark_t_per_t"),
        pl.col("fee_before_exemptions_eur").alias("_fee_d"),
        (pl.col("embedded_t") > 0).alias("_has_embedded"),
    )
    # A row without a route reads the benchmark of its default value's route (the regulation
    # asks actual values for a route; the threshold is the producer's on that route).
    seeded_scenario = (
        chosen.model_copy(update={"actual_values_route_from_default": True})
        if chosen.regime == EU_ENGINE
        else chosen
    )

    def fee_at(times: float) -> pl.LazyFrame:
        """The would-be fee with a verified actual intensity of ``times`` the default's."""
        see = pl.col("default_see_t_per_t") * times
        seeded = (
            pl.concat(
                [
                    base.drop(_ACTUAL_INPUTS, strict=False),
                    default_cols.select("default_see_t_per_t"),
                ],
                how="horizontal",
            )
            .with_columns(
                see.alias("see_direct"), pl.when(see.is_not_null()).then(0.0).alias("see_indirect")
            )
            .drop("default_see_t_per_t")
        )
        return compute(seeded, seeded_scenario, on_error="flag").select(
            pl.col("benchmark_t_per_t").alias("actual_benchmark_t_per_t"),
            pl.col("fee_before_exemptions_eur").alias(f"_fee_{times:g}"),
        )

    # Every regime's charge is read off the engine: at one, 1.5 and 2 times the default
    # intensity the fee lies on one line where the charge is linear in the intensity (each
    # bundled one: benchmarks or free-allocation shares, Art. 9 relief), and x* is where that
    # line meets the fee on default values. A charge by tiers is not linear: no threshold.
    higher: list[pl.LazyFrame] = [fee_at(t).drop("actual_benchmark_t_per_t") for t in (1.5, 2.0)]
    probes: list[pl.LazyFrame] = [fee_at(1.0), *higher]
    joined = pl.concat([lazy, default_cols, *probes], how="horizontal")
    see_d, fee_d = pl.col("default_see_t_per_t"), pl.col("_fee_d")
    one, half, two = pl.col("_fee_1"), pl.col("_fee_1.5"), pl.col("_fee_2")
    slope = (two - one) / see_d  # per t CO2e per t of good
    linear = (half - (one + two) / 2).abs() <= 1e-9 * (one.abs() + two.abs() + 1.0)
    threshold = (
        pl.when(pl.col("_has_embedded") & (fee_d > 0) & (one > 0) & (slope > 0) & linear)
        .then(see_d + (fee_d - one) / slope)
        .alias("actual_see_threshold_t_per_t")
    )
    out = joined.with_columns(threshold).drop(
        "_fee_d", "_has_embedded", "_fee_1", "_fee_1.5", "_fee_2"
    )
    return same_kind(fees, out, keep_index=True)  # row by row: a pandas index kept


def _made_by(fees: pl.LazyFrame, scenario: Scenario) -> None:
    """Refuse fees that another regime or another rules year made than ``scenario`` reads.

    The threshold is recomputed under ``scenario``: fees of 2030 imports under the 2026 rules,
    or the UK's fees, would get thresholds of other rules than their own columns show.
    """
    names = fees.collect_schema().names()
    currency = resolve(scenario).design.currency
    fixed = scenario.rules_year
    checks = []
    if "currency" in names:
        other = currency_as_read() != currency.upper()
        checks.append(pl.col("currency").filter(other).first().alias("currency"))
    if "rules_year" in names and (fixed is not None or "year" in names):
        read = pl.lit(fixed) if fixed is not None else whole_as_read("year", fees.collect_schema())
        other = pl.col("rules_year") != read
        checks.append(pl.col("rules_year").filter(other).first().alias("rules_year"))
    if not checks:
        return
    found = fees.select(checks).collect().row(0, named=True)
    said = {k: v for k, v in found.items() if v is not None}
    if said:
        what = ", ".join(f"{k} {v}" for k, v in said.items())
        reads = f"rules year {fixed}" if fixed is not None else "each row's own year's rules"
        raise ScenarioError(
            f"actual_value_threshold: these fees were made under other rules ({what}) than "
            f"scenario '{scenario.name}' reads ({currency}, {reads}): pass the scenario that "
            "made them"
        )


# The columns a scenario's charge writes whatever the amounts: equal under the scenario that
# made the fees, on every row, however its inputs were rounded since.
_RULE_COLUMNS = (
    "certificate_price_eur",
    "certificate_price_period",
    "cbam_factor",
    "cross_sectoral_correction_factor",
    "benchmark_t_per_t",
    "reference_source",
)


def _same_fees(fees: pl.LazyFrame, again: pl.LazyFrame, scenario: Scenario) -> None:
    """Refuse fees that ``scenario`` does not make again from their own input columns.

    Two regimes of one currency and rules year (the US CCA and FPF), or two EU scenarios of
    other CBAM factors, tell apart only so: the rule columns must be the scenario's exactly,
    and the fee before exemptions (a table cut to some rows changes importers' totals, so
    thresholds, not the charge) within what an input rounded on the way moves it.
    """
    schema = fees.collect_schema()
    names = schema.names()
    fee = "fee_before_exemptions_eur" if "fee_before_exemptions_eur" in names else "fee_eur"
    checks: list[tuple[str, pl.Expr]] = []
    for column in (*_RULE_COLUMNS, fee):
        # A text column that a CSV read typed otherwise (an empty reference_source as floats, a
        # period '2026' as a number) no longer says what was written: the numbers still do.
        if column not in names or not (
            OUTPUT_SCHEMA[column][0].is_numeric()
            or isinstance(schema[column], pl.String | pl.Categorical | pl.Enum)
        ):
            continue
        given, made = pl.col(column), pl.col(f"_made_{column}")
        if OUTPUT_SCHEMA[column][0].is_numeric():  # as text first: read back, it may be text
            given = given.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
            made = made.cast(pl.Float64)
            if column == fee:
                slack = pl.max_horizontal(pl.lit(0.01), made.abs() * 1e-3)
                apart = (given - made).abs() > slack
                differs = (given.is_not_null() & made.is_not_null() & apart).fill_null(False)
            else:
                apart = (given - made).abs() > pl.max_horizontal(given.abs(), made.abs()) * 1e-9
                differs = (given.is_null() != made.is_null()) | apart.fill_null(False)
        else:
            text = given.cast(pl.String).str.strip_chars()
            given = pl.when(text != "").then(text)  # an empty cell read back is none
            made = made.cast(pl.String)
            differs = (given != made).fill_null(given.is_null() != made.is_null())
        checks.append((column, differs))
    if not checks:
        return
    both = pl.concat(
        [
            fees.select(c for c, _ in checks),
            again.select(pl.col(c).alias(f"_made_{c}") for c, _ in checks),
        ],
        how="horizontal",
    )
    rows = pl.int_range(pl.len(), dtype=pl.Int64)
    found = (
        both.select(
            agg
            for i, (column, differs) in enumerate(checks)
            for agg in (
                differs.sum().alias(f"n{i}"),
                rows.filter(differs).first().alias(f"r{i}"),
                pl.col(column).cast(pl.String).filter(differs).first().alias(f"g{i}"),
                pl.col(f"_made_{column}").cast(pl.String).filter(differs).first().alias(f"m{i}"),
            )
        )
        .collect()
        .row(0, named=True)
    )
    for i, (column, _) in enumerate(checks):
        if found[f"n{i}"]:
            raise ScenarioError(
                f"actual_value_threshold: these fees were not made by scenario "
                f"'{scenario.name}': {found[f'n{i}']:,} row(s) differ, row {found[f'r{i}'] + 1} "
                f"has {column} {shorten(found[f'g{i}'], 60)} where the scenario makes "
                f"{shorten(found[f'm{i}'], 60)} from the row's input columns: pass the scenario "
                "that made them, with their input columns as they were"
            )


def phase_in_years(scenario: Scenario) -> list[int]:
    """The EU phase-in years: from the first CBAM factor to the first one of zero (inclusive).

    Other regimes take the same years, from their own first rules year on.
    """
    schedule = scenario.cbam_factor or config.parameter_defaults()["cbam_factor"]
    first = min(schedule)
    zero = [year for year, factor in sorted(schedule.items()) if factor == 0]
    last = zero[0] if zero else max(schedule)
    regime_first, regime_last = resolve(scenario).rules_years
    return list(range(max(first, regime_first), min(last, regime_last) + 1))


def _years(years: Any) -> list[int]:
    """Rules years given to ``phase_in``: whole numbers (a single year is a list of one)."""
    given = [years] if isinstance(years, int | str) else years
    try:
        values = list(given)
    except TypeError:
        raise TypeError(f"years must be a list of years, not {type(years).__name__}") from None
    for value in values:
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise ScenarioError(f"phase_in: years must be whole years, not {shorten(repr(value))}")
    return list(dict.fromkeys(int(value) for value in values))  # a year repeated is one


def phase_in(
    imports: FrameT,
    scenario: Scenario | str | Path = "eu-cbam",
    years: Iterable[int] | None = None,
    by: Sequence[str] = (),
) -> FrameT:
    """The fee on one panel of trade under each year's rules: the phase-in trajectory.

    Each rules year's fee is ``cbam.compute`` with ``rules_year`` set to that year (its CBAM
    factor, default-value mark-up, benchmark period and certificate price) on the same trade,
    so the trajectory isolates the rules: trade is held at the panel's (pass one year of
    trade, or put ``year`` in ``by``).

    Source: the CBAM factor schedule of Directive 2003/87/EC Art. 10a(1a) (0.975 in 2026 down
    to 0 in 2034, ``rates/eu/cbam_factor.yaml``), the mark-ups of IR 2025/2621 and the price
    path of ``rates/eu/certificate_price.yaml`` (assumed after 2026).

    Args:
        imports: An import panel (``compute``'s input).
        scenario: The scenario; its ``rules_year`` is replaced year by year.
        years: Rules years; default from the first CBAM factor year to the first year with a
            factor of zero (2026-2034 under the regulation; for another regime, those of them
            it has rules for, e.g. 2027-2034 for the UK CBAM).
        by: Extra grouping columns besides ``rules_year``.

    Returns:
        ``summarise`` by ``rules_year`` and ``by`` (fees, certificates, free allocation, ...),
        with ``cbam_factor``, sorted by ``rules_year`` then ``by``.

    Example:
        >>> import polars as pl, cbam
        >>> rows = pl.DataFrame({"year": [2025], "origin": ["TUR"], "cn_code": ["72071111"],
        ...     "quantity_t": [100.0]})
        >>> s = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
        >>> path = cbam.phase_in(rows, s)
        >>> path.select("rules_year", "cbam_factor", pl.col("fee_eur").round(2)).rows()[::4]
        [(2026, 0.975, 9688.8), (2030, 0.515, 18404.32), (2034, 0.0, 24024.0)]

        From 2028 the default value carries the 2028 mark-up (3.003 t/t instead of 2.541):
        2030 is 80 x 100 x (3.003 - 1.364 x 0.515), 2034 is 80 x 100 x 3.003.

    """
    chosen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    chosen_years = _years(years) if years is not None else phase_in_years(chosen)
    if not chosen_years:
        raise ScenarioError("phase_in: years is empty: give the rules years to compute")
    panel = _lazy(imports)
    # rules_year is always the first grouping; naming it in `by` again changes nothing.
    extra: list[str] = grouping(
        by,
        result_columns(panel.collect_schema().names()),
        results=(*SUMMARY_COLUMNS, "cbam_factor"),
    )
    groups = ["rules_year", *[c for c in extra if c != "rules_year"]]
    parts = []
    settings = chosen.model_dump()
    for year in chosen_years:
        # Validated again, so a year outside the regime's rules raises as a scenario would.
        where = f"phase_in: years: {year} under scenario '{chosen.name}'"
        yearly = rebuilt({**settings, "rules_year": year}, where)
        fees = compute_strictly(panel, yearly, "phase_in")
        factor = (
            fees.with_columns(key_as_read(g, fees.collect_schema()) for g in groups)
            .group_by(groups)
            .agg(pl.col("cbam_factor").drop_nulls().max())
        )
        parts.append(
            summarise(fees, by=groups).join(factor, on=groups, how="left", nulls_equal=True)
        )
    out = pl.concat(parts, how="vertical").sort(groups)
    return same_kind(imports, out)
