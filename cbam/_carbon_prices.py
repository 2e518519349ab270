"""Carbon prices paid abroad and the effective price an exporter's goods carry (Art. 9).

The effective price for an origin, sector and year is the sum, over the origin's national
instruments, of nominal price x share of the sector's emissions covered x (1 - share given free
or rebated), converted to EUR at the year's exchange rate (``rates/carbon_prices/``). The EU's
implementing act on Art. 9 was still a draft (13 May 2026) when these rules were written, so the
deduction is provisional by construction. A year after the last published price or exchange
rate carries the last one forward, and the source label says so.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from cbam._errors import ScenarioError
from cbam._eu.reference import SECTORS
from cbam._parameters import NonNegative, key_in_force
from cbam._resources import data_dir

# Instruments whose price the country's exporters pay (national ones in force).
_ATTRIBUTED = "national_in_force"


class PricePath(BaseModel):
    """A user's own carbon price for one origin: currency and year -> price (step function)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    currency: Annotated[str, StringConstraints(to_upper=True)] = "EUR"
    values: dict[int, NonNegative] = Field(min_length=1)
    sectors: list[str] | None = None

    @field_validator("sectors")
    @classmethod
    def _known_sectors(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            unknown = sorted(set(value) - set(SECTORS))
            if unknown or len(set(value)) != len(value):
                raise ValueError(f"sectors must be distinct names of {SECTORS}, not {value}")
        return value


class CarbonPriceAbroad(BaseModel):
    """Scenario options for the deduction of carbon price paid abroad.

    Attributes:
        source: ``table`` (``rates/carbon_prices/``) or ``none`` (gross fee: no deduction, row
            prices included, unless a ``path`` is given).
        path: Origin (ISO3) -> a user's own price path, which replaces the table for that
            origin (in the sectors listed, or all).

    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    source: Literal["table", "none"] = "table"
    path: dict[
        Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True)], PricePath
    ] = Field(default_factory=dict)

    @field_validator("path", mode="before")
    @classmethod
    def _one_key_an_origin(cls, value: object) -> object:
        # 'tur' and ' TUR' are one origin once read: the last would replace the first, unsaid.
        if isinstance(value, dict):
            seen: dict[str, object] = {}
            for key in value:
                origin = str(key).strip().upper()
                if origin in seen:
                    raise ValueError(
                        f"{seen[origin]!r} and {key!r} name one origin, {origin}; give it once"
                    )
                seen[origin] = key
        return value


def _read(name: str, schema: dict[str, pl.DataType | type[pl.DataType]]) -> pl.DataFrame:
    path: Path = data_dir("rates") / "carbon_prices" / name
    try:
        return pl.read_csv(path, schema_overrides=schema).select(list(schema))
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ScenarioError(f"{path}: cannot read carbon-price table: {exc}") from exc


@cache
def fx_table() -> pl.DataFrame:
    """EUR per unit of currency by year."""
    return _read("fx.csv", {"currency": pl.String, "year": pl.Int32, "eur_per_unit": pl.Float64})


def _carry_forward(frame: pl.DataFrame, keys: list[str], years: range) -> pl.DataFrame:
    """Extend (keys, year) -> values to every year in ``years``, carrying the last one forward.

    Adds ``from_year``: the year whose figure is used.
    """
    wanted = pl.DataFrame({"year": list(years)}, schema={"year": pl.Int32})
    all_years = pl.concat([wanted, frame.select(pl.col("year").cast(pl.Int32))]).unique()
    grid = frame.select(keys).unique().join(all_years, how="cross")
    return (
        grid.join(
            frame.with_columns(pl.col("year").cast(pl.Int32), pl.col("year").alias("from_year")),
            on=[*keys, "year"],
            how="left",
        )
        .sort([*keys, "year"])
        .with_columns(pl.all().exclude([*keys, "year"]).forward_fill().over(keys))
        .filter(pl.col("from_year").is_not_null() & pl.col("year").is_in(list(years)))
    )


def fx_by_year(years: range) -> pl.DataFrame:
    """(currency, year) -> EUR per unit, with the last published year carried forward.

    A euro is a euro in any year, before the table's first too.
    """
    table = _carry_forward(fx_table(), ["currency"], years).rename({"from_year": "fx_year"})
    euro = pl.DataFrame(
        {"currency": "EUR", "year": list(years), "eur_per_unit": 1.0},
        schema={"currency": pl.String, "year": pl.Int32, "eur_per_unit": pl.Float64},
    ).with_columns(fx_year=pl.col("year"))
    missing = euro.join(table, on=["currency", "year"], how="anti")
    return pl.concat([table, missing.select(table.columns)], how="vertical_relaxed")


@cache
def _table_parts() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    instruments = _read(
        "instruments.csv",
        {"instrument_id": pl.String, "jurisdiction": pl.String, "status": pl.String},
    ).filter(pl.col("status").str.starts_with(_ATTRIBUTED))
    prices = _read(
        "prices.csv",
        {
            "instrument_id": pl.String,
            "year": pl.Int32,
            "price_lcu": pl.Float64,
            "currency": pl.String,
            "provisional": pl.Boolean,
        },
    )
    coverage = _read(
        "coverage.csv",
        {
            "instrument_id": pl.String,
            "cbam_sector": pl.String,
            "covered": pl.Boolean,
            "coverage_share": pl.Float64,
            "free_or_rebated_share": pl.Float64,
            "from_year": pl.Int32,
        },
    )
    return instruments, prices, coverage


def table_prices(years: range) -> pl.DataFrame:
    """(origin, sector, year) -> effective EUR price and a label naming what made it."""
    instruments, prices, coverage = _table_parts()
    price_years = _carry_forward(prices, ["instrument_id"], years).rename(
        {"from_year": "price_year"}
    )
    cover = (
        coverage.rename({"from_year": "year"})
        .pipe(_carry_forward, ["instrument_id", "cbam_sector"], years)
        .drop("from_year")
    )
    fx = fx_by_year(years)
    effective = (
        instruments.join(price_years, on="instrument_id")
        .join(cover, on=["instrument_id", "year"])
        .join(fx, on=["currency", "year"], how="left")
        .with_columns(
            (
                pl.col("price_lcu")
                * pl.col("eur_per_unit")
                * pl.when(pl.col("covered")).then(pl.col("coverage_share")).otherwise(0.0)
                * (1 - pl.col("free_or_rebated_share"))
            ).alias("eur"),
            pl.format(
                "{} {}{}{}",
                pl.col("instrument_id"),
                pl.col("price_year"),
                pl.when(pl.col("provisional")).then(pl.lit(" provisional")).otherwise(pl.lit("")),
                pl.when(pl.col("price_year") < pl.col("year"))
                .then(pl.lit(" carried forward"))
                .otherwise(pl.lit("")),
            ).alias("part"),
        )
    )
    missing_fx = effective.filter(pl.col("eur_per_unit").is_null())
    if missing_fx.height:
        raise ScenarioError(
            "rates/carbon_prices/fx.csv: no rate for "
            f"{missing_fx.select('currency', 'year').unique().rows()[:5]}"
        )
    return (
        effective.filter(pl.col("covered"))
        .group_by(["jurisdiction", "cbam_sector", "year"])
        .agg(
            pl.col("eur").sum().alias("price_eur"),
            pl.concat_str(pl.lit("table: "), pl.col("part").sort().str.join(" + ")).alias("source"),
        )
        .rename({"jurisdiction": "origin", "cbam_sector": "sector"})
    )


def path_prices(paths: dict[str, PricePath], sectors: list[str], years: range) -> pl.DataFrame:
    """(origin, sector, year) -> EUR price from a scenario's own price paths."""
    fx = fx_by_year(years)
    rows: list[tuple[str, str, int, float, str]] = []
    for origin, path in paths.items():
        for year in years:
            start = key_in_force(path.values, year)
            if start is None:
                continue
            rate = fx.filter((pl.col("currency") == path.currency) & (pl.col("year") == year))
            if rate.height == 0:
                raise ScenarioError(
                    f"carbon_price_abroad.path.{origin}: no exchange rate for {path.currency} "
                    f"in {year} (rates/carbon_prices/fx.csv)"
                )
            eur = path.values[start] * float(rate["eur_per_unit"][0])
            source = f"scenario path ({path.currency}, from {start})"
            rows += [(origin, sector, year, eur, source) for sector in path.sectors or sectors]
    return pl.DataFrame(
        rows,
        schema={
            "origin": pl.String,
            "sector": pl.String,
            "year": pl.Int32,
            "price_eur": pl.Float64,
            "source": pl.String,
        },
        orient="row",
    )


def price_table(options: CarbonPriceAbroad, sectors: list[str], years: range) -> pl.DataFrame:
    """The effective price paid abroad per (origin, sector, year) under a scenario's options."""
    own = path_prices(options.path, sectors, years)
    if options.source == "none":
        return own
    table = table_prices(years).join(
        own.select("origin", "sector", "year"), on=["origin", "sector", "year"], how="anti"
    )
    return pl.concat([table.select(own.columns), own])
