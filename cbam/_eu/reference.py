"""The EU regime's reference tables under ``rates/eu/`` (IR 2025/2621, IR 2025/2620, Annex I).

Each table is read with an explicit schema and checked for the properties the engine relies on
(unique keys, known sectors), so a broken data file fails loudly at load, naming the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

import polars as pl

from cbam._errors import ScenarioError
from cbam._resources import data_dir

OTHER = "OTHER"
"""Origin code of the 'Other countries and territories' rows of the default-value table."""

_DEFAULT_VALUES_SCHEMA = {
    "origin": pl.String,
    "cn_code": pl.String,
    "variant": pl.String,
    "route": pl.String,
    "description": pl.String,
    "status": pl.String,
    "direct": pl.Float64,
    "indirect": pl.Float64,
    "total": pl.Float64,
    "markup_2026": pl.Float64,
    "markup_2027": pl.Float64,
    "markup_2028": pl.Float64,
}
_BENCHMARK_SCHEMA = {
    "cn_code": pl.String,
    "column": pl.String,
    "route": pl.String,
    "period": pl.String,
    "benchmark": pl.Float64,
    "description": pl.String,
}
_GOODS_SCHEMA = {
    "cn_code": pl.String,
    "sector": pl.String,
    "category": pl.String,
    "ghg": pl.String,
    "description": pl.String,
}
SECTORS = ("cement", "fertilisers", "iron_steel", "aluminium", "hydrogen", "electricity")
BENCHMARK_PERIODS = ("2026-2027", "2028-2030")


def _read(path: Path, schema: Mapping[str, pl.DataType | type[pl.DataType]]) -> pl.DataFrame:
    try:
        return pl.read_csv(path, schema=dict(schema))
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ScenarioError(f"{path}: cannot read reference table: {exc}") from exc


def _require_unique(frame: pl.DataFrame, keys: list[str], path: Path) -> None:
    dupes = frame.filter(pl.struct(keys).is_duplicated())
    if dupes.height:
        raise ScenarioError(f"{path}: duplicate keys {keys}: {dupes.select(keys).head(5).rows()}")


@cache
def default_values() -> pl.DataFrame:
    """Default values by origin and CN heading, with the published marked-up columns."""
    path = data_dir("rates") / "eu" / "default_values.csv"
    frame = _read(path, _DEFAULT_VALUES_SCHEMA).with_columns(
        pl.col("variant").fill_null(""), pl.col("route").fill_null("")
    )
    _require_unique(frame, ["origin", "cn_code", "variant"], path)
    bad_status = frame.filter(~pl.col("status").is_in(["value", "dash"]))
    if bad_status.height:
        raise ScenarioError(f"{path}: status must be 'value' or 'dash': {bad_status.row(0)}")
    return frame


@cache
def benchmarks() -> pl.DataFrame:
    """CBAM benchmarks by CN8, column (A actual, B default), route and period."""
    path = data_dir("rates") / "eu" / "benchmarks.csv"
    frame = _read(path, _BENCHMARK_SCHEMA).with_columns(
        pl.col("route").fill_null(""), pl.col("period").fill_null("")
    )
    _require_unique(frame, ["cn_code", "column", "route", "period"], path)
    return frame


@cache
def goods() -> pl.DataFrame:
    """Annex I of Reg. (EU) 2023/956: the covered CN8 codes and their sector."""
    path = data_dir("rates") / "eu" / "goods.csv"
    frame = _read(path, _GOODS_SCHEMA)
    _require_unique(frame, ["cn_code"], path)
    unknown = set(frame["sector"].unique().to_list()) - set(SECTORS)
    if unknown:
        raise ScenarioError(f"{path}: unknown sectors {sorted(unknown)}")
    return frame


@cache
def cn_successors() -> pl.DataFrame:
    """Annex I CN8 codes retired by a later CN, with the codes that replace them."""
    path = data_dir("rates") / "eu" / "cn_successors.csv"
    frame = _read(path, {"retired": pl.String, "successor": pl.String, "reference": pl.String})
    _require_unique(frame, ["retired", "successor"], path)
    return frame.select("retired", "successor")


@cache
def covered_cn8() -> pl.DataFrame:
    """The CN8 codes an aggregate averages over (``cn8``, ``sector``).

    Annex I CN8 codes, plus default-value CN8 codes that split an Annex I CN8 (3102 10 1x).
    """
    annex = goods().select(pl.col("cn_code").alias("cn8"), "sector")
    by_cn6 = (
        annex.with_columns(pl.col("cn8").str.slice(0, 6).alias("cn6"))
        .unique("cn6", keep="first", maintain_order=True)
        .select("cn6", "sector")
    )
    extra = (
        default_values()
        .filter(pl.col("cn_code").str.len_chars() == 8)
        .select(pl.col("cn_code").alias("cn8"))
        .unique()
        .join(annex, on="cn8", how="anti")
        .with_columns(pl.col("cn8").str.slice(0, 6).alias("cn6"))
        .join(by_cn6, on="cn6", how="inner")
        .select("cn8", "sector")
    )
    return pl.concat([annex, extra]).sort("cn8")
