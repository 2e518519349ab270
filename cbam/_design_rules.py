"""A regime design (``cbam._design.Design``) as a Polars plan, assembled from ``cbam.blocks``.

Per row, in the design's currency and then in EUR:

* embedded_t = quantity x clinker share x SEE in the design's scope (actual values on the row,
  else the EU default values of IR 2025/2621 times the design's mark-up);
* per_tonne: certificates = max(0, embedded - embedded x free-allocation share - deduction),
  fee = certificates x price;
* baseline_intensity: certificates = max(0, embedded - quantity x reference x applicable
  percentage - deduction), fee = certificates x price;
* ad_valorem_tiers: fee = customs value x the tier rate of SEE / reference SEE;
* then thresholds, exclusions and the scenario's exemptions, as in the EU engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from statistics import fmean

import polars as pl

from cbam import blocks
from cbam._carbon_prices import fx_by_year, price_table
from cbam._design import Design
from cbam._eu.reference import OTHER, SECTORS
from cbam._eu.rules import (
    FIRST_GROUP_YEAR,
    NOT_COVERED,
    SCENARIO_TABLES,
    EuPlan,
    dv_origin,
    exact_sum_and_limit,
    exact_total,
    internal,
    key_checks,
    lookups_for,
    overflow_check,
    period_keys,
    scenario_table,
    variant,
    with_threshold_and_relief,
)
from cbam._exemptions import excluded_origins, relief_table
from cbam._parameters import DatedParameter
from cbam._resolve import resolve
from cbam._scenario import Scenario
from cbam._schema import (
    CLINKER_SOURCE_ENUM,
    COLUMN_ENUM,
    INTENSITY_SOURCE_ENUM,
    LABEL,
    ROUTE_ENUM,
    ROUTE_SOURCE_ENUM,
    SECTOR_ENUM,
    THRESHOLD_ENUM,
    Check,
    value_shown,
)
from cbam._territory import outside

EXEMPT = "exempt (importer at or below threshold)"
_QUARTER_START = {1: 1, 2: 4, 3: 7, 4: 10}


def _price_rows(param: DatedParameter[float], year: int) -> list[dict[str, object]]:
    """Price and label per quarter key of ``year``.

    Quarters 1-4 take the value in force on the quarter's first day; key 0 (no quarter on the
    row) the mean of the four.
    """
    rows: list[dict[str, object]] = []
    quarters = {q: param.on(dt.date(year, m, 1)) for q, m in _QUARTER_START.items()}
    for q, item in quarters.items():
        label = None if item is None else f"{year}-Q{q}" + (" (assumed)" if item.assumption else "")
        rows.append({"q": q, "price": None if item is None else item.value, "period": label})
    known = [item for item in quarters.values() if item is not None]
    if len(known) == 4:
        assumed = " (assumed)" if any(item.assumption for item in known) else ""
        rows.append(
            {
                "q": 0,
                "price": fmean(item.value for item in known),
                "period": f"{year} mean of quarters{assumed}",
            }
        )
    else:
        rows.append({"q": 0, "price": None, "period": None})
    return rows


def year_table(design: Design) -> pl.DataFrame:
    """(rules year, quarter key) -> price, FX, applicable percentage, mark-up, threshold."""
    years = range(design.first_rules_year, design.last_rules_year + 1)
    fx = fx_by_year(years).filter(pl.col("currency") == design.currency)
    charge = design.charge
    rows: list[dict[str, object]] = []
    for year in years:
        day = dt.date(year, 1, 1)
        pct = (
            None if charge.applicable_percentage is None else charge.applicable_percentage.on(day)
        )
        markup = design.emissions.defaults_markup.on(day)
        limit = None if design.threshold is None else design.threshold.amount.on(day)
        prices = (
            _price_rows(charge.price, year)
            if charge.price is not None
            else [{"q": q, "price": None, "period": None} for q in range(5)]
        )
        for price in prices:
            rows.append(
                {
                    "year": year,
                    **price,
                    "applicable_pct": None if pct is None else pct.value,
                    "markup": None if markup is None else markup.value,
                    "threshold": None if limit is None else limit.value,
                }
            )
    schema = {
        "year": pl.Int32,
        "q": pl.Int32,
        "price": pl.Float64,
        "period": pl.String,
        "applicable_pct": pl.Float64,
        "markup": pl.Float64,
        "threshold": pl.Float64,
    }
    table = pl.DataFrame(rows, schema=schema, orient="row")
    return table.join(
        fx.select(pl.col("year").cast(pl.Int32), pl.col("eur_per_unit").alias("fx")),
        on="year",
        how="left",
    ).with_columns(pl.col("period").cast(LABEL))


def sector_table(design: Design) -> pl.DataFrame:
    """(sector, rules year) -> whether indirect emissions count, free-allocation share."""
    rows = []
    for year in range(design.first_rules_year, design.last_rules_year + 1):
        day = dt.date(year, 1, 1)
        indirect = design.emissions.indirect_sectors.on(day)
        shares = design.charge.free_allocation_share
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
    return pl.DataFrame(
        rows,
        schema={
            "sector": pl.String,
            "year": pl.Int32,
            "design_indirect": pl.Boolean,
            "fa_share": pl.Float64,
        },
    )


def origin_table(design: Design, scenario: Scenario) -> pl.DataFrame:
    """(origin, year) -> exclusion reason (home or excluded group) and the scenario's relief.

    The excluded groups are the scenario's ``excluded_origin_groups``, else the design's, as
    in the EU engine (``excluded_origins``).
    """
    reasons = {group: spec.reason for group, spec in design.excluded_origin_groups.items()}
    rows = []
    for year in range(FIRST_GROUP_YEAR, design.last_rules_year + 1):
        seen: set[str] = set()
        for iso3 in design.home_origins:
            rows.append({"origin": iso3, "year": year, "excluded": f"domestic ({design.name})"})
            seen.add(iso3)
        if year < design.first_rules_year:
            continue
        for iso3, reason in excluded_origins(resolve(scenario).origin_groups, reasons, year, seen):
            rows.append({"origin": iso3, "year": year, "excluded": reason})
    excluded = pl.DataFrame(
        rows, schema={"origin": pl.String, "year": pl.Int32, "excluded": pl.String}
    )
    base_dir = Path(scenario.source).parent if scenario.source else None
    years = range(FIRST_GROUP_YEAR, design.last_rules_year + 1)
    relief = relief_table(list(scenario.exemptions), years, base_dir).rename(
        {"reason": "relief", "share": "relief_share", "max_import_share": "relief_max_share"}
    )
    return excluded.join(relief, on=["origin", "year"], how="full", coalesce=True)


def _design(scenario: Scenario) -> Design:
    design = resolve(scenario).design
    if design is None:  # pragma: no cover - compute dispatches EU scenarios elsewhere
        raise ValueError(f"scenario '{scenario.name}' has no design regime")
    return design


def carbon_price_table(scenario: Scenario) -> pl.DataFrame:
    """(origin, sector, rules year) -> price paid abroad in EUR, under the scenario's options."""
    design = _design(scenario)
    years = range(design.first_rules_year, design.last_rules_year + 1)
    return price_table(scenario.carbon_price_abroad, list(SECTORS), years).with_columns(
        pl.col("source").cast(LABEL)
    )


# Built once per distinct scenario and kept, beside the EU engine's tables.
SCENARIO_TABLES.update(
    {
        "design_years": lambda s: year_table(_design(s)),
        "design_sectors": lambda s: sector_table(_design(s)),
        "design_origins": lambda s: origin_table(_design(s), s),
        "design_carbon_prices": carbon_price_table,
    }
)


def _join(frame: pl.LazyFrame, table: pl.LazyFrame, on: list[str]) -> pl.LazyFrame:
    # A column both sides hold would come back suffixed and the rules would read the wrong one.
    clash = (set(table.collect_schema().names()) - set(on)) & set(frame.collect_schema().names())
    if clash:  # pragma: no cover - a programming error, caught by the golden tests
        raise RuntimeError(f"lookup columns {sorted(clash)} already on the frame")
    return frame.join(table, on=on, how="left", maintain_order="left", validate="m:1")


def plan(lf: pl.LazyFrame, schema: Mapping[str, pl.DataType], scenario: Scenario) -> EuPlan:
    """Join the normalised rows to the design's tables and compute every output column."""
    design = _design(scenario)
    lookups = lookups_for(scenario)
    charge = design.charge
    dv_origins = list(lookups.dv_origins)
    frame = lf.with_columns(*period_keys(scenario), dv_origin(lookups))
    years = scenario_table("design_years", scenario)
    frame = _join(
        frame, internal(years, {"year": "rules_year", "q": "_c_q"}), ["rules_year", "_c_q"]
    )
    origins = scenario_table("design_origins", scenario)
    frame = _join(
        frame,
        internal(
            origins.select("origin", "year", "excluded").drop_nulls("excluded"),
            {"origin": "_c_origin", "year": "rules_year"},
        ),
        ["_c_origin", "rules_year"],
    )
    if design.territory is not None and "destination" in schema:
        # A row imported into another country is outside the design (cbam/_territory.py).
        elsewhere = outside(design.territory, design.first_rules_year, design.last_rules_year)
        frame = frame.with_columns(
            pl.when(elsewhere)
            .then(pl.lit(design.territory.reason))
            .otherwise(pl.col("_c_excluded"))
            .alias("_c_excluded")
        )
    status_year = "_c_year" if scenario.exemption_status_year == "import" else "rules_year"
    frame = _join(
        frame,
        internal(
            origins.drop("excluded").drop_nulls("relief"),
            {"origin": "_c_origin", "year": status_year},
        ),
        ["_c_origin", status_year],
    )
    goods = lookups.goods.with_columns(pl.col("sector").cast(pl.String))
    frame = _join(frame, internal(goods, {"cn_key": "_c_cn"}), ["_c_cn"])
    frame = frame.with_columns(variant())
    sectors = scenario_table("design_sectors", scenario)
    frame = _join(
        frame,
        internal(sectors, {"sector": "_c_sector", "year": "rules_year"}),
        ["_c_sector", "rules_year"],
    )
    keys = {"dv_origin": "_c_dv_origin", "cn_key": "_c_cn", "variant_key": "_c_variant"}
    intensity = lookups.intensity.select(
        "dv_origin", "cn_key", "variant_key", "direct", "indirect", "intensity_source", "heading_id"
    )
    frame = _join(frame, internal(intensity, keys), list(keys.values()))
    reference = charge.reference_intensity
    if reference is not None:
        stand_in = reference.origin if reference.origin in dv_origins else OTHER
        ref = intensity.filter(pl.col("dv_origin") == stand_in).select(
            "cn_key",
            "variant_key",
            pl.col("direct").alias("ref_direct"),
            pl.col("indirect").alias("ref_indirect"),
            pl.col("intensity_source").cast(pl.String).alias("ref_layer"),
        )
        frame = _join(
            frame,
            internal(ref, {"cn_key": "_c_cn", "variant_key": "_c_variant"}),
            ["_c_cn", "_c_variant"],
        )
    carbon = scenario_table("design_carbon_prices", scenario)
    frame = _join(
        frame,
        internal(carbon, {"origin": "_c_origin", "sector": "_c_sector", "year": "rules_year"}),
        ["_c_origin", "_c_sector", "rules_year"],
    )
    frame = _charge(frame, schema, scenario, design)
    return EuPlan(frame, _checks(schema, design))


def _charge(
    frame: pl.LazyFrame, schema: Mapping[str, pl.DataType], scenario: Scenario, design: Design
) -> pl.LazyFrame:
    charge = design.charge
    cbam_good = pl.col("_c_sector").is_not_null()
    covered = cbam_good & pl.col("_c_sector").is_in(design.sectors)
    actual = pl.col("_c_see_d").is_not_null()
    counts_indirect = pl.col("_c_design_indirect").fill_null(False)
    default_see = blocks.scoped_intensity(
        pl.col("_c_direct"), pl.col("_c_indirect"), counts_indirect
    ) * pl.col("_c_markup")
    see = (
        pl.when(actual)
        .then(blocks.scoped_intensity(pl.col("_c_see_d"), pl.col("_c_see_i"), counts_indirect))
        .otherwise(default_see)
    )
    clinker_basis = pl.col("_c_clinker_basis").fill_null(False)
    clinker = pl.when(clinker_basis).then(
        pl.coalesce(pl.col("_c_clinker"), pl.col("_c_default_clinker_share"))
    )
    scale = pl.coalesce(clinker, pl.lit(1.0))
    qty = pl.col("_c_qty")
    reference = charge.reference_intensity
    ref_see: pl.Expr = pl.lit(None, pl.Float64)
    ref_label: pl.Expr = pl.lit(None, pl.String)
    if reference is not None:
        ref_see = blocks.scoped_intensity(
            pl.col("_c_ref_direct"), pl.col("_c_ref_indirect"), counts_indirect
        )
        assumed = " (assumption)" if reference.assumption else ""
        ref_label = pl.concat_str(
            [
                pl.lit(f"{reference.description}: EU default values for {reference.origin} "),
                pl.lit("("),
                pl.col("_c_ref_layer"),
                pl.lit(f"), IR 2025/2621 without mark-up{assumed}"),
            ]
        )
    price_eur = pl.col("_c_price") * pl.col("_c_fx")
    frame = frame.with_columns(
        pl.col("_c_sector").cast(SECTOR_ENUM).alias("sector"),
        pl.when(covered)
        .then(
            pl.when(actual)
            .then(pl.lit("actual", INTENSITY_SOURCE_ENUM))
            .otherwise(pl.col("_c_intensity_source"))
        )
        .alias("intensity_source"),
        pl.when(covered).then(see).alias("see_t_per_t"),
        pl.when(covered).then(clinker).alias("clinker_share_applied"),
        pl.when(covered & clinker_basis)
        .then(
            pl.when(pl.col("_c_clinker").is_not_null())
            .then(pl.lit("row", CLINKER_SOURCE_ENUM))
            .otherwise(pl.lit("scenario default", CLINKER_SOURCE_ENUM))
        )
        .alias("clinker_share_source"),
        pl.when(covered & ~actual).then(pl.col("_c_heading_id")).alias("default_value_heading"),
        pl.when(covered).then(ref_see).alias("_c_ref_see"),
        pl.when(covered).then(ref_label).alias("reference_source"),
        pl.lit(None, LABEL).alias("benchmark_period"),
        pl.lit(None, COLUMN_ENUM).alias("benchmark_column"),
        pl.lit(None, ROUTE_ENUM).alias("benchmark_route"),
        pl.lit(None, ROUTE_SOURCE_ENUM).alias("benchmark_route_source"),
        pl.lit(None, pl.Float64).alias("cbam_factor"),
        pl.lit(None, pl.Float64).alias("cross_sectoral_correction_factor"),
        pl.when(covered).then(price_eur).alias("certificate_price_eur"),
        pl.when(covered).then(pl.col("_c_period")).alias("certificate_price_period"),
        pl.lit(design.currency).alias("currency"),
    )
    embedded = blocks.embedded_emissions(qty, pl.col("see_t_per_t"), scale)
    frame = frame.with_columns(embedded.alias("embedded_t"))
    # The carbon price paid abroad (EUR per t): the row's certified price wins over the table.
    row_price = pl.col("_c_cp_row")
    paid = pl.coalesce(row_price, pl.col("_c_price_eur"), pl.lit(0.0))
    if design.carbon_price_relief:
        deduction = blocks.carbon_price_deduction(
            pl.col("embedded_t"), paid, pl.col("certificate_price_eur")
        )
        cp_source = (
            pl.when(row_price.is_not_null())
            .then(pl.lit("row", LABEL))
            .otherwise(pl.coalesce(pl.col("_c_source"), pl.lit("none found", LABEL)))
        )
    else:
        deduction = pl.lit(0.0)
        cp_source = pl.lit(f"none (no relief in {design.name})", LABEL)
    if charge.kind == "ad_valorem_tiers":
        deduction = pl.lit(None, pl.Float64)
    frame = frame.with_columns(
        pl.when(covered).then(paid).alias("_c_cp_out"),
        pl.when(covered).then(cp_source).alias("carbon_price_source"),
        pl.when(covered).then(deduction).alias("deduction_t"),
    )
    allowance: pl.Expr
    benchmark: pl.Expr
    if charge.kind == "per_tonne":
        allowance = blocks.free_allocation_share(pl.col("embedded_t"), pl.col("_c_fa_share"))
        benchmark = pl.lit(None, pl.Float64)
    elif charge.kind == "baseline_intensity":
        benchmark = pl.col("_c_ref_see") * pl.col("_c_applicable_pct")
        allowance = blocks.baseline_allowance(
            qty * scale, pl.col("_c_ref_see"), pl.col("_c_applicable_pct")
        )
    else:
        allowance = pl.lit(None, pl.Float64)
        benchmark = pl.col("_c_ref_see")
    frame = frame.with_columns(
        pl.when(covered).then(benchmark).alias("benchmark_t_per_t"),
        pl.when(covered).then(allowance).alias("free_allocation_t"),
    )
    if charge.kind == "ad_valorem_tiers":
        tiers = [(t.ratio_above, t.rate) for t in charge.tiers or []]
        ratio = (
            pl.when(pl.col("see_t_per_t") <= 0)
            .then(0.0)
            .otherwise(pl.col("see_t_per_t") / pl.col("_c_ref_see"))
        )
        value_lcu = pl.col("_c_value") / pl.col("_c_fx")
        gross_tonnes = pl.lit(None, pl.Float64)
        gross_lcu = blocks.ad_valorem_tier_rate(ratio, tiers) * value_lcu
    else:
        gross_tonnes = blocks.net_charge(
            pl.col("embedded_t"), pl.col("free_allocation_t"), pl.col("deduction_t")
        )
        gross_lcu = gross_tonnes * pl.col("_c_price")
    frame = frame.with_columns(
        pl.when(covered).then(gross_tonnes).alias("_c_gross_t"),
        pl.when(covered).then(gross_lcu).otherwise(0.0).alias("_c_gross_lcu"),
    )
    frame = _threshold(frame, schema, scenario, design, covered)
    reasons = (
        pl.when(~cbam_good)
        .then(pl.lit(NOT_COVERED))
        .when(~covered)
        .then(pl.lit(f"sector not covered by {design.name}"))
        .when(pl.col("_c_excluded").is_not_null())
        .then(pl.col("_c_excluded"))
        .when(pl.col("de_minimis") == EXEMPT)
        .then(
            pl.lit(
                f"below the {design.name} threshold ({design.threshold.description})"
                if design.threshold
                else ""
            )
        )
        .when(pl.col("_c_relief_applies"))
        .then(pl.col("_c_relief"))
    )
    share = (
        pl.when(~covered | pl.col("_c_excluded").is_not_null())
        .then(0.0)
        .when(pl.col("de_minimis") == EXEMPT)
        .then(0.0)
        .when(pl.col("_c_relief_applies"))
        .then(pl.col("_c_relief_share"))
        .otherwise(1.0)
    )
    frame = frame.with_columns(
        reasons.cast(LABEL).alias("exemption_reason"), share.alias("fee_share_charged")
    )
    share = pl.col("fee_share_charged")
    frame = frame.with_columns(
        (share == 0.0).alias("exempt"),
        pl.when(share == 0.0)
        .then(pl.when(covered & (charge.kind == "ad_valorem_tiers")).then(None).otherwise(0.0))
        .otherwise(pl.col("_c_gross_t") * share)
        .alias("certificates"),
        (pl.col("_c_gross_lcu") * pl.col("_c_fx").fill_null(1.0)).alias(
            "fee_before_exemptions_eur"
        ),
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
        pl.when(pl.col("_c_value") > 0).then(pl.col("fee_eur") / pl.col("_c_value")).alias("ave"),
    )


def _threshold(
    frame: pl.LazyFrame,
    schema: Mapping[str, pl.DataType],
    scenario: Scenario,
    design: Design,
    covered: pl.Expr,
) -> pl.LazyFrame:
    """Per-importer annual threshold status, and whether the scenario's relief applies."""
    labels = THRESHOLD_ENUM
    threshold = design.threshold
    valid_mass = pl.col("_c_qty").is_finite() & (pl.col("_c_qty") >= 0)
    in_scope = covered & pl.col("_c_excluded").is_null()
    status: pl.Expr
    total: pl.Expr = pl.lit(None, pl.Float64)
    if threshold is None:
        status = pl.when(covered).then(pl.lit("none (regime has no threshold)", labels))
    elif not scenario.de_minimis:
        status = pl.when(covered).then(pl.lit("off (scenario)", labels))
    elif "importer" not in schema:
        status = pl.when(covered).then(pl.lit("not applied (no importer)", labels))
    else:
        importer = pl.col("importer").cast(pl.String)
        counted = in_scope & valid_mass & ~pl.col("_c_sector").is_in(threshold.excluded_sectors)
        year = pl.col("_c_year")
        mass = pl.when(counted & importer.is_not_null()).then(pl.col("_c_qty")).otherwise(0.0)
        limit_of = pl.col("_c_threshold")
        grams, mass_limit = exact_sum_and_limit(mass, importer, year, limit_of, "mass")
        total = pl.when(covered & importer.is_not_null()).then(
            exact_total(grams, mass, importer, year, "mass")
        )
        # Sums that decide the threshold are whole grams or cents: exact in any row order.
        if threshold.basis == "value":
            value_lcu = pl.col("_c_value") / pl.col("_c_fx")
            basis, limit = exact_sum_and_limit(
                pl.when(counted).then(value_lcu).otherwise(0.0).fill_null(0.0),
                importer,
                year,
                limit_of,
                "value",
            )
            missing = (
                blocks.importer_total(
                    (counted & pl.col("_c_value").is_null()).cast(pl.Int32), importer, year
                )
                > 0
            )
        else:
            basis, limit = grams, mass_limit
            missing = pl.lit(False)
        status = (
            pl.when(~covered)
            .then(pl.lit(None, labels))
            .when(~counted)
            .then(pl.lit("not covered (sector outside threshold)", labels))
            .when(importer.is_null())
            .then(pl.lit("not applied (no importer)", labels))
            .when(missing)
            .then(pl.lit("not applied (customs value missing)", labels))
            .when(basis <= limit)
            .then(pl.lit(EXEMPT, labels))
            .otherwise(pl.lit("liable (importer above threshold)", labels))
        )
    return with_threshold_and_relief(frame, scenario, status, total)


def _checks(schema: Mapping[str, pl.DataType], design: Design) -> list[Check]:
    """Row checks under a design: years, the reference data its charge needs, and more.

    The goods layer's own checks (origins, codes, routes) are shared with the EU engine
    (``key_checks``).
    """
    covered = pl.col("_c_sector").is_not_null() & pl.col("_c_sector").is_in(design.sectors)
    actual = pl.col("_c_see_d").is_not_null()
    liable = covered & pl.col("_c_excluded").is_null()
    first, last = design.first_rules_year, design.last_rules_year
    checks = [
        Check(
            "year",
            f"no rules for this year ({design.name} applies from {first}; set the scenario's "
            "rules_year (or pass --rules-year) to apply one year's rules to every row)",
            pl.col("_c_year").is_not_null() & ~pl.col("rules_year").is_between(first, last),
            value_shown("year", schema),
        ),
        *key_checks(schema),
        Check(
            "see_indirect",
            f"missing: {design.name} counts indirect emissions of this sector in this year, "
            "give both actual values",
            covered
            & actual
            & pl.col("_c_design_indirect").fill_null(False)
            & pl.col("_c_see_i").is_null(),
            value_shown("cn_code", schema),
        ),
        Check(
            "see_direct",
            "no default value for this CN code and origin: give verified actual values",
            liable & ~actual & pl.col("see_t_per_t").is_null() & pl.col("_c_markup").is_not_null(),
            pl.concat_str([pl.col("_c_origin"), pl.col("_c_cn")], separator=" "),
        ),
        Check(
            "precursor_benchmark_t_per_t",
            "applies only to the EU engine's column-A benchmark",
            pl.col("_c_precursor_bm").is_not_null(),
            value_shown("precursor_benchmark_t_per_t", schema),
        ),
        overflow_check(schema, ("_c_qty", "_c_see_d", "_c_see_i", "_c_clinker", "_c_value")),
    ]
    if design.charge.reference_intensity is not None:
        checks.append(
            Check(
                "cn_code",
                f"no reference intensity for this CN code in {design.name} "
                f"({design.charge.reference_intensity.description})",
                liable & pl.col("_c_ref_see").is_null() & pl.col("_c_markup").is_not_null(),
                value_shown("cn_code", schema),
            )
        )
    if design.charge.kind == "ad_valorem_tiers":
        checks.append(
            Check(
                "value_eur",
                f"missing: the {design.name} charge is a share of customs value",
                liable
                & pl.col("_c_value").is_null()
                & pl.col("rules_year").is_between(first, last),
                value_shown("value_eur", schema),
            )
        )
    if design.charge.price is not None:
        checks.append(
            Check(
                "year",
                f"{design.name} gives no price for this rules year",
                pl.col("rules_year").is_between(first, last) & pl.col("_c_price").is_null(),
                pl.col("rules_year").cast(pl.String),
            )
        )
    return checks
