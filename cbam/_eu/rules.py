"""The EU CBAM rules as a Polars plan: from normalised import rows to certificates and fees.

Per row (Reg. (EU) 2023/956 Art. 7, 21, 22 and Annex IV; IR 2025/2620; IR 2025/2621):

* embedded_t = quantity_t x clinker share x SEE, where SEE is the verified actual value on the
  row (direct, plus indirect for cement and fertilisers) or the published marked-up default;
* free_allocation_t = quantity_t x clinker share x benchmark x CBAM factor x CSCF, with the
  column-A benchmark for actual values and column B for defaults;
* certificates = max(0, embedded_t - free_allocation_t - deduction_t);
* fee_eur = certificates x certificate price of the rules year (and quarter, for 2026).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from statistics import fmean
from typing import Literal, cast

import polars as pl

from cbam import blocks
from cbam._carbon_prices import price_table
from cbam._countries import iso3_codes
from cbam._eu import config
from cbam._eu.lookup import (
    ASSUMED_ROUTE_FOR_ACTUAL,
    ROW_ROUTE_FOR_DEFAULT,
    Lookups,
    build_lookups,
)
from cbam._eu.reference import OTHER, SECTORS
from cbam._eu.weights import load_weights
from cbam._exemptions import excluded_origins, relief_table
from cbam._parameters import key_in_force, scheduled, text_parameter
from cbam._resolve import resolve
from cbam._scenario import Scenario
from cbam._schema import (
    CLINKER_SOURCE_ENUM,
    COLUMN_ENUM,
    INTENSITY_SOURCE_ENUM,
    LABEL,
    ROUTE_SOURCE_ENUM,
    SECTOR_ENUM,
    THRESHOLD_ENUM,
    Check,
    normalise,
    overflow_culprit,
    value_shown,
)
from cbam._territory import UNION, outside

_MARKUP_COLUMNS = ("markup_2026", "markup_2027", "markup_2028")
NOT_COVERED = "not a CBAM good"
FIRST_GROUP_YEAR = 1971  # GA resolution 2768 (XXVI), the first UN list of LDCs
CARBON_SOURCE_FIXED = ("row", "none found", "none (scenario: gross fee)")
DE_MINIMIS = "de minimis (importer's annual Annex I mass at or below the threshold)"
_PERIODS = ("2026-2027", "2028-2030")


@dataclass(frozen=True)
class EuPlan:
    """The rules applied to one frame: the lazy plan and the row checks it carries.

    ``engine`` is the Polars engine that runs the plan fastest (``benchmarks/``).
    """

    frame: pl.LazyFrame
    checks: list[Check]
    # Gathers by position stream well; joins against small tables run faster in memory.
    engine: Literal["in-memory", "streaming"] = "in-memory"


PriceSchedule = float | Mapping[int, float | Mapping[int, float]]


def _schedule_value(schedule: PriceSchedule, key: tuple[int, int]) -> float | None:
    """The price ``schedule`` lists itself for (year, quarter), quarter 0 for a whole year."""
    if isinstance(schedule, int | float):
        return None
    year, quarter = key
    entry = schedule.get(year)
    if isinstance(entry, Mapping):
        return float(entry[quarter]) if quarter in entry else None
    return float(entry) if entry is not None and quarter == 0 else None


def price_rows(
    schedule: PriceSchedule, years: range, assumed: set[tuple[int, int]]
) -> list[dict[str, object]]:
    """Price and period label per (year, quarter key), quarter key 0 meaning 'no quarter'.

    ``assumed`` holds the (year, quarter) entries of ``schedule`` that are assumptions, whose
    labels then say so. A year between entries takes the latest earlier entry; a year given by
    quarters prices a row without quarter at the mean of the quarters
    (``rates/eu/certificate_price.yaml``, ``annual_from_quarters``).
    """
    rows: list[dict[str, object]] = []

    def add(year: int, q: int, price: float | None, label: str | None, flagged: bool) -> None:
        text = f"{label} (assumed)" if label is not None and flagged else label
        rows.append({"year": year, "q": q, "price": price, "period": text})

    for year in years:
        if isinstance(schedule, int | float):
            for q in range(5):
                add(year, q, float(schedule), "scenario", False)
            continue
        key = key_in_force(schedule, year)
        entry = schedule[key] if key is not None else None
        if key is None or entry is None:
            for q in range(5):
                add(year, q, None, None, False)
        elif isinstance(entry, Mapping):
            mean = fmean(float(v) for v in entry.values())
            carried = "" if key == year else f", carried forward to {year}"
            mean_label = f"{key} mean of quarters{carried}"
            add(year, 0, mean, mean_label, any((key, int(q)) in assumed for q in entry))
            for q in range(1, 5):
                if key == year:
                    add(year, q, float(entry[q]), f"{year}-Q{q}", (key, q) in assumed)
                else:
                    add(year, q, mean, mean_label, any((key, int(k)) in assumed for k in entry))
        else:
            label = str(year) if key == year else f"{key} path, in force from {key}"
            for q in range(5):
                add(year, q, float(entry), label, (key, 0) in assumed)
    return rows


def year_table(scenario: Scenario) -> pl.DataFrame:
    """Parameters per (rules year, quarter key 0-4; 0 = no quarter given)."""
    regime = config.regime()
    years = range(regime.first_rules_year, regime.last_rules_year + 1)
    # A scenario's factor schedules, else the cited defaults, both as year -> value steps.
    defaults = config.parameter_defaults()
    factors = defaults["cbam_factor"] if scenario.cbam_factor is None else scenario.cbam_factor
    cscf = scenario.cross_sectoral_correction_factor
    cscfs = defaults["cross_sectoral_correction_factor"] if cscf is None else cscf
    markup_param = text_parameter("eu/markup.yaml")
    period_param = text_parameter("eu/benchmark_period.yaml")
    schedule: PriceSchedule = (
        config.certificate_prices().as_schedule()
        if scenario.certificate_price_eur is None
        else cast(PriceSchedule, scenario.certificate_price_eur)
    )
    # A price is labelled assumed where the schedule still holds a default marked as one.
    assumed = {
        key
        for key, value in config.assumed_prices().items()
        if _schedule_value(schedule, key) == value
    }
    params = []
    for year in years:
        params.append(
            {
                "year": year,
                "cbam_factor": scheduled(factors, year),
                "cscf": scheduled(cscfs, year),
                "markup_idx": _MARKUP_COLUMNS.index(markup_param.at_year(year).value),
                "period_idx": _PERIODS.index(period_param.at_year(year).value),
                "de_minimis_t": config.de_minimis().at_year(year).value,
                "period_label": period_param.at_year(year).value
                + (" (assumed)" if period_param.at_year(year).assumption else ""),
            }
        )
    prices = pl.DataFrame(
        price_rows(schedule, years, assumed),
        schema={"year": pl.Int32, "q": pl.Int32, "price": pl.Float64, "period": pl.String},
        orient="row",
    )
    return pl.DataFrame(params, schema_overrides={"year": pl.Int32}).join(prices, on="year")


def exemption_table(scenario: Scenario) -> pl.DataFrame:
    """(origin, rules year) -> reason, for origins outside the regime in that year."""
    regime = config.regime()
    reasons = {group: spec.reason for group, spec in regime.excluded_origin_groups.items()}
    rows = [
        {"origin": iso3, "year": year, "reason": reason}
        for year in range(regime.first_rules_year, regime.last_rules_year + 1)
        for iso3, reason in excluded_origins(resolve(scenario).origin_groups, reasons, year, set())
    ]
    return pl.DataFrame(rows, schema={"origin": pl.String, "year": pl.Int32, "reason": pl.String})


def carbon_price_table(scenario: Scenario) -> pl.DataFrame:
    """(origin, sector, rules year) -> price paid abroad in EUR, under the scenario's options."""
    regime = config.regime()
    years = range(regime.first_rules_year, regime.last_rules_year + 1)
    table = price_table(scenario.carbon_price_abroad, list(SECTORS), years)
    return table.with_columns(pl.col("sector").cast(SECTOR_ENUM), pl.col("source").cast(LABEL))


SCENARIO_TABLES: dict[str, Callable[[Scenario], pl.DataFrame]] = {}
_BUILT: dict[tuple[str, str], pl.DataFrame] = {}
_KEEP = 256


def scenario_table(kind: str, scenario: Scenario) -> pl.DataFrame:
    """A per-scenario parameter table, built once per distinct scenario (by content) and kept."""
    key = (kind, scenario.model_dump_json())
    if key not in _BUILT:
        if len(_BUILT) >= _KEEP:
            _BUILT.pop(next(iter(_BUILT)))
        _BUILT[key] = SCENARIO_TABLES[kind](scenario)
    return _BUILT[key]


def origin_table(scenario: Scenario) -> pl.DataFrame:
    """(origin, year) -> regime exclusion (rules years), and the scenario's relief.

    Relief covers import years back to 1971 (the first UN LDC list), since membership may be
    judged in the import year of historical trade.
    """
    regime = config.regime()
    years = range(FIRST_GROUP_YEAR, regime.last_rules_year + 1)
    base_dir = Path(scenario.source).parent if scenario.source else None
    excluded = exemption_table(scenario).rename({"reason": "excluded"})
    relief = relief_table(list(scenario.exemptions), years, base_dir).rename(
        {"reason": "relief", "share": "relief_share", "max_import_share": "relief_max_share"}
    )
    table = excluded.join(relief, on=["origin", "year"], how="full", coalesce=True)
    # Reasons travel as the output's categorical type, so rows never carry strings.
    return table.with_columns(pl.col("excluded", "relief").cast(LABEL))


SCENARIO_TABLES.update(
    {"years": year_table, "origins": origin_table, "carbon_prices": carbon_price_table}
)


def _deduct_carbon_price_paid(
    frame: pl.LazyFrame, scenario: Scenario, *, joined: bool = False
) -> pl.LazyFrame:
    """Art. 9: certificates deducted = embedded x price paid abroad / certificate price.

    The row's certified price wins over the scenario's table or path; the deduction never
    exceeds the embedded emissions. ``joined``: the table's columns are on the rows already.
    """
    prices = scenario_table("carbon_prices", scenario)
    labels = prices.schema["source"]
    if not joined:
        frame = frame.join(
            internal(prices, {"origin": "_c_origin", "sector": "_c_sector", "year": "rules_year"}),
            on=["_c_origin", "_c_sector", "rules_year"],
            how="left",
            maintain_order="left",
            validate="m:1",
        )
    covered = pl.col("_c_sector").is_not_null()
    gross_fee = (
        scenario.carbon_price_abroad.source == "none" and not scenario.carbon_price_abroad.path
    )
    row_price = pl.lit(None, pl.Float64) if gross_fee else pl.col("_c_cp_row")
    paid = pl.coalesce(row_price, pl.col("_c_price_eur"), pl.lit(0.0))
    deduction = blocks.carbon_price_deduction(
        pl.col("embedded_t"), paid, pl.col("certificate_price_eur")
    )
    return frame.with_columns(
        # The input column of the same name stays untouched until the final selection.
        # In the gross-fee option a row's own price is kept for the record but not deducted.
        pl.when(covered)
        .then(pl.coalesce(pl.col("_c_cp_row"), paid) if gross_fee else paid)
        .alias("_c_cp_out"),
        pl.when(covered)
        .then(
            pl.when(pl.lit(gross_fee))
            .then(pl.lit("none (scenario: gross fee)", labels))
            .when(row_price.is_not_null())
            .then(pl.lit("row", labels))
            .when(pl.col("_c_source").is_not_null())
            .then(pl.col("_c_source"))
            .otherwise(pl.lit("none found", labels))
        )
        .alias("carbon_price_source"),
        pl.when(covered).then(deduction).alias("deduction_t"),
    )


def _apply_exemptions(
    frame: pl.LazyFrame,
    schema: Mapping[str, pl.DataType],
    scenario: Scenario,
) -> pl.LazyFrame:
    """Add the de minimis status and whether the scenario's relief applies to each row.

    Both look beyond the row: the de minimis rule sums an importer's year, the import-share
    threshold an origin's share of a code's imports in the year (over the whole frame).
    """
    covered = pl.col("_c_sector").is_not_null()
    excluded_sectors = config.de_minimis().excluded_sectors
    # Only valid tonnage of goods inside the regime counts (flagged rows and Annex III or EU
    # origins do not).
    valid_mass = pl.col("_c_qty").is_finite() & (pl.col("_c_qty") >= 0)
    in_scope = covered & pl.col("_c_excluded").is_null()
    counted = in_scope & valid_mass & ~pl.col("_c_sector").is_in(excluded_sectors)
    status: pl.Expr
    total: pl.Expr
    if not scenario.de_minimis:
        status = pl.when(covered).then(pl.lit("off (scenario)", THRESHOLD_ENUM))
        total = pl.lit(None, pl.Float64)
    elif "importer" not in schema:
        status = pl.when(covered).then(pl.lit("not applied (no importer)", THRESHOLD_ENUM))
        total = pl.lit(None, pl.Float64)
    else:
        importer = pl.col("importer").cast(pl.String)
        mass = pl.when(counted & importer.is_not_null()).then(pl.col("_c_qty")).otherwise(0.0)
        # Whole grams summed as integers: the same total in any order, compared exactly.
        units, limit = exact_sum_and_limit(
            mass, importer, pl.col("_c_year"), pl.col("_c_de_minimis_t"), "mass"
        )
        total = pl.when(covered & importer.is_not_null()).then(
            exact_total(units, mass, importer, pl.col("_c_year"), "mass")
        )
        status = (
            pl.when(~covered)
            .then(pl.lit(None, THRESHOLD_ENUM))
            .when(~counted)
            .then(pl.lit("not covered (electricity, hydrogen)", THRESHOLD_ENUM))
            .when(importer.is_null())
            .then(pl.lit("not applied (no importer)", THRESHOLD_ENUM))
            .when(units <= limit)
            .then(pl.lit("exempt (importer at or below threshold)", THRESHOLD_ENUM))
            .otherwise(pl.lit("liable (importer above threshold)", THRESHOLD_ENUM))
        )
    return with_threshold_and_relief(frame, scenario, status, total)


Basis = Literal["mass", "value"]


def _decimals(basis: Basis) -> int:
    sums = config.exact_sums()
    return sums.mass_decimals if basis == "mass" else sums.value_decimals


def exact_sum_and_limit(
    amount: pl.Expr, importer: pl.Expr, year: pl.Expr, threshold: pl.Expr, basis: Basis
) -> tuple[pl.Expr, pl.Expr]:
    """An importer's annual total and its threshold, both in whole units, to compare exactly.

    Units are grams of mass or cents of value (``rates/eu/exact_sums.yaml``), so the decision
    does not depend on row order, engine or batching.
    """
    decimals, cap = _decimals(basis), config.exact_sums().row_cap
    total = blocks.importer_total(blocks.exact_units(amount, decimals, cap), importer, year)
    return total, blocks.exact_units(threshold, decimals, cap)


def exact_total(
    units: pl.Expr, amount: pl.Expr, importer: pl.Expr, year: pl.Expr, basis: Basis
) -> pl.Expr:
    """The annual total shown on the rows: the exact sum, or the plain sum where a row is capped.

    Only a row above ``row_cap`` (10^12 t or currency units) makes the exact sum an undercount;
    those totals are far above any threshold, and are shown as the floating-point sum.
    """
    decimals = _decimals(basis)
    capped = blocks.importer_total(
        (amount.fill_nan(0.0) > config.exact_sums().row_cap).cast(pl.Int32), importer, year
    )
    return (
        pl.when(capped > 0)
        .then(blocks.importer_total(amount, importer, year))
        .otherwise(blocks.from_units(units, decimals))
    )


def with_threshold_and_relief(
    frame: pl.LazyFrame, scenario: Scenario, status: pl.Expr, total: pl.Expr
) -> pl.LazyFrame:
    """Add the threshold status and importer total, and whether the scenario's relief applies.

    The origin's share of a code's imports is computed where a relief rule has an import-share
    threshold, from masses summed in whole grams and compared with the threshold exactly
    (origin x 10^6 < share in millionths x market; ``rates/eu/exact_sums.yaml``). Every regime
    ends its exemptions here.
    """
    sums = config.exact_sums()
    valid_mass = pl.col("_c_qty").is_finite() & (pl.col("_c_qty") >= 0)
    import_share: pl.Expr
    below_share: pl.Expr = pl.lit(True)
    if any(rule.max_import_share is not None for rule in scenario.exemptions):
        by_code = [pl.col("_c_year"), pl.col("_c_cn")]
        mass = pl.when(valid_mass).then(pl.col("_c_qty")).otherwise(0.0)
        grams = blocks.exact_units(mass, sums.mass_decimals, sums.row_cap)
        market = grams.sum().over(by_code)
        own = grams.sum().over([*by_code, pl.col("_c_origin")])
        import_share = pl.when(market > 0).then(own.cast(pl.Float64) / market.cast(pl.Float64))
        limit = blocks.exact_units(pl.col("_c_relief_max_share"), sums.share_decimals, 1.0)
        scale = pl.lit(10**sums.share_decimals, pl.Int128)
        # With no imports of the code in the year the share is 0: below any positive limit.
        below_share = pl.when(market > 0).then(own * scale < limit * market).otherwise(limit > 0)
    else:
        import_share = pl.lit(None, pl.Float64)
    frame = frame.with_columns(
        status.alias("de_minimis"),
        total.alias("importer_annual_t"),
        import_share.alias("origin_import_share"),
        below_share.alias("_c_below_share"),
    )
    return frame.with_columns(
        (
            pl.col("_c_relief").is_not_null()
            & (pl.col("_c_relief_max_share").is_null() | pl.col("_c_below_share"))
        ).alias("_c_relief_applies")
    )


@cache
def _lookups(clinker: tuple[tuple[str, float], ...], weights_file: str | None) -> Lookups:
    variants = {k: v.value for k, v in config.clinker_shares().default_variant.items()}
    weights = load_weights(weights_file) if weights_file is not None else None
    return build_lookups(dict(clinker), variants, weights)


def lookups_for(scenario: Scenario) -> Lookups:
    """The pre-resolved tables for the scenario's clinker defaults and aggregation weights.

    Cached per distinct set of clinker shares and weights file.
    """
    shares = {k: v.value for k, v in config.clinker_shares().headings.items()}
    shares.update(scenario.clinker_share)
    weights = resolve(scenario).aggregation_weights
    return _lookups(tuple(sorted(shares.items())), str(weights.resolve()) if weights else None)


def internal(table: pl.DataFrame, keys: Mapping[str, str]) -> pl.LazyFrame:
    """Rename a lookup table's keys to the frame's and its other columns to '_c_' names."""
    return table.lazy().rename({c: keys.get(c, f"_c_{c}") for c in table.columns})


def _pick(index: pl.Expr, options: list[pl.Expr]) -> pl.Expr:
    expr = options[-1]
    for i in range(len(options) - 2, -1, -1):
        expr = pl.when(index == i).then(options[i]).otherwise(expr)
    return expr


def _joined(
    frame: pl.LazyFrame,
    schema: Mapping[str, pl.DataType],
    scenario: Scenario,
    lookups: Lookups,
    origins: pl.DataFrame,
    years: pl.DataFrame,
) -> pl.LazyFrame:
    """The general path: join every row to the lookups (any per-row rule inputs)."""
    frame = frame.with_columns(
        dv_origin(lookups),
    )
    # Lookup columns join under reserved '_c_' names, so no input column can shadow them.
    frame = frame.join(
        internal(years, {"year": "rules_year", "q": "_c_q"}),
        on=["rules_year", "_c_q"],
        how="left",
        maintain_order="left",
        validate="m:1",
    )
    # The regime's exclusions follow the rules year; group membership the year the scenario
    # says (the import year by default).
    frame = frame.join(
        internal(
            origins.select("origin", "year", "excluded").drop_nulls("excluded"),
            {"origin": "_c_origin", "year": "rules_year"},
        ),
        on=["_c_origin", "rules_year"],
        how="left",
        maintain_order="left",
        validate="m:1",
    )
    status_year = "_c_year" if scenario.exemption_status_year == "import" else "rules_year"
    frame = frame.join(
        internal(
            origins.drop("excluded").drop_nulls("relief"),
            {"origin": "_c_origin", "year": status_year},
        ),
        on=["_c_origin", status_year],
        how="left",
        maintain_order="left",
        validate="m:1",
    )
    goods = internal(lookups.goods, {"cn_key": "_c_cn"})
    frame = frame.join(goods, on="_c_cn", how="left", maintain_order="left", validate="m:1")
    frame = frame.with_columns(variant())
    frame = frame.join(
        internal(_intensity(lookups), _INTENSITY_KEYS),
        on=list(_INTENSITY_KEYS.values()),
        how="left",
        maintain_order="left",
        validate="m:1",
    )
    bm_cols = [
        "bm_a_1",
        "bm_a_2",
        "bm_b_1",
        "bm_b_2",
        "route_a",
        "route_b",
        "route_source_a",
        "route_source_b",
    ]
    if "route" in schema:
        frame = _with_row_routes(frame, lookups, bm_cols)
    return frame


def _with_row_routes(frame: pl.LazyFrame, lookups: Lookups, bm_cols: list[str]) -> pl.LazyFrame:
    """The benchmarks of rows that name a route: the route rule of IR 2025/2621 and 2025/2620.

    With actual values the row's route decides. With default values the route the default
    value names decides (already on the row), and the row's only where the default value names
    none: for a CN8 its route's benchmark, for an aggregate code the mean over the CN8 codes
    below, each at its default value's route or, where that names none, at the row's.
    """
    by_route = internal(
        lookups.route_benchmarks.rename({c: f"{c}_r" for c in bm_cols}),
        {"cn_key": "_c_cn", "route_key": "_c_route"},
    )
    frame = frame.join(
        by_route, on=["_c_cn", "_c_route"], how="left", maintain_order="left", validate="m:1"
    )
    by_origin = internal(
        lookups.aggregate_route_benchmarks.rename({c: f"{c}_m" for c in bm_cols}),
        {
            "dv_origin": "_c_dv_origin",
            "cn_key": "_c_cn",
            "variant_key": "_c_variant",
            "route_key": "_c_route",
        },
    )
    frame = frame.join(
        by_origin,
        on=["_c_dv_origin", "_c_cn", "_c_variant", "_c_route"],
        how="left",
        maintain_order="left",
        validate="m:1",
    )
    actual = pl.col("_c_see_d").is_not_null()
    row_route = (pl.col("_c_route") != "") & pl.col("_c_bm_b_1_r").is_not_null()
    names_none = ~pl.col("_c_dv_names_route").fill_null(True)
    use_mixed = ~actual & pl.col("_c_bm_b_1_m").is_not_null()
    use_row = row_route & (actual | names_none)
    # A default value that names no route gives the row's route, and its source says so.
    row_label = pl.lit(ROW_ROUTE_FOR_DEFAULT, ROUTE_SOURCE_ENUM)

    def chosen(c: str) -> pl.Expr:
        row = pl.col(f"_c_{c}_r")
        if c.startswith("route_source"):
            row = pl.when(~actual & (row == "row")).then(row_label).otherwise(row)
        return (
            pl.when(use_mixed)
            .then(pl.col(f"_c_{c}_m"))
            .when(use_row)
            .then(row)
            .otherwise(pl.col(f"_c_{c}"))
            .alias(f"_c_{c}")
        )

    return frame.with_columns([chosen(c) for c in bm_cols])


_INTENSITY_KEYS = {"dv_origin": "_c_dv_origin", "cn_key": "_c_cn", "variant_key": "_c_variant"}


def _intensity(lookups: Lookups) -> pl.DataFrame:
    """Only the published marked-up columns price a row; the base values stay in the lookup."""
    return lookups.intensity.drop("direct", "indirect", "total", "dv_route")


def dv_origin(lookups: Lookups) -> pl.Expr:
    """The default-value origin a row reads: its own, else 'Other countries'."""
    return (
        pl.when(pl.col("_c_origin").is_in(list(lookups.dv_origins)))
        .then(pl.col("_c_origin"))
        .otherwise(pl.lit(OTHER))
        .alias("_c_dv_origin")
    )


def period_keys(scenario: Scenario) -> list[pl.Expr]:
    """The rules year of each row (the scenario's, else the import year) and its quarter key."""
    rules_year = (
        pl.lit(scenario.rules_year, pl.Int32)
        if scenario.rules_year is not None
        else pl.col("_c_year")
    )
    return [
        rules_year.alias("rules_year"),
        # An invalid quarter is reported by its own check; price it as 'no quarter' meanwhile.
        pl.when(pl.col("_c_quarter").is_between(1, 4))
        .then(pl.col("_c_quarter"))
        .otherwise(0)
        .alias("_c_q"),
    ]


def variant() -> pl.Expr:
    """The default-value variant a row reads: its route, else the code's default variant."""
    return (
        pl.when(pl.col("_c_has_variants").fill_null(False))
        .then(
            pl.when(pl.col("_c_route") != "")
            .then(pl.col("_c_route"))
            .otherwise(pl.col("_c_default_variant"))
        )
        .otherwise(pl.lit(""))
        .alias("_c_variant")
    )


# Optional inputs that change a row's rules: with any of them the rows take the joined path.
_PER_ROW_INPUTS = (
    "route",
    "see_direct",
    "see_indirect",
    "clinker_share",
    "precursor_benchmark_t_per_t",
    "carbon_price_paid_eur_per_t",
)
# What the normalised per-row inputs are when their columns are absent (see _schema.normalise).
_ABSENT_INPUTS: dict[str, pl.Expr] = {
    "_c_route": pl.lit("", pl.String),
    **{
        c: pl.lit(None, pl.Float64)
        for c in ("_c_see_d", "_c_see_i", "_c_clinker", "_c_precursor_bm", "_c_cp_row")
    },
}
_NOT_GATHERED = ("_c_route_choices_a", "_c_route_choices_b")
_MAX_KEYED_CELLS = 4_000_000  # distinct origins x distinct codes beyond which rows are joined
_QUARTER_KEYS = 5  # quarter key 0 (none given) to 4


def _keyed_path_applies(schema: Mapping[str, pl.DataType], scenario: Scenario) -> bool:
    """Whether every rule input of a row is its (origin, code, year, quarter) key and mass.

    Then the lookups are resolved once per distinct origin and code and gathered by position,
    not joined row by row. Frame-level rules (de minimis per importer, import-share
    thresholds) and per-row inputs (actual values, routes, clinker shares, prices paid) take
    the joined path.
    """
    return (
        not any(c in schema for c in _PER_ROW_INPUTS)
        and not (scenario.de_minimis and "importer" in schema)
        and all(rule.max_import_share is None for rule in scenario.exemptions)
        and schema.get("origin") == pl.String
        and schema.get("cn_code") == pl.String
    )


@dataclass(frozen=True)
class _Keyed:
    """Rows with their lookups gathered from per-key tables, and those tables."""

    frame: pl.LazyFrame
    # (table, the row's position in it): key-level checks are evaluated on the table.
    tables: tuple[tuple[pl.DataFrame, pl.Expr], ...]

    def localise(self, checks: list[Check]) -> list[Check]:
        """Evaluate checks that read only one table's columns once per key, not per row."""
        out = []
        for check in checks:
            roots = set(check.failed.meta.root_names())
            for table, index in self.tables:
                if roots <= set(table.columns):
                    failed = table.select(check.failed.fill_null(False)).to_series()
                    # No key fails (the usual case): the rows need not look at all.
                    row_failed = pl.lit(failed).gather(index) if failed.any() else pl.lit(False)
                    check = Check(check.column, check.message, row_failed, check.shown)
                    break
            out.append(check)
        return out


def _gather(table: pl.DataFrame, index: pl.Expr) -> list[pl.Expr]:
    """Every column of ``table`` at the row's position ``index`` (null where it is null)."""
    return [pl.lit(table[c]).gather(index).alias(c) for c in table.columns]


def _grid(**axes: pl.Series) -> pl.DataFrame:
    """Every combination of ``axes``, the last varying fastest, with its position ``_c_pos``."""
    names = list(axes)
    grid = pl.DataFrame({names[0]: axes[names[0]]})
    for name in names[1:]:
        grid = grid.join(pl.DataFrame({name: axes[name]}), how="cross", maintain_order="left_right")
    return grid.with_row_index("_c_pos")


def _dense(grid: pl.DataFrame, table: pl.LazyFrame, on: list[str]) -> pl.DataFrame:
    """``table``'s non-key columns for each grid cell, in grid order (null where none)."""
    joined = grid.lazy().join(table, on=on, how="left", maintain_order="left", validate="m:1")
    return joined.drop([*on, "_c_pos"]).collect()


def _offset(value: pl.Expr, first: int, last: int) -> pl.Expr:
    """``value - first`` where ``value`` lies in [first, last], else null."""
    return pl.when(value.is_between(first, last)).then(value.cast(pl.Int64) - first)


def _keyed(
    lf: pl.LazyFrame,
    frame: pl.LazyFrame,
    scenario: Scenario,
    lookups: Lookups,
    origins: pl.DataFrame,
    years: pl.DataFrame,
) -> _Keyed | None:
    """The keyed path: lookups resolved per distinct key and gathered, or None to join rows.

    One pass reads the distinct origins and codes as written; they are normalised and
    resolved here (a few hundred rows), and each row finds its values by position.
    """
    distinct = pl.collect_all([lf.select(pl.col(c).unique().sort()) for c in ("origin", "cn_code")])
    raw_origins, raw_codes = (d.to_series() for d in distinct)
    if raw_origins.null_count() or raw_codes.null_count():
        return None  # missing keys are reported row by row on the joined path
    if raw_origins.len() * raw_codes.len() > _MAX_KEYED_CELLS:
        return None
    regime = config.regime()
    first, last = regime.first_rules_year, regime.last_rules_year
    rules_span = pl.Series("year", range(first, last + 1), pl.Int32)
    constants = [e.alias(name) for name, e in _ABSENT_INPUTS.items()]

    def normalised(column: str, values: pl.Series) -> pl.DataFrame:
        keys = pl.DataFrame({column: values})
        return normalise(keys.lazy(), keys.schema).collect()

    origin_keys = normalised("origin", raw_origins).select(
        pl.col("_c_origin"),
        dv_origin(lookups),
        *constants,
    )
    code_keys = (
        normalised("cn_code", raw_codes)
        .select("_c_cn")
        .lazy()
        .join(
            internal(lookups.goods, {"cn_key": "_c_cn"}),
            on="_c_cn",
            how="left",
            maintain_order="left",
            validate="m:1",
        )
        .with_columns(*constants)
        .with_columns(variant())
        .collect()
    )
    n_codes = code_keys.height
    o = pl.col("origin").cast(pl.Enum(raw_origins)).to_physical().cast(pl.Int64)
    c = pl.col("cn_code").cast(pl.Enum(raw_codes)).to_physical().cast(pl.Int64)
    pair_grid = _grid(_c_o=pl.Series(range(origin_keys.height)), _c_k=pl.Series(range(n_codes)))
    pairs = (
        pair_grid.with_columns(
            origin_keys["_c_dv_origin"].gather(pair_grid["_c_o"]),
            code_keys["_c_cn"].gather(pair_grid["_c_k"]),
            code_keys["_c_variant"].gather(pair_grid["_c_k"]),
        )
        .drop("_c_o", "_c_k")
        .pipe(
            _dense,
            internal(_intensity(lookups), _INTENSITY_KEYS),
            list(_INTENSITY_KEYS.values()),
        )
    )
    ry = _offset(pl.col("rules_year"), first, last)
    year_grid = _grid(year=rules_span, q=pl.Series(range(_QUARTER_KEYS), dtype=pl.Int32))
    by_year = _dense(year_grid, internal(years, {"year": "year", "q": "q"}), ["year", "q"])
    origin_codes = origin_keys["_c_origin"]
    excluded = _dense(
        _grid(origin=origin_codes, year=rules_span),
        internal(
            origins.select("origin", "year", "excluded").drop_nulls("excluded"),
            {"origin": "origin", "year": "year"},
        ),
        ["origin", "year"],
    )
    relief_span = pl.Series("year", range(FIRST_GROUP_YEAR, last + 1), pl.Int32)
    relief = _dense(
        _grid(origin=origin_codes, year=relief_span),
        internal(
            origins.drop("excluded").drop_nulls("relief"), {"origin": "origin", "year": "year"}
        ),
        ["origin", "year"],
    )
    status = pl.col("_c_year" if scenario.exemption_status_year == "import" else "rules_year")
    sector_names = pl.Series("sector", SECTOR_ENUM.categories).cast(SECTOR_ENUM)
    prices = _dense(
        _grid(origin=origin_codes, sector=sector_names, year=rules_span),
        internal(
            scenario_table("carbon_prices", scenario),
            {"origin": "origin", "sector": "sector", "year": "year"},
        ),
        ["origin", "sector", "year"],
    )
    n_years, n_sectors = rules_span.len(), sector_names.len()
    frame = (
        frame.with_columns(
            o.alias("_c_o"),
            c.alias("_c_k"),
            ry.alias("_c_ry"),
            _offset(status, FIRST_GROUP_YEAR, last).alias("_c_sy"),
        )
        .with_columns(
            *_gather(code_keys.drop("_c_cn", *_ABSENT_INPUTS, *_NOT_GATHERED), pl.col("_c_k")),
            # Read only by the check of actual values without a route, which keyed rows lack.
            *(pl.lit(None, pl.String).alias(c) for c in _NOT_GATHERED),
            *_gather(pairs, pl.col("_c_o") * n_codes + pl.col("_c_k")),
            *_gather(by_year, pl.col("_c_ry") * _QUARTER_KEYS + pl.col("_c_q")),
            *_gather(excluded, pl.col("_c_o") * n_years + pl.col("_c_ry")),
            *_gather(relief, pl.col("_c_o") * relief_span.len() + pl.col("_c_sy")),
        )
        .with_columns(
            _gather(
                prices,
                (pl.col("_c_o") * n_sectors + pl.col("_c_sector").to_physical().cast(pl.Int64))
                * n_years
                + pl.col("_c_ry"),
            )
        )
    )
    return _Keyed(frame, ((origin_keys, pl.col("_c_o")), (code_keys, pl.col("_c_k"))))


def plan(lf: pl.LazyFrame, schema: Mapping[str, pl.DataType], scenario: Scenario) -> EuPlan:
    """Attach the EU lookups to the normalised rows and compute every output column.

    Rows whose only rule inputs are their key (origin, code, year, quarter) read lookups
    resolved once per distinct key; others are joined to the lookups row by row. Both give
    the same values.
    """
    lookups = lookups_for(scenario)
    regime = config.regime()
    origins = scenario_table("origins", scenario)
    reasons = origins.schema["excluded"]
    sectors = config.sectors()
    frame = lf.with_columns(*period_keys(scenario))
    # Period labels travel as categoricals, as they are output, not as strings per row.
    years = scenario_table("years", scenario).with_columns(
        pl.col("period_label", "period").cast(pl.Categorical)
    )
    keyed = (
        _keyed(lf, frame, scenario, lookups, origins, years)
        if _keyed_path_applies(schema, scenario)
        else None
    )
    if keyed is None:
        frame = _joined(frame, schema, scenario, lookups, origins, years)
    else:
        frame = keyed.frame
    # A row imported into another country is outside the regime, on both paths alike.
    if regime.territory is not None and "destination" in schema:
        elsewhere = outside(regime.territory, regime.first_rules_year, regime.last_rules_year)
        frame = frame.with_columns(
            pl.when(elsewhere)
            .then(pl.lit(regime.territory.reason, LABEL))
            .otherwise(pl.col("_c_excluded"))
            .alias("_c_excluded")
        )

    actual = pl.col("_c_see_d").is_not_null()
    counts_indirect = pl.col("_c_counts_indirect").fill_null(False)
    default_see = _pick(pl.col("_c_markup_idx"), [pl.col(f"_c_{c}") for c in _MARKUP_COLUMNS])
    see = (
        pl.when(actual)
        .then(pl.col("_c_see_d") + pl.when(counts_indirect).then(pl.col("_c_see_i")).otherwise(0.0))
        .otherwise(default_see)
    )
    clinker_basis = pl.col("_c_clinker_basis").fill_null(False)
    clinker = pl.when(clinker_basis).then(
        pl.coalesce(pl.col("_c_clinker"), pl.col("_c_default_clinker_share"))
    )
    covered = pl.col("_c_sector").is_not_null()
    # Column A (the good's own process) with actual values, as IR 2025/2620 sets; precursors'
    # benchmarks come from the row. A scenario may instead read actual values as cumulative
    # and use column B, when precursor data are missing.
    column_a = actual & pl.lit(scenario.actual_values_benchmark == "A")
    period_2 = pl.col("_c_period_idx") == 1
    benchmark = (
        pl.when(column_a)
        .then(
            pl.when(period_2).then(pl.col("_c_bm_a_2")).otherwise(pl.col("_c_bm_a_1"))
            + pl.col("_c_precursor_bm").fill_null(0.0)
        )
        .otherwise(pl.when(period_2).then(pl.col("_c_bm_b_2")).otherwise(pl.col("_c_bm_b_1")))
    )
    no_free_allocation = [n for n, r in sectors.sectors.items() if not r.free_allocation]
    benchmark = (
        pl.when(pl.col("_c_sector").is_in(no_free_allocation)).then(0.0).otherwise(benchmark)
    )
    route_source = (
        pl.when(column_a).then(pl.col("_c_route_source_a")).otherwise(pl.col("_c_route_source_b"))
    )
    assumed_variant = (
        pl.col("_c_has_variants").fill_null(False)
        & ~pl.col("_c_is_aggregate").fill_null(False)
        & (pl.col("_c_route") == "")
    )
    # Actual values without a route, where the benchmark depends on it: an input error, or
    # under the scenario's option the default value's route, labelled as an assumption.
    assumed_route = (
        pl.lit(scenario.actual_values_route_from_default)
        & actual
        & (pl.col("_c_route") == "")
        & _routes_differ(scenario).fill_null(False)
        & route_source.is_in(["default value", "equivalent of default-value route"])
    )
    frame = frame.with_columns(
        pl.when(covered)
        .then(
            pl.when(actual)
            .then(pl.lit("actual", INTENSITY_SOURCE_ENUM))
            .otherwise(pl.col("_c_intensity_source"))
        )
        .alias("intensity_source"),
        pl.when(covered).then(see).alias("see_t_per_t"),
        clinker.alias("_c_clinker_share_out"),
        pl.when(clinker_basis)
        .then(
            pl.when(pl.col("_c_clinker").is_not_null())
            .then(pl.lit("row", CLINKER_SOURCE_ENUM))
            .otherwise(pl.lit("scenario default", CLINKER_SOURCE_ENUM))
        )
        .when(pl.col("_c_is_aggregate").fill_null(False) & (pl.col("_c_sector") == "cement"))
        .then(pl.lit("aggregate (heading defaults)", CLINKER_SOURCE_ENUM))
        .alias("clinker_share_source"),
        pl.when(covered).then(benchmark).alias("benchmark_t_per_t"),
        pl.when(covered)
        .then(pl.when(column_a).then(pl.lit("A", COLUMN_ENUM)).otherwise(pl.lit("B", COLUMN_ENUM)))
        .alias("benchmark_column"),
        pl.when(covered)
        .then(pl.when(column_a).then(pl.col("_c_route_a")).otherwise(pl.col("_c_route_b")))
        .alias("benchmark_route"),
        pl.when(covered)
        .then(
            pl.when(assumed_route)
            .then(pl.lit(ASSUMED_ROUTE_FOR_ACTUAL, ROUTE_SOURCE_ENUM))
            .when(assumed_variant)
            .then(pl.lit("assumed (default variant)", ROUTE_SOURCE_ENUM))
            .otherwise(route_source)
        )
        .alias("benchmark_route_source"),
        pl.when(covered)
        .then(pl.col("_c_period_label"))
        .cast(pl.Categorical)
        .alias("benchmark_period"),
        pl.when(covered & ~actual).then(pl.col("_c_heading_id")).alias("default_value_heading"),
        pl.col("_c_sector").alias("sector"),
        pl.col("_c_cbam_factor").alias("cbam_factor"),
        pl.col("_c_cscf").alias("cross_sectoral_correction_factor"),
        pl.col("_c_price").alias("certificate_price_eur"),
        pl.col("_c_period").cast(pl.Categorical).alias("certificate_price_period"),
    )
    scale = pl.coalesce(pl.col("_c_clinker_share_out"), pl.lit(1.0))
    frame = frame.with_columns(
        blocks.embedded_emissions(pl.col("_c_qty") * scale, pl.col("see_t_per_t")).alias(
            "embedded_t"
        ),
        blocks.free_allocation_adjustment(
            pl.col("_c_qty") * scale,
            pl.col("benchmark_t_per_t"),
            pl.col("_c_cbam_factor"),
            pl.col("_c_cscf"),
        ).alias("free_allocation_t"),
    )
    frame = _deduct_carbon_price_paid(frame, scenario, joined=keyed is not None)
    frame = _apply_exemptions(frame, schema, scenario)
    frame = frame.with_columns(
        pl.when(~covered)
        .then(pl.lit(NOT_COVERED, reasons))
        .when(pl.col("_c_excluded").is_not_null())
        .then(pl.col("_c_excluded"))
        .when(pl.col("de_minimis") == "exempt (importer at or below threshold)")
        .then(pl.lit(DE_MINIMIS, reasons))
        .when(pl.col("_c_relief_applies"))
        .then(pl.col("_c_relief"))
        .alias("exemption_reason"),
        pl.when(~covered | pl.col("_c_excluded").is_not_null())
        .then(0.0)
        .when(pl.col("de_minimis") == "exempt (importer at or below threshold)")
        .then(0.0)
        .when(pl.col("_c_relief_applies"))
        .then(pl.col("_c_relief_share"))
        .otherwise(1.0)
        .alias("fee_share_charged"),
    )
    gross = (
        pl.when(covered)
        .then(
            blocks.net_charge(
                pl.col("embedded_t"), pl.col("free_allocation_t"), pl.col("deduction_t")
            )
        )
        .otherwise(0.0)
    )
    share = pl.col("fee_share_charged")
    frame = (
        frame.with_columns(
            (share == 0.0).alias("exempt"),
            pl.when(share == 0.0).then(0.0).otherwise(gross * share).alias("certificates"),
            (gross * pl.col("certificate_price_eur")).alias("fee_before_exemptions_eur"),
        )
        .with_columns(
            pl.when(share == 0.0)
            .then(0.0)
            .otherwise(pl.col("fee_before_exemptions_eur") * share)
            .alias("fee_eur"),
        )
        .with_columns(
            pl.when(pl.col("_c_value") > 0)
            .then(pl.col("fee_eur") / pl.col("_c_value"))
            .alias("ave"),
            pl.col("_c_clinker_share_out").alias("clinker_share_applied"),
        )
    )
    checks = _checks(schema, scenario, regime.first_rules_year, regime.last_rules_year)
    if keyed is None:
        return EuPlan(frame, checks)
    return EuPlan(frame, keyed.localise(checks), engine="streaming")


def overflow_check(schema: Mapping[str, pl.DataType], inputs: Sequence[str]) -> Check:
    """A fee that overflows to infinity, naming the amount at fault (every regime).

    Only where every numeric input is finite: bad inputs have their own checks. The column
    named is the largest of the amounts the fee multiplies (``cbam._schema.overflow_culprit``):
    ``see_direct`` for an intensity of 1e308, ``certificate_price_eur`` for such a price.
    """
    column, shown = overflow_culprit(schema, inputs)
    return Check(
        "quantity_t",
        "too large: the fee is not a finite number",
        pl.all_horizontal(pl.col(c).is_finite().fill_null(True) for c in inputs)
        & ~pl.col("fee_before_exemptions_eur").is_finite(),
        shown,
        column_of=column,
    )


def key_checks(schema: Mapping[str, pl.DataType]) -> list[Check]:
    """Row checks of the goods layer every regime shares (this engine and the designs').

    Origins, CN codes, production routes, actual values given by halves and clinker shares
    where none applies.
    """
    cn = pl.col("_c_cn")
    covered = pl.col("_c_sector").is_not_null()
    actual = pl.col("_c_see_d").is_not_null()
    chapter = cn.str.slice(0, 2).cast(pl.Int32, strict=False)
    well_formed = cn.str.contains(r"^(\d\d){1,4}$") & chapter.is_between(1, 97) & (chapter != 77)
    markers = config.sectors().route_markers
    valid_route = pl.lit(False)
    for sector, rules in config.sectors().sectors.items():
        valid_route = valid_route | (
            (pl.col("_c_sector") == sector) & pl.col("_c_route").is_in(rules.routes)
        )
    return [
        Check(
            "origin",
            "missing",
            pl.col("_c_origin").fill_null("") == "",
            value_shown("origin", schema),
        ),
        Check(
            "origin",
            "unknown ISO 3166-1 alpha-3 code",
            (pl.col("_c_origin").fill_null("") != "")
            & ~pl.col("_c_origin").is_in(sorted(iso3_codes())),
            value_shown("origin", schema),
        ),
        Check(
            "destination",
            f"unknown ISO 3166-1 alpha-3 code ({UNION}: the EU as one importer)",
            (pl.col("_c_dest") != "") & ~pl.col("_c_dest").is_in(sorted(iso3_codes() | {UNION})),
            value_shown("destination", schema),
        ),
        Check("cn_code", "missing", cn.fill_null("") == "", value_shown("cn_code", schema)),
        Check(
            "cn_code",
            "malformed CN code (2, 4, 6 or 8 digits of an existing HS chapter)",
            (cn.fill_null("") != "") & ~well_formed,
            value_shown("cn_code", schema),
        ),
        Check(
            "cn_code",
            "code spans several CBAM sectors; give a more specific code",
            pl.col("_c_sector").is_null() & pl.col("_c_sectors").is_not_null(),
            value_shown("cn_code", schema),
        ),
        Check(
            "route",
            f"unknown production route marker (known: {', '.join(markers)})",
            (pl.col("_c_route") != "") & ~pl.col("_c_route").is_in(list(markers)),
            value_shown("route", schema),
        ),
        Check(
            "route",
            "not a production route of this good's sector",
            covered
            & (pl.col("_c_route") != "")
            & pl.col("_c_route").is_in(list(markers))
            & ~valid_route,
            value_shown("route", schema),
        ),
        Check(
            "see_indirect",
            "given without see_direct",
            pl.col("_c_see_i").is_not_null() & ~actual,
            value_shown("see_indirect", schema),
        ),
        Check(
            "clinker_share",
            "applies only to the clinker-based cement CN8 headings "
            f"({', '.join(sorted(config.clinker_shares().headings))})",
            pl.col("_c_clinker").is_not_null() & ~pl.col("_c_clinker_basis").fill_null(False),
            value_shown("cn_code", schema),
        ),
    ]


def _routes_differ(scenario: Scenario) -> pl.Expr:
    """Whether the benchmarks of the column that prices actual values differ by route."""
    return pl.col(f"_c_routes_differ_{scenario.actual_values_benchmark.lower()}")


def _route_missing(schema: Mapping[str, pl.DataType], scenario: Scenario) -> list[Check]:
    """Actual values without a route where the benchmark depends on it (none under the option).

    IR 2025/2620 sets the column-A benchmark per production route; the row's route is the
    only one that applies to verified actual values, so without it there is no benchmark.
    """
    if scenario.actual_values_route_from_default:
        return []
    tag = scenario.actual_values_benchmark.lower()
    return [
        Check(
            "route",
            "missing: with actual values this code's benchmark depends on the production "
            "route; give the row's route (or set the scenario's "
            "actual_values_route_from_default to assume the default value's)",
            pl.col("_c_sector").is_not_null()
            & pl.col("_c_see_d").is_not_null()
            & (pl.col("_c_route") == "")
            & _routes_differ(scenario).fill_null(False),
            pl.format(
                "{} (routes: {})",
                value_shown("cn_code", schema),
                pl.col(f"_c_route_choices_{tag}").fill_null("?"),
            ),
        )
    ]


def _checks(
    schema: Mapping[str, pl.DataType], scenario: Scenario, first_year: int, last_year: int
) -> list[Check]:
    """Row checks that need the EU rules (years, parameters, missing reference values)."""
    covered = pl.col("_c_sector").is_not_null()
    actual = pl.col("_c_see_d").is_not_null()
    origin_exempt = pl.col("_c_excluded").is_not_null()
    no_rules = (
        f"no rules for this year (EU CBAM rules start in {first_year}; set the scenario's "
        "rules_year (or pass --rules-year) to apply one year's rules to every row)"
    )
    return [
        Check(
            "year",
            no_rules,
            pl.col("_c_year").is_not_null()
            & ~pl.col("rules_year").is_between(first_year, last_year),
            value_shown("year", schema),
        ),
        Check(
            "cbam_factor",
            "the scenario gives no CBAM factor (or CSCF) for this rules year",
            pl.col("rules_year").is_between(first_year, last_year)
            & (pl.col("_c_cbam_factor").is_null() | pl.col("_c_cscf").is_null()),
            pl.col("rules_year").cast(pl.String),
        ),
        Check(
            "certificate_price_eur",
            "the scenario gives no certificate price for this rules year",
            pl.col("_c_price").is_null() & pl.col("rules_year").is_between(first_year, last_year),
            pl.col("rules_year").cast(pl.String),
        ),
        *key_checks(schema),
        *_route_missing(schema, scenario),
        Check(
            "see_indirect",
            "missing: this good counts indirect emissions (cement, fertilisers, and 2601 12 00, "
            "which Annex II of Reg. 2023/956 does not list): give both actual values",
            covered & actual & pl.col("_c_counts_indirect") & pl.col("_c_see_i").is_null(),
            value_shown("cn_code", schema),
        ),
        Check(
            "see_direct",
            "no default value for this CN code and origin: give verified actual values",
            covered
            & ~actual
            & ~origin_exempt
            & pl.col("see_t_per_t").is_null()
            & pl.col("_c_markup_idx").is_not_null(),
            pl.concat_str([pl.col("_c_origin"), pl.col("_c_cn")], separator=" "),
        ),
        Check(
            "cn_code",
            "no CBAM benchmark for this CN code",
            covered
            & ~origin_exempt
            & pl.col("benchmark_t_per_t").is_null()
            & pl.col("_c_period_idx").is_not_null(),
            value_shown("cn_code", schema),
        ),
        Check(
            "precursor_benchmark_t_per_t",
            "applies only to rows with actual values priced on the column-A benchmark",
            pl.col("_c_precursor_bm").is_not_null() & (pl.col("benchmark_column") != "A"),
            value_shown("precursor_benchmark_t_per_t", schema),
        ),
        overflow_check(schema, ("_c_qty", "_c_see_d", "_c_see_i", "_c_clinker", "_c_precursor_bm")),
    ]
