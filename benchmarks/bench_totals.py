"""Panel speed (issue 17): ``cbam.totals`` and ``cbam.compute`` next to floors of the same run.

Each line prints the figure, the floor measured in the same process on the same rows, their
ratio, the target and whether it is met. Floors are bare Polars: a group-by summing quantity
and value over the key columns (origin, code, year), and a scan summing every column read.
Panels: ``bench_compute.panel`` (200 origins, every Annex I CN8 code with default values,
years 2026-2034, quarters, customs values), a variant carrying importers, routes and actual
values, and the same rows for each bundled regime. Run: ``make bench`` or
``python benchmarks/bench_totals.py [--rows N --repeat N]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
from bench_compute import FLOOR, ROOT, panel

import cbam
from cbam.testing.strategies import routes_of

REGIMES = ("eu-cbam", "uk-cbam", "us-cca-2025", "us-fpf-2025")


def best(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def line(
    label: str,
    rows: int,
    seconds: float,
    *,
    floor: float | None = None,
    target: float | None = None,
    max_ratio: float | None = None,
    versus: float | None = None,
    versus_label: str = "floor",
) -> None:
    """One result: M rows/s, the floor and ratio, the target and met or missed."""
    rate = rows / seconds / 1e6
    text = f"{label:60s} {seconds:7.2f} s {rate:7.1f} M rows/s"
    verdicts = []
    reference = floor if floor is not None else versus
    if reference is not None:
        ratio = seconds / reference
        text += f" | {versus_label} {reference:6.2f} s, ratio {ratio:5.2f}x"
        if max_ratio is not None:
            verdicts.append(
                f"<= {max_ratio:g}x {versus_label}: {'met' if ratio <= max_ratio else 'MISSED'}"
            )
    if target is not None:
        verdicts.append(f">= {target:g} M rows/s: {'met' if rate >= target else 'MISSED'}")
    print(text + (" | target " + "; ".join(verdicts) if verdicts else ""), flush=True)


def rich_panel(frame: pl.DataFrame) -> pl.DataFrame:
    """The panel with importers, routes and verified actual values on a tenth of the rows.

    2,000 importers; actual values from a few installations per good (three direct and two
    indirect intensities), each with a production route of the good's sector, so rows share
    keys as customs data do.
    """
    codes = frame["cn_code"].unique().to_list()
    routes = pl.DataFrame(
        {"cn_code": codes, "route": [(routes_of(c) or (None,))[0] for c in codes]},
        schema={"cn_code": pl.String, "route": pl.String},
    )
    i = pl.int_range(pl.len())
    actual = i.hash(11) % 10 == 0
    return (
        frame.join(routes, on="cn_code", how="left", maintain_order="left")
        .with_columns(
            importer=pl.format("IMP{}", i.hash(12) % 2_000),
            see_direct=pl.when(actual).then(1.0 + (i.hash(13) % 3).cast(pl.Float64) * 0.5),
            see_indirect=pl.when(actual).then(0.1 + (i.hash(14) % 2).cast(pl.Float64) * 0.1),
        )
        .with_columns(pl.when(actual).then(pl.col("route")).alias("route"))
    )


def baci_panel(rows: int, seed: int = 7) -> pl.DataFrame:
    """A panel shaped like a BACI year read by ``cbam.read_trade``: one year, HS6 codes.

    Every ISO origin ships every covered HS6 heading to the 27 EU members (``destination``),
    so rows share their rule keys as a BACI year's do (about 70,000 origin x code keys).
    """
    goods = pl.read_csv(ROOT / "rates/eu/goods.csv", schema_overrides={"cn_code": pl.String})
    hs6 = goods.filter(pl.col("sector") != "electricity")["cn_code"].str.slice(0, 6).unique()
    origins = pl.read_csv(ROOT / "country_lists/iso3166_1.csv")["iso3"]
    eu27 = pl.read_csv(ROOT / "country_lists/eu27.csv")
    members = eu27.filter(pl.col("member_to").is_null())["iso3"].unique()
    i = pl.int_range(rows)
    return pl.select(
        year=pl.lit(2027, pl.Int32),
        origin=pl.lit(origins.sort()).gather(i.hash(seed) % origins.len()),
        destination=pl.lit(members.sort()).gather(i.hash(seed + 1) % members.len()),
        cn_code=pl.lit(hs6.sort()).gather(i.hash(seed + 2) % hs6.len()),
        quantity_t=(i.hash(seed + 3) % 100_000).cast(pl.Float64) / 10,
        value_eur=(i.hash(seed + 4) % 10_000_000).cast(pl.Float64),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, repeat = args.rows, args.repeat
    start = time.perf_counter()
    frame = panel(n)
    load = os.getloadavg()
    print(
        f"panel: {n:,} rows, {frame.height and frame['origin'].n_unique()} origins, "
        f"{frame['cn_code'].n_unique()} CN8 codes (generated in "
        f"{time.perf_counter() - start:.1f} s); polars {pl.__version__}, cbam "
        f"{cbam.__version__}, Python {platform.python_version()}, {pl.thread_pool_size()} "
        f"threads, {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f}"
    )
    eu = cbam.load_scenario("eu-cbam")
    cbam.totals(frame.head(1000), eu)  # build and cache the lookups once

    def group_floor(lazy: Callable[[], pl.LazyFrame], keys: list[str]) -> float:
        def run(engine: str) -> float:
            plan = lambda: (  # noqa: E731
                lazy()
                .group_by(keys)
                .agg(pl.col("quantity_t").sum(), pl.col("value_eur").sum())
                .collect(engine=engine)  # type: ignore[call-overload]
            )
            return best(plan, repeat)

        return min(run("in-memory"), run("streaming"))

    print("-- totals, from memory (strict)")
    floor = group_floor(frame.lazy, ["origin", "cn_code", "year"])
    line("floor: group_by(origin, cn_code, year).sum(quantity, value)", n, floor)
    raw = group_floor(frame.lazy, ["origin", "cn_code", "year", "quarter"])
    line("floor: group_by(origin, cn_code, year, quarter): the raw keys", n, raw)
    # Any exact per-row method must at least map each row's text keys to their distinct values.
    origins, codes = frame["origin"].unique(), frame["cn_code"].unique()
    keyed = best(
        lambda: (
            frame.lazy()
            .select(
                pl.col("origin").cast(pl.Enum(origins)).to_physical().sum(),
                pl.col("cn_code").cast(pl.Enum(codes)).to_physical().sum(),
            )
            .collect(engine="streaming")
        ),
        repeat,
    )
    line("floor: one pass mapping origin and code to their distinct values", n, keyed)
    eu_totals = {}
    for by in (["origin", "sector"], ["origin", "sector", "year"]):
        seconds = best(lambda by=by: cbam.totals(frame, eu, by=by), repeat)  # type: ignore[misc]
        eu_totals[len(by)] = seconds
        line(f"totals by {', '.join(by)}", n, seconds, floor=floor, target=60, max_ratio=2)

    print("-- totals, from Parquet (scan_parquet)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "panel.parquet"
        frame.write_parquet(path)
        scan_floor = group_floor(lambda: pl.scan_parquet(path), ["origin", "cn_code", "year"])
        line("floor: scan_parquet + group_by(origin, cn_code, year).sum", n, scan_floor)
        seconds = best(lambda: cbam.totals(pl.scan_parquet(path), eu), repeat)
        line("totals(scan_parquet) by origin, sector", n, seconds, floor=scan_floor, target=40)

    print("-- compute, every output column materialised (DataFrame, strict)")
    scan = best(lambda: frame.lazy().select(FLOOR).collect(), repeat)
    line("floor: scan and sum over the columns compute reads", n, scan)
    eu_compute = best(lambda: cbam.compute(frame, eu), repeat)
    line("compute, eu-cbam", n, eu_compute, floor=scan, target=20)

    print("-- every bundled regime (the same rows; ratio to eu-cbam)")
    for name in REGIMES[1:]:
        scenario = cbam.load_scenario(name)
        shift = max(0, cbam.resolve(scenario).design.first_rules_year - 2026)
        rows = frame.with_columns(pl.col("year") + shift) if shift else frame
        cbam.totals(rows.head(1000), scenario)
        seconds = best(lambda: cbam.totals(rows, scenario), repeat)  # noqa: B023
        line(
            f"totals by origin, sector, {name}",
            n,
            seconds,
            versus=eu_totals[2],
            versus_label="eu-cbam",
            max_ratio=1.5,
            target=60,
        )
        seconds = best(lambda: cbam.compute(rows, scenario), repeat)  # noqa: B023
        line(
            f"compute, {name}",
            n,
            seconds,
            versus=eu_compute,
            versus_label="eu-cbam",
            max_ratio=1.5,
            target=20,
        )

    print("-- panels with importers, routes and actual values (ratio to the plain panel)")
    rich = rich_panel(frame)
    cbam.totals(rich.head(1000), eu)
    seconds = best(lambda: cbam.totals(rich, eu), repeat)
    line(
        "totals by origin, sector, importers/routes/actual values",
        n,
        seconds,
        versus=eu_totals[2],
        versus_label="plain panel",
        max_ratio=2,
        target=60,
    )
    seconds = best(lambda: cbam.compute(rich, eu), repeat)
    line(
        "compute, importers/routes/actual values",
        n,
        seconds,
        versus=eu_compute,
        versus_label="plain panel",
        max_ratio=2,
        target=20,
    )
    print("-- a BACI-shaped panel: one year, HS6 codes, 27 EU importers (destination)")
    baci = baci_panel(n)
    cbam.totals(baci.head(1000), eu)
    keys = ["origin", "cn_code", "year"]
    baci_floor = group_floor(baci.lazy, keys)
    line("floor: group_by(origin, cn_code, year).sum", n, baci_floor)
    seconds = best(lambda: cbam.totals(baci, eu), repeat)
    line("totals by origin, sector, BACI-shaped", n, seconds, floor=baci_floor, target=60)
    print("-- reading a BACI file (cbam.read_trade, strict: one validation pass, then the rows)")
    numeric = pl.read_csv(
        ROOT / "country_lists/iso3166_1.csv", schema_overrides={"numeric": pl.String}
    ).filter(pl.col("numeric").is_not_null())  # Kosovo has none
    as_baci = (
        baci.join(numeric.select("iso3", i="numeric"), left_on="origin", right_on="iso3")
        .join(numeric.select("iso3", j="numeric"), left_on="destination", right_on="iso3")
        .select(t="year", i="i", j="j", k="cn_code", v=pl.col("value_eur") / 1_000, q="quantity_t")
        # The generated panel repeats (t, i, j, k), which BACI never does and read_trade refuses
        # as one flow given twice: a shipment number (a column cbam does not read) keeps the
        # rows apart, as a customs extract's declaration id would.
        .with_row_index("shipment")
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "baci.csv"
        as_baci.write_csv(path)
        rows = as_baci.height
        scan = best(lambda: pl.scan_csv(path, infer_schema=False).collect(), repeat)
        line("floor: scan_csv, every column as text", rows, scan)
        seconds = best(lambda: cbam.read_trade(path, "baci").collect(), repeat)
        line("read_trade, BACI CSV", rows, seconds, floor=scan)
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
