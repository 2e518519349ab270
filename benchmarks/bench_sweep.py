"""A scenario sweep: 1,000 certificate-price paths x 3 exemption designs on one panel.

Each design is computed once and the paths are priced on price-independent sums
(``cbam.sweep``); the naive alternative, one ``compute`` per scenario, is timed on a few
scenarios and extrapolated. Run: ``python benchmarks/bench_sweep.py [--rows N --paths N]``.
"""

from __future__ import annotations

import argparse
import random
import time

from bench_compute import panel

import cbam

DESIGNS = [
    [],
    [{"group": "ldc"}],
    [{"group": "ldc", "fee_share_charged": {2026: 0.0, 2030: 0.5, 2034: 1.0}}, {"group": "sids"}],
]


def paths(n: int, seed: int = 3) -> list[dict[int, float]]:
    """Random-walk annual price paths 2026-2034 around EUR 75-110."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        price, path = 75.0, {}
        for year in range(2026, 2035):
            price = max(5.0, price * (1 + rng.gauss(0.04, 0.15)))
            path[year] = round(price, 2)
        out.append(path)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--paths", type=int, default=1_000)
    args = parser.parse_args()
    frame = panel(args.rows)
    scenario = cbam.load_scenario("eu-cbam")
    price_paths = paths(args.paths)
    cbam.compute(frame.head(1000), scenario)

    start = time.perf_counter()
    result = cbam.sweep(
        frame, scenario, vary={"certificate_price_eur": price_paths, "exemptions": DESIGNS}
    )
    sweep_s = time.perf_counter() - start

    start = time.perf_counter()
    for path in price_paths[:2]:
        s = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": path})
        cbam.summarise(cbam.compute(frame, s), by=[])
    naive_one = (time.perf_counter() - start) / 2
    scenarios = len(price_paths) * len(DESIGNS)
    print(f"sweep: {args.rows:,} rows x {args.paths:,} price paths x {len(DESIGNS)} designs")
    print(f"cbam.sweep: {sweep_s:.1f} s for {scenarios:,} scenarios")
    print(
        f"one compute per scenario: {naive_one:.2f} s each, about {naive_one * scenarios:,.0f} s "
        f"for all ({naive_one * scenarios / sweep_s:,.0f}x the sweep)"
    )
    for row in result.percentiles.iter_rows(named=True):
        print(
            f"design {row['design']}: total fee EUR bn p5 {row['fee_eur_p5'] / 1e9:,.1f}, "
            f"p50 {row['fee_eur_p50'] / 1e9:,.1f}, p95 {row['fee_eur_p95'] / 1e9:,.1f}"
        )


if __name__ == "__main__":
    main()
