"""Country codes and dated country groups from ``country_lists/``."""

from __future__ import annotations

import datetime as dt
from functools import cache

import polars as pl

from cbam._errors import ScenarioError
from cbam._resources import data_dir

_GROUP_SCHEMA = {
    "iso3": pl.String,
    "name": pl.String,
    "member_from": pl.Date,
    "member_to": pl.Date,
    "source": pl.String,
}
_OPTIONAL = {"note": pl.String}


@cache
def iso3_codes() -> frozenset[str]:
    """All ISO 3166-1 alpha-3 codes known to cbam (plus the user-assigned XKX for Kosovo)."""
    path = data_dir("country_lists") / "iso3166_1.csv"
    frame = pl.read_csv(path, schema_overrides={"iso3": pl.String, "numeric": pl.String})
    return frozenset(frame["iso3"].to_list())


@cache
def country_group(name: str) -> pl.DataFrame:
    """A dated country group (``iso3, name, member_from, member_to, source``).

    Raises:
        ScenarioError: if no file ``country_lists/<name>.csv`` exists or it is malformed.

    """
    path = data_dir("country_lists") / f"{name}.csv"
    if not path.is_file():
        raise ScenarioError(f"unknown country group '{name}': no file {path}")
    try:
        frame = pl.read_csv(path, schema_overrides={**_GROUP_SCHEMA, **_OPTIONAL})
    except pl.exceptions.PolarsError as exc:
        raise ScenarioError(f"{path}: malformed country group: {exc}") from exc
    missing = [c for c in _GROUP_SCHEMA if c not in frame.columns]
    if missing:
        raise ScenarioError(f"{path}: country group lacks columns {missing}")
    frame = frame.select(*_GROUP_SCHEMA)
    unknown = sorted(set(frame["iso3"].to_list()) - iso3_codes())
    if unknown:
        raise ScenarioError(f"{path}: unknown ISO3 codes {unknown}")
    return frame


@cache
def members_in_year(name: str, year: int) -> frozenset[str]:
    """ISO3 codes that belong to group ``name`` on 1 January of ``year``."""
    day = dt.date(year, 1, 1)
    frame = country_group(name).filter(
        (pl.col("member_from").is_null() | (pl.col("member_from") <= day))
        & (pl.col("member_to").is_null() | (pl.col("member_to") > day))
    )
    return frozenset(frame["iso3"].to_list())
