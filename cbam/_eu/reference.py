"""The EU regime's reference tables under ``rates/eu/`` (IR 2025/2621, IR 2025/2620, Annex I).

Each table is read with an explicit schema and checked for the properties the engine relies on
(unique keys, known sectors), so a broken data file fails loudly at load, naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import polars as pl

from cbam._errors import ScenarioError
from cbam._resources import data_dir

OTHER = "OTHER"
"""Origin code of the 'Other countries and territories' rows of the default-value table."""

_DEFAULT_VALUES_SCHEMA = {
    **dict.fromkeys(["origin", "cn_code", "variant", "route", "description", "status"], pl.String),
    **dict.fromkeys(["direct", "indirect", "total"], pl.Float64),
    **dict.fromkeys(["markup_2026", "markup_2027", "markup_2028"], pl.Float64),
}
_BENCHMARK_SCHEMA = {
    **dict.fromkeys(["cn_code", "column", "route", "period"], pl.String),
    "benchmark": pl.Float64,
    "description": pl.String,
}
_GOODS_SCHEMA = dict.fromkeys(["cn_code", "sector", "category", "ghg", "description"], pl.String)
SECTORS = ("cement", "fertilisers", "iron_steel", "aluminium", "hydrogen", "electricity")


def _read(
    path: Path, schema: Mapping[str, pl.DataType | type[pl.DataType]], keys: list[str]
) -> pl.DataFrame:
    """A table read with ``schema``, a blank variant, route or period as '', unique on ``keys``."""
    try:
        frame = pl.read_csv(path, schema=dict(schema))
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ScenarioError(f"{path}: cannot read reference table: {exc}") from exc
    blank = [c for c in ("variant", "route", "period") if c in schema]
    frame = frame.with_columns(pl.col(blank).fill_null(""))
    dupes = frame.filter(pl.struct(keys).is_duplicated())
    if dupes.height:
        raise ScenarioError(f"{path}: duplicate keys {keys}: {dupes.select(keys).head(5).rows()}")
    return frame


@cache
def default_values() -> pl.DataFrame:
    """Default values by origin and CN heading, with the published marked-up columns."""
    path = data_dir("rates") / "eu" / "default_values.csv"
    frame = _read(path, _DEFAULT_VALUES_SCHEMA, ["origin", "cn_code", "variant"])
    bad_status = frame.filter(~pl.col("status").is_in(["value", "dash"]))
    if bad_status.height:
        raise ScenarioError(f"{path}: status must be 'value' or 'dash': {bad_status.row(0)}")
    return frame


@cache
def benchmarks() -> pl.DataFrame:
    """CBAM benchmarks by CN8, column (A actual, B default), route and period."""
    path = data_dir("rates") / "eu" / "benchmarks.csv"
    return _read(path, _BENCHMARK_SCHEMA, ["cn_code", "column", "route", "period"])


@cache
def goods() -> pl.DataFrame:
    """Annex I of Reg. (EU) 2023/956: the covered CN8 codes and their sector."""
    path = data_dir("rates") / "eu" / "goods.csv"
    frame = _read(path, _GOODS_SCHEMA, ["cn_code"])
    unknown = set(frame["sector"].unique().to_list()) - set(SECTORS)
    if unknown:
        raise ScenarioError(f"{path}: unknown sectors {sorted(unknown)}")
    return frame


@cache
def cn_successors() -> pl.DataFrame:
    """Annex I CN8 codes retired by a later CN, with the codes that replace them."""
    path = data_dir("rates") / "eu" / "cn_successors.csv"
    schema = dict.fromkeys(["retired", "successor", "reference"], pl.String)
    return _read(path, schema, ["retired", "successor"]).select("retired", "successor")


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


_COVERS = ("all", "listed", "none")


@cache
def annex_i_entries() -> dict[str, str]:
    """Annex I's entries as written (digits) -> what they cover: 'all', 'listed' or 'none'.

    'all': every code under the entry is a CBAM good (a heading or chapter listed whole);
    'listed': only the CN8 codes of ``goods.csv`` under it; 'none': an exception. The longest
    entry a code falls under decides. Checked against ``goods.csv``: each of its codes falls
    under an entry covering it, and each 'listed' entry holds some of them.
    """
    path = data_dir("rates") / "eu" / "annex_i_entries.csv"
    schema = dict.fromkeys(["entry", "covers", "sector", "reference"], pl.String)
    frame = _read(path, schema, ["entry"])
    digits = frame["entry"].str.replace_all(" ", "").to_list()
    entries = dict(zip(digits, frame["covers"].to_list(), strict=True))
    bad = [e for e, c in entries.items() if c not in _COVERS or not re.fullmatch(r"(\d\d){1,4}", e)]
    if bad:
        raise ScenarioError(f"{path}: entries must be 2-8 digits covering {_COVERS}: {bad[:5]}")
    codes = goods()["cn_code"].to_list()
    covers = goods().select(entry_covering(pl.col("cn_code"), entries).alias("c"))["c"]
    uncovered = [c for c, by in zip(codes, covers, strict=True) if by in (None, "none")]
    if uncovered:
        raise ScenarioError(f"{path}: goods.csv codes under no covering entry: {uncovered[:5]}")
    empty = [
        e for e, c in entries.items() if c == "listed" and not any(g.startswith(e) for g in codes)
    ]
    if empty:
        raise ScenarioError(f"{path}: 'listed' entries without goods.csv codes: {empty[:5]}")
    return entries


def entry_covering(code: pl.Expr, entries: Mapping[str, str]) -> pl.Expr:
    """What Annex I's ``entries`` cover of ``code``: 'all', 'listed', 'none' or null (no entry).

    The longest entry ``code`` falls under decides, unless a longer entry under ``code`` covers
    less than all of it (HS6 3105 60 holds the exception 3105 60 00): then 'listed'.

    Example:
        >>> entries = {"3105": "all", "31056000": "none", "7202": "listed"}
        >>> codes = pl.Series(["31051000", "310560", "72021120", "3901"])
        >>> pl.select(entry_covering(pl.lit(codes), entries)).to_series().to_list()
        ['all', 'listed', 'listed', None]

    """
    narrower = {e[:n] for e, c in entries.items() if c != "all" for n in range(2, len(e), 2)}
    by_length = [
        code.str.slice(0, n).replace_strict(
            {e: c for e, c in entries.items() if len(e) == n}, default=None, return_dtype=pl.String
        )
        for n in (8, 6, 4, 2)
    ]
    return (
        pl.when(code.is_in(sorted(narrower)))
        .then(pl.lit("listed"))
        .otherwise(pl.coalesce(by_length))
    )
