"""A generated import panel that exercises every input column and rule, for golden outputs.

The panel is deterministic (Polars hashes of the row index, no random state), so the recorded
outputs in this folder can be compared with any later engine: see ``record.py`` and
``tests/test_golden_outputs.py``. Rows are hostile on purpose in places (a route of another
sector, actual values without a route, non-CBAM goods): every bundled scenario is computed with
``on_error="flag"``, so such rows are recorded with their ``input_error`` text.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROWS = 24_000
SEED = 2026

# Origins: default-value countries and 'other countries' fallbacks, EU27 and Annex III origins
# (exempt), LDCs and SIDS (exempt in the LDC/SIDS scenarios), the UK and the US (home origins
# of the UK and US designs) and Norway, linked to the EU ETS.
_EXTRA_ORIGINS = ["FRA", "DEU", "NOR", "CHE", "ISL", "GBR", "USA", "MOZ", "BGD", "FJI", "MDV"]
# Aggregate codes (HS2, CN4, HS6) and codes outside Annex I (kept and flagged 'not a CBAM good').
_AGGREGATES = ["72", "76", "2523", "7208", "310210", "720711", "7601"]
_NOT_COVERED = ["76151010", "01012100"]


def _codes() -> tuple[list[str], dict[str, str]]:
    goods = pl.read_csv(ROOT / "rates/eu/goods.csv", schema_overrides={"cn_code": pl.String})
    sectors = dict(zip(goods["cn_code"], goods["sector"], strict=True))
    return sorted(sectors), sectors


def _routes() -> dict[str, list[str]]:
    data = yaml.safe_load((ROOT / "rates/eu/sectors.yaml").read_text(encoding="utf-8"))
    return {name: list(s.get("routes", [])) for name, s in data["sectors"].items()}


def _pick(values: list[str], salt: int, dtype: pl.DataType = pl.String) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=dtype)).gather(
        pl.int_range(pl.len()).hash(SEED + salt) % len(values)
    )


def _share(salt: int, per_mille: int) -> pl.Expr:
    """True on about ``per_mille`` rows in a thousand (deterministic)."""
    return pl.int_range(pl.len()).hash(SEED + salt) % 1000 < per_mille


def panel(rows: int = ROWS) -> pl.DataFrame:
    """The golden input panel: ``rows`` rows, every input column present."""
    cn8, sectors = _codes()
    routes = _routes()
    dv = pl.read_csv(ROOT / "rates/eu/default_values.csv", columns=["origin"])
    listed = sorted(set(dv["origin"].to_list()) - {"OTHER"})
    iso = pl.read_csv(ROOT / "country_lists/iso3166_1.csv")["iso3"].sort().to_list()
    unlisted = [c for c in iso if c not in listed and c not in _EXTRA_ORIGINS][:40]
    origins = [*listed, *unlisted, *_EXTRA_ORIGINS]
    codes = cn8 * 3 + _AGGREGATES + _NOT_COVERED  # CN8 codes three times as often
    small = pl.col("importer").str.starts_with("SMALL")
    frame = (
        pl.select(pl.int_range(rows).alias("_i"))
        .with_columns(
            year=(2026 + pl.col("_i").hash(SEED) % 9).cast(pl.Int64),
            origin=_pick(origins, 1),
            cn_code=_pick(codes, 2),
            value_eur=(pl.col("_i").hash(SEED + 4) % 5_000_000).cast(pl.Float64),
            importer=pl.when(_share(5, 100))
            .then(_pick([f"SMALL{k:03d}" for k in range(12)], 24))
            .when(_share(6, 700))
            .then(_pick([f"IMP{k:03d}" for k in range(60)], 6)),
            quarter=pl.when(_share(7, 600))
            .then(1 + pl.col("_i").hash(SEED + 8) % 4)
            .cast(pl.Int64),
        )
        .with_columns(
            # In grams: 0.001 t to 2,000 t a row; small importers 1 kg to 5 t a row, so their
            # yearly sums sit on either side of the 50 t de minimis threshold.
            quantity_t=pl.when(small)
            .then(1 + pl.col("_i").hash(SEED + 25) % 5_000)
            .otherwise(1 + pl.col("_i").hash(SEED + 3) % 2_000_000)
            .cast(pl.Float64)
            / 1000,
        )
    )
    sector = pl.col("cn_code").replace_strict(sectors, default=None)
    actual = _share(9, 150) & sector.is_not_null()
    route_options = {s: r for s, r in routes.items() if r}
    own_route = pl.lit(None, pl.String)
    for name, options in route_options.items():
        own_route = (
            pl.when(sector == name).then(_pick(options, 10 + len(name))).otherwise(own_route)
        )
    frame = frame.with_columns(
        # A route on most actual-value rows, on some default-value rows, and rarely a wrong one.
        route=pl.when(_share(11, 20))
        .then(_pick(["Z", "K", "A", "C"], 26))
        .when((actual & _share(12, 900)) | _share(13, 120))
        .then(own_route),
        see_direct=pl.when(actual).then((pl.col("_i").hash(SEED + 14) % 3000) / 1000),
        see_indirect=pl.when(actual & _share(15, 500)).then(
            (pl.col("_i").hash(SEED + 16) % 500) / 1000
        ),
        clinker_share=pl.when((sector == "cement") & _share(17, 400)).then(
            (500 + pl.col("_i").hash(SEED + 18) % 500) / 1000
        ),
        precursor_benchmark_t_per_t=pl.when(actual & _share(19, 300)).then(
            (pl.col("_i").hash(SEED + 20) % 1500) / 1000
        ),
        carbon_price_paid_eur_per_t=pl.when(_share(21, 100)).then(
            (pl.col("_i").hash(SEED + 22) % 9000) / 100
        ),
        # Importing countries: EU members and the EU as one reporter (EUU), the UK, the US and
        # Japan (outside every bundled regime); most rows name none, as EU-only data do.
        destination=pl.when(_share(27, 300)).then(
            _pick(["FRA", "DEU", "EUU", "GBR", "USA", "JPN"], 28)
        ),
    )
    # Spaced codes ('7207 11 11') on a share of rows, as declarations write them.
    spaced = pl.concat_str(
        pl.col("cn_code").str.slice(0, 4),
        pl.col("cn_code").str.slice(4, 2),
        pl.col("cn_code").str.slice(6, 2),
        separator=" ",
    )
    return frame.with_columns(
        cn_code=pl.when(_share(23, 200) & (pl.col("cn_code").str.len_chars() == 8))
        .then(spaced)
        .otherwise(pl.col("cn_code"))
    ).drop("_i")
