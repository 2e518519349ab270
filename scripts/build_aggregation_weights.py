"""Write rates/eu/aggregation_weights/eu_imports_from_usa_cn8_2022_2025.csv from shared data.

Source: ``trade/eu27_imports_from_us_cbam_by_cn8_2022_2025.csv`` of the shared material, EU27
imports from the United States by CN8, 2022-2025, from Eurostat Comext (CC BY 4.0, "Source:
Eurostat") as extracted by the Niskanen Center's ``deeper747/US_CBAM_Exposure-dashboard``
(commit 9d437445c22869701c76a123a5eea66cc5f2f092, CC BY-NC 4.0). The weight of a CN8 code is
its tonnage summed over the four years (the ``tonnes_YYYY`` columns; the file's ``avg_``
columns are not read). Every row says origin USA: they are the mix of US trade into the EU,
weights for US rows only.

The file gives a heading at the level Annex I lists it: CN8 for chapters 25-31, often CN4 or
CN6 in chapters 72, 73 and 76 (``7601``). A CN8 row is its code's weight; a heading row's
tonnage is spread evenly over the CN8 codes cbam averages over below it (an assumption: the
split inside such a heading is not published in the file), so that an HS2 aggregate weighs
each heading by its trade. ``basis`` says which applied. Codes without any CN8 below them are
listed and left out.

Run ``python scripts/build_aggregation_weights.py [--shared PATH] [--out REPO]``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import polars as pl
from _common import parse_folders

SOURCE = "trade/eu27_imports_from_us_cbam_by_cn8_2022_2025.csv"
TARGET = "rates/eu/aggregation_weights/eu_imports_from_usa_cn8_2022_2025.csv"


def main(argv: Sequence[str] | None = None) -> int:
    """Build the weights file; returns the exit status."""
    shared, out = parse_folders(__doc__, argv)
    sys.path.insert(0, str(out))
    from cbam._eu.lookup import covered_cn8

    raw = pl.read_csv(shared / "data" / SOURCE, schema_overrides={"cn_code": pl.String})
    tonnes = [c for c in raw.columns if c.startswith("tonnes_") and c[7:].isdigit()]
    weights = raw.select(
        pl.lit("USA").alias("origin"),
        pl.col("cn_code").str.replace_all(" ", ""),
        pl.sum_horizontal(pl.col(tonnes).fill_null(0.0)).round(3).alias("weight"),
    )
    covered = covered_cn8().select("cn8")
    cn8 = weights.filter(pl.col("cn_code").str.len_chars() == 8)
    headings = weights.filter(pl.col("cn_code").str.len_chars() < 8)
    spread = (
        headings.join(covered, how="cross")
        .filter(pl.col("cn8").str.starts_with(pl.col("cn_code")))
        .join(cn8.select(pl.col("cn_code").alias("cn8")), on="cn8", how="anti")
        .with_columns(pl.len().over("cn_code").alias("n"))
        .select(
            "origin",
            pl.col("cn8").alias("code"),
            (pl.col("weight") / pl.col("n")).round(3).alias("weight"),
            pl.format("heading {} split evenly over {} CN8 codes", "cn_code", "n").alias("basis"),
        )
        .rename({"code": "cn_code"})
    )
    kept = pl.concat(
        [
            cn8.join(covered, left_on="cn_code", right_on="cn8", how="semi").with_columns(
                pl.lit("cn8").alias("basis")
            ),
            spread,
        ]
    ).sort("cn_code")
    left_out = sorted(
        set(weights["cn_code"]) - set(cn8["cn_code"]) - set(headings["cn_code"])
        | set(cn8.join(covered, left_on="cn_code", right_on="cn8", how="anti")["cn_code"])
        | set(
            headings.join(
                spread.select(pl.col("basis").str.split(" ").list.get(1).alias("cn_code")),
                on="cn_code",
                how="anti",
            )["cn_code"]
        )
    )
    if left_out:
        print(f"left out (no cbam CN8 code at or below): {', '.join(left_out)}")
    target = out / TARGET
    target.parent.mkdir(parents=True, exist_ok=True)
    kept.write_csv(target)
    print(f"wrote {target} ({kept.height} CN8 codes, years {', '.join(c[7:] for c in tonnes)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
