"""Totals over 20 M- and 100 M-row Parquet files on Polars' streaming engine, in bounded memory.

The files are generated in a temporary folder (never in the repository) from chunks of the
``bench_compute`` panel, joined with ``sink_parquet``, and deleted afterwards; the free disk
space is checked first. Each run happens in a child process, whose peak resident memory is
reported: ``cbam.totals`` (target: under 1 GB, and not growing with the file) and, for the
record, ``compute`` + ``summarise`` on the streaming engine. Run:
``python benchmarks/bench_scale.py [--rows N --sizes 20000000,100000000]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

import cbam

CHUNK = 10_000_000
BYTES_PER_ROW = 20  # about 15 on disk for the panel's columns, with room to spare
TARGET_MB = 1024


def generate(folder: Path, rows: int, name: str, parts: list[Path]) -> Path:
    """A Parquet file of the first ``rows`` rows: chunk files joined by ``sink_parquet``."""
    from bench_compute import panel

    start = time.perf_counter()
    while len(parts) * CHUNK < rows:
        part = folder / f"part{len(parts):03d}.parquet"
        panel(CHUNK, seed=7 + len(parts)).write_parquet(part)
        parts.append(part)
    path = folder / name
    pl.scan_parquet(parts[: -(-rows // CHUNK)]).head(rows).sink_parquet(path)
    size = path.stat().st_size / 1e9
    print(f"generated {rows:,} rows ({size:.2f} GB) in {time.perf_counter() - start:.0f} s")
    return path


def peak_mb() -> float:
    """This process's own peak resident memory in MB.

    ``VmHWM`` is the high-water mark of the running program's memory only; ``ru_maxrss``
    also keeps, across ``exec``, the peak of the process that spawned it (here the parent,
    which held the generated panel), so it is the fallback where ``/proc`` is missing.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: Path, what: str) -> None:
    scenario = cbam.load_scenario("eu-cbam")
    start = time.perf_counter()
    if what == "totals":
        summary = cbam.totals(pl.scan_parquet(path), scenario, engine="streaming")
    else:
        fees = cbam.compute(pl.scan_parquet(path), scenario, engine="streaming")
        summary = cbam.summarise(fees, by=["origin", "sector"]).collect(engine="streaming")
    seconds = time.perf_counter() - start
    rows = int(summary["rows"].sum())
    peak = peak_mb()
    fee = summary["fee_eur"].sum()
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak, "fee_eur": fee}))


def child(path: Path, what: str) -> dict[str, float]:
    run = subprocess.run(
        [sys.executable, __file__, "--measure", str(path), "--what", what],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000000,100000000")
    parser.add_argument("--compute", action="store_true", help="also compute + summarise")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--what", default="totals", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(Path(args.measure), args.what)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    # Chunks, plus each joined file.
    needed = (max(sizes) + sum(sizes)) * BYTES_PER_ROW
    free = shutil.disk_usage(tempfile.gettempdir()).free
    if free < 2 * needed:
        print(f"not enough disk: {free / 1e9:.1f} GB free, {2 * needed / 1e9:.1f} GB needed")
        sys.exit(1)
    print(f"disk: {free / 1e9:.0f} GB free in {tempfile.gettempdir()}; polars {pl.__version__}")
    peaks = []
    with tempfile.TemporaryDirectory(prefix="cbam_bench_") as tmp:
        parts: list[Path] = []
        for rows in sizes:
            path = generate(Path(tmp), rows, f"panel_{rows}.parquet", parts)
            for what in ("totals", "compute") if args.compute else ("totals",):
                result = child(path, what)
                label = "totals" if what == "totals" else "compute + summarise"
                verdict = ""
                if what == "totals":
                    peaks.append(result["peak_mb"])
                    met = result["peak_mb"] < TARGET_MB
                    verdict = f" (target < {TARGET_MB:,} MB: {'met' if met else 'MISSED'})"
                print(
                    f"streaming {label} of {result['rows']:,.0f} Parquet rows: "
                    f"{result['seconds']:.1f} s "
                    f"({result['rows'] / result['seconds'] / 1e6:.1f} M rows/s), peak resident "
                    f"memory {result['peak_mb']:,.0f} MB{verdict}; "
                    f"total fee EUR {result['fee_eur']:,.2f}",
                    flush=True,
                )
            path.unlink()
    if len(peaks) > 1:
        growth = peaks[-1] / peaks[0]
        print(
            f"peak memory {sizes[-1] // sizes[0]}x the rows: {growth:.2f}x the memory "
            f"(not growing with the file: {'met' if growth < 1.25 else 'MISSED'})"
        )


if __name__ == "__main__":
    main()
