"""``compare``: one import panel under several scenarios, side by side, in a common currency."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from cbam._carbon_prices import fx_by_year, fx_table
from cbam._errors import ScenarioError
from cbam._pipeline import compute
from cbam._scenario import Scenario, load_scenario

_TOTAL = "total"


def _fx(currency: str, years: list[int]) -> pl.DataFrame:
    if not years:
        return pl.DataFrame(schema={"rules_year": pl.Int32, "_eur_per_unit": pl.Float64})
    table = fx_by_year(range(min(years), max(years) + 1)).filter(pl.col("currency") == currency)
    return table.select(
        pl.col("year").cast(pl.Int32).alias("rules_year"),
        pl.col("eur_per_unit").alias("_eur_per_unit"),
    )


def compare(
    imports: pl.DataFrame | pl.LazyFrame,
    scenarios: Sequence[Scenario | str],
    *,
    by: Sequence[str] = ("origin",),
    currency: str = "EUR",
) -> pl.DataFrame:
    """Fees of one import panel under each scenario, a column per scenario, plus differences.

    Each scenario's fees are those of ``compute`` summed by ``by``; amounts are converted from
    EUR at each row's rules-year rate (``rates/carbon_prices/fx.csv``). Rows are sorted by the
    first scenario's fee, largest first; every group any scenario has appears, with 0 where a
    scenario has none.

    Args:
        imports: The import rows, as for ``compute``.
        scenarios: Two or more scenarios (objects, bundled names or paths); the first is the
            base the differences are taken from.
        by: Grouping columns of the output of ``compute`` (e.g. ``("origin", "sector")``).
        currency: The currency of every amount (ISO 4217, one of ``fx.csv``'s).

    Returns:
        ``by`` columns, then ``fee_<currency>:<name>`` per scenario, then
        ``<name> - <base name>`` differences for every scenario after the first.

    Raises:
        ScenarioError: fewer than two scenarios, duplicate names or an unknown currency.

    Example:
        >>> import polars as pl, cbam
        >>> rows = pl.DataFrame({"year": [2027], "origin": ["TUR"], "cn_code": ["7601"],
        ...                      "quantity_t": [10.0], "value_eur": [30000.0]})
        >>> table = cbam.compare(rows, ["us-cca-2025", "us-fpf-2025"], currency="USD")
        >>> table.columns
        ['origin', 'fee_usd:us-cca-2025', 'fee_usd:us-fpf-2025', 'us-fpf-2025 - us-cca-2025']

    """
    chosen = [s if isinstance(s, Scenario) else load_scenario(s) for s in scenarios]
    if len(chosen) < 2:
        raise ScenarioError("compare needs two or more scenarios")
    names = [s.name for s in chosen]
    if len(set(names)) != len(names):
        raise ScenarioError(f"compare needs distinct scenario names, not {names}")
    if currency not in set(fx_table()["currency"].to_list()):
        raise ScenarioError(f"no exchange rate for currency '{currency}' in fx.csv")
    frame = imports.collect() if isinstance(imports, pl.LazyFrame) else imports
    label = currency.lower()
    columns = [f"fee_{label}:{name}" for name in names]
    table: pl.DataFrame | None = None
    for scenario, column in zip(chosen, columns, strict=True):
        fees = compute(frame, scenario)
        missing = [c for c in by if c not in fees.columns]
        if missing:
            raise ScenarioError(f"by: unknown columns {missing}")
        years = fees["rules_year"].drop_nulls().unique().to_list()
        amount = (
            pl.col("fee_eur") if currency == "EUR" else pl.col("fee_eur") / pl.col("_eur_per_unit")
        )
        if currency != "EUR":
            fees = fees.join(_fx(currency, years), on="rules_year", how="left")
        # Labels travel as text: regimes may type a column differently (enum, categorical).
        keys = [
            pl.col(c).cast(pl.String) if fees.schema[c] in (pl.Categorical, pl.Enum) else pl.col(c)
            for c in by
        ]
        part = fees.group_by(keys).agg(amount.sum().alias(column))
        table = (
            part
            if table is None
            else table.join(part, on=list(by), how="full", coalesce=True, nulls_equal=True)
        )
    assert table is not None
    base = columns[0]
    table = table.with_columns(pl.col(columns).fill_null(0.0)).with_columns(
        (pl.col(column) - pl.col(base)).alias(f"{name} - {names[0]}")
        for name, column in zip(names[1:], columns[1:], strict=True)
    )
    table = table.sort([base, *by], descending=[True, *[False] * len(by)], nulls_last=True)
    return table
