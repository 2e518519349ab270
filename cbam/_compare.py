"""``compare``: one import panel under several scenarios, side by side, in a common currency."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from cbam._carbon_prices import fx_by_year, fx_table
from cbam._countries import upper_ascii_text
from cbam._errors import ScenarioError, shorten
from cbam._interop import like, to_polars
from cbam._pipeline import OnError, compute_strictly
from cbam._resolve import load_scenario
from cbam._scenario import Scenario
from cbam._schema import key_as_read, result_columns
from cbam._summary import SUMMARY_COLUMNS, grouping, order_free_sum
from cbam._territory import imported_elsewhere


def _fx(currency: str, years: list[int]) -> pl.DataFrame:
    if not years:
        return pl.DataFrame(schema={"rules_year": pl.Int32, "_eur_per_unit": pl.Float64})
    table = fx_by_year(range(min(years), max(years) + 1)).filter(pl.col("currency") == currency)
    return table.select(
        pl.col("year").cast(pl.Int32).alias("rules_year"),
        pl.col("eur_per_unit").alias("_eur_per_unit"),
    )


def fee_column(currency: str, name: str) -> str:
    """The column of ``compare``'s table holding scenario ``name``'s fees in ``currency``."""
    return f"fee_{currency.lower()}:{name}"


def compare(
    imports: pl.DataFrame | pl.LazyFrame | Any,
    scenarios: Sequence[Scenario | str],
    *,
    by: Sequence[str] = ("origin",),
    currency: str = "EUR",
    on_error: OnError = "raise",
) -> Any:
    """Fees of one import panel under each scenario, a column per scenario, plus differences.

    Each scenario's fees are those of ``compute`` summed by ``by``; amounts are converted from
    EUR at each row's rules-year rate (``rates/carbon_prices/fx.csv``). Rows are sorted by the
    first scenario's fee, largest first (a ``by`` holding ``year`` or ``rules_year``: by year
    first); every group any scenario prices appears, with 0 where a scenario has no rows. Rows
    imported outside a scenario's territory (``destination``) are not its imports and stay
    out of its sums and groups.

    Scenarios are compared as given: whether their rules years agree is the caller's to judge
    (``Scenario.rules_year``; ``cbam compare`` refuses to mix them unless told to).

    Args:
        imports: The import rows, as for ``compute`` (a pandas frame too).
        scenarios: Two or more scenarios (objects, bundled names or paths); the first is the
            base the differences are taken from.
        by: Grouping columns of the output of ``compute`` (e.g. ``("origin", "sector")``);
            empty for one row of grand totals.
        currency: The currency of every amount (ISO 4217, one of ``fx.csv``'s; any case).
        on_error: ``raise`` (default): bad rows raise; ``flag``: rows that a scenario flags
            (``compute(..., on_error="flag")``) are left out of its sums, not counted as 0;
            a group whose every row a scenario flags has a null fee of it (and difference).

    Returns:
        A frame of ``imports``' library (a Polars DataFrame for a LazyFrame): ``by`` columns,
        then ``fee_<currency>:<name>`` per scenario, then
        ``<name> - <base name>`` differences for every scenario after the first.

    Raises:
        ScenarioError: fewer than two scenarios, duplicate names, an unknown currency, or a
            ``by`` column that is unknown or given twice.
        CbamInputError: bad import rows with ``on_error="raise"`` (check them with
            ``compute(..., on_error="flag")``).

    Example:
        >>> import polars as pl, cbam
        >>> rows = pl.DataFrame({"year": [2027], "origin": ["TUR"], "cn_code": ["7601"],
        ...                      "quantity_t": [10.0], "value_eur": [30000.0]})
        >>> table = cbam.compare(rows, ["us-cca-2025", "us-fpf-2025"], currency="USD")
        >>> table.columns
        ['origin', 'fee_usd:us-cca-2025', 'fee_usd:us-fpf-2025', 'us-fpf-2025 - us-cca-2025']

    """
    table, _, _ = compare_counted(imports, scenarios, by=by, currency=currency, on_error=on_error)
    return like(imports, table) if not isinstance(imports, pl.LazyFrame) else table


def compare_counted(
    imports: pl.DataFrame | pl.LazyFrame | Any,
    scenarios: Sequence[Scenario | str],
    *,
    by: Sequence[str] = ("origin",),
    currency: str = "EUR",
    on_error: OnError = "raise",
) -> tuple[pl.DataFrame, dict[str, int], dict[str, int]]:
    """``compare``'s table, and each scenario's counts of rows left out of it.

    The counts are of flagged rows (all 0 with ``on_error="raise"``: a bad row raises
    instead) and of rows imported outside the scenario's territory.
    """
    if isinstance(scenarios, str | Path | Scenario):
        raise ScenarioError("compare needs a list of two or more scenarios, not one")
    if not isinstance(scenarios, Iterable):
        raise TypeError(
            f"scenarios must be a list of two or more scenarios, not {type(scenarios).__name__}"
        )
    chosen = [s if isinstance(s, Scenario) else load_scenario(s) for s in scenarios]
    if len(chosen) < 2:
        raise ScenarioError("compare needs two or more scenarios")
    names = [s.name for s in chosen]
    if len(set(names)) != len(names):
        raise ScenarioError(
            f"compare needs distinct scenario names, not {shorten(names)} (name a variant: "
            "a line 'name: my-variant' in its scenario file, or "
            "load_scenario(..., overrides={'name': 'my-variant'}))"
        )
    if not isinstance(currency, str):
        raise TypeError(f"currency must be a code such as 'USD', not {type(currency).__name__}")
    currency = upper_ascii_text(currency.strip())
    known = sorted(set(fx_table()["currency"].to_list()))
    if currency not in known:
        raise ScenarioError(
            f"no exchange rate for currency '{shorten(currency, 20)}' in fx.csv "
            f"(known: {', '.join(known)})"
        )
    polars_frame = to_polars(imports)
    frame = polars_frame.collect() if isinstance(polars_frame, pl.LazyFrame) else polars_frame
    # A per-row amount (fee_eur, quantity_t) is what the table sums, not a group.
    by = grouping(by, result_columns(frame.columns), results=(*SUMMARY_COLUMNS, "fee_local"))
    columns = [fee_column(currency, name) for name in names]
    fee = pl.col("fee_eur") if currency == "EUR" else pl.col("fee_eur") / pl.col("_eur_per_unit")
    parts: list[pl.DataFrame] = []
    flagged: dict[str, int] = {}
    outside: dict[str, int] = {}
    for i, (scenario, column) in enumerate(zip(chosen, columns, strict=True)):
        fees = compute_strictly(
            frame,
            scenario,
            "compare",
            on_error=on_error,
            also=", or leave them out of the sums with compare(..., on_error='flag')",
        )
        # Flagged rows have no fee: counted apart, never summed as 0. A group whose every row
        # of this scenario is flagged has no fee of it (null), not a fee of 0.
        bad = fees["input_error"].is_not_null()
        flagged[scenario.name] = int(bad.sum())
        # Rows imported outside the scenario's territory are not its imports (no groups).
        elsewhere = fees.select(imported_elsewhere(fees.columns)).to_series()
        outside[scenario.name] = int(elsewhere.sum())
        fees = fees.filter(~elsewhere).with_columns(_ok=pl.col("input_error").is_null())
        if currency != "EUR":
            years = fees["rules_year"].drop_nulls().unique().to_list()
            fees = fees.join(_fx(currency, years), on="rules_year", how="left")
        ok = pl.col("_ok")
        has_fee = (ok.any() | (pl.len() == 0)).alias(f"_ok{i}")  # no rows at all: a fee of 0
        sums = [order_free_sum(fee.filter(ok)).alias(column), has_fee]
        # Keys as the rules read them.
        keyed = fees.with_columns(key_as_read(c, fees.schema) for c in by)
        parts.append(keyed.group_by(by).agg(sums) if by else fees.select(sums))
    table = parts[0]
    for part in parts[1:]:
        if by:  # every regime types its columns alike (OUTPUT_SCHEMA): they join as they are
            table = table.join(part, on=by, how="full", coalesce=True, nulls_equal=True)
        else:  # one row of grand totals: each scenario's is a column of it
            table = pl.concat([table, part], how="horizontal")
    base = columns[0]
    priced = [f"_ok{i}" for i in range(len(columns))]
    if by:  # a group of flagged rows alone is no group (as in summarise's sums)
        table = table.filter(pl.any_horizontal(pl.col(priced).fill_null(False)))
    table = (
        table.with_columns(  # no rows of a scenario: 0; rows, all flagged: no fee (null)
            pl.when(pl.col(ok).is_null()).then(0.0).when(ok).then(pl.col(column)).alias(column)
            for ok, column in zip(priced, columns, strict=True)
        )
        .drop(priced)
        .with_columns(
            (pl.col(column) - pl.col(base)).alias(f"{name} - {names[0]}")
            for name, column in zip(names[1:], columns[1:], strict=True)
        )
    )
    years = [c for c in ("year", "rules_year") if c in by]
    others = [c for c in by if c not in years]
    table = table.sort(
        [*years, base, *others],
        descending=[False] * len(years) + [True] + [False] * len(others),
        nulls_last=True,
    )
    return table, flagged, outside
