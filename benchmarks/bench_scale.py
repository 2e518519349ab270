"""A 100-million-row Parquet file through ``compute`` + ``summarise`` on Polars' streaming engine.

The file is generated under /tmp (never in the repository) in chunks of the ``bench_compute``
panel and kept for reruns; the run itself happens in a child process, whose peak resident
memory is reported (target: under 4 GB). Run: ``python benchmarks/bench_scale.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

import cbam

CHUNK = 10_000_000


def generate(path: Path, rows: int) -> None:
    from bench_compute import panel

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        parts = []
        for i, offset in enumerate(range(0, rows, CHUNK)):
            part = Path(tmp) / f"part{i:03d}.parquet"
            panel(min(CHUNK, rows - offset), seed=7 + i).write_parquet(part)
            parts.append(part)
        pl.scan_parquet(parts).sink_parquet(path)
    size = path.stat().st_size / 1e9
    print(f"generated {path} ({rows:,} rows, {size:.1f} GB) in {time.perf_counter() - start:.0f} s")


def measure(path: Path) -> None:
    scenario = cbam.load_scenario("eu-cbam")
    start = time.perf_counter()
    fees = cbam.compute(pl.scan_parquet(path), scenario, engine="streaming")
    summary = cbam.summarise(fees, by=["origin", "sector"]).collect(engine="streaming")
    seconds = time.perf_counter() - start
    rows = int(summary["rows"].sum())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    fee = summary["fee_eur"].sum()
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak, "fee_eur": fee}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(Path(args.measure))
        return
    path = Path(tempfile.gettempdir()) / f"cbam_bench_{args.rows}.parquet"
    if not path.exists():
        generate(path, args.rows)
    child = subprocess.run(
        [sys.executable, __file__, "--measure", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    verdict = "met" if result["peak_mb"] < 4096 else "MISSED"
    print(
        f"streaming compute + summarise of {result['rows']:,} Parquet rows: "
        f"{result['seconds']:.1f} s ({result['rows'] / result['seconds'] / 1e6:.2f} M rows/s), "
        f"peak resident memory {result['peak_mb']:,.0f} MB (target < 4,096 MB: {verdict}); "
        f"total fee EUR {result['fee_eur']:,.2f}"
    )


if __name__ == "__main__":
    main()
