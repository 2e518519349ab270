"""A light trade response to the fee: a partial-equilibrium model, not a forecast.

The model (per row of a fee table):

* the fee is an ad valorem wedge ``tau = fee_eur / value_eur`` on the customs value;
* it is passed through in full to the importer's price (the exporter's price is unchanged:
  perfectly elastic export supply), so the buyer's price rises by the factor ``1 + tau``;
* imports follow a constant-elasticity demand with import demand elasticity ``e <= 0``:
  ``quantity_after = quantity x (1 + tau) ** e``;
* the fee per tonne is unchanged, so ``fee_after_response = fee x (1 + tau) ** e``, and the
  customs value (at the exporter's price) falls in the same proportion.

This is the textbook small-wedge partial-equilibrium response behind trade-restrictiveness
indices (Kee, Nicita & Olarreaga 2008, "Import Demand Elasticities and Trade Distortions",
Review of Economics and Statistics 90(4): 666-682, who estimate import demand elasticities by
country and HS6 product). It ignores substitution between origins (every origin's goods are
priced up by its own wedge; none gains from the others' fees), supply responses, exchange
rates and the general equilibrium. No default elasticity is bundled: the sources available to
this project give no figure that could be checked, so the caller supplies one, a number or a
table by origin, sector or code (for instance Kee, Nicita & Olarreaga's estimates). For a
general-equilibrium answer, feed ``cbam.ad_valorem_equivalents(...)`` to a CGE model instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real

import polars as pl

from cbam._errors import shorten
from cbam._interop import FrameT, same_kind, to_polars
from cbam._schema import (
    fees_as_polars,
    join_key,
    key_as_read,
    key_table_as_read,
    number_as_read,
)
from cbam._summary import computed, grouping, order_free_sum
from cbam._territory import imported_elsewhere


def _check_elasticity(values: pl.Series) -> None:
    bad = values.filter(values.is_null() | ~values.is_finite() | (values > 0))
    if bad.len():
        raise ValueError(
            "an import demand elasticity must be a finite number <= 0 (imports fall as the "
            f"price rises); got {shorten(bad.head(5).to_list())}"
        )


def _elasticity_expr(lazy: pl.LazyFrame, elasticity: object) -> tuple[pl.LazyFrame, pl.Expr]:
    """The fee table with the elasticity of each row attached, and the column to read."""
    if isinstance(elasticity, pl.DataFrame):
        if "elasticity" not in elasticity.columns:
            raise ValueError("an elasticity table needs an 'elasticity' column")
        keys = [c for c in elasticity.columns if c != "elasticity"]
        names = lazy.collect_schema()
        missing = [k for k in keys if k not in names]
        if not keys or missing:
            raise ValueError(
                f"an elasticity table needs key columns of the fee table; {missing or 'none'} "
                "not in it"
            )
        try:
            values = elasticity["elasticity"].cast(pl.Float64)
        except pl.exceptions.PolarsError:
            raise ValueError(
                "the elasticity table's 'elasticity' column must hold numbers, not "
                f"{shorten(elasticity['elasticity'].head(5).to_list())}"
            ) from None
        _check_elasticity(values)

        # Keys as the rules read them on both sides, whatever their types: 'tur', '7207 11 11'
        # and '2026.0' match TUR, 72071111 and 2026, one origin, code and year in every total.
        try:
            table = key_table_as_read(
                elasticity.select(keys), keys, names, "the elasticity table"
            ).select(*[pl.col(k).alias(f"_c_key_{k}") for k in keys], values.alias("_c_elasticity"))
        except pl.exceptions.PolarsError:
            raise ValueError(
                f"the elasticity table's keys {keys} cannot be read as the fee table's"
            ) from None
        if table.drop("_c_elasticity").is_duplicated().any():
            raise ValueError(f"the elasticity table has duplicate keys in {keys}")
        on = [f"_c_key_{k}" for k in keys]
        joined = lazy.with_columns(join_key(k, names).alias(f"_c_key_{k}") for k in keys).join(
            table.lazy(), on=on, how="left", maintain_order="left"
        )
        return joined.drop(on), pl.col("_c_elasticity")
    # A number of any kind (numpy's float32 from an estimate too), never a yes/no.
    if not isinstance(elasticity, Real) or isinstance(elasticity, bool):
        raise TypeError(
            f"elasticity must be a number or a DataFrame, not {shorten(type(elasticity).__name__)}"
        )
    _check_elasticity(pl.Series([float(elasticity)]))
    return lazy, pl.lit(float(elasticity))


def trade_response(
    fees: FrameT,
    elasticity: float | pl.DataFrame,
    by: Sequence[str] | None = ("origin", "sector", "year"),
) -> FrameT:
    """Imports and revenue after a constant-elasticity import response to the fee (a model).

    Per row: ``wedge = fee_eur / value_eur``; ``quantity_after_t = quantity_t x (1 + wedge)
    ** elasticity``; ``fee_after_response_eur = fee_eur x (1 + wedge) ** elasticity`` (the fee
    per tonne does not change); ``value_after_eur`` likewise. Full pass-through, no switching
    between origins (see the module docstring for the assumptions and the source).

    Args:
        fees: A frame returned by ``cbam.compute``, with ``value_eur``.
        elasticity: The import demand elasticity (<= 0; at -1 a 10 % wedge cuts imports by
            1 - 1.1 ** -1 = 9.1 %), or a table with key columns of the fee table
            (e.g. ``origin``, ``sector``, ``cn_code``) and ``elasticity``. No default: cite
            the figure you use.
        by: Grouping columns for totals (default origin, sector, year; empty for one row), or
            None for the row-level table.

    Returns:
        With ``by=None``, the fee table with ``wedge``, ``elasticity``, ``quantity_after_t``,
        ``value_after_eur`` and ``fee_after_response_eur`` (null where the row has no positive
        customs value or no elasticity in the table: no wedge, no response). Otherwise, per
        group: ``quantity_t``, ``quantity_after_t``, ``value_eur``, ``value_after_eur``,
        ``fee_eur`` (static revenue), ``fee_after_response_eur``, ``revenue_change_eur`` and
        ``rows_without_response``; in the group totals a row without a response keeps its
        static quantity, value and fee.

    Raises:
        ValueError: an elasticity above 0, not finite, or a table without usable keys.

    Example:
        >>> import polars as pl, cbam
        >>> rows = pl.DataFrame({"year": [2026], "origin": ["TUR"], "cn_code": ["72071111"],
        ...     "quantity_t": [100.0], "value_eur": [55_000.0]})
        >>> s = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
        >>> fees = cbam.compute(rows, s)
        >>> out = cbam.trade_response(fees, elasticity=-1.0)   # illustrative unit elasticity
        >>> [round(out[c].item(), 2) for c in ("fee_eur", "fee_after_response_eur")]
        [9688.8, 8237.65]

        The wedge is 9,688.80 / 55,000 = 0.17616, so imports and the fee fall by the factor
        1 / 1.17616: EUR 9,688.80 / 1.17616 = EUR 8,237.65.

    """
    table: object = elasticity  # a number, a table or an eager frame, narrowed below
    if not isinstance(table, pl.DataFrame | Real):
        table = to_polars(table, "elasticity")  # a pandas table of elasticities
    if isinstance(table, pl.LazyFrame):
        table = table.collect()
    given = fees_as_polars(fees)
    computed(given.collect_schema().names(), ("fee_eur", "input_error"))  # before ``by``'s
    lazy, e = _elasticity_expr(given, table)
    names = lazy.collect_schema().names()
    if "value_eur" not in names:
        raise ValueError("trade_response needs value_eur (the customs value) for the wedge")
    schema = lazy.collect_schema()
    value = number_as_read("value_eur", schema)  # as compute read them: ' 100' is 100
    quantity = number_as_read("quantity_t", schema)
    # None where the value is too small for the ratio (an infinite wedge), as ``ave`` has it.
    ratio = pl.col("fee_eur") / value
    wedge = pl.when((value > 0) & ratio.is_finite()).then(ratio)
    factor = (1.0 + pl.col("wedge")).pow(pl.col("elasticity"))
    rows = (
        lazy.with_columns(
            wedge.alias("wedge"), pl.when(wedge.is_not_null()).then(e).alias("elasticity")
        )
        .with_columns(
            (quantity * factor).alias("quantity_after_t"),
            (value * factor).alias("value_after_eur"),
            (pl.col("fee_eur") * factor).alias("fee_after_response_eur"),
        )
        .drop("_c_elasticity", strict=False)
    )
    if by is None:
        return same_kind(fees, rows, keep_index=True)
    # The regime's imports, as summarise counts them: not flagged, not imported elsewhere.
    valid = rows.filter(pl.col("input_error").is_null() & ~imported_elsewhere(names))
    aggs = [
        order_free_sum(quantity).alias("quantity_t"),
        order_free_sum(pl.coalesce("quantity_after_t", quantity)).alias("quantity_after_t"),
        order_free_sum(value).alias("value_eur"),
        order_free_sum(pl.coalesce("value_after_eur", value)).alias("value_after_eur"),
        order_free_sum(pl.col("fee_eur")),
        order_free_sum(pl.coalesce("fee_after_response_eur", "fee_eur")).alias(
            "fee_after_response_eur"
        ),
        pl.col("fee_after_response_eur").is_null().sum().alias("rows_without_response"),
    ]
    groups = grouping(by, names, results=[a.meta.output_name() for a in aggs])
    schema = valid.collect_schema()
    # Keys as the rules read them.
    keyed = valid.with_columns(key_as_read(g, schema) for g in groups)
    out = keyed.group_by(groups).agg(aggs).sort(groups) if groups else valid.select(aggs)
    out = out.with_columns(
        (pl.col("fee_after_response_eur") - pl.col("fee_eur")).alias("revenue_change_eur")
    )
    return same_kind(fees, out)
