"""``sweep``: many parameter sets over one import panel, without copying the panel per set.

Fees are piecewise linear in the carbon price P (in EUR: the EU certificate price, or a
design's charge price times the year's EUR rate). For a row with embedded emissions b,
free-allocation adjustment or baseline allowance f, effective price paid abroad p (0 when none
is deducted) and fee share s (exemptions), every regime charging per tonne
(``cbam.blocks.net_charge``) charges s x max(0, (b - f) P - b min(p, P)), which is
s (a P - b p) when P exceeds the row's threshold theta = b p / a (a = b - f > 0), and 0
otherwise; a charge that does not scale with a price (ad valorem) is a fixed amount. So each
non-price design is computed once; its rows are reduced to sums of s a, s b p and fixed fees
per (group, rules year, quarter, p, theta), and every price path is evaluated on those sums:
added up in order of theta within each (group, rules year, quarter), they give a path's fee
at its price from the last threshold below it (an as-of join), whatever the number of paths.
With a Dask scheduler each task is one Polars computation over a partition of the rows (or of
the price paths).

Price paths vary ``certificate_price_eur`` on the EU engine and ``charge.price`` (in the
design's currency) on a design; a path is a number for every year or a mapping of years (and
quarters) to prices, which replaces the schedule as ``certificate_price_eur`` does.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import polars as pl
from pydantic import ValidationError

from cbam._carbon_prices import fx_by_year
from cbam._design import EU_ENGINE, Design
from cbam._engine import PriceSchedule, price_rows, quarterly_schedule
from cbam._errors import ScenarioError, shorten
from cbam._eu import config
from cbam._interop import to_polars
from cbam._parameters import DatedParameter, DatedValue, Reference
from cbam._pipeline import compute, compute_strictly
from cbam._progress import progress
from cbam._resolve import load_scenario, rebuilt, resolve, years_beyond, years_in_force_in_none
from cbam._scenario import Scenario, apply_overrides, check_rules_year, plain_value, set_dotted
from cbam._schema import check_columns, key_as_read, result_columns, whole_as_read
from cbam._summary import SUMMARY_COLUMNS, grouping, order_free_sum

PRICE = "certificate_price_eur"
DESIGN_PRICE = "charge.price"
_QUARTER_START = {1: 1, 2: 4, 3: 7, 4: 10}
_BUCKET = ("rules_year", "_s_q", "_s_paid", "_s_theta")
_CELL = ["rules_year", "_s_q"]
_SUMS = ["_s_a", "_s_bp", "_s_fixed"]


@dataclass(frozen=True)
class SweepResult:
    """What a sweep found.

    Attributes:
        designs: ``design`` (0, 1, ...) and the value of each varied non-price parameter.
        paths: ``path`` (0, 1, ...) and the certificate price path, as JSON text.
        totals: ``design``, ``path``, the ``by`` columns and ``fee_eur``.
        percentiles: ``design``, the ``by`` columns, ``fee_eur_mean`` and ``fee_eur_p{q}`` for
            each requested percentile, over the price paths.

    """

    designs: pl.DataFrame
    paths: pl.DataFrame
    totals: pl.DataFrame
    percentiles: pl.DataFrame


def _with(scenario: Scenario, values: Mapping[str, Any]) -> Scenario:
    """``scenario`` with dotted parameters replaced, validated as ``load_scenario`` does."""
    raw = scenario.model_dump()
    # None is a scenario key's default (a rules year undone; the cited CBAM factor): a point
    # of an axis such as rules_year [None, 2030]. A null deeper in (a design's threshold) is
    # no value, refused as load_scenario's overrides refuse it.
    for dotted, value in values.items():
        if value is None:
            field = Scenario.model_fields.get(str(dotted).strip())
            if field is None or field.default is not None:
                # An unknown path is told as such first ('rules-year': no such parameter).
                set_dotted(copy.deepcopy(raw), dotted, value, "sweep: vary")
                raise ScenarioError(
                    f"sweep: vary: '{shorten(dotted, 80)}': null is not a value; give one (a "
                    "null stands only for a scenario key's default, e.g. rules_year)"
                )
            set_dotted(raw, dotted, value, "sweep: vary")
    given = {k: v for k, v in values.items() if v is not None}
    # A value one design never reads (its fixed rules year) may be read by another: checked
    # across the designs (``_read_by_a_design``), not per design.
    apply_overrides(raw, given, "sweep: vary", rules_year=False)
    return rebuilt(raw, f"sweep: invalid value in vary {shorten(dict(values))}")


def _read_by_a_design(
    designs: Sequence[Scenario], names: Sequence[str], combos: Sequence[tuple[Any, ...]]
) -> None:
    """Refuse a vary value that no design it is part of reads, as ``load_scenario`` would.

    Under a fixed rules year a value dated after it, or replaced by then, never applies
    (``check_rules_year``); a sweep varies its axes together, so such a value is refused only
    where every design holding it never reads it.
    """
    read: set[tuple[int, int]] = set()
    refusals: dict[tuple[int, int], ScenarioError] = {}
    for design, combo in zip(designs, combos, strict=True):
        for n, (name, value) in enumerate(zip(names, combo, strict=True)):
            key = (n, id(value))  # one entry of vary[name], however many designs hold it
            if value is None or key in read:
                continue
            try:
                check_rules_year(design.model_dump(), {name: value}, "sweep: vary")
                read.add(key)
            except ScenarioError as exc:
                refusals.setdefault(key, exc)
    for key, refusal in refusals.items():
        if key not in read:
            raise refusal


def _whole_years(frame: pl.DataFrame, partitions: int) -> list[pl.DataFrame]:
    """The rows in at most ``partitions`` parts, each of whole import years, near equal in rows.

    A threshold sums an importer's year and an import share a code's year, over every row: a
    part of a year's rows would judge them on the part (three 30 t rows of one importer, in
    three parts, were three importers under the 50 t de minimis).
    """
    if partitions == 1 or "year" not in frame.columns:
        return [frame]
    year = whole_as_read("year", frame.schema).fill_null(-1).alias("_s_year")  # -1: no year
    sizes = frame.group_by(year).len().sort("len", "_s_year", descending=True)
    parts: list[list[Any]] = [[] for _ in range(min(partitions, sizes.height))]
    load = [0] * len(parts)
    for value, rows in sizes.iter_rows():  # the largest year to the least loaded part
        emptiest = load.index(min(load))
        parts[emptiest].append(value)
        load[emptiest] += rows
    with_year = frame.with_columns(year)
    return [with_year.filter(pl.col("_s_year").is_in(part)).drop("_s_year") for part in parts] or [
        frame
    ]


def _compact(rows: pl.DataFrame, scenario: Scenario, by: Sequence[str]) -> pl.DataFrame:
    """One partition's rows under one design, reduced to price-independent sums.

    The rules run as one lazy plan, lenient and streaming, for the columns summed only
    (faster than computing every column strictly, then summing); a row that fails a check
    sends the partition through ``compute`` strictly, whose error names the rows.
    """
    sums = _sums(compute(rows.lazy(), scenario, on_error="flag"), by)
    if sums["_s_bad"].sum() > 0:
        sums = _sums(compute_strictly(rows, scenario, "sweep").lazy(), by)
    return sums.drop("_s_bad")


def _sums(fees: pl.LazyFrame, by: Sequence[str]) -> pl.DataFrame:
    """``compute``'s rows summed per bucket, with the count of rows that failed a check."""
    schema = fees.collect_schema()
    read = whole_as_read("quarter", schema)  # a text quarter ('3', ' 3.0') as compute reads it
    quarter = (
        pl.when(read.is_between(1, 4)).then(read).otherwise(0) if "quarter" in schema else pl.lit(0)
    )
    a = pl.col("embedded_t") - pl.col("free_allocation_t")
    share = pl.col("fee_share_charged")
    paid = (
        pl.when(pl.col("deduction_t") > 0)
        .then(pl.col("carbon_price_paid_eur_per_t"))
        .otherwise(0.0)
    )
    # A fee that no price scales (an ad valorem charge) is the same on every path.
    fixed = pl.col("certificate_price_eur").is_null() & (pl.col("fee_eur") > 0)
    priced = ~fixed & (a > 0) & (share > 0)
    bad = pl.col("input_error").is_not_null()
    # Rows that no path charges stay as buckets without a threshold (theta null): their groups
    # are listed with a fee of 0, as summarise lists them.
    return (
        fees.with_columns(
            quarter.cast(pl.Int32).alias("_s_q"),
            paid.alias("_s_paid"),
            *(key_as_read(c, schema) for c in by),
        )
        .with_columns(
            pl.when(fixed)
            .then(float("-inf"))
            .when(priced)
            .then(pl.col("embedded_t") * pl.col("_s_paid") / a)
            .alias("_s_theta")
        )
        .group_by([*by, *_bucket(by)])
        .agg(
            order_free_sum(pl.when(priced).then(share * a).otherwise(0.0)).alias("_s_a"),
            order_free_sum(
                pl.when(priced)
                .then(share * pl.col("embedded_t") * pl.col("_s_paid"))
                .otherwise(0.0)
            ).alias("_s_bp"),
            order_free_sum(pl.when(fixed).then(pl.col("fee_eur")).otherwise(0.0)).alias("_s_fixed"),
            bad.sum().alias("_s_bad"),
        )
        .collect(engine="streaming")
    )


def _bucket(by: Sequence[str]) -> list[str]:
    """The bucket columns not already among ``by`` (``by`` may hold ``rules_year``)."""
    return [c for c in _BUCKET if c not in by]


def _merge(parts: Iterable[pl.DataFrame], by: Sequence[str]) -> pl.DataFrame:
    """Partition sums added up (the sums are additive over rows)."""
    return (
        pl.concat(list(parts))
        .group_by([*by, *_bucket(by)])
        .agg(order_free_sum(pl.col(c)).alias(c) for c in _SUMS)
        .sort([*by, *_bucket(by)])
    )


def _evaluate(compact: pl.DataFrame, prices: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """Total fee per (path, group): s a P - s b p over buckets priced above theta, and fixed.

    Buckets are summed per cell (rules year, quarter key, group) and threshold; a year that
    every path prices alike in each quarter is one cell. Thresholds of 0 and below (no price
    paid abroad, fixed fees) are at most two per cell and are joined to the paths directly.
    Above 0, each cell's sums are added up in order of threshold and each path takes the sums
    below its price (an as-of join), so no cell is joined to every path once per threshold.
    """
    cells = list(dict.fromkeys([*_CELL, *by]))  # ``by`` may hold rules_year
    yearly = (
        prices.group_by("path", "rules_year")
        .agg(pl.col("price").n_unique() == 1)
        .group_by("rules_year")
        .agg(pl.col("price").all())
        .filter("price")["rules_year"]
    )
    quarter = (
        pl.when(pl.col("rules_year").is_in(yearly.implode()))
        .then(0)
        .otherwise(pl.col("_s_q"))
        .cast(pl.Int32)
        .alias("_s_q")
    )
    paths = prices.lazy().with_columns(quarter).unique(["path", *_CELL])
    steps = (
        compact.lazy()
        .filter(pl.col("_s_theta").is_not_null())
        .with_columns(quarter)
        .group_by([*cells, "_s_theta"])
        .agg(order_free_sum(pl.col(c)).alias(c) for c in _SUMS)
    )
    fee = order_free_sum(pl.col("_s_a") * pl.col("price") - pl.col("_s_bp") + pl.col("_s_fixed"))
    flat = (
        steps.filter(pl.col("_s_theta") <= 0)
        .join(paths, on=_CELL)
        .filter(pl.col("_s_theta") < pl.col("price"))
        .group_by(["path", *by])
        .agg(fee.alias("fee_eur"))
    )
    rising = (
        steps.filter(pl.col("_s_theta") > 0)
        .with_columns(pl.struct(cells).rank("dense").alias("_s_cell"))
        .sort("_s_cell", "_s_theta")
        .with_columns(pl.col(_SUMS).cum_sum().over("_s_cell"))
    )
    stepped = (
        paths.join(rising.select(*cells, "_s_cell").unique(), on=_CELL)
        .sort("price")
        .join_asof(
            rising.select("_s_cell", "_s_theta", *_SUMS).sort("_s_theta"),
            left_on="price",
            right_on="_s_theta",
            by="_s_cell",
            strategy="backward",
            allow_exact_matches=False,  # a bucket is charged above its threshold only
            check_sortedness=False,  # sorted by the key over all cells, so within each
        )
        .group_by(["path", *by])
        .agg(fee.alias("fee_eur"))
    )
    both = pl.concat([flat, stepped])
    return both.group_by(["path", *by]).agg(order_free_sum(pl.col("fee_eur"))).collect()


def _in_force_by_quarter(path: PriceSchedule, years: range) -> PriceSchedule:
    """A design's price path read as its rules read a dated price (``quarterly_schedule``).

    A year's entry is in force from 1 January and a quarter's from its first day, each until
    the next: the last quarter of a year given by quarters stays in force in later years, as
    the same values given as ``charge.price`` do in ``compute``.
    """
    if not isinstance(path, Mapping) or not path:
        return path
    cited = Reference(title="sweep price path", href="")
    values = [
        DatedValue[float].model_validate(
            {"from": dt.date(year, _QUARTER_START[q], 1), "value": v, "reference": cited}
        )
        for year, entry in sorted(path.items())
        for q, v in sorted((entry if isinstance(entry, Mapping) else {1: entry}).items())
    ]
    price = DatedParameter[float](description="sweep price path", unit="", values=values)
    return quarterly_schedule(price, years)[0]


def _design_path(path: PriceSchedule | None, design: Design, years: range) -> PriceSchedule:
    """A design's price per year and quarter: a path given (checked), else its own values."""
    if path is not None:
        return _in_force_by_quarter(path, years)
    return {} if design.charge.price is None else quarterly_schedule(design.charge.price, years)[0]


def _checked_path(path: Any, name: str) -> PriceSchedule:
    """A design's price path: a number, or years (and quarters) to numbers, none negative."""

    def number(value: Any) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value < 0:
            raise ScenarioError(
                f"sweep: {name} path {shorten(path)}: {shorten(value)} is not a price >= 0"
            )
        return float(value)

    if not isinstance(path, Mapping):
        return number(path)
    checked: dict[int, float | dict[int, float]] = {}
    for year, entry in path.items():
        if isinstance(year, bool) or not str(year).isdigit():
            raise ScenarioError(f"sweep: {name} path {shorten(path)}: {year!r} is not a year")
        if isinstance(entry, Mapping):
            if any(str(q) not in ("1", "2", "3", "4") for q in entry):
                raise ScenarioError(f"sweep: {name} path {shorten(path)}: quarters are 1-4")
            checked[int(year)] = {int(q): number(v) for q, v in entry.items()}
        else:
            checked[int(year)] = number(entry)
    return checked


def _eu_schedules(paths: Sequence[Any], scenario: Scenario) -> list[PriceSchedule]:
    """The EU engine's price paths as schedules, each validated as ``load_scenario`` would.

    Resolving a scenario (reading its regime) is the slow part of ``_with``, and what it checks
    depends on a path only through whether a price is given: the first path given is resolved,
    the others are validated alone. A path that fails goes through ``_with`` for its message.
    """
    # None is the scenario's own price, as on a design regime (the cited path where it has none).
    own = scenario.certificate_price_eur
    default = cast(
        PriceSchedule, own if own is not None else config.certificate_prices().as_schedule()
    )
    raw = scenario.model_dump()
    schedules: list[PriceSchedule] = []
    resolved = False
    for path in paths:
        given: Any = None
        # A path is the whole price path: it replaces the scenario's, not one year of it.
        changed = {**raw, PRICE: path}
        message = f"sweep: invalid value in vary {shorten({PRICE: path})}"
        if path is not None and not resolved:
            given = rebuilt(changed, message).certificate_price_eur
            resolved = True
        elif path is not None:
            try:
                given = Scenario.model_validate(changed).certificate_price_eur
            except ValidationError:
                given = rebuilt(changed, message).certificate_price_eur
        schedules.append(default if given is None else cast(PriceSchedule, given))
    return schedules


def _price_named(varied: dict[str, Any], price_key: str) -> dict[str, Any]:
    """``varied`` with the price paths under ``price_key``; a part of the price is refused.

    ``design.charge.price`` is ``charge.price``, and on the EU engine ``charge.price`` (or
    ``charge.certificate_price``) is its price, ``certificate_price_eur``: one key varies the
    price of every regime. The sweep prices every path itself, on sums
    that do not depend on the price, so a key into the price path
    (``certificate_price_eur.2030``, ``charge.price.2030``) would be dropped: refused, naming
    the whole-path form.
    """
    out: dict[str, Any] = {}
    for name, values in varied.items():
        key = name.strip().removeprefix("design.")
        if price_key == PRICE and key in (DESIGN_PRICE, "charge.certificate_price"):
            key = PRICE
        if key == price_key and price_key in out:
            raise ScenarioError(f"sweep: vary names the price paths twice ({price_key})")
        if key.startswith(f"{price_key}.") or (price_key == PRICE and key.startswith(DESIGN_PRICE)):
            raise ScenarioError(
                f"sweep: vary[{shorten(name)!r}] changes part of the price, which the sweep "
                f"sets per path: give whole paths in vary[{price_key!r}], for example "
                f"[80, {{2026: 75, 2030: 120}}] (a mapping is the whole path)"
            )
        out[price_key if key == price_key else name] = values
    return out


def _price_paths(
    paths: Sequence[Any], scenario: Scenario, years: list[int], read: list[int] | None
) -> pl.DataFrame:
    """(path, rules_year, quarter key, price in EUR) for each price path.

    The EU engine's paths are certificate prices in EUR; a design's are its charge price in
    its currency, converted at the year's EUR rate (``rates/carbon_prices/fx.csv``), as the
    design's rules convert it. A path's entry in force in no rules year the designs ``read``
    (their fixed rules years; None: every rules year) is refused, as ``load_scenario``
    refuses an override that would never apply.
    """
    span = range(min(years), max(years) + 1)
    design = resolve(scenario).design
    eur_per_unit = {y: 1.0 for y in span}
    if design.currency != "EUR":
        fx = fx_by_year(span).filter(pl.col("currency") == design.currency)
        eur_per_unit = dict(zip(fx["year"].to_list(), fx["eur_per_unit"].to_list(), strict=True))
    given: list[PriceSchedule | None] = (
        list(_eu_schedules(paths, scenario))
        if scenario.regime == EU_ENGINE
        else [None if path is None else _checked_path(path, DESIGN_PRICE) for path in paths]
    )
    first = design.first_rules_year
    for path, schedule in zip(paths, given, strict=True):
        if late := years_beyond(schedule, design.last_rules_year):
            raise ScenarioError(
                f"sweep: price path {shorten(path)}: {late} after the last rules year "
                f"{design.last_rules_year} would never apply"
            )
        last = design.last_rules_year
        unused = years_in_force_in_none(schedule, first, last, read) if path is not None else []
        if unused:
            said = f"{first}-{last}" if read is None else ", ".join(map(str, read))
            raise ScenarioError(
                f"sweep: price path {shorten(path)}: {unused} in force in no rules year the "
                f"designs read ({said}; a later entry starts first, or a fixed rules_year "
                "comes before it): it would never apply"
            )
    schedules = [
        schedule
        if scenario.regime == EU_ENGINE and schedule is not None
        else _design_path(schedule, design, span)
        for schedule in given
    ]
    rows: list[dict[str, Any]] = []
    for i, schedule in enumerate(schedules):
        for row in price_rows(schedule, span, set()):
            if row["year"] in years:
                price = row["price"]
                if price is None and paths[i] is not None:  # compute refuses such rows too
                    key = PRICE if scenario.regime == EU_ENGINE else DESIGN_PRICE
                    raise ScenarioError(
                        f"sweep: {key} path {shorten(paths[i])} gives no price for rules year "
                        f"{row['year']} of the imports (a path is the whole price path)"
                    )
                rate = eur_per_unit.get(row["year"])
                in_eur = None if price is None or rate is None else cast(float, price) * rate
                rows.append(
                    {"path": i, "rules_year": row["year"], "_s_q": row["q"], "price": in_eur}
                )
    return pl.DataFrame(
        rows,
        schema={"path": pl.Int64, "rules_year": pl.Int32, "_s_q": pl.Int32, "price": pl.Float64},
    ).with_columns(pl.col("price").fill_null(0.0))


def _a_list(value: Any) -> bool:
    """Whether ``value`` is a list of values (no text or mapping, which iterate too)."""
    return isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping)


def _priced_alike(
    base: Scenario,
    designs: Sequence[Scenario],
    names: Sequence[str],
    combos: Sequence[tuple[Any, ...]],
    price_key: str,
) -> None:
    """Refuse a design of another regime or price: every design is priced on the same paths.

    A wider key (``design.charge: {price: 10}``, ``regime: ...``) would change what the sweep
    prices per path itself, and be dropped.
    """
    charge = resolve(base).design.charge
    for design, combo in zip(designs, combos, strict=True):
        own = resolve(design).design.charge
        alike = design.regime == base.regime and (
            design.certificate_price_eur,
            own.price,
            own.certificate_price,
        ) == (base.certificate_price_eur, charge.price, charge.certificate_price)
        if not alike:
            which = ", ".join(
                f"{n}={shorten(json.dumps(v, default=str), 60)}"
                for n, v in zip(names, combo, strict=True)
            )
            raise ScenarioError(
                f"sweep: the design {which} changes the regime or its price, which the sweep "
                f"sets per path for every design: vary whole price paths in vary[{price_key!r}], "
                "and compare regimes with cbam.compare"
            )


def is_address(text: str) -> bool:
    """Whether ``text`` names a Dask scheduler: a protocol's address, or a host and port.

    'threads' or 'processes', Dask's own scheduler names, are none.

    Example:
        >>> [is_address(t) for t in ("tcp://h:8786", "[::1]:8786", "h:8786", "threads")]
        [True, True, True, False]

    """
    return re.fullmatch(r"[a-z]+://\S+|(\[[\w:.%]+\]|[^\s:/\[\]]+):\d+", text) is not None


def _client(scheduler: Any) -> Any:
    """A Dask client: ``"local"`` starts a local cluster; a text is a scheduler address."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError("sweep(scheduler=...) runs on Dask: pip install 'cbam[dask]'") from None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True)  # type: ignore[no-untyped-call]
        return Client(cluster)  # type: ignore[no-untyped-call]
    if isinstance(scheduler, str) and is_address(scheduler):
        return Client(scheduler)  # type: ignore[no-untyped-call]
    if isinstance(scheduler, str) or not callable(getattr(scheduler, "submit", None)):
        raise ScenarioError(
            "sweep: scheduler must be None, 'local', a scheduler address such as "
            f"'tcp://host:8786' or a distributed.Client, not {shorten(repr(scheduler), 60)}"
        )
    return scheduler  # a distributed.Client already


# Output columns the certificate price decides (besides the totals' own).
_PRICED_COLUMNS = ("certificate_price_eur", "certificate_price_period", "fee_local")


def sweep(
    imports: pl.DataFrame | pl.LazyFrame | Any,
    scenario: Scenario | str | Path = "eu-cbam",
    vary: Mapping[str, Sequence[Any]] | None = None,
    *,
    by: Sequence[str] = (),
    percentiles: Sequence[float] = (5, 50, 95),
    partitions: int = 1,
    scheduler: Any = None,
    progress_bar: bool | None = None,
) -> SweepResult:
    """Evaluate every combination of ``vary``'s values on one panel and report percentiles.

    Each combination of the non-price parameters (a design) is computed once; price paths
    (numbers or year -> price mappings) are then priced on sums that do not depend on the
    price, so 1,000 paths cost about one pass. On the EU engine the paths are
    ``vary["certificate_price_eur"]`` (EUR); on a design regime ``vary["charge.price"]``, in
    the design's currency, converted at each year's EUR rate as the design's rules convert it.

    Args:
        imports: The import panel (as for ``cbam.compute``; strict validation).
        scenario: The base scenario or its name.
        vary: Dotted scenario parameters and the values to try, e.g.
            ``{"certificate_price_eur": [60, 80, {2026: 75, 2030: 120}],
            "exemptions": [[], [{"group": "ldc"}]]}``, or for ``uk-cbam``
            ``{"charge.price": [50, {2027: 54.4, 2030: 90}]}`` (GBP). ``None`` is a scenario
            key's default (``"rules_year": [None, 2030]``: each row's own year, then 2030's
            rules); a design's value takes a value, not ``None``.
        by: Columns of the ``compute`` output to total by (e.g. ``["origin"]``); none for the
            grand total. Not a total's own column (``certificates``), nor, where a price is
            varied, one the price decides (``certificate_price_eur``, its period, ``fee_local``).
        percentiles: Percentiles (0-100) of the total fee over the price paths.
        partitions: Parts of the rows, each of whole import years (a threshold or import
            share sums a year's rows; at most one part a year); each (part, design) is one
            task.
        scheduler: None to run here; ``"local"`` for a local Dask cluster (worker processes:
            in a script, call under ``if __name__ == "__main__":``); a scheduler address
            (``"tcp://host:8786"``) or a ``distributed.Client``.
        progress_bar: Force the progress bar on or off (default: on a terminal only).

    Returns:
        A ``SweepResult``.

    Example:
        >>> import polars as pl, cbam
        >>> rows = pl.DataFrame({"year": [2026], "origin": ["TUR"], "cn_code": ["72071111"],
        ...                      "quantity_t": [100.0]})
        >>> r = cbam.sweep(rows, "eu-cbam", vary={"certificate_price_eur": [80, 100]})
        >>> r.totals.sort("path")["fee_eur"].round(2).to_list()
        [9688.8, 12111.0]

    """
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if vary is not None and not isinstance(vary, Mapping):
        raise TypeError(
            "vary must be a mapping of dotted parameter paths to lists of values, not "
            f"{type(vary).__name__}"
        )
    varied = {str(k): plain_value(v) for k, v in (vary or {}).items()}
    for name, values in varied.items():
        if not _a_list(values):
            raise TypeError(
                f"vary[{shorten(name)!r}] must be a list of values to try, not "
                f"{type(values).__name__}"
            )
        varied[name] = list(values)
        if not varied[name]:
            raise ScenarioError(f"sweep: vary[{shorten(name)!r}] is empty: give values to try")
    price_key = PRICE if base.regime == EU_ENGINE else DESIGN_PRICE
    varied = _price_named(varied, price_key)
    default_path = base.certificate_price_eur if base.regime == EU_ENGINE else None
    vary_names = set(varied)
    price_paths: list[Any] = list(varied.pop(price_key, [default_path]))
    base_design = resolve(base).design
    if price_key == DESIGN_PRICE and base_design.charge.price is None and price_paths != [None]:
        raise ScenarioError(
            f"sweep: {base_design.name} charges no price ({base_design.charge.kind}): "
            f"vary its other parameters, not {DESIGN_PRICE}"
        )
    if not _a_list(percentiles):
        raise ScenarioError(
            "sweep: percentiles must be a list of numbers from 0 to 100, not "
            f"{shorten(repr(percentiles), 60)}"
        )
    percentiles = plain_value(list(percentiles))
    bad = [
        q
        for q in percentiles
        if isinstance(q, bool) or not isinstance(q, int | float) or not 0 <= q <= 100
    ]
    if bad:
        raise ScenarioError(f"sweep: percentiles must be numbers from 0 to 100, not {shorten(bad)}")
    percentiles = list(dict.fromkeys(percentiles))  # 50 and 50.0 are one column, p50
    names = list(varied)
    combos = list(itertools.product(*(varied[n] for n in names))) or [()]
    designs = [_with(base, dict(zip(names, combo, strict=True))) for combo in combos]
    _read_by_a_design(designs, names, combos)
    _priced_alike(base, designs, names, combos, price_key)
    given = to_polars(imports)
    frame = given.collect() if isinstance(given, pl.LazyFrame) else given
    check_columns(frame.schema, reserved=("_c_", "_s_"))  # its working columns are _s_
    # The totals' own columns are no keys (as for summarise); nor, where the price varies, a
    # column the price decides: each path's fees are totalled by keys every path shares.
    keys = grouping(by, result_columns(frame.columns), results=("design", "path", *SUMMARY_COLUMNS))
    priced = [k for k in keys if k in _PRICED_COLUMNS]
    if priced and price_key in vary_names:
        raise ScenarioError(
            f"sweep: by={shorten(priced)}: the price path decides it, so a sweep of prices "
            "cannot total by it (each path's fees are totalled by keys all paths share; "
            "cbam.totals gives one path's totals by it)"
        )
    if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
        raise ScenarioError(f"sweep: partitions must be a whole number >= 1, not {partitions!r}")
    slices = _whole_years(frame, partitions)
    tasks = [(d, s) for d in range(len(designs)) for s in range(len(slices))]

    compacts: dict[int, list[pl.DataFrame]] = {d: [] for d in range(len(designs))}
    if scheduler is None:
        for d, s in progress(tasks, desc="sweep", enabled=progress_bar):
            compacts[d].append(_compact(slices[s], designs[d], keys))
    else:
        client = _client(scheduler)
        from distributed import as_completed

        remote = client.scatter(slices)
        futures = {
            client.submit(_compact, remote[s], designs[d], keys, pure=False): d for d, s in tasks
        }
        for future in progress(
            as_completed(futures),  # type: ignore[no-untyped-call]
            total=len(futures),
            desc="sweep",
            enabled=progress_bar,
        ):
            compacts[futures[future]].append(future.result())
        if isinstance(scheduler, str):
            client.close()  # a client this call opened (a given Client stays open)

    merged = {d: _merge(parts, keys) for d, parts in compacts.items()}
    charged = [m.filter(pl.col("_s_theta").is_not_null())["rules_year"] for m in merged.values()]
    years = sorted({y for c in charged for y in c.drop_nulls().to_list()}) or [
        base_design.first_rules_year
    ]
    fixed = [d.rules_year for d in designs]
    # The rules years the designs read: all, unless every design fixes one.
    read = None if None in fixed else sorted(set(cast(list[int], fixed)))
    prices = _price_paths(price_paths, base, years, read)
    totals = []
    for d, compact in merged.items():
        found = _evaluate(compact, prices, keys)
        # Every (path, group) appears, with 0 where nothing is charged.
        grid = prices.select("path").unique()
        if keys:
            grid = grid.join(compact.select(keys).unique(), how="cross")
        totals.append(
            grid.join(found, on=["path", *keys], how="left", nulls_equal=True)
            .with_columns(pl.col("fee_eur").fill_null(0.0), pl.lit(d, pl.Int64).alias("design"))
            .select("design", "path", *keys, "fee_eur")
        )
    total = pl.concat(totals).sort(["design", "path", *keys])
    if not (overflow := total.filter(~pl.col("fee_eur").is_finite())).is_empty():
        path, design = overflow.row(0, named=True)["path"], overflow["design"][0]
        raise ScenarioError(
            f"{price_key} path {path} ({shorten(json.dumps(price_paths[path], default=str), 80)})"
            f", design {design}: the fee is not a finite number (a price too large for these "
            "imports, as compute would say)"
        )
    stats = (
        total.group_by(["design", *keys])
        .agg(
            pl.col("fee_eur").mean().alias("fee_eur_mean"),
            *[
                pl.col("fee_eur").quantile(q / 100, "linear").alias(f"fee_eur_p{q:g}")
                for q in percentiles
            ],
        )
        .sort(["design", *keys])
    )
    design_table = pl.DataFrame(
        {
            "design": list(range(len(designs))),
            **{n: [json.dumps(c[i], default=str) for c in combos] for i, n in enumerate(names)},
        }
    )
    path_table = pl.DataFrame(
        {
            "path": list(range(len(price_paths))),
            price_key: [json.dumps(p, default=str) for p in price_paths],
        }
    )
    return SweepResult(design_table, path_table, total, stats)
