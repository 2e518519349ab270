"""Pre-resolved lookup tables for the EU rules.

The regulation's tables are keyed by headings of mixed depth (CN4, CN6, CN8), by country name
with an 'Other countries' fallback, and by production route. Resolving that per import row would
repeat the same work millions of times, so it is done once here, on the small reference tables,
for every (origin, CN code, variant) an import row can name: each CN8 of Annex I and every
shorter prefix of one (HS2, CN4, CN6, as most public trade data come). Import rows then need only
equality joins.

Resolution rules (each output row says which applied):

* Default value: the origin's most specific listed heading (CN8, then CN6, then CN4); where the
  origin is not listed, or its heading shows '-', the same search in 'Other countries and
  territories'.
* Benchmark route: the route asked for; else its twin for the other steel grade (C/F, D/G,
  E/H); else the CN code's route-free benchmark; else the sector's preferred route
  (``rates/eu/sectors.yaml``). With default values the route asked for is the default value's
  (the tables' "underlying production route determining CBAM BM"), and the row's only where the
  default value names none; with actual values it is the row's (``route_benchmarks``).
* Aggregate codes (shorter than CN8): the simple mean, over the Annex I CN8 codes below the
  prefix, of the per-tonne-of-good values (cement headings scaled by their default clinker
  share); flagged ``default:aggregate`` unless every code resolved to the same heading.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import polars as pl

from cbam._errors import ScenarioError
from cbam._eu import config
from cbam._eu.reference import (
    OTHER,
    benchmarks,
    cn_successors,
    covered_cn8,
    default_values,
)
from cbam._eu.weights import AggregationWeights
from cbam._schema import INTENSITY_SOURCE_ENUM, ROUTE_ENUM, ROUTE_SOURCE_ENUM, SECTOR_ENUM


@cache
def benchmark_periods() -> tuple[str, ...]:
    """The benchmark periods ``rates/eu/benchmarks.csv`` lists, in order (its data, no literal)."""
    return tuple(sorted(set(benchmarks()["period"].to_list()) - {""}))


def benchmark_columns() -> tuple[str, ...]:
    """One lookup column per benchmark column (A, B) and period: ``bm_a_1``, ..., ``bm_b_2``."""
    n = len(benchmark_periods())
    return tuple(f"bm_{tag}_{i + 1}" for tag in ("a", "b") for i in range(n))


def value_columns() -> tuple[str, ...]:
    """The default values: base direct, indirect, total, and each published marked-up column."""
    markups = [c for c in default_values().columns if c.startswith("markup_")]
    return ("direct", "indirect", "total", *markups)


ROW_ROUTE_FOR_DEFAULT = "row (default value names no route)"
ASSUMED_ROUTE_FOR_ACTUAL = "assumed (default-value route for actual values)"


@dataclass(frozen=True)
class Lookups:
    """The pre-resolved tables the pipeline joins against.

    Attributes:
        goods: ``cn_key`` -> sector, coverage and clinker facts (one row per code an input may use).
        intensity: (``dv_origin``, ``cn_key``, ``variant_key``) -> default values and the
            benchmarks at the default route.
        route_benchmarks: (``cn_key``, ``route_key``) -> benchmarks when the row names a route
            (actual values, or a default value that names no route).
        aggregate_route_benchmarks: (``dv_origin``, ``cn_key``, ``variant_key``,
            ``route_key``) -> benchmarks of an aggregate code with default values and a row
            route, where some CN8 below names no route: the mean of each CN8's benchmark at its
            default value's route, or at the row's where the default names none.
        dv_origins: Origins with their own rows in the default-value table.

    """

    goods: pl.DataFrame
    intensity: pl.DataFrame
    route_benchmarks: pl.DataFrame
    aggregate_route_benchmarks: pl.DataFrame
    dv_origins: frozenset[str]


def _with_variants(covered: pl.DataFrame) -> pl.DataFrame:
    variants = (
        default_values()
        .filter(pl.col("variant") != "")
        .select(pl.col("cn_code").alias("cn8"), "variant")
        .unique()
    )
    if variants.filter(pl.col("cn8").str.len_chars() != 8).height:
        raise ScenarioError(
            "rates/eu/default_values.csv: variants are supported on CN8 headings only"
        )
    return (
        covered.join(variants, on="cn8", how="left")
        .with_columns(pl.col("variant").fill_null(""))
        .sort("cn8", "variant")
    )


def _best_default_rows(base: pl.DataFrame) -> pl.DataFrame:
    """For each (origin, cn8, variant) of ``base``, the most specific listed default-value row."""
    dv = default_values().rename({"cn_code": "heading", "route": "dv_route"})
    candidates = []
    for rank, length in enumerate((8, 6, 4)):
        keyed = base.with_columns(pl.col("cn8").str.slice(0, length).alias("heading"))
        exact = keyed.join(dv, on=["origin", "heading", "variant"], how="inner")
        generic = keyed.join(
            dv.filter(pl.col("variant") == "").drop("variant"),
            on=["origin", "heading"],
            how="inner",
        )
        candidates += [
            exact.with_columns(pl.lit(2 * rank).alias("rank")),
            generic.with_columns(pl.lit(2 * rank + 1).alias("rank")),
        ]
    return (
        pl.concat(candidates, how="diagonal")
        .sort("rank")
        .group_by(["origin", "cn8", "variant"], maintain_order=True)
        .first()
        .drop("rank")
    )


def _resolve_defaults(covered: pl.DataFrame, extra_origins: list[str]) -> pl.DataFrame:
    """Default values for every (dv origin, covered CN8, variant), with the 'Other' fallback.

    ``extra_origins`` (origins with their own aggregation weights but no rows in the table)
    get rows too, with the 'Other countries' values, so that their aggregates can differ.
    """
    listed = default_values().select("origin").unique()
    extra = pl.DataFrame({"origin": extra_origins}, schema={"origin": pl.String})
    dv_origins = pl.concat([listed, extra.join(listed, on="origin", how="anti")]).sort("origin")
    keep = ["cn8", "variant", *value_columns(), "dv_route", "heading"]
    other = (
        _best_default_rows(covered.with_columns(pl.lit(OTHER).alias("origin")))
        .filter(pl.col("status") == "value")
        .select(keep)
    )
    base = dv_origins.join(covered, how="cross")
    own = (
        _best_default_rows(base)
        .filter(pl.col("status") == "value")
        .select(["origin", *keep])
        .with_columns(
            pl.when(pl.col("origin") == OTHER)
            .then(pl.lit("default:other-countries"))
            .otherwise(pl.lit("default:country"))
            .alias("intensity_source")
        )
    )
    fallback = other.with_columns(
        pl.lit("default:other-countries").alias("intensity_source"),
        pl.lit(OTHER).alias("heading_origin"),
    )
    resolved = base.join(own, on=["origin", "cn8", "variant"], how="left").with_columns(
        pl.when(pl.col("intensity_source").is_not_null())
        .then(pl.col("origin"))
        .alias("heading_origin")
    )
    has_own = pl.col("intensity_source").is_not_null()
    resolved = resolved.join(fallback, on=["cn8", "variant"], how="left", suffix="_other")
    return resolved.select(
        "origin",
        "cn8",
        "variant",
        "sector",
        *[
            pl.when(has_own).then(pl.col(c)).otherwise(pl.col(f"{c}_other")).alias(c)
            for c in (*value_columns(), "dv_route", "heading", "heading_origin", "intensity_source")
        ],
    )


def _benchmark_wide() -> pl.DataFrame:
    """Benchmarks as (cn8, column, route) -> value in each period (``p1``, ``p2``, ...).

    A benchmark without a period applies in every period.
    """
    return (
        benchmarks()
        .group_by(["cn_code", "column", "route"], maintain_order=True)
        .agg(
            pl.col("benchmark").filter(pl.col("period").is_in(["", period])).first().alias(f"p{i}")
            for i, period in enumerate(benchmark_periods(), 1)
        )
        .rename({"cn_code": "cn8"})
    )


def _resolve_routes(requests: pl.DataFrame, exact_label: str, twin_label: str) -> pl.DataFrame:
    """Benchmarks for (cn8, sector, req_route) in both columns, by the route rules above."""
    wide = _benchmark_wide()
    sectors = config.sectors()
    twins = pl.DataFrame(
        {
            "req_route": list(sectors.route_equivalents),
            "twin": list(sectors.route_equivalents.values()),
        }
    )
    preference = pl.DataFrame(
        [
            {"sector": name, "route": route, "pref": i}
            for name, rules in sectors.sectors.items()
            for i, route in enumerate(rules.route_preference)
        ],
        schema={"sector": pl.String, "route": pl.String, "pref": pl.Int64},
    )
    req = requests.join(twins, on="req_route", how="left")
    out = requests
    for column in ("A", "B"):
        w = wide.filter(pl.col("column") == column).drop("column")
        exact = req.join(w, left_on=["cn8", "req_route"], right_on=["cn8", "route"]).with_columns(
            pl.col("req_route").alias("route_used"),
            pl.when(pl.col("req_route") == "")
            .then(pl.lit("route-free"))
            .otherwise(pl.lit(exact_label))
            .alias("route_source"),
            pl.lit(0).alias("rank"),
        )
        twin = req.join(w, left_on=["cn8", "twin"], right_on=["cn8", "route"]).with_columns(
            pl.col("twin").alias("route_used"),
            pl.lit(twin_label).alias("route_source"),
            pl.lit(1).alias("rank"),
        )
        free = req.join(w.filter(pl.col("route") == "").drop("route"), on="cn8").with_columns(
            pl.lit("").alias("route_used"),
            pl.lit("route-free").alias("route_source"),
            pl.lit(2).alias("rank"),
        )
        preferred = (
            req.join(w, on="cn8")
            .join(preference, on=["sector", "route"])
            .sort("pref")
            .group_by(["cn8", "req_route"], maintain_order=True)
            .first()
            .with_columns(
                pl.col("route").alias("route_used"),
                pl.lit("assumed (sector preference)").alias("route_source"),
                pl.lit(3).alias("rank"),
            )
        )
        periods = [f"p{i}" for i in range(1, len(benchmark_periods()) + 1)]
        cols = ["cn8", "req_route", *periods, "route_used", "route_source", "rank"]
        best = (
            pl.concat([f.select(cols) for f in (exact, twin, free, preferred)])
            .sort("rank")
            .group_by(["cn8", "req_route"], maintain_order=True)
            .first()
        )
        tag = column.lower()
        out = out.join(
            best.select(
                "cn8",
                "req_route",
                *[pl.col(p).alias(f"bm_{tag}_{p[1:]}") for p in periods],
                pl.col("route_used").alias(f"route_{tag}"),
                pl.col("route_source").alias(f"route_source_{tag}"),
            ),
            on=["cn8", "req_route"],
            how="left",
        )
    return out


def _per_tonne_of_good(
    frame: pl.DataFrame, columns: tuple[str, ...], clinker_shares: dict[str, float]
) -> pl.DataFrame:
    """Scale ``columns`` of each CN8 row to a tonne of good by its default clinker share.

    Clinker-based cement headings are stated per tonne of clinker; the factor (``scale``,
    kept on the frame) is 1 for every other heading.
    """
    scale = pl.col("cn8").replace_strict(clinker_shares, default=1.0, return_dtype=pl.Float64)
    return frame.with_columns(scale.alias("scale")).with_columns(
        [pl.col(c) * pl.col("scale") for c in columns]
    )


def _heading_id() -> pl.Expr:
    """'TUR 7207 11 11', 'OTHER 7601': which row of the default-value table gave the value."""
    heading = pl.col("heading")
    spaced = pl.concat_str(
        [heading.str.slice(0, 4), heading.str.slice(4, 2), heading.str.slice(6, 2)],
        separator=" ",
    ).str.strip_chars()
    return (
        pl.when(heading.is_not_null())
        .then(pl.concat_str([pl.col("heading_origin"), spaced], separator=" "))
        .alias("heading_id")
    )


def _under_keys(frame: pl.DataFrame, successors: pl.DataFrame) -> pl.DataFrame:
    """Repeat each CN8 row under every aggregate key it belongs to, as ``cn_key``.

    The keys are its HS2, CN4 and CN6 prefixes, and any retired Annex I code that the current
    CN splits into it (``rates/eu/cn_successors.csv``: 3102 10 10 -> 3102 10 12/15/19).
    """
    by_prefix = [
        frame.with_columns(pl.col("cn8").str.slice(0, n).alias("cn_key")) for n in (2, 4, 6)
    ]
    by_retired = frame.join(successors, left_on="cn8", right_on="successor", how="inner")
    return pl.concat([*by_prefix, by_retired.rename({"retired": "cn_key"})], how="diagonal")


def _indirect_keys(covered: pl.DataFrame, successors: pl.DataFrame) -> pl.DataFrame:
    """``cn_key`` -> whether indirect emissions count for every CN8 below it.

    Reg. 2023/956 Art. 7 and Annex II: a sector's scope (``rates/eu/sectors.yaml``), and the
    codes a sector lists under ``indirect_also`` (2601 12 00, not in Annex II).
    """
    sectors = config.sectors().sectors
    by_sector = [n for n, r in sectors.items() if r.emissions == "direct_and_indirect"]
    for name, rules in sectors.items():
        codes = rules.indirect_also.codes if rules.indirect_also else []
        own = covered.filter(pl.col("sector") == name)["cn8"].to_list()
        unknown = sorted(set(codes) - set(own))
        if unknown:
            raise ScenarioError(
                f"rates/eu/sectors.yaml: indirect_also of {name} lists codes that are not its "
                f"Annex I CN8 codes: {unknown}"
            )
    also = [c for r in sectors.values() if r.indirect_also for c in r.indirect_also.codes]
    cn8 = covered.select(
        "cn8",
        (pl.col("sector").is_in(by_sector) | pl.col("cn8").is_in(also)).alias("counts_indirect"),
    )
    prefixes = _under_keys(cn8, successors).group_by("cn_key").agg(pl.col("counts_indirect").all())
    return pl.concat([cn8.rename({"cn8": "cn_key"}), prefixes.select("cn_key", "counts_indirect")])


def _aggregate_route_benchmarks(
    expanded: pl.DataFrame,
    by_route_scaled: pl.DataFrame,
    marker_rows: pl.DataFrame,
    weighted: bool,
) -> pl.DataFrame:
    """Aggregate benchmarks with default values and a row route, per default-value origin.

    Each CN8 below the prefix takes its default value's route, or the row's where its default
    value names none; only aggregates with such a CN8 are listed (the others take the
    default-value route of every CN8, as without a route).
    """
    keys = ["origin", "cn_key", "variant_key"]
    named = pl.col("dv_names_route").fill_null(True)
    mixed = expanded.filter(~named).select(keys).unique()
    at_route = by_route_scaled.select(
        "cn8", "req_route", *[pl.col(c).alias(f"{c}_r") for c in benchmark_columns()]
    )
    # Only the columns the means read travel through the joins, and one route at a time:
    # each route repeats every row of its sectors.
    read = [*keys, "cn8", "sector", "dv_names_route", *benchmark_columns()]
    rows = expanded.select(*read, *(["_w"] if weighted else [])).join(mixed, on=keys, how="semi")
    means = [
        rows.join(markers, on="sector", how="inner")
        .join(at_route, on=["cn8", "req_route"], how="left")
        .group_by([*keys, "req_route"])
        .agg(
            _mean(pl.when(named).then(pl.col(c)).otherwise(pl.col(f"{c}_r")), weighted).alias(c)
            for c in benchmark_columns()
        )
        for markers in marker_rows.partition_by("req_route")
    ]
    return pl.concat(means).select(
        pl.col("origin").alias("dv_origin"),
        "cn_key",
        "variant_key",
        pl.col("req_route").alias("route_key"),
        *benchmark_columns(),
        pl.lit("").alias("route_a"),
        pl.lit("").alias("route_b"),
        pl.lit("aggregate").alias("route_source_a"),
        pl.lit("aggregate").alias("route_source_b"),
    )


def _route_choices(route_benchmarks: pl.DataFrame) -> pl.DataFrame:
    """``cn_key`` -> whether each column's benchmarks differ by route, and the routes listed.

    With actual values and no route, a code whose benchmarks differ by route has no defined
    benchmark; the error names the routes the code's benchmarks list (every route of the
    sector for an aggregate code).
    """
    aggs = []
    for tag in ("a", "b"):
        listed = pl.col(f"route_source_{tag}").is_in(["row", "aggregate"])
        routes = pl.col("route_key").sort()
        aggs += [
            (
                pl.struct(c for c in benchmark_columns() if c.startswith(f"bm_{tag}_")).n_unique()
                > 1
            ).alias(f"routes_differ_{tag}"),
            pl.when(listed.any())
            .then(routes.filter(listed).str.join(", "))
            .otherwise(routes.str.join(", "))
            .alias(f"route_choices_{tag}"),
        ]
    return route_benchmarks.group_by("cn_key").agg(*aggs)


def _weighted(expanded: pl.DataFrame, weights: AggregationWeights) -> pl.DataFrame:
    """Each CN8 row of an aggregate with its weight ``_w`` and whether weights apply.

    Per (origin, prefix, variant): the origin's own weights if any is positive, else the
    every-origin weights if any is positive (codes without one then count 0), else none
    (``_weighted`` false, ``_w`` 1: the simple mean).
    """
    keys = ["origin", "cn_key", "variant_key"]
    table = weights.table
    own = table.filter(pl.col("origin") != "").rename({"weight": "_w_own"})
    every = table.filter(pl.col("origin") == "").drop("origin").rename({"weight": "_w_all"})
    with_w = expanded.join(own, on=["origin", "cn8"], how="left").join(every, on="cn8", how="left")
    has_own = (pl.col("_w_own").fill_null(0.0).sum().over(keys) > 0).alias("_has_own")
    has_all = (pl.col("_w_all").fill_null(0.0).sum().over(keys) > 0).alias("_has_all")
    return (
        with_w.with_columns(has_own, has_all)
        .with_columns(
            pl.when(pl.col("_has_own"))
            .then(pl.col("_w_own").fill_null(0.0))
            .when(pl.col("_has_all"))
            .then(pl.col("_w_all").fill_null(0.0))
            .otherwise(1.0)
            .alias("_w"),
            (pl.col("_has_own") | pl.col("_has_all")).alias("_weighted"),
        )
        .drop("_w_own", "_w_all", "_has_own", "_has_all")
    )


# A group's rows come out of the joins in no fixed order, so a mean's last bits vary from run
# to run; rounded far below the tables' published precision, the means (and whether two
# routes' benchmarks differ) are the same in every run.
_MEAN_DECIMALS = 12


def _mean(column: str | pl.Expr, weighted: bool) -> pl.Expr:
    """Mean of ``column`` in a group: by ``_w`` where weights were given, else the simple mean.

    Codes without a value (null) take no weight; where the weighted codes have none, the
    simple mean of those that have one. Rounded to ``_MEAN_DECIMALS``.
    """
    value = pl.col(column) if isinstance(column, str) else column
    if not weighted:
        return value.mean().round(_MEAN_DECIMALS)
    total = pl.col("_w").filter(value.is_not_null()).sum()
    mean = pl.when(total > 0).then((value * pl.col("_w")).sum() / total).otherwise(value.mean())
    return mean.round(_MEAN_DECIMALS)


def _code_mean(column: str) -> pl.Expr:
    """Mean of ``column`` over a group's codes, each row weighing its share ``_s_`` of its code."""
    share = pl.col(f"_s_{column}").filter(pl.col(column).is_not_null()).sum()
    mean = (pl.col(column) * pl.col(f"_s_{column}")).sum() / share
    return pl.when(share > 0).then(mean).round(_MEAN_DECIMALS)


# The default values a reference intensity reads (as ``ref_direct`` and so on).
_REFERENCE_VALUES = ("direct", "indirect", "total")


def build_lookups(
    clinker_shares: dict[str, float],
    default_variants: dict[str, str],
    weights: AggregationWeights | None = None,
    reference: str | None = None,
) -> Lookups:
    """Resolve the EU reference tables into the three lookup tables the pipeline joins.

    Args:
        clinker_shares: CN8 -> default clinker share of the clinker-based cement headings.
        default_variants: CN8 -> variant used when a row names none (grey clinker ``A``).
        weights: CN8 trade weights for aggregate codes (``None``: the simple mean).
        reference: An origin whose default values are a design's reference intensity: the
            intensity table then holds them for each origin's keys as ``ref_direct``,
            ``ref_indirect`` and ``ref_total``, an aggregate's averaged over the CN8 codes
            with that origin's weights, so a row and its reference weigh one product mix.

    """
    sectors = config.sectors()
    successors = cn_successors()
    # A retired code is resolved through its successors, never on its own (it has no rows).
    covered = covered_cn8().join(successors, left_on="cn8", right_on="retired", how="anti")
    covered_v = _with_variants(covered)
    weight_origins = (
        sorted(set(weights.table["origin"].to_list()) - {""}) if weights is not None else []
    )
    defaults = _resolve_defaults(covered_v, weight_origins)

    # Benchmarks at the default value's route, for both columns.
    requests = defaults.select(
        "cn8", "sector", pl.col("dv_route").fill_null("").alias("req_route")
    ).unique()
    at_default_route = _resolve_routes(
        requests, "default value", "equivalent of default-value route"
    )
    cn8_rows = (
        defaults.with_columns(pl.col("dv_route").fill_null("").alias("req_route"))
        .join(at_default_route.drop("sector"), on=["cn8", "req_route"], how="left")
        .drop("req_route")
        .with_columns(
            (pl.col("dv_route").fill_null("") != "").alias("dv_names_route"), _heading_id()
        )
        .drop("heading", "heading_origin")
    )

    # Aggregates over prefixes; a variant prefix averages its variant row with the plain rows.
    variant_keys = covered_v.filter(pl.col("variant") != "").select("cn8", "variant")
    scaled = (*value_columns(), *benchmark_columns())
    # Only the columns the means read are repeated under each CN8 row's aggregate keys: these
    # copies set the build's peak memory.
    read = ["origin", "cn8", "variant", "sector", *scaled, "dv_names_route"]
    agg_input = _per_tonne_of_good(
        cn8_rows.select(*read, "intensity_source", "heading_id"), scaled, clinker_shares
    )
    prefixed = _under_keys(agg_input, successors)
    del agg_input
    prefix_variants = (
        _under_keys(variant_keys, successors)
        .select("cn_key", pl.col("variant").alias("variant_key"))
        .unique()
    )
    plain = prefixed.filter(pl.col("variant") == "")
    expanded = pl.concat(
        [
            prefixed.filter(pl.col("variant") != "").with_columns(
                pl.col("variant").alias("variant_key")
            ),
            plain.join(prefix_variants, on="cn_key", how="inner"),
            plain.join(prefix_variants, on="cn_key", how="anti").with_columns(
                pl.lit("").alias("variant_key")
            ),
        ],
        how="diagonal",
    )
    del prefixed, plain
    is_weighted = weights is not None
    if weights is not None:
        expanded = _weighted(expanded, weights)
    referenced = []
    if reference is not None:
        # The reference origin's CN8 values beside each origin's: an origin not in the
        # table reads the 'other countries' values, as a row from it does.
        listed = set(default_values()["origin"].unique().to_list())
        stand_in = reference if reference in listed else OTHER
        own = cn8_rows.filter(pl.col("origin") == stand_in).select(
            "cn8", "variant", *(pl.col(c).alias(f"ref_{c}") for c in _REFERENCE_VALUES)
        )
        scaled_own = (
            expanded.filter(pl.col("origin") == stand_in)
            .select("cn8", "variant", *(pl.col(c).alias(f"ref_{c}") for c in _REFERENCE_VALUES))
            .unique(["cn8", "variant"])
        )
        cn8_rows = cn8_rows.join(own, on=["cn8", "variant"], how="left")
        expanded = expanded.join(scaled_own, on=["cn8", "variant"], how="left")
        referenced = [f"ref_{c}" for c in _REFERENCE_VALUES]
    # An aggregate keeps its heading's source only where it is that heading's value unchanged:
    # every code resolves to one heading and no clinker scaling applies (weights cannot move
    # such a value; the heading names the default value, as without weights).
    one_heading = (pl.col("heading_id").drop_nulls().n_unique() == 1) & (
        pl.col("scale") == 1.0
    ).all()
    # An Annex I code the current CN splits (3102 10 10 into 12, 15, 19) is one code of the
    # mean, its value the mean of its successors': each code weighs one (aggregation.yaml).
    annex = pl.col("cn8").replace(successors["successor"], successors["retired"])
    means = [*scaled, *referenced]
    by_code = ["origin", "cn_key", "variant_key", annex]
    expanded = expanded.with_columns(
        (1.0 / pl.col(c).count().over(by_code)).alias(f"_s_{c}") for c in means
    )
    # A retired code alone is the mean of its successors: those are the codes counted.
    codes = (
        pl.when(annex.n_unique() == 1).then(pl.col("cn8").n_unique()).otherwise(annex.n_unique())
    )
    label = pl.format("mean of {} CN8 codes", codes)
    if weights is not None:
        positive = pl.col("cn8").filter(pl.col("_w") > 0).n_unique().cast(pl.String)
        label = (
            pl.when(pl.col("_weighted").first())
            .then(
                pl.concat_str(
                    pl.lit("weighted mean of "),
                    positive,
                    pl.lit(f" CN8 codes (weights: {weights.name})"),
                )
            )
            .otherwise(label)
        )
    has_value = pl.col("total").is_not_null().any() | pl.col("direct").is_not_null().any()
    aggregates = (
        expanded.group_by(["origin", "cn_key", "variant_key"])
        .agg(
            # A prefix the weights give no positive weight keeps the simple mean, each Annex I
            # code counted once, as without weights.
            *[
                (
                    pl.when(pl.col("_weighted").first())
                    .then(_mean(c, True))
                    .otherwise(_code_mean(c))
                    if is_weighted
                    else _code_mean(c)
                ).alias(c)
                for c in means
            ],
            pl.when(one_heading)
            .then(pl.col("intensity_source").drop_nulls().first())
            .when(has_value)
            .then(pl.lit("default:aggregate"))
            .alias("intensity_source"),
            pl.when(one_heading)
            .then(pl.col("heading_id").drop_nulls().first())
            .when(has_value)
            .then(label)
            .alias("heading_id"),
        )
        .with_columns(
            pl.lit(None, pl.String).alias("dv_route"),
            pl.lit(None, pl.Boolean).alias("dv_names_route"),
            pl.lit("").alias("route_a"),
            pl.lit("").alias("route_b"),
            pl.lit("aggregate").alias("route_source_a"),
            pl.lit("aggregate").alias("route_source_b"),
        )
    )
    intensity_cols = [
        *scaled,
        *referenced,
        "dv_route",
        "dv_names_route",
        "intensity_source",
        "heading_id",
        "route_a",
        "route_b",
        "route_source_a",
        "route_source_b",
    ]
    intensity = pl.concat(
        [
            cn8_rows.select(
                pl.col("origin").alias("dv_origin"),
                pl.col("cn8").alias("cn_key"),
                pl.col("variant").alias("variant_key"),
                *intensity_cols,
            ),
            aggregates.select(
                pl.col("origin").alias("dv_origin"), "cn_key", "variant_key", *intensity_cols
            ),
        ]
    )

    # Goods: sector and facts per input code. A prefix spanning two sectors is ambiguous.
    cn8_goods = (
        covered_v.group_by("cn8", maintain_order=True)
        .agg(pl.col("sector").first(), (pl.col("variant") != "").any().alias("has_variants"))
        .select(
            pl.col("cn8").alias("cn_key"),
            "sector",
            "has_variants",
            pl.lit(False).alias("is_aggregate"),
            pl.lit(1, pl.UInt32).alias("n_cn8"),
        )
    )
    prefix_goods = (
        _under_keys(covered_v, successors)
        .group_by("cn_key")
        .agg(
            pl.col("sector").unique().sort().alias("sectors"),
            (pl.col("variant") != "").any().alias("has_variants"),
            pl.col("cn8").n_unique().alias("n_cn8"),
        )
        .with_columns(
            pl.when(pl.col("sectors").list.len() == 1)
            .then(pl.col("sectors").list.first())
            .alias("sector"),
            pl.lit(True).alias("is_aggregate"),
        )
    )
    goods_table = pl.concat(
        [cn8_goods, prefix_goods.with_columns(pl.col("sectors").list.join(", ").alias("sectors"))],
        how="diagonal",
    ).join(_indirect_keys(covered, successors), on="cn_key", how="left")
    goods_table = goods_table.with_columns(
        (pl.col("cn_key").is_in(list(clinker_shares)) & ~pl.col("is_aggregate")).alias(
            "clinker_basis"
        ),
        pl.col("cn_key")
        .replace_strict(clinker_shares, default=None, return_dtype=pl.Float64)
        .alias("default_clinker_share"),
        pl.col("cn_key")
        .replace_strict(default_variants, default=None, return_dtype=pl.String)
        .alias("default_variant"),
    )
    # Aggregates take the default variant of the heading below them that has variants.
    prefix_default_variant = (
        _under_keys(
            pl.DataFrame({"cn8": list(default_variants), "dv": list(default_variants.values())}),
            successors,
        )
        .select("cn_key", "dv")
        .unique("cn_key", keep="first", maintain_order=True)
    )
    goods_table = (
        goods_table.join(prefix_default_variant, on="cn_key", how="left")
        .with_columns(pl.coalesce("default_variant", "dv").alias("default_variant"))
        .drop("dv")
    )

    # Benchmarks for rows that name their own route: every marker valid for the CN8's sector.
    marker_rows = pl.DataFrame(
        [
            {"sector": name, "req_route": r}
            for name, rules in sectors.sectors.items()
            for r in rules.routes
        ],
        schema={"sector": pl.String, "req_route": pl.String},
    )
    route_requests = covered.join(marker_rows, on="sector", how="inner")
    by_route = _resolve_routes(route_requests, "row", "equivalent of row route")
    by_route_scaled = _per_tonne_of_good(by_route, benchmark_columns(), clinker_shares)
    route_agg = (
        _under_keys(by_route_scaled, successors)
        .group_by(["cn_key", "req_route"])
        .agg(*[_mean(c, weighted=False) for c in benchmark_columns()])
        .with_columns(
            pl.lit("").alias("route_a"),
            pl.lit("").alias("route_b"),
            pl.lit("aggregate").alias("route_source_a"),
            pl.lit("aggregate").alias("route_source_b"),
        )
    )
    route_cols = [*benchmark_columns(), "route_a", "route_b", "route_source_a", "route_source_b"]
    route_benchmarks = pl.concat(
        [
            by_route.select(
                pl.col("cn8").alias("cn_key"), pl.col("req_route").alias("route_key"), *route_cols
            ),
            route_agg.select("cn_key", pl.col("req_route").alias("route_key"), *route_cols),
        ]
    )
    choices = _route_choices(route_benchmarks)
    goods_table = goods_table.join(choices, on="cn_key", how="left").with_columns(
        pl.col("routes_differ_a", "routes_differ_b").fill_null(False)
    )
    aggregate_routes = _aggregate_route_benchmarks(
        expanded, by_route_scaled, marker_rows, is_weighted
    )
    # Categorical columns travel through the joins as small integers, not strings.
    routes = ROUTE_ENUM
    categorical: dict[str, pl.DataType] = {
        "sector": SECTOR_ENUM,
        "intensity_source": INTENSITY_SOURCE_ENUM,
        "route_a": routes,
        "route_b": routes,
        "route_source_a": ROUTE_SOURCE_ENUM,
        "route_source_b": ROUTE_SOURCE_ENUM,
        "heading_id": pl.Categorical(),
    }

    def typed(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(
            pl.col(c).cast(t) for c, t in categorical.items() if c in frame.columns
        )

    return Lookups(
        goods=typed(goods_table),
        intensity=typed(intensity),
        route_benchmarks=typed(route_benchmarks),
        aggregate_route_benchmarks=typed(aggregate_routes),
        dv_origins=frozenset(default_values()["origin"].unique().to_list()),
    )
