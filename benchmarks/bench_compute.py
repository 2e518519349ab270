"""Time ``compute`` + ``summarise`` on a generated import panel; print rows/s and peak memory.

A realistic mix: 200 origins (the default-value countries, 'Other countries' fallbacks and a few
exempt origins), every Annex I CN8 code, years 2026-2034, customs values and quarters present.
The floor is a plain Polars group-by sum over the same columns, measured in the same run, so the
overhead of the rules is visible as a ratio. Run: ``make bench`` or
``python benchmarks/bench_compute.py --rows 10000000``.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

import cbam

ROOT = Path(__file__).resolve().parents[1]
# The floor: one plain pass over the columns compute reads (text columns by their bytes).
FLOOR = [
    pl.col("year", "quarter", "quantity_t", "value_eur").sum(),
    pl.col("origin", "cn_code").str.len_bytes().sum(),
]


def panel(rows: int, seed: int = 7) -> pl.DataFrame:
    """A generated import panel of ``rows`` rows (deterministic for a seed)."""
    codes = pl.read_csv(ROOT / "rates/eu/goods.csv", schema_overrides={"cn_code": pl.String})
    # Electricity has no default value (it needs actual values): left out.
    cn8 = codes.filter(pl.col("sector") != "electricity")["cn_code"].sort().to_list()
    dv = pl.read_csv(ROOT / "rates/eu/default_values.csv", columns=["origin"])
    listed = sorted(set(dv["origin"].to_list()) - {"OTHER"})
    iso = pl.read_csv(ROOT / "country_lists/iso3166_1.csv")["iso3"].sort().to_list()
    others = [c for c in iso if c not in listed][: 200 - len(listed) - 3]
    origins = [*listed, *others, "NOR", "CHE", "TUR"][:200]
    i = pl.int_range(rows)
    return pl.select(
        year=(2026 + i.hash(seed) % 9).cast(pl.Int32),
        origin=pl.lit(pl.Series(origins)).gather(i.hash(seed + 1) % len(origins)),
        cn_code=pl.lit(pl.Series(cn8)).gather(i.hash(seed + 2) % len(cn8)),
        quantity_t=(i.hash(seed + 3) % 100_000).cast(pl.Float64) / 10,
        value_eur=(i.hash(seed + 4) % 10_000_000).cast(pl.Float64),
        quarter=(1 + i.hash(seed + 5) % 4).cast(pl.Int8),
    )


def timed(label: str, rows: int, fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    print(f"{label:58s} {best:8.2f} s  {rows / best / 1e6:8.2f} M rows/s")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    n = args.rows
    start = time.perf_counter()
    frame = panel(n)
    print(
        f"panel: {n:,} rows, {frame['origin'].n_unique()} origins, "
        f"{frame['cn_code'].n_unique()} CN8 codes, {frame.estimated_size('mb'):.0f} MB "
        f"(generated in {time.perf_counter() - start:.1f} s); polars {pl.__version__}, "
        f"{pl.thread_pool_size()} threads, {os.cpu_count()} CPUs"
    )
    scenario = cbam.load_scenario("eu-cbam")
    cbam.compute(frame.head(1000), scenario)  # build and cache the lookups once
    by = ["origin", "sector"]

    print("-- from memory")
    floor = timed(
        "floor: scan and sum over the same columns",
        n,
        lambda: frame.lazy().select(FLOOR).collect(),
        args.repeat,
    )
    timed(
        "floor: group_by(origin, cn_code).sum(quantity, value)",
        n,
        lambda: (
            frame.lazy()
            .group_by("origin", "cn_code")
            .agg(pl.col("quantity_t").sum(), pl.col("value_eur").sum())
            .collect()
        ),
        args.repeat,
    )
    lazy = timed(
        "compute(LazyFrame) + summarise, collected (streaming)",
        n,
        lambda: cbam.summarise(
            cbam.compute(frame.lazy(), scenario, engine="streaming"), by=by
        ).collect(engine="streaming"),
        args.repeat,
    )
    strict = timed(
        "compute(DataFrame) + summarise, every output column",
        n,
        lambda: cbam.summarise(cbam.compute(frame, scenario), by=by),
        args.repeat,
    )
    timed(
        "compute(DataFrame, engine='streaming') + summarise",
        n,
        lambda: cbam.summarise(cbam.compute(frame, scenario, engine="streaming"), by=by),
        args.repeat,
    )
    print("-- from Parquet")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "panel.parquet"
        frame.write_parquet(path)
        parquet_floor = timed(
            "floor: scan_parquet and sum over the same columns",
            n,
            lambda: pl.scan_parquet(path).select(FLOOR).collect(),
            args.repeat,
        )
        parquet = timed(
            "compute(scan_parquet) + summarise, collected (streaming)",
            n,
            lambda: cbam.summarise(
                cbam.compute(pl.scan_parquet(path), scenario, engine="streaming"), by=by
            ).collect(engine="streaming"),
            args.repeat,
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"overhead over floor: memory lazy {lazy / floor:.1f}x, DataFrame {strict / floor:.1f}x, "
        f"Parquet {parquet / parquet_floor:.1f}x"
    )
    print(
        f"targets: memory {n / lazy / 1e6:.1f} M rows/s (target 50), "
        f"Parquet {n / parquet / 1e6:.1f} M rows/s (target 30)"
    )
    print(f"peak resident memory of the process: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
