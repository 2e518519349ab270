"""The one engine: every regime (``cbam._design.Design``, the EU CBAM included) as a Polars plan.

normalise -> attach the regime's tables (gathered per distinct key, or joined for per-row
inputs) -> emissions -> charge -> carbon price relief -> thresholds and exemptions -> checks.
Per row, in the regime's currency and then in EUR:

* embedded_t = quantity x clinker share x SEE: the verified actual value on the row (direct,
  plus indirect where the regime counts it), else the default value of IR 2025/2621 (the
  published marked-up column of the year, or the base values times the regime's mark-up);
* the charge of the regime's kind (``cbam._design.Charge``): ``benchmark`` takes off
  quantity x benchmark x CBAM factor x CSCF (column A with actual values, B with defaults),
  ``per_tonne`` a free-allocation share, ``baseline_intensity`` a declining baseline, and
  ``ad_valorem_tiers`` charges a share of customs value;
* certificates = max(0, embedded - free allocation - carbon price paid abroad), fee =
  certificates x price (quarterly, where the price is), then thresholds, exclusions by origin
  group, and the scenario's exemptions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from pathlib import Path
from statistics import fmean
from typing import Any, Literal, cast

import polars as pl

from cbam import blocks
from cbam._carbon_prices import fx_by_year, price_table
from cbam._countries import iso3_codes
from cbam._design import Design, declare_charge_kind
from cbam._eu import config
from cbam._eu.lookup import (
    ASSUMED_ROUTE_FOR_ACTUAL,
    ROW_ROUTE_FOR_DEFAULT,
    Lookups,
    benchmark_columns,
    benchmark_periods,
    build_lookups,
)
from cbam._eu.reference import OTHER, SECTORS, annex_i_entries, entry_covering
from cbam._eu.weights import load_weights
from cbam._exemptions import FIRST_GROUP_YEAR, excluded_origins, relief_table
from cbam._files import digest
from cbam._parameters import DatedParameter, key_in_force
from cbam._resolve import resolve, scenario_key
from cbam._scenario import Scenario
from cbam._schema import (
    CLINKER_SOURCE_ENUM,
    CN_FORM,
    COLUMN_ENUM,
    INTENSITY_SOURCE_ENUM,
    LABEL,
    PUBLIC_NAMES,
    REQUIRED_COLUMNS,
    ROUTE_ENUM,
    ROUTE_SOURCE_ENUM,
    SECTOR_ENUM,
    THRESHOLD_ENUM,
    Check,
    cn_well_formed,
    normalise,
    number_checks,
    overflow_culprit,
    value_shown,
)
from cbam._territory import UNION, outside

NOT_COVERED = "not a CBAM good"
# How the carbon-price sources of rows that no price paid abroad relieves begin: the
# scenario's gross fee, or a regime without relief ('none (no relief in us-cca-2025)').
NO_RELIEF_SOURCE = "none ("
EXEMPT = "exempt (importer at or below threshold)"
_QUARTER_START = {1: 1, 2: 4, 3: 7, 4: 10}
# Customs value in the regime's currency, times the rate's reciprocal: Polars divides by a
# constant so, and a row must not depend on whether the rate is one (other rows, engine).
_VALUE_LCU = pl.col("_c_value") * (1.0 / pl.col("_c_fx"))


@dataclass(frozen=True)
class Plan:
    """The rules applied to one frame: the lazy plan and the row checks it carries.

    ``engine`` is the Polars engine that runs the plan fastest (``benchmarks/``); the plan's
    column ``failed`` says whether any of ``checks`` failed for the row.
    """

    frame: pl.LazyFrame
    checks: list[Check]
    failed: pl.Expr
    # Gathers by position stream well; joins against small tables run faster in memory.
    engine: Literal["in-memory", "streaming"] = "in-memory"


@dataclass(frozen=True)
class Given:
    """Which optional per-row inputs a frame has: the rules leave out the branches of absent ones.

    An absent input is a constant (null, or '' for a route; ``cbam._schema.normalise``), so a
    branch that reads it is decided before any row is read.
    """

    actual: bool  # see_direct: verified actual values
    clinker: bool
    precursor: bool
    price_paid: bool
    route: bool

    @classmethod
    def of(cls, schema: Mapping[str, pl.DataType]) -> Given:
        """The inputs ``schema`` holds."""
        return cls(
            actual="see_direct" in schema,
            clinker="clinker_share" in schema,
            precursor="precursor_benchmark_t_per_t" in schema,
            price_paid="carbon_price_paid_eur_per_t" in schema,
            route="route" in schema,
        )


def regime(scenario: Scenario) -> Design:
    """The design the scenario runs, with its changes (``cbam.resolve``)."""
    return resolve(scenario).design


# --- Per-scenario tables: prices and parameters by year, origins, prices paid abroad --------

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
    labels then say so. A year between entries takes the latest earlier entry (after a year
    given by quarters, its last quarter's price); a year given by quarters prices a row
    without quarter at the mean of the quarters (``rates/eu/certificate_price.yaml``,
    ``annual_from_quarters``), none while a quarter has no price yet.
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
        elif isinstance(entry, Mapping) and key != year:
            # A later year holds the price in force at the end of the year given by quarters
            # (its last quarter's), as a step function does: never a mean no day had.
            last = max(int(q) for q in entry)
            label = f"{key}-Q{last} price, carried forward to {year}"
            for q in range(5):
                add(year, q, float(entry[last]), label, (key, last) in assumed)
        elif isinstance(entry, Mapping):
            whole = len(entry) == 4
            mean = fmean(float(v) for v in entry.values()) if whole else None
            mean_label = f"{key} mean of quarters" if whole else None
            add(year, 0, mean, mean_label, any((key, int(q)) in assumed for q in entry))
            for q in range(1, 5):
                if q in entry:
                    add(year, q, float(entry[q]), f"{year}-Q{q}", (key, q) in assumed)
                else:
                    add(year, q, None, None, False)
        else:
            label = str(year) if key == year else f"{key} path, in force from {key}"
            for q in range(5):
                add(year, q, float(entry), label, (key, 0) in assumed)
    return rows


def quarterly_schedule(
    price: DatedParameter[float], years: range
) -> tuple[dict[int, float | Mapping[int, float]], set[tuple[int, int]]]:
    """A dated price as a schedule of quarters: each the value in force on its first day.

    A year whose one value was already in force in the last quarter of the year before gets
    no entry: the earlier entry is carried (``key_in_force``), so its label names the year
    the value is dated from (``2027 path, in force from 2027``), not the row's year.
    """
    schedule: dict[int, float | Mapping[int, float]] = {}
    assumed: set[tuple[int, int]] = set()
    for year in years:
        known = {q: price.on(dt.date(year, m, 1)) for q, m in _QUARTER_START.items()}
        values = {q: item.value for q, item in known.items() if item is not None}
        items = {id(item) for item in known.values()}
        if len(values) == 4 and len(items) == 1:
            # One value in force all year: the year's price, not a 'mean of quarters'.
            item = known[1]
            assert item is not None
            if year - 1 in years and price.on(dt.date(year - 1, _QUARTER_START[4], 1)) is item:
                continue
            schedule[year] = item.value
            assumed |= {(year, 0)} if item.assumption else set()
            continue
        if values:
            schedule[year] = values
        assumed |= {(year, q) for q, item in known.items() if item is not None and item.assumption}
    return schedule, assumed


def _price_schedule(
    design: Design, scenario: Scenario, years: range
) -> tuple[PriceSchedule | None, set[tuple[int, int]]]:
    """The price schedule (the scenario's, else the regime's) and the entries assumed."""
    charge = design.charge
    # The EU's file form, unless a scenario gives the design a dated price instead.
    given = scenario.certificate_price_eur is not None
    if charge.certificate_price is not None and (given or charge.price is None):
        default = charge.certificate_price
        schedule: PriceSchedule = (
            default.as_schedule()
            if not given
            else cast(PriceSchedule, scenario.certificate_price_eur)
        )
        # A price is labelled assumed where the schedule holds the default in force there
        # and that default is marked as one (a quarter filled by a one-quarter override too).
        base = _default_rows(default, years)
        keys = (
            [
                (year, q)
                for year, entry in cast(Mapping[int, Any], schedule).items()
                for q in (entry if isinstance(entry, Mapping) else (0,))
            ]
            if isinstance(schedule, Mapping)
            else []
        )
        assumed = {
            k
            for k in keys
            if (was := base.get(k)) is not None
            and was["price"] == _schedule_value(schedule, k)
            and str(was["period"]).endswith("(assumed)")
        }
        return schedule, assumed
    if charge.price is not None:
        return quarterly_schedule(charge.price, years)
    return None, set()


def _as_default(
    rows: list[dict[str, object]], design: Design, scenario: Scenario, years: range
) -> list[dict[str, object]]:
    """Price rows of a scenario's path, a price the override left as the default labelled so.

    An override of one quarter fills the year's other quarters, and the next year, with the
    price in force: those keep the default's label (``2028 path, in force from 2028
    (assumed)``), not one of an entry the regime's file does not have.
    """
    default = design.charge.certificate_price
    if default is None or not isinstance(scenario.certificate_price_eur, Mapping):
        return rows
    base = _default_rows(default, years)
    return [
        {**row, "period": was["period"]}
        if (was := base[(row["year"], row["q"])])["price"] == row["price"]
        else row
        for row in rows
    ]


def _default_rows(
    default: config.CertificatePriceFile, years: range
) -> dict[Any, dict[str, object]]:
    """The regime's own price rows by (year, quarter key), with their labels."""
    rows = price_rows(default.as_schedule(), years, set(default.assumed()))
    return {(row["year"], row["q"]): row for row in rows}


def _distinct(parameter: DatedParameter[str] | None) -> list[str]:
    """The distinct values of a label parameter, in order (columns or periods it names)."""
    values = [] if parameter is None else [v.value for v in parameter.values]
    return list(dict.fromkeys(values))


def year_table(scenario: Scenario) -> pl.DataFrame:
    """(rules year, quarter key 0-4; 0 = no quarter given) -> price, FX and the year's rules."""
    design = regime(scenario)
    charge, emissions = design.charge, design.emissions
    years = range(design.first_rules_year, design.last_rules_year + 1)
    # Its columns and periods are known ones (checked as the scenario loads, _resolve).
    markups, periods = _distinct(emissions.published_defaults), list(benchmark_periods())

    def value_of(parameter: DatedParameter[float] | None, year: int) -> float | None:
        item = None if parameter is None else parameter.on(year)
        return None if item is None else item.value

    floats = {
        "cbam_factor": charge.cbam_factor,
        "cscf": charge.cross_sectoral_correction_factor,
        "markup": emissions.defaults_markup,
        "applicable_pct": charge.applicable_percentage,
        "threshold": None if design.threshold is None else design.threshold.amount,
    }
    params = []
    for year in years:
        column = (
            None if emissions.published_defaults is None else emissions.published_defaults.on(year)
        )
        period = None if charge.benchmark_period is None else charge.benchmark_period.on(year)
        params.append(
            {
                "year": year,
                **{name: value_of(parameter, year) for name, parameter in floats.items()},
                "markup_idx": None if column is None else markups.index(column.value),
                "period_idx": None if period is None else periods.index(period.value),
                "period_label": None
                if period is None
                else period.value + (" (assumed)" if period.assumption else ""),
            }
        )
    schedule, assumed = _price_schedule(design, scenario, years)
    prices = pl.DataFrame(
        _as_default(price_rows(schedule, years, assumed), design, scenario, years)
        if schedule is not None
        else [{"year": y, "q": q, "price": None, "period": None} for y in years for q in range(5)],
        schema={"year": pl.Int32, "q": pl.Int32, "price": pl.Float64, "period": pl.String},
        orient="row",
    )
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "year": pl.Int32,
        **dict.fromkeys(floats, pl.Float64),
        "markup_idx": pl.Int64,
        "period_idx": pl.Int64,
        "period_label": pl.String,
    }
    fx = fx_by_year(years).filter(pl.col("currency") == design.currency)
    return (
        pl.DataFrame(params, schema=schema)
        .join(prices, on="year")
        .join(
            fx.select(pl.col("year").cast(pl.Int32), pl.col("eur_per_unit").alias("fx")),
            on="year",
            how="left",
        )
        .with_columns(pl.col("period", "period_label").cast(LABEL))
    )


def origin_table(scenario: Scenario) -> pl.DataFrame:
    """(origin, rules year) -> exclusion reason: a home origin or an excluded group's.

    The excluded groups are the scenario's ``excluded_origin_groups``, else the regime's.
    """
    design = regime(scenario)
    reasons = {group: spec.reason for group, spec in design.excluded_origin_groups.items()}
    groups = resolve(scenario).origin_groups
    base = Path(scenario.source).parent if scenario.source else None
    years = range(FIRST_GROUP_YEAR, design.last_rules_year + 1)
    rows = []
    for year in years:
        seen = set(design.home_origins)
        rows += [
            {"origin": iso3, "year": year, "excluded": f"domestic ({design.name})"}
            for iso3 in design.home_origins
        ]
        if year >= design.first_rules_year:
            rows += [
                {"origin": iso3, "year": year, "excluded": reason}
                for iso3, reason in excluded_origins(groups, reasons, year, seen, base)
            ]
    excluded = pl.DataFrame(
        rows, schema={"origin": pl.String, "year": pl.Int32, "excluded": pl.String}
    )
    # Reasons travel as the output's categorical type, so rows never carry strings.
    return excluded.with_columns(pl.col("excluded").cast(LABEL))


def _phase_in_by_rules_year(scenario: Scenario) -> bool:
    """Whether relief is keyed by the rules year too: a phase-in, membership in another year."""
    return scenario.exemption_status_year == "import" and any(
        rule.fee_share_charged for rule in scenario.exemptions
    )


def relief_of(scenario: Scenario) -> pl.DataFrame:
    """(origin, membership year[, rules year]) -> relief reason, share charged, share limit.

    Relief covers import years back to 1971 (the first UN LDC list), since membership may be
    judged in the import year of historical trade; a phase-in's share follows the rules year.
    """
    design = regime(scenario)
    years = range(FIRST_GROUP_YEAR, design.last_rules_year + 1)
    rules_years = range(design.first_rules_year, design.last_rules_year + 1)
    base_dir = Path(scenario.source).parent if scenario.source else None
    relief = relief_table(
        list(scenario.exemptions),
        years,
        base_dir,
        rules_years if _phase_in_by_rules_year(scenario) else None,
    )
    renamed = {"reason": "relief", "share": "relief_share", "max_import_share": "relief_max_share"}
    return relief.rename(renamed).with_columns(pl.col("relief").cast(LABEL))


def carbon_price_table(scenario: Scenario) -> pl.DataFrame:
    """(origin, sector, rules year) -> price paid abroad in EUR, under the scenario's options."""
    design = regime(scenario)
    years = range(design.first_rules_year, design.last_rules_year + 1)
    table = price_table(scenario.carbon_price_abroad, list(SECTORS), years)
    return table.with_columns(pl.col("sector").cast(SECTOR_ENUM), pl.col("source").cast(LABEL))


def sector_table(scenario: Scenario) -> pl.DataFrame:
    """(sector, rules year) -> whether indirect emissions count, free-allocation share."""
    design = regime(scenario)
    indirect_sectors = design.emissions.indirect_sectors
    shares = design.charge.free_allocation_share
    rows = []
    for year in range(design.first_rules_year, design.last_rules_year + 1):
        indirect = None if indirect_sectors is None else indirect_sectors.on(year)
        for sector in SECTORS:
            share = None if shares is None else shares.at(sector, year)
            rows.append(
                {
                    "sector": sector,
                    "year": year,
                    "design_indirect": indirect is not None and sector in indirect.value,
                    "fa_share": 0.0 if share is None else share.value,
                }
            )
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "sector": SECTOR_ENUM,
        "year": pl.Int32,
        "design_indirect": pl.Boolean,
        "fa_share": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


SCENARIO_TABLES: dict[str, Callable[[Scenario], pl.DataFrame]] = {
    "years": year_table,
    "origins": origin_table,
    "relief": relief_of,
    "carbon_prices": carbon_price_table,
    "sectors": sector_table,
}
_BUILT: dict[tuple[str, str], pl.DataFrame] = {}
_KEEP = 256


def scenario_table(kind: str, scenario: Scenario) -> pl.DataFrame:
    """A per-scenario parameter table, built once per distinct scenario (by content) and kept."""
    key = (kind, scenario_key(scenario))
    if key not in _BUILT:
        if len(_BUILT) >= _KEEP:
            _BUILT.pop(next(iter(_BUILT)))
        _BUILT[key] = SCENARIO_TABLES[kind](scenario)
    return _BUILT[key]


@lru_cache(maxsize=4)  # some 20 MB each: a sweep over clinker shares keeps the last few
def _lookups(
    clinker: tuple[tuple[str, float], ...],
    weights_file: str | None,
    weights_digest: str | None,  # the file as it is: edited, it gives new lookups
    reference: str | None,
) -> Lookups:
    variants = {k: v.value for k, v in config.clinker_shares().default_variant.items()}
    weights = load_weights(weights_file) if weights_file is not None else None
    return build_lookups(dict(clinker), variants, weights, reference)


def lookups_for(scenario: Scenario) -> Lookups:
    """The pre-resolved tables for the scenario's clinker defaults, weights and reference."""
    shares = {k: v.value for k, v in config.clinker_shares().headings.items()}
    shares.update(scenario.clinker_share)
    resolved = resolve(scenario)
    weights = resolved.aggregation_weights
    reference = resolved.design.charge.reference_intensity
    return _lookups(
        tuple(sorted(shares.items())),
        str(weights.resolve()) if weights else None,
        digest(weights) if weights else None,
        reference.origin if reference is not None else None,
    )


# --- Attaching the tables to the rows: joined row by row, or gathered per distinct key -------


def internal(table: pl.DataFrame, keys: Mapping[str, str]) -> pl.LazyFrame:
    """Rename a lookup table's keys to the frame's and its other columns to '_c_' names."""
    return table.lazy().rename({c: keys.get(c, f"_c_{c}") for c in table.columns})


def _join(frame: pl.LazyFrame, table: pl.LazyFrame, on: list[str]) -> pl.LazyFrame:
    return frame.join(table, on=on, how="left", maintain_order="left", validate="m:1")


_INTENSITY_KEYS = {"dv_origin": "_c_dv_origin", "cn_key": "_c_cn", "variant_key": "_c_variant"}
_ROUTE_COLUMNS = ("route_a", "route_b", "route_source_a", "route_source_b")


def _intensity(lookups: Lookups, design: Design) -> pl.DataFrame:
    """The intensity lookup's columns the regime reads (defaults and benchmarks of each key)."""
    published = design.emissions.published_defaults is not None
    drop = ["dv_route"]
    drop += (
        ["direct", "indirect", "total"]
        if published
        else [c for c in lookups.intensity.columns if c.startswith("markup_")]
    )
    if not design.charge.reads_benchmarks:
        drop += [*benchmark_columns(), *_ROUTE_COLUMNS, "dv_names_route"]
    return lookups.intensity.drop(drop)


def _reference(lookups: Lookups, design: Design) -> pl.DataFrame | None:
    """(code, variant) -> how the reference intensity a design compares imports with is told.

    The intensities themselves are the intensity table's ``ref_*`` columns, per origin: an
    aggregate's reference weighs the row origin's product mix (``build_lookups``).
    """
    reference = design.charge.reference_intensity
    if reference is None:
        return None
    stand_in = reference.origin if reference.origin in lookups.dv_origins else OTHER
    assumed = " (assumption)" if reference.assumption else ""
    # Labelled once per code here, not once per row.
    label = pl.concat_str(
        [
            pl.lit(f"{reference.description}: EU default values for {reference.origin} ("),
            pl.col("intensity_source").cast(pl.String),
            pl.lit(f"), IR 2025/2621 without mark-up{assumed}"),
        ]
    )
    return lookups.intensity.filter(pl.col("dv_origin") == stand_in).select(
        pl.col("cn_key").alias("_c_cn"),
        pl.col("variant_key").alias("_c_variant"),
        label.alias("_c_ref_label"),
    )


def _codes(frame: pl.LazyFrame, lookups: Lookups, design: Design) -> pl.LazyFrame:
    """The goods facts of each row's code, its variant, and the reference intensity if any."""
    frame = _join(frame, internal(lookups.goods, {"cn_key": "_c_cn"}), ["_c_cn"])
    frame = frame.with_columns(variant())
    reference = _reference(lookups, design)
    return frame if reference is None else _join(frame, reference.lazy(), ["_c_cn", "_c_variant"])


def _sectors_joined(design: Design) -> bool:
    """Whether the regime reads the sector table (indirect scope or free-allocation shares)."""
    return (
        design.emissions.indirect_sectors is not None
        or design.charge.free_allocation_share is not None
    )


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
        # Membership in an import year after the last rules year is as in force in that year:
        # the dated lists change no later, and their table ends there.
        pl.col("_c_year")
        .clip(upper_bound=regime(scenario).last_rules_year)
        .alias("_c_status_year"),
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


def _status_year(scenario: Scenario) -> str:
    """The year group membership is judged in (the import year by default)."""
    return "_c_status_year" if scenario.exemption_status_year == "import" else "rules_year"


def _tables(scenario: Scenario, design: Design) -> list[tuple[pl.DataFrame, dict[str, str]]]:
    """The scenario's parameter tables, each with the row columns its keys match.

    Exclusions follow the rules year; relief the year the scenario judges membership in.
    """
    by_year = {"year": "rules_year"}
    relief_keys = {"origin": "_c_origin", "year": _status_year(scenario)}
    if _phase_in_by_rules_year(scenario):
        relief_keys["rules_year"] = "rules_year"
    tables = [
        (scenario_table("years", scenario), {**by_year, "q": "_c_q"}),
        (scenario_table("origins", scenario), {"origin": "_c_origin", **by_year}),
        (scenario_table("relief", scenario), relief_keys),
        (
            scenario_table("carbon_prices", scenario),
            {"origin": "_c_origin", "sector": "_c_sector", **by_year},
        ),
    ]
    if _sectors_joined(design):
        tables.append((scenario_table("sectors", scenario), {"sector": "_c_sector", **by_year}))
    return tables


def _joined(
    frame: pl.LazyFrame,
    schema: Mapping[str, pl.DataType],
    scenario: Scenario,
    lookups: Lookups,
    design: Design,
) -> pl.LazyFrame:
    """The general path: join every row to the lookups under reserved '_c_' names."""
    frame = _codes(frame.with_columns(dv_origin(lookups)), lookups, design)
    frame = _join(
        frame,
        internal(_intensity(lookups, design), _INTENSITY_KEYS),
        list(_INTENSITY_KEYS.values()),
    )
    for table, keys in _tables(scenario, design):
        frame = _join(frame, internal(table, keys), list(keys.values()))
    if _reads_row_routes(schema, design):
        by_route, by_origin = _route_tables(lookups)
        frame = _join(frame, by_route, _BY_ROUTE_KEYS)
        frame = _join(frame, by_origin, _BY_ORIGIN_ROUTE_KEYS)
        frame = _with_row_routes(frame)
    return frame


_ROUTED = [*benchmark_columns(), *_ROUTE_COLUMNS]
_BY_ROUTE_KEYS = ["_c_cn", "_c_route"]
_BY_ORIGIN_ROUTE_KEYS = ["_c_dv_origin", "_c_cn", "_c_variant", "_c_route"]


def _reads_row_routes(schema: Mapping[str, pl.DataType], design: Design) -> bool:
    """Whether rows read benchmarks at their own route (a benchmark charge, a route column)."""
    return "route" in schema and design.charge.reads_benchmarks


def _route_tables(lookups: Lookups) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Benchmarks at a row's route (``_r``) and an aggregate's at it per origin (``_m``)."""
    by_route = internal(
        lookups.route_benchmarks.rename({c: f"{c}_r" for c in _ROUTED}),
        {"cn_key": "_c_cn", "route_key": "_c_route"},
    )
    by_origin = internal(
        lookups.aggregate_route_benchmarks.rename({c: f"{c}_m" for c in _ROUTED}),
        {**_INTENSITY_KEYS, "route_key": "_c_route"},
    )
    return by_route, by_origin


def _with_row_routes(frame: pl.LazyFrame) -> pl.LazyFrame:
    """The benchmarks of rows that name a route (IR 2025/2621 and 2025/2620).

    Actual values take the row's route; default values the route the default value names,
    the row's only where it names none (an aggregate: per CN8 below, then the mean). The
    frame holds ``_route_tables``' columns.
    """
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

    return frame.with_columns([chosen(c) for c in _ROUTED])


# What the normalised per-row inputs are when their columns are absent (see _schema.normalise),
# by input column.
_ABSENT_INPUTS: dict[str, tuple[str, pl.Expr]] = {
    "route": ("_c_route", pl.lit("", pl.String)),
    **{
        column: (internal, pl.lit(None, pl.Float64))
        for internal, column in PUBLIC_NAMES.items()
        if column not in REQUIRED_COLUMNS and column != "value_eur"
    },
}
_MAX_KEYED_CELLS = 4_000_000  # key-table cells (origins x codes, codes x routes): beyond, join
# Distinct route spellings beyond which rows are joined (there are a dozen markers).
_MAX_KEYED_ROUTES = 256
_QUARTER_KEYS = 5  # quarter key 0 (none given) to 4
_IDX = pl.get_index_type()


def keyed_path_applies(schema: Mapping[str, pl.DataType], scenario: Scenario) -> bool:
    """Whether every lookup a row reads is fixed by its (origin, code, route) and period keys.

    Then lookups are resolved per distinct key and gathered by position. Other per-row
    inputs (actual values, clinker shares, prices paid) and frame-level rules (importer and
    import-share thresholds) read the rows' own columns on either path.
    """
    return (
        schema.get("origin") == pl.String
        and schema.get("cn_code") == pl.String
        and schema.get("route", pl.String) == pl.String
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
    """Every column of ``table`` at the row's position ``index``; a constant one ungathered.

    Columns are gathered from one contiguous chunk: a chunked one gathers several times slower.
    """
    out = []
    for c in table.columns:
        column = table[c].rechunk()
        if column.null_count() == 0 and column.n_unique() == 1:
            value = pl.lit(column[0], column.dtype)
            out.append(pl.when(index.is_not_null()).then(value).alias(c))
        elif column.null_count() == column.len():
            out.append(pl.lit(None, column.dtype).alias(c))
        else:
            out.append(pl.lit(column).gather(index).alias(c))
    return out


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


def _numbered(
    table: pl.DataFrame, keys: list[str], name: str, where: pl.Expr | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``table`` with the position ``name`` of each row's ``keys`` among their distinct values.

    Returns the table and those distinct values, in order; rows outside ``where`` get none.
    """
    chosen = table if where is None else table.filter(where)
    distinct = chosen.select(keys).unique(maintain_order=True).with_row_index(name)
    numbered = table.join(distinct, on=keys, how="left", maintain_order="left", nulls_equal=True)
    if where is not None:
        numbered = numbered.with_columns(pl.when(where).then(pl.col(name)).alias(name))
    return numbered.with_columns(pl.col(name).cast(_IDX)), distinct.drop(name)


def _by_origin(
    origin_keys: pl.DataFrame, keys: pl.DataFrame, table: pl.LazyFrame, on: list[str]
) -> pl.DataFrame:
    """``table``'s columns for each default-value origin x row of ``keys``, origins outermost."""
    grid = _grid(_c_o=pl.Series(range(origin_keys.height)), _c_x=pl.Series(range(keys.height)))
    cells = grid.with_columns(
        origin_keys["_c_dv_origin"].gather(grid["_c_o"]),
        *(keys[c].gather(grid["_c_x"]) for c in keys.columns),
    ).drop("_c_o", "_c_x")
    return _dense(cells, table, on)


def _offset(value: pl.Expr, first: int, last: int) -> pl.Expr:
    """``value - first`` where ``value`` lies in [first, last], else null (a row position)."""
    return pl.when(value.is_between(first, last)).then((value - first).cast(_IDX, strict=False))


def _keyed(
    lf: pl.LazyFrame,
    frame: pl.LazyFrame,
    schema: Mapping[str, pl.DataType],
    scenario: Scenario,
    lookups: Lookups,
    design: Design,
) -> _Keyed | None:
    """The keyed path: lookups resolved per distinct key and gathered, or None to join rows.

    Every table is laid out densely over its keys' domains (origins, codes with the routes
    rows give, years, quarters, sectors); a row's position in it is its keys' offsets in mixed
    radix. The intensity lookup is laid out per (origin, code, variant), since several routes
    share a variant.
    """
    key_columns = ["origin", "cn_code", *(["route"] if "route" in schema else [])]
    distinct = pl.collect_all([lf.select(pl.col(c).unique().sort()) for c in key_columns])
    raw_origins, raw_codes, *given_routes = (d.to_series() for d in distinct)
    if raw_origins.null_count() or raw_codes.null_count():
        return None  # missing keys are reported row by row on the joined path
    # A code's key is the code with the row's route (null, the last, where none is given).
    routes = pl.concat([pl.Series([], dtype=pl.String), *given_routes]).drop_nulls()
    raw_routes = pl.concat([routes, pl.Series([None], dtype=pl.String)])
    cells = raw_codes.len() * raw_routes.len()
    if max(raw_origins.len() * raw_codes.len(), cells) > _MAX_KEYED_CELLS:
        return None
    if routes.len() > _MAX_KEYED_ROUTES:
        return None
    first, last = design.first_rules_year, design.last_rules_year
    # Absent inputs are constants of the key tables, so checks that read them run per key;
    # a given input is the row's own, never a table's.
    absent = {name: e for column, (name, e) in _ABSENT_INPUTS.items() if column not in schema}
    constants = [e.alias(name) for name, e in absent.items()]

    def normalised(column: str, values: pl.Series) -> pl.LazyFrame:
        keys = pl.DataFrame({column: values})
        return normalise(keys.lazy(), keys.schema)

    origin_keys = (
        normalised("origin", raw_origins)
        .select(pl.col("_c_origin"), dv_origin(lookups), *constants)
        .collect()
    )
    code_grid = _grid(cn_code=raw_codes, route=raw_routes).drop("_c_pos")
    codes = (
        normalise(code_grid.lazy(), code_grid.schema)
        .select("_c_cn", "_c_route")
        .with_columns(*constants)
    )
    facts = _codes(codes, lookups, design)
    if _reads_row_routes(schema, design):
        facts = _join(facts, _route_tables(lookups)[0], _BY_ROUTE_KEYS)
    # The intensity lookup is per (origin, code, variant): several routes share a variant.
    variants = ["_c_cn", "_c_variant"]
    code_keys, cv_keys = _numbered(facts.collect(), variants, "_c_cv")
    if origin_keys.height * cv_keys.height > _MAX_KEYED_CELLS:
        return None  # routes naming many variants: join the rows instead
    intensity = internal(_intensity(lookups, design), _INTENSITY_KEYS)
    pairs = _by_origin(origin_keys, cv_keys, intensity, list(_INTENSITY_KEYS.values()))
    mixed = slot_keys = None
    if _reads_row_routes(schema, design):
        # Aggregates whose benchmarks at a row's route differ by origin: few codes, if any.
        by_origin = _route_tables(lookups)[1]
        listed = by_origin.select(
            pl.col("_c_cn", "_c_variant", "_c_route"), pl.lit(True).alias("_c_listed")
        ).unique()
        slots = ["_c_cn", "_c_variant", "_c_route"]
        code_keys = _join(code_keys.lazy(), listed, slots).collect()
        code_keys, slot_keys = _numbered(code_keys, slots, "_c_slot", pl.col("_c_listed"))
        code_keys = code_keys.drop("_c_listed")
        mixed = _by_origin(origin_keys, slot_keys, by_origin, _BY_ORIGIN_ROUTE_KEYS)
    # Each row key: its domain, and the row's offset in it (null outside: nothing found).
    years = pl.Series(range(first, last + 1), dtype=pl.Int32)
    axes: dict[str, tuple[pl.Series, pl.Expr]] = {
        "_c_origin": (origin_keys["_c_origin"], pl.col("_c_o")),
        "rules_year": (years, pl.col("_c_off_rules_year")),
        "_c_status_year": (
            pl.Series(range(FIRST_GROUP_YEAR, last + 1), dtype=pl.Int32),
            pl.col("_c_off_status_year"),
        ),
        "_c_q": (pl.Series(range(_QUARTER_KEYS), dtype=pl.Int32), pl.col("_c_q").cast(_IDX)),
        "_c_sector": (
            pl.Series(SECTOR_ENUM.categories).cast(SECTOR_ENUM),
            pl.col("_c_sector").to_physical().cast(_IDX),
        ),
    }
    # Positions are of Polars' index type: a gather by any other converts its index each time.
    o = pl.col("origin").cast(pl.Enum(raw_origins)).to_physical().cast(_IDX)
    c = pl.col("cn_code").cast(pl.Enum(raw_codes)).to_physical().cast(_IDX)
    code_key = c * raw_routes.len()
    if "route" in schema:
        route = pl.col("route").cast(pl.Enum(routes)).to_physical().cast(_IDX)
        code_key = code_key + route.fill_null(routes.len())
    # The code is normalised per row where it is read (as is the origin); the route, read by
    # the rules, is gathered normalised.
    per_row = ["_c_cn", *absent]
    frame = frame.with_columns(o.alias("_c_o"), code_key.alias("_c_k")).with_columns(
        *_gather(code_keys.drop(per_row, strict=False), pl.col("_c_k"))
    )
    pair = pl.col("_c_o") * cv_keys.height + pl.col("_c_cv")
    frame = frame.with_columns(pair.alias("_c_pair")).with_columns(
        *_gather(pairs, pl.col("_c_pair"))
    )
    if mixed is not None and slot_keys is not None:
        slot = pl.col("_c_o") * slot_keys.height + pl.col("_c_slot")
        frame = frame.with_columns(slot.alias("_c_at_slot")).with_columns(
            *_gather(mixed, pl.col("_c_at_slot"))
        )
        frame = _with_row_routes(frame)
    # Year offsets computed once per row, read by every table keyed by them (unread: pruned).
    frame = frame.with_columns(
        _offset(pl.col("rules_year"), first, last).alias("_c_off_rules_year"),
        _offset(pl.col("_c_status_year"), FIRST_GROUP_YEAR, last).alias("_c_off_status_year"),
    )
    for i, (table, keys) in enumerate(_tables(scenario, design)):
        grid = _grid(**{key: axes[row][0] for key, row in keys.items()})
        position: pl.Expr | None = None
        for row in keys.values():
            domain, offset = axes[row]
            position = offset if position is None else position * domain.len() + offset
        # The position is computed once per row, not once per column gathered.
        at = f"_c_at_{i}"
        frame = frame.with_columns(cast(pl.Expr, position).alias(at)).with_columns(
            _gather(_dense(grid, internal(table, {k: k for k in keys}), list(keys)), pl.col(at))
        )
    return _Keyed(frame, ((origin_keys, pl.col("_c_o")), (code_keys, pl.col("_c_k"))))


# --- The rules: emissions, charge, relief, thresholds, fees ---------------------------------


def _pick(index: pl.Expr, options: list[pl.Expr]) -> pl.Expr:
    expr = options[-1]
    for i in range(len(options) - 2, -1, -1):
        expr = pl.when(index == i).then(options[i]).otherwise(expr)
    return expr


def _covered(design: Design) -> pl.Expr:
    """A CBAM good of a sector the regime covers."""
    if set(design.sectors) >= set(SECTORS):
        return pl.col("_c_sector").is_not_null()
    return pl.col("_c_sector").is_not_null() & pl.col("_c_sector").is_in(design.sectors)


def _counts_indirect(design: Design) -> pl.Expr:
    """Whether indirect emissions count: by the regime's sectors and year, else by Annex II."""
    if design.emissions.indirect_sectors is not None:
        return pl.col("_c_design_indirect").fill_null(False)
    return pl.col("_c_counts_indirect").fill_null(False)


def _emissions(frame: pl.LazyFrame, design: Design, given: Given) -> pl.LazyFrame:
    """Intensity in the regime's scope, its source, clinker share and embedded emissions."""
    covered = _covered(design)
    actual = pl.col("_c_see_d").is_not_null()
    counts = _counts_indirect(design)
    published = _distinct(design.emissions.published_defaults)
    default_see = (
        _pick(pl.col("_c_markup_idx"), [pl.col(f"_c_{c}") for c in published])
        if published
        else blocks.default_intensity(
            pl.col("_c_direct"), pl.col("_c_indirect"), pl.col("_c_total"), counts
        )
        * pl.col("_c_markup")
    )
    see = (
        pl.when(actual)
        .then(blocks.scoped_intensity(pl.col("_c_see_d"), pl.col("_c_see_i"), counts))
        .otherwise(default_see)
        if given.actual
        else default_see
    )
    source = (
        pl.when(actual)
        .then(pl.lit("actual", INTENSITY_SOURCE_ENUM))
        .otherwise(pl.col("_c_intensity_source"))
        if given.actual
        else pl.col("_c_intensity_source")
    )
    clinker_basis = pl.col("_c_clinker_basis").fill_null(False)
    default_share = pl.col("_c_default_clinker_share")
    clinker = pl.when(covered & clinker_basis).then(
        pl.coalesce(pl.col("_c_clinker"), default_share) if given.clinker else default_share
    )
    clinker_label = (
        pl.when(pl.col("_c_clinker").is_not_null())
        .then(pl.lit("row", CLINKER_SOURCE_ENUM))
        .otherwise(pl.lit("scenario default", CLINKER_SOURCE_ENUM))
        if given.clinker
        else pl.lit("scenario default", CLINKER_SOURCE_ENUM)
    )
    frame = frame.with_columns(
        pl.col("_c_sector").alias("sector"),
        pl.when(covered).then(source).alias("intensity_source"),
        pl.when(covered).then(see).alias("see_t_per_t"),
        clinker.alias("clinker_share_applied"),
        pl.when(covered)
        .then(
            pl.when(clinker_basis)
            .then(clinker_label)
            .when(pl.col("_c_is_aggregate").fill_null(False) & (pl.col("_c_sector") == "cement"))
            .then(pl.lit("aggregate (heading defaults)", CLINKER_SOURCE_ENUM))
        )
        .alias("clinker_share_source"),
        pl.when(covered & ~actual if given.actual else covered)
        .then(pl.col("_c_heading_id"))
        .alias("default_value_heading"),
        pl.col("_c_cbam_factor").alias("cbam_factor"),
        pl.col("_c_cscf").alias("cross_sectoral_correction_factor"),
        pl.lit(design.currency).alias("currency"),
    )
    scale = pl.coalesce(pl.col("clinker_share_applied"), pl.lit(1.0))
    return frame.with_columns(
        blocks.embedded_emissions(pl.col("_c_qty") * scale, pl.col("see_t_per_t")).alias(
            "embedded_t"
        ),
        (pl.col("_c_qty") * scale).alias("_c_qty_scaled"),
    )


def _no_free_allocation() -> list[str]:
    """The sectors that get no free allocation (electricity), from rates/eu/sectors.yaml."""
    return [n for n, r in config.sectors().sectors.items() if not r.free_allocation]


def _routes_differ(scenario: Scenario) -> pl.Expr:
    """Whether the benchmarks of the column that prices actual values differ by route."""
    return pl.col(f"_c_routes_differ_{scenario.actual_values_benchmark.lower()}")


# A charge: the rows with its allowance (``free_allocation_t``, ``benchmark_t_per_t``), the
# tonnes charged before exemptions (None: not charged by the tonne) and the amount charged in
# the regime's currency.
Charged = tuple[pl.LazyFrame, pl.Expr | None, pl.Expr]
ChargeRule = Callable[[pl.LazyFrame, Scenario, Design, Given], Charged]
CHARGES: dict[str, ChargeRule] = {}  # each charge kind's rule, filled by ``charge_kind``


def charge_kind(
    kind: str,
    *needs: str | tuple[str, ...],
    reads: tuple[str, ...] = (),
    benchmarks: bool = False,
    customs_value: bool = False,
) -> Callable[[ChargeRule], ChargeRule]:
    """Declare a charge kind in one place: on its rule, its name and the parameters it needs.

    ``Charge`` (``cbam._design``) then accepts the name in a design file and refuses, when the
    design is loaded, one without the parameters, or with one the kind neither needs nor
    ``reads``; a tuple is one need that any of its names meets. ``benchmarks``: the rows read
    the CBAM benchmarks (with routes and their checks); ``customs_value``: the charge is a
    share of customs value, which liable rows must give.
    """

    def declare(rule: ChargeRule) -> ChargeRule:
        declare_charge_kind(
            kind, needs, reads=reads, benchmarks=benchmarks, customs_value=customs_value
        )
        CHARGES[kind] = rule
        return rule

    return declare


@charge_kind(
    "benchmark",
    "cbam_factor",
    "cross_sectoral_correction_factor",
    "benchmark_period",
    ("price", "certificate_price"),
    benchmarks=True,
)
def _benchmark(frame: pl.LazyFrame, scenario: Scenario, design: Design, given: Given) -> Charged:
    """Benchmark x CBAM factor x CSCF taken off (Reg. 2023/956 Art. 31, IR 2025/2620).

    Column A plus the row's precursor benchmarks with actual values (B under the scenario's
    option), B with defaults; the year's period indexes the benchmark table's periods.
    """
    covered = _covered(design)
    actual = pl.col("_c_see_d").is_not_null()
    column_a = actual & pl.lit(scenario.actual_values_benchmark == "A")
    # Without actual values (or with them priced on B) every row takes column B.
    a_used = given.actual and scenario.actual_values_benchmark == "A"
    n_periods = len(benchmark_periods())

    def in_period(tag: str) -> pl.Expr:
        return _pick(
            pl.col("_c_period_idx"), [pl.col(f"_c_bm_{tag}_{i + 1}") for i in range(n_periods)]
        )

    def by_column(a: pl.Expr, b: pl.Expr) -> pl.Expr:
        return pl.when(column_a).then(a).otherwise(b) if a_used else b

    # The precursors' benchmarks are per t of good; a clinker-based cement's own benchmark
    # (and its quantity) per t of the clinker in it.
    per_clinker = pl.coalesce(pl.col("clinker_share_applied"), pl.lit(1.0))
    precursors = (pl.col("_c_precursor_bm") / per_clinker).fill_null(0.0)
    benchmark = by_column(in_period("a") + precursors, in_period("b"))
    benchmark = (
        pl.when(pl.col("_c_sector").is_in(_no_free_allocation())).then(0.0).otherwise(benchmark)
    )
    route_source = by_column(pl.col("_c_route_source_a"), pl.col("_c_route_source_b"))
    no_route = pl.col("_c_route") == "" if given.route else pl.lit(True)
    assumed_variant = (
        pl.col("_c_has_variants").fill_null(False)
        & ~pl.col("_c_is_aggregate").fill_null(False)
        & no_route
    )
    variant_label = pl.lit("assumed (default variant)", ROUTE_SOURCE_ENUM)
    labelled = pl.when(assumed_variant).then(variant_label).otherwise(route_source)
    if given.actual and scenario.actual_values_route_from_default:
        # Actual values without a route, where the benchmark depends on it: an input error,
        # or under the scenario's option the default value's route, labelled as an assumption.
        assumed_route = (
            actual
            & no_route
            & _routes_differ(scenario).fill_null(False)
            # An aggregate code's benchmark is the mean over its lines of the default's route.
            & route_source.is_in(
                ["default value", "equivalent of default-value route", "aggregate"]
            )
        )
        labelled = (
            pl.when(assumed_route)
            .then(pl.lit(ASSUMED_ROUTE_FOR_ACTUAL, ROUTE_SOURCE_ENUM))
            .when(assumed_variant)
            .then(variant_label)
            .otherwise(route_source)
        )
    frame = frame.with_columns(
        pl.when(covered).then(benchmark).alias("benchmark_t_per_t"),
        pl.when(covered)
        .then(by_column(pl.lit("A", COLUMN_ENUM), pl.lit("B", COLUMN_ENUM)))
        .alias("benchmark_column"),
        pl.when(covered)
        .then(by_column(pl.col("_c_route_a"), pl.col("_c_route_b")))
        .alias("benchmark_route"),
        pl.when(covered).then(labelled).alias("benchmark_route_source"),
        pl.when(covered).then(pl.col("_c_period_label")).alias("benchmark_period"),
    )
    allowance = blocks.free_allocation_adjustment(
        pl.col("_c_qty_scaled"),
        pl.col("benchmark_t_per_t"),
        pl.col("_c_cbam_factor"),
        pl.col("_c_cscf"),
    )
    return _tonnes(frame, design, allowance, pl.col("benchmark_t_per_t"))


def _with_reference(frame: pl.LazyFrame, design: Design) -> pl.LazyFrame:
    """The reference intensity a design compares imports with, and where it comes from."""
    reference = design.charge.reference_intensity
    if reference is None:
        return frame.with_columns(pl.lit(None, pl.String).alias("reference_source"))
    covered = _covered(design)
    ref_see = blocks.default_intensity(
        pl.col("_c_ref_direct"),
        pl.col("_c_ref_indirect"),
        pl.col("_c_ref_total"),
        _counts_indirect(design),
    )
    return frame.with_columns(
        pl.when(covered).then(ref_see).alias("_c_ref_see"),
        pl.when(covered).then(pl.col("_c_ref_label")).alias("reference_source"),
    )


def _tonnes(frame: pl.LazyFrame, design: Design, allowance: pl.Expr, benchmark: pl.Expr) -> Charged:
    """Embedded emissions less the allowance and the relief, never below 0, at the price."""
    covered = _covered(design)
    frame = frame.with_columns(
        pl.when(covered).then(benchmark).alias("benchmark_t_per_t"),
        pl.when(covered).then(allowance).alias("free_allocation_t"),
    ).with_columns(
        # The relief reduces the certificates due after the free allocation, no further
        # (Reg. 2023/956 Art. 9(1)): it is what the price paid abroad takes off the fee.
        pl.when(pl.col("deduction_t").is_not_null())
        .then(
            pl.min_horizontal(
                pl.col("deduction_t"),
                (pl.col("embedded_t") - pl.col("free_allocation_t")).clip(lower_bound=0.0),
            )
        )
        .alias("deduction_t")
    )
    tonnes = blocks.net_charge(
        pl.col("embedded_t"), pl.col("free_allocation_t"), pl.col("deduction_t")
    )
    return frame, tonnes, tonnes * pl.col("_c_price")


@charge_kind("per_tonne", "price", reads=("free_allocation_share",))
def _per_tonne(frame: pl.LazyFrame, scenario: Scenario, design: Design, given: Given) -> Charged:
    """Embedded emissions less a free-allocation share of the sector (UK Finance Act s.149)."""
    share = pl.col("_c_fa_share") if _sectors_joined(design) else pl.lit(0.0)
    allowance = blocks.free_allocation_share(pl.col("embedded_t"), share)
    return _tonnes(frame, design, allowance, pl.lit(None, pl.Float64))


@charge_kind("baseline_intensity", "price", "reference_intensity", "applicable_percentage")
def _baseline_intensity(
    frame: pl.LazyFrame, scenario: Scenario, design: Design, given: Given
) -> Charged:
    """Only the intensity above the reference times a declining percentage (US CCA)."""
    ref, pct = pl.col("_c_ref_see"), pl.col("_c_applicable_pct")
    allowance = blocks.baseline_allowance(pl.col("_c_qty_scaled"), ref, pct)
    return _tonnes(frame, design, allowance, ref * pct)


@charge_kind("ad_valorem_tiers", "reference_intensity", "tiers", customs_value=True)
def _ad_valorem_tiers(
    frame: pl.LazyFrame, scenario: Scenario, design: Design, given: Given
) -> Charged:
    """A tier rate of customs value set by the intensity ratio to the reference (US FPF)."""
    covered = _covered(design)
    tiers = [(t.ratio_above, t.rate) for t in design.charge.tiers or []]
    see = pl.col("see_t_per_t")
    # A true quotient (both are columns), to 9 decimals: intensities are decimals, and one
    # exactly on an edge in decimal (1.7375 / 1.39 = 1.25) stays on it, where the float
    # quotient (1.2500000000000002) would cross to the next tier.
    ratio = pl.when(see <= 0).then(0.0).otherwise((see / pl.col("_c_ref_see")).round(9))
    frame = frame.with_columns(
        pl.when(covered).then(pl.col("_c_ref_see")).alias("benchmark_t_per_t"),
        pl.lit(None, pl.Float64).alias("free_allocation_t"),
        pl.lit(None, pl.Float64).alias("deduction_t"),  # no tonnes to deduct from
    )
    return frame, None, blocks.ad_valorem_tier_rate(ratio, tiers) * _VALUE_LCU


def _carbon_price_paid(
    frame: pl.LazyFrame, scenario: Scenario, design: Design, given: Given
) -> pl.LazyFrame:
    """Art. 9: certificates deducted = embedded x price paid abroad / certificate price.

    The row's certified price wins over the table or path; under the gross-fee option it is
    kept for the record but not deducted.
    """
    covered = _covered(design)
    options = scenario.carbon_price_abroad
    gross_fee = options.source == "none" and not options.path
    relief = design.carbon_price_relief
    # Without the input column no row gives its own price.
    by_row = given.price_paid and not (gross_fee and relief)
    row_price = pl.col("_c_cp_row") if by_row else pl.lit(None, pl.Float64)
    paid = pl.coalesce(*([row_price] if by_row else []), pl.col("_c_price_eur"), pl.lit(0.0))
    if not relief:
        deduction: pl.Expr = pl.lit(0.0)
        source: pl.Expr = pl.lit(f"{NO_RELIEF_SOURCE}no relief in {design.name})", LABEL)
    else:
        deduction = blocks.carbon_price_deduction(
            pl.col("embedded_t"), paid, pl.col("certificate_price_eur")
        )
        table = pl.coalesce(pl.col("_c_source"), pl.lit("none found", LABEL))
        source = (
            pl.lit(f"{NO_RELIEF_SOURCE}scenario: gross fee)", LABEL)
            if gross_fee
            else pl.when(row_price.is_not_null()).then(pl.lit("row", LABEL)).otherwise(table)
            if by_row
            else table
        )
    kept = paid
    if gross_fee and relief and given.price_paid:
        kept = pl.coalesce(pl.col("_c_cp_row"), paid)
    # A row the regime does not charge keeps the price it gives (nothing reads it).
    untouched = pl.col("_c_cp_row") if given.price_paid else pl.lit(None, pl.Float64)
    return frame.with_columns(
        # The input column of the same name stays untouched until the final selection.
        pl.when(covered).then(kept).otherwise(untouched).alias("_c_cp_out"),
        pl.when(covered).then(source).alias("carbon_price_source"),
        pl.when(covered).then(deduction).alias("deduction_t"),
    )


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

    Only a row above ``row_cap`` undercounts the exact sum; such totals are far above any
    threshold.
    """
    capped = blocks.importer_total(
        (amount.fill_nan(0.0) > config.exact_sums().row_cap).cast(pl.Int32), importer, year
    )
    return (
        pl.when(capped > 0)
        .then(blocks.importer_total(amount, importer, year))
        .otherwise(blocks.from_units(units, _decimals(basis)))
    )


def _threshold(
    frame: pl.LazyFrame, schema: Mapping[str, pl.DataType], scenario: Scenario, design: Design
) -> pl.LazyFrame:
    """Per-importer annual threshold status (mass or customs value), exact in any row order."""
    labels = THRESHOLD_ENUM
    threshold = design.threshold
    covered = _covered(design)
    total: pl.Expr = pl.lit(None, pl.Float64)
    status: pl.Expr
    if threshold is None:
        status = pl.when(covered).then(pl.lit("none (regime has no threshold)", labels))
    elif not scenario.de_minimis:
        status = pl.when(covered).then(pl.lit("off (scenario)", labels))
    else:
        # Rows outside the regime (excluded origin or destination) or flagged have no threshold
        # status; the threshold's own exclusion (electricity, hydrogen) is named. Flagged rows
        # include those with an invalid mass: a count of only valid tonnage.
        applies = covered & pl.col("_c_excluded").is_null() & ~pl.col("_c_flagged")
        not_counted = pl.col("_c_sector").is_in(threshold.excluded_sectors)
        named = (
            pl.when(~applies)
            .then(pl.lit(None, labels))
            .when(not_counted)
            .then(pl.lit(threshold.not_counted, labels))
        )
        # Only valid tonnage of goods inside the regime counts.
        counted = applies & ~not_counted
        if "importer" not in schema:
            status = named.otherwise(pl.lit("not applied (no importer)", labels))
        else:
            importer = pl.col("_c_importer")
            year, limit_of = pl.col("_c_year"), pl.col("_c_threshold")
            mass = pl.when(counted & importer.is_not_null()).then(pl.col("_c_qty")).otherwise(0.0)
            grams, mass_limit = exact_sum_and_limit(mass, importer, year, limit_of, "mass")
            total = pl.when(covered & importer.is_not_null()).then(
                exact_total(grams, mass, importer, year, "mass")
            )
            missing: pl.Expr = pl.lit(False)
            basis, limit = grams, mass_limit
            if threshold.basis == "value":
                value = pl.when(counted).then(_VALUE_LCU).otherwise(0.0).fill_null(0.0)
                basis, limit = exact_sum_and_limit(value, importer, year, limit_of, "value")
                no_value = (counted & pl.col("_c_value").is_null()).cast(pl.Int32)
                missing = blocks.importer_total(no_value, importer, year) > 0
            status = (
                named.when(importer.is_null())
                .then(pl.lit("not applied (no importer)", labels))
                .when(missing)
                .then(pl.lit("not applied (customs value missing)", labels))
                .when(basis <= limit)
                .then(pl.lit(EXEMPT, labels))
                .otherwise(pl.lit("liable (importer above threshold)", labels))
            )
    return _relief(frame, scenario, status, total)


def _relief(
    frame: pl.LazyFrame, scenario: Scenario, status: pl.Expr, total: pl.Expr
) -> pl.LazyFrame:
    """Add the threshold status and importer total, and whether the scenario's relief applies.

    The origin's share of a code's imports is computed where a relief rule has an import-share
    threshold, from masses summed in whole grams and compared with the threshold exactly
    (origin x 10^6 < share in millionths x market; ``rates/eu/exact_sums.yaml``).
    """
    sums = config.exact_sums()
    import_share: pl.Expr = pl.lit(None, pl.Float64)
    below_share: pl.Expr = pl.lit(True)
    if any(rule.max_import_share is not None for rule in scenario.exemptions):
        by_code = [pl.col("_c_year"), pl.col("_c_cn")]
        # A code's imports are the regime's: rows imported into another country, and rows of
        # a home origin or an excluded one (EU goods within the EU), are none.
        imported = ~pl.col("_c_flagged") & ~pl.col("_c_elsewhere") & pl.col("_c_excluded").is_null()
        mass = pl.when(imported).then(pl.col("_c_qty")).otherwise(0.0)
        grams = blocks.exact_units(mass, sums.mass_decimals, sums.row_cap)
        market = grams.sum().over(by_code)
        own = grams.sum().over([*by_code, pl.col("_c_origin")])
        # A row that is no import of the regime's has no share of its imports.
        import_share = pl.when(imported & (market > 0)).then(
            own.cast(pl.Float64) / market.cast(pl.Float64)
        )
        limit = blocks.exact_units(pl.col("_c_relief_max_share"), sums.share_decimals, 1.0)
        scale = pl.lit(10**sums.share_decimals, pl.Int128)
        # With no imports of the code in the year the share is 0: below any positive limit.
        below_share = pl.when(market > 0).then(own * scale < limit * market).otherwise(limit > 0)
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


def _gross(
    frame: pl.LazyFrame, design: Design, tonnes: pl.Expr | None, gross_lcu: pl.Expr
) -> pl.LazyFrame:
    """The certificates and fee (in the regime's currency and in EUR) of a row charged in full."""
    covered = _covered(design)
    gross_t = pl.lit(None, pl.Float64) if tonnes is None else tonnes
    return frame.with_columns(
        pl.when(covered).then(gross_t).alias("_c_gross_t"),
        pl.when(covered).then(gross_lcu).otherwise(0.0).alias("_c_gross_lcu"),
    ).with_columns(
        (pl.col("_c_gross_lcu") * pl.col("_c_fx").fill_null(1.0)).alias("fee_before_exemptions_eur")
    )


def _fees(frame: pl.LazyFrame, design: Design, tonnes: pl.Expr | None) -> pl.LazyFrame:
    """Exemption reason and share charged, then certificates and fees in both currencies."""
    covered = _covered(design)
    threshold = design.threshold
    below = (
        ""
        if threshold is None
        # Not the description: it may quote an amount that an override has changed.
        else threshold.reason
        or f"below the {design.name} threshold (importer's annual "
        f"{'customs value' if threshold.basis == 'value' else 'mass'} at or below it)"
    )
    exempt_below = pl.col("de_minimis") == EXEMPT
    frame = frame.with_columns(
        # Imported elsewhere first: such a row is no import of the regime's, whatever its good
        # (reports leave it out of every total by this reason).
        pl.when(pl.col("_c_elsewhere"))
        .then(pl.col("_c_excluded"))
        .when(pl.col("_c_sector").is_null())
        .then(pl.lit(NOT_COVERED, LABEL))
        .when(~covered)
        .then(pl.lit(f"sector not covered by {design.name}", LABEL))
        .when(pl.col("_c_excluded").is_not_null())
        .then(pl.col("_c_excluded"))
        .when(exempt_below)
        .then(pl.lit(below, LABEL))
        .when(pl.col("_c_relief_applies"))
        .then(pl.col("_c_relief"))
        .alias("exemption_reason"),
        pl.when(~covered | pl.col("_c_excluded").is_not_null() | exempt_below)
        .then(0.0)
        .when(pl.col("_c_relief_applies"))
        .then(pl.col("_c_relief_share"))
        .otherwise(1.0)
        .alias("fee_share_charged"),
    )
    ave = pl.col("fee_eur") / pl.col("_c_value")
    none_charged = pl.lit(0.0) if tonnes is not None else pl.when(covered).then(None).otherwise(0.0)
    share = pl.col("fee_share_charged")
    frame = frame.with_columns(
        (share == 0.0).alias("exempt"),
        pl.when(share == 0.0)
        .then(none_charged)
        .otherwise(pl.col("_c_gross_t") * share)
        .alias("certificates"),
        pl.when(share == 0.0)
        .then(0.0)
        .otherwise(pl.col("_c_gross_lcu") * share)
        .alias("fee_local"),
    )
    return frame.with_columns(
        pl.when(share == 0.0)
        .then(0.0)
        .otherwise(pl.col("fee_before_exemptions_eur") * share)
        .alias("fee_eur"),
    ).with_columns(
        # A customs value too small for the ratio (1e-320) has none, as summarise finds none.
        pl.when((pl.col("_c_value") > 0) & ave.is_finite()).then(ave).alias("ave"),
    )


_BENCHMARK_LABELS = {
    "benchmark_period": LABEL,
    "benchmark_column": COLUMN_ENUM,
    "benchmark_route": ROUTE_ENUM,
    "benchmark_route_source": ROUTE_SOURCE_ENUM,
}


def plan(lf: pl.LazyFrame, schema: Mapping[str, pl.DataType], scenario: Scenario) -> Plan:
    """Attach the regime's tables to the normalised rows and compute every output column.

    Keyed rows gather lookups resolved per distinct key, others join them; both agree.
    """
    design = regime(scenario)
    lookups = lookups_for(scenario)
    frame = lf.with_columns(*period_keys(scenario))
    keyed = (
        _keyed(lf, frame, schema, scenario, lookups, design)
        if keyed_path_applies(schema, scenario)
        else None
    )
    frame = _joined(frame, schema, scenario, lookups, design) if keyed is None else keyed.frame
    elsewhere = pl.lit(False)
    if design.territory is not None and "destination" in schema:
        # A row imported into another country is outside the regime (cbam/_territory.py).
        elsewhere = outside(design.territory, design.first_rules_year, design.last_rules_year)
        frame = frame.with_columns(
            pl.when(elsewhere)
            .then(pl.lit(design.territory.reason, LABEL))
            .otherwise(pl.col("_c_excluded"))
            .alias("_c_excluded")
        )
    frame = frame.with_columns(elsewhere.alias("_c_elsewhere"))
    covered = _covered(design)
    given = Given.of(schema)
    frame = _emissions(frame, design, given).with_columns(
        pl.when(covered).then(pl.col("_c_price") * pl.col("_c_fx")).alias("certificate_price_eur"),
        pl.when(covered).then(pl.col("_c_period")).alias("certificate_price_period"),
        # Set by a benchmark charge only.
        *(pl.lit(None, dtype).alias(name) for name, dtype in _BENCHMARK_LABELS.items()),
    )
    frame = _carbon_price_paid(_with_reference(frame, design), scenario, design, given)
    frame, tonnes, gross_lcu = CHARGES[design.charge.kind](frame, scenario, design, given)
    checks = [*number_checks(schema), *_checks(schema, scenario, design)]
    checks = checks if keyed is None else keyed.localise(checks)
    # The gross fee, before any share is charged, tells an overflow before the thresholds.
    frame = _gross(frame, design, tonnes, gross_lcu)
    amounts = ("_c_qty", "_c_see_d", "_c_see_i", "_c_clinker")
    benchmark = design.charge.reads_benchmarks
    overflow = overflow_check(schema, (*amounts, "_c_precursor_bm" if benchmark else "_c_value"))
    # A row flagged in lenient mode counts towards no threshold or import share (as its mass
    # counts in no summary).
    earlier = pl.any_horizontal(c.failed.fill_null(False) for c in checks)
    failed = earlier | overflow.failed.fill_null(False)
    # An overflow is told only where no other check explains it: a clinker share so small
    # that the precursor it divides is infinite is the share's fault, not the quantity's.
    checks.append(replace(overflow, failed=overflow.failed & ~earlier))
    frame = _threshold(frame.with_columns(failed.alias("_c_flagged")), schema, scenario, design)
    frame = _fees(frame, design, tonnes)
    # The rows read the checks once: ``compute`` asks the same column whether any failed.
    engine: Literal["in-memory", "streaming"] = "in-memory" if keyed is None else "streaming"
    return Plan(frame, checks, pl.col("_c_flagged"), engine=engine)


# --- Checks --------------------------------------------------------------------------------


# Every amount a row's fee is built from, each finite for a row that is not flagged.
_OVERFLOW_AMOUNTS = ("embedded_t", "free_allocation_t", "deduction_t", "_c_gross_t")


def overflow_check(schema: Mapping[str, pl.DataType], inputs: Sequence[str]) -> Check:
    """A fee that overflows to infinity, naming the largest amount it multiplies.

    Only where every numeric input is finite: bad inputs have their own checks.
    """
    column, shown = overflow_culprit(schema, inputs)
    # An absent input is null: finite as far as this check goes.
    present = [c for c in inputs if PUBLIC_NAMES.get(c, c) in schema]
    # Read before any threshold or share (``_gross``), so that such a row counts in none.
    return Check(
        "quantity_t",
        "too large: the fee or its emissions are not a finite number",
        pl.all_horizontal(pl.col(c).is_finite().fill_null(True) for c in present)
        & ~(
            pl.col("fee_before_exemptions_eur").is_finite()
            # An ad valorem fee is finite where its emissions are not (US FPF), and a fee of 0
            # where an allowance of 1e308 t overflows (free allocation above the emissions):
            # flagged too.
            & pl.all_horizontal(pl.col(_OVERFLOW_AMOUNTS).is_finite().fill_null(True))
        ),
        shown,
        column_of=column,
    )


def key_checks(schema: Mapping[str, pl.DataType]) -> list[Check]:
    """Row checks of the goods layer every regime shares (origins, codes, routes, halves)."""
    shown = partial(value_shown, schema=schema)
    cn, origin, route = pl.col("_c_cn"), pl.col("_c_origin"), pl.col("_c_route")
    well_formed = cn_well_formed(cn)
    markers = list(config.sectors().route_markers)
    of_sector = pl.lit(False)
    for sector, rules in config.sectors().sectors.items():
        of_sector = of_sector | ((pl.col("_c_sector") == sector) & route.is_in(rules.routes))
    iso3 = sorted(iso3_codes())
    clinker = ", ".join(sorted(config.clinker_shares().headings))
    checks = [
        Check("origin", "missing", origin.fill_null("") == "", shown("origin")),
        Check(
            "origin",
            "unknown ISO 3166-1 alpha-3 code",
            (origin.fill_null("") != "") & ~origin.is_in(iso3),
            shown("origin"),
        ),
        Check(
            "destination",
            f"unknown ISO 3166-1 alpha-3 code ({UNION}: the EU as one importer)",
            (pl.col("_c_dest") != "") & ~pl.col("_c_dest").is_in([*iso3, UNION]),
            shown("destination"),
        ),
        Check("cn_code", "missing", cn.fill_null("") == "", shown("cn_code")),
        Check(
            "cn_code",
            f"malformed CN code ({CN_FORM})",
            (cn.fill_null("") != "") & ~well_formed,
            shown("cn_code"),
        ),
        Check(
            "cn_code",
            "not a current CN code, though under a wholly covered Annex I entry (retired, "
            "of another HS or CN edition, a national tariff line such as a US HTS code, or a "
            "typo; every regime reads EU CN8 or HS6 codes)",
            well_formed
            & pl.col("_c_sector").is_null()
            & pl.col("_c_sectors").is_null()
            & (entry_covering(cn, annex_i_entries()) == "all"),
            shown("cn_code"),
        ),
        Check(
            "cn_code",
            "code spans several CBAM sectors; give a more specific code",
            pl.col("_c_sector").is_null() & pl.col("_c_sectors").is_not_null(),
            shown("cn_code"),
        ),
        Check(
            "route",
            f"unknown production route marker (known: {', '.join(markers)})",
            (route != "") & ~route.is_in(markers),
            shown("route"),
        ),
        Check(
            "route",
            "not a production route of this good's sector",
            pl.col("_c_sector").is_not_null() & route.is_in(markers) & ~of_sector,
            shown("route"),
        ),
        Check(
            "see_indirect",
            "given without see_direct",
            pl.col("_c_see_i").is_not_null() & pl.col("_c_see_d").is_null(),
            shown("see_indirect"),
        ),
        Check(
            "clinker_share",
            f"applies only to the clinker-based cement CN8 headings ({clinker})",
            pl.col("_c_clinker").is_not_null() & ~pl.col("_c_clinker_basis").fill_null(False),
            shown("cn_code"),
        ),
        *(
            Check(
                "clinker_share",
                f"{code} has no other share than {fixed.value:g}: {fixed.reference.title}",
                (cn == code) & (pl.col("_c_clinker") != fixed.value),
                shown("clinker_share"),
            )
            for code, fixed in config.clinker_shares().fixed().items()
        ),
    ]
    # An absent optional input is a constant ('' or null) its checks cannot fail on.
    return [c for c in checks if c.column in REQUIRED_COLUMNS or c.column in schema]


def _route_missing(schema: Mapping[str, pl.DataType], scenario: Scenario) -> list[Check]:
    """Actual values without a route where the benchmark depends on it (IR 2025/2620).

    Only the row's route applies to verified actual values; the scenario's option waives it.
    """
    if scenario.actual_values_route_from_default or "see_direct" not in schema:
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


def _checks(schema: Mapping[str, pl.DataType], scenario: Scenario, design: Design) -> list[Check]:
    """Row checks under a regime, in the order of the messages of a row failing several.

    All but the overflow check, which reads the fee: these decide which rows are flagged
    before any amount is summed for a threshold.
    """
    shown = partial(value_shown, schema=schema)
    covered = _covered(design)
    actual = pl.col("_c_see_d").is_not_null()
    liable = covered & pl.col("_c_excluded").is_null()
    first, last = design.first_rules_year, design.last_rules_year
    in_rules = pl.col("rules_year").is_between(first, last)
    no_price = in_rules & pl.col("_c_price").is_null()
    year = pl.col("rules_year").cast(pl.String)
    charge, emissions = design.charge, design.emissions
    benchmark = charge.reads_benchmarks
    defaults = pl.col("_c_markup" if emissions.published_defaults is None else "_c_markup_idx")
    indirect = (
        "this good counts indirect emissions (cement, fertilisers, and 2601 12 00, which Annex "
        "II of Reg. 2023/956 does not list): give both actual values"
        if emissions.indirect_sectors is None
        else f"{design.name} counts indirect emissions of this sector in this year, give both "
        "actual values"
    )
    checks = [
        Check(
            "year",
            f"no rules for this year ({design.name} applies from {first}; set the scenario's "
            "rules_year (or pass --rules-year) to apply one year's rules to every row)",
            pl.col("_c_year").is_not_null() & ~in_rules,
            shown("year"),
        )
    ]
    if benchmark:
        factors = pl.col("_c_cbam_factor").is_null() | pl.col("_c_cscf").is_null()
        message = "the scenario gives no CBAM factor (or CSCF) for this rules year"
        checks.append(Check("cbam_factor", message, in_rules & factors, year))
    if scenario.certificate_price_eur is not None:
        message = "the scenario gives no certificate price for this rules year"
        checks.append(Check("certificate_price_eur", message, no_price, year))
    elif charge.price is not None or charge.certificate_price is not None:
        checks.append(
            Check("year", f"{design.name} gives no price for this rules year", no_price, year)
        )
    keys = [*key_checks(schema), *(_route_missing(schema, scenario) if benchmark else [])]
    # A row whose route is refused has no default value, benchmark or reference of that
    # route to look up: told once, as the route's fault, not three times.
    routes = [c.failed.fill_null(False) for c in keys if c.column == "route"]
    looked_up = liable & ~pl.any_horizontal(routes) if routes else liable
    checks += [
        *keys,
        *(
            [
                Check(
                    "see_indirect",
                    f"missing: {indirect}",
                    covered & actual & _counts_indirect(design) & pl.col("_c_see_i").is_null(),
                    shown("cn_code"),
                )
            ]
            if "see_direct" in schema
            else []
        ),
        Check(
            "see_direct",
            "no default value for this CN code and origin: give verified actual values",
            (looked_up & ~actual if "see_direct" in schema else looked_up)
            & pl.col("see_t_per_t").is_null()
            & defaults.is_not_null(),
            pl.concat_str([pl.col("_c_origin"), pl.col("_c_cn")], separator=" "),
        ),
    ]
    precursor = pl.col("_c_precursor_bm").is_not_null()
    if benchmark:
        no_benchmark = pl.col("benchmark_t_per_t").is_null() & pl.col("_c_period_idx").is_not_null()
        checks += [
            Check(
                "cn_code",
                "no CBAM benchmark for this CN code",
                looked_up & no_benchmark,
                shown("cn_code"),
            ),
            Check(
                "precursor_benchmark_t_per_t",
                "applies only to rows with actual values priced on the column-A benchmark",
                precursor & (pl.col("benchmark_column") != "A"),
                shown("precursor_benchmark_t_per_t"),
            ),
            Check(
                "precursor_benchmark_t_per_t",
                "applies only to goods with free allocation (this sector has none)",
                precursor & pl.col("_c_sector").is_in(_no_free_allocation()),
                shown("precursor_benchmark_t_per_t"),
            ),
            Check(
                "clinker_share",
                "too small for the row's precursor benchmark, which it divides (per t of "
                "clinker): not a finite number",
                precursor & (pl.col("_c_precursor_bm") / pl.col("_c_clinker")).is_infinite(),
                shown("clinker_share"),
            ),
        ]
    else:
        message = "applies only to the EU engine's column-A benchmark"
        shown_bm = shown("precursor_benchmark_t_per_t")
        checks.append(Check("precursor_benchmark_t_per_t", message, precursor, shown_bm))
    if "precursor_benchmark_t_per_t" not in schema:
        # Without the column no row has a precursor benchmark to misplace.
        checks = [c for c in checks if c.column != "precursor_benchmark_t_per_t"]
    reference = charge.reference_intensity
    if reference is not None:
        message = (
            f"no reference intensity for this CN code in {design.name} ({reference.description})"
        )
        no_reference = pl.col("_c_ref_see").is_null() & defaults.is_not_null()
        checks.append(Check("cn_code", message, looked_up & no_reference, shown("cn_code")))
    if charge.charges_value:
        message = f"missing: the {design.name} charge is a share of customs value"
        no_value = liable & pl.col("_c_value").is_null() & in_rules
        checks.append(Check("value_eur", message, no_value, shown("value_eur")))
    return checks
