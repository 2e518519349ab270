"""Side by side: 2,000 shipment lines through a per-line Decimal reference and through compute.

The reference is the baseline a spreadsheet-minded implementation would write: a Python loop
over the lines, exact Decimal arithmetic, and dictionary look-ups into the same resolved
tables (default values, benchmarks, CBAM factor, certificate price, exclusions, price paid
abroad). Both must agree to the cent; the script prints the time of each and the ratio.
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal

import polars as pl
from bench_compute import panel

import cbam
from cbam import _engine as rules

MARKUPS = ("markup_2026", "markup_2027", "markup_2028")


def dec(value: object) -> Decimal:
    return Decimal(str(value))


def reference_fees(lines: list[dict[str, object]], scenario: cbam.Scenario) -> list[Decimal]:
    """Fee per line, one line at a time, in Decimal (the per-line baseline)."""
    lookups = rules.lookups_for(scenario)
    goods = {r["cn_key"]: r for r in lookups.goods.iter_rows(named=True)}
    intensity = {
        (r["dv_origin"], r["cn_key"], r["variant_key"]): r
        for r in lookups.intensity.iter_rows(named=True)
    }
    years = {(r["year"], r["q"]): r for r in rules.year_table(scenario).iter_rows(named=True)}
    origins = rules.origin_table(scenario)
    excluded = {
        (r["origin"], r["year"]) for r in origins.drop_nulls("excluded").iter_rows(named=True)
    }
    paid = {
        (r["origin"], r["sector"], r["year"]): r["price_eur"]
        for r in rules.carbon_price_table(scenario).iter_rows(named=True)
    }
    fees = []
    for line in lines:
        origin, code, year = str(line["origin"]), str(line["cn_code"]), int(str(line["year"]))
        quarter = int(str(line["quarter"]))
        good = goods[code]
        variant = good["default_variant"] if good["has_variants"] else ""
        dv_origin = origin if origin in lookups.dv_origins else "OTHER"
        values = intensity[(dv_origin, code, variant)]
        params = years[(year, quarter)]
        scale = dec(good["default_clinker_share"]) if good["clinker_basis"] else Decimal(1)
        quantity = dec(line["quantity_t"])
        see = dec(values[MARKUPS[params["markup_idx"]]])
        bm_col = f"bm_b_{1 + params['period_idx']}"  # column B, the period of the year
        benchmark = dec(values[bm_col]) if good["sector"] != "electricity" else Decimal(0)
        embedded = quantity * scale * see
        free = quantity * scale * benchmark * dec(params["cbam_factor"]) * dec(params["cscf"])
        price = dec(params["price"])
        abroad = dec(paid.get((origin, good["sector"], year)) or 0)
        share = min(abroad / price, Decimal(1)) if abroad > 0 else Decimal(0)
        certificates = max(Decimal(0), embedded - free - embedded * share)
        fee = Decimal(0) if (origin, year) in excluded else certificates * price
        fees.append(fee)
    return fees


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000)
    args = parser.parse_args()
    lines = panel(args.lines, seed=11)
    scenario = cbam.load_scenario("eu-cbam")
    cbam.compute(lines.head(10), scenario)  # lookups built and cached on both sides
    reference_fees(lines.head(10).to_dicts(), scenario)

    start = time.perf_counter()
    expected = reference_fees(lines.to_dicts(), scenario)
    reference_s = time.perf_counter() - start
    start = time.perf_counter()
    fees = cbam.compute(lines, scenario)
    compute_s = time.perf_counter() - start

    got = fees["fee_eur"].to_list()
    off = max(abs(dec(g) - e) for g, e in zip(got, expected, strict=True))
    total_ref = sum(expected, Decimal(0)).quantize(Decimal("0.01"))
    total = dec(round(fees["fee_eur"].sum(), 2))
    print(f"{args.lines:,} shipment lines, scenario eu-cbam, polars {pl.__version__}")
    print(f"per-line Decimal reference: {reference_s * 1e3:9.1f} ms  total EUR {total_ref:,}")
    print(f"cbam.compute:               {compute_s * 1e3:9.1f} ms  total EUR {total:,}")
    verdict = "agree" if off < Decimal("0.005") else "DIFFER"
    print(f"largest difference on a line: EUR {off:.6f} ({verdict} to the cent)")
    print(f"ratio: compute is {reference_s / compute_s:.1f}x the per-line reference")


if __name__ == "__main__":
    main()
