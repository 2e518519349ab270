"""``compute``: one output row per import row, every input column kept, in order."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal, overload

import polars as pl
from narwhals.typing import IntoDataFrame, IntoDataFrameT

from cbam._engine import plan
from cbam._errors import CbamInputError, shorten
from cbam._interop import FrameT, through_polars
from cbam._resolve import load_scenario
from cbam._scenario import Scenario
from cbam._schema import (
    OUTPUT_COLUMNS,
    check_columns,
    collect_problems,
    conform,
    error_message,
    normalise,
    number_as_read,
)

# Outputs the rules compute under another name (an input column may carry the public one).
_COMPUTED_AS = {"carbon_price_paid_eur_per_t": "_c_cp_out"}
OnError = Literal["raise", "flag"]
Engine = Literal["auto", "in-memory", "streaming", "gpu"]


def polars_engine(
    engine: Engine, preferred: Literal["in-memory", "streaming"] = "in-memory"
) -> Literal["in-memory", "streaming", "gpu"]:
    """The Polars engine for ``engine``; ``"gpu"`` needs cudf-polars (``pip install cbam[gpu]``).

    ``"auto"`` takes the engine the rules' plan runs fastest on (``preferred``).

    Raises:
        ValueError: an unknown engine name.
        ImportError: ``"gpu"`` without cudf-polars installed.

    Example:
        >>> polars_engine("auto")
        'in-memory'

    """
    if engine == "auto":
        return preferred
    if engine not in ("in-memory", "streaming", "gpu"):
        raise ValueError(
            f"engine must be auto, in-memory, streaming or gpu, not {shorten(repr(engine))}"
        )
    if engine == "gpu" and importlib.util.find_spec("cudf_polars") is None:
        raise ImportError(
            "engine='gpu' runs on NVIDIA GPUs through cudf-polars, which is not installed: "
            "pip install 'cbam[gpu]' (Linux, CUDA 12)"
        )
    return engine


@overload
def compute(
    imports: pl.DataFrame,
    scenario: Scenario | str | Path = ...,
    *,
    on_error: OnError = ...,
    engine: Engine = ...,
) -> pl.DataFrame: ...
@overload
def compute(
    imports: pl.LazyFrame,
    scenario: Scenario | str | Path = ...,
    *,
    on_error: OnError = ...,
    engine: Engine = ...,
) -> pl.LazyFrame: ...
@overload
def compute(
    imports: IntoDataFrameT,
    scenario: Scenario | str | Path = ...,
    *,
    on_error: OnError = ...,
    engine: Engine = ...,
) -> IntoDataFrameT: ...


def compute(
    imports: FrameT | IntoDataFrame,
    scenario: Scenario | str | Path = "eu-cbam",
    *,
    on_error: OnError = "raise",
    engine: Engine = "auto",
) -> FrameT | IntoDataFrame:
    """Compute embedded emissions, certificates and fees for every import row.

    Args:
        imports: Rows with ``year``, ``origin``, ``cn_code``, ``quantity_t`` and optionally
            ``value_eur``, ``importer``, ``quarter``, ``route``, ``see_direct``,
            ``see_indirect``, ``clinker_share``. A DataFrame gives a DataFrame back; a
            LazyFrame gives a LazyFrame; a pandas DataFrame or PyArrow Table (any eager frame
            narwhals supports) gives the same kind back, a pandas index kept.
        scenario: A ``Scenario`` or the name or path of one.
        on_error: ``"raise"`` (default) raises ``CbamInputError`` naming the column, values and
            first rows at fault; ``"flag"`` keeps such rows, with null results and the fault in
            ``input_error``. With a LazyFrame, ``"raise"`` runs one validation pass over the input
            when called.
        engine: Polars engine for what ``compute`` collects: ``"auto"`` (streaming where each
            row reads lookups resolved per key, in-memory where rows are joined to them: the
            faster of the two in ``benchmarks/``), ``"in-memory"``, ``"streaming"`` or ``"gpu"``
            (cudf-polars, the ``cbam[gpu]`` extra). Results are the same on each.

    Returns:
        The input columns in their order, followed by the columns of ``OUTPUT_SCHEMA``, of
        its types whatever the regime (an output column that is also an input, such as
        ``carbon_price_paid_eur_per_t``, keeps its place among the inputs).

    Raises:
        CbamInputError: bad input, when ``on_error="raise"``.

    Example:
        >>> import polars as pl, cbam
        >>> rows = pl.DataFrame({"year": [2026], "origin": ["TUR"], "cn_code": ["7207 11 11"],
        ...                      "quantity_t": [100.0]})
        >>> s = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
        >>> out = cbam.compute(rows, s)
        >>> cols = ["embedded_t", "free_allocation_t", "certificates", "fee_eur"]
        >>> out.select(pl.col(cols).round(3)).row(0)
        (254.1, 132.99, 121.11, 9688.8)

    """
    if on_error not in ("raise", "flag"):
        raise ValueError(f"on_error must be 'raise' or 'flag', not {shorten(repr(on_error))}")
    if not isinstance(imports, pl.DataFrame | pl.LazyFrame):
        # pandas, PyArrow and the like: through Polars and back (cbam/_interop.py).
        native: IntoDataFrame = through_polars(
            imports, lambda df: compute(df, scenario, on_error=on_error, engine=engine)
        )
        return native
    chosen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    polars_engine(engine)  # refuse an unknown engine before any work
    lazy = imports.lazy()
    schema = lazy.collect_schema()
    check_columns(schema)
    input_columns: list[str] = list(schema.names())
    rules = plan(normalise(lazy, schema), schema, chosen)
    run_engine = polars_engine(engine, rules.engine)
    checks = rules.checks
    # An output that is also an optional input (carbon_price_paid_eur_per_t) is computed under
    # an internal name, so the checks read the input, and takes the input column's place.
    outputs: list[str] = [
        c for c in OUTPUT_COLUMNS if c != "input_error" and c not in input_columns
    ]
    renamed = rules.frame

    def output(column: str) -> pl.Expr:
        return pl.col(_COMPUTED_AS.get(column, column)).alias(column)

    shared: list[str] = [c for c in input_columns if c in _COMPUTED_AS]

    if on_error == "flag":
        flagged = renamed.with_columns(error_message(checks, quoted=shared))
        ok = pl.col("input_error").is_null()
        result = flagged.select(
            *[
                # A flagged row keeps its input as read: its text may be no number at all.
                pl.when(ok).then(output(c)).otherwise(number_as_read(c, schema)).alias(c)
                if c in shared
                else c
                for c in input_columns
            ],
            *[pl.when(ok).then(output(c)).alias(c) for c in outputs],
            "input_error",
        ).pipe(conform)
        return result.collect(engine=run_engine) if isinstance(imports, pl.DataFrame) else result

    final = [
        *[output(c) if c in shared else pl.col(c) for c in input_columns],
        *[output(c) for c in outputs],
        pl.lit(None, pl.String).alias("input_error"),
    ]
    # One boolean per row says whether any check failed; the detailed report (values, first
    # rows) is gathered in a second pass only when something did fail.
    any_failed = rules.failed.alias("_c_failed")
    if isinstance(imports, pl.DataFrame):
        # Only the output columns and the flag are materialised, not the internals.
        full = conform(renamed.select(*final, any_failed)).collect(engine=run_engine)
        if full["_c_failed"].any():
            raise CbamInputError(collect_problems(renamed, checks))
        return full.drop("_c_failed")
    if renamed.select(any_failed.any()).collect(engine=run_engine).item():
        raise CbamInputError(collect_problems(renamed, checks))
    return conform(renamed.select(final))


def compute_strictly(
    imports: FrameT,
    scenario: Scenario,
    caller: str,
    *,
    on_error: OnError = "raise",
    also: str = "",
) -> FrameT:
    """``compute`` for a caller that computes strictly, its error hint saying where to look.

    A bad row raises ``CbamInputError`` whose hint points to ``compute(..., on_error='flag')``
    (``caller`` names the function; ``also`` adds its own way round, if it has one).
    """
    try:
        return compute(imports, scenario, on_error=on_error)
    except CbamInputError as exc:
        raise exc.relabel(
            hint=f"{caller} computes strictly: find the rows with "
            f"cbam.compute(imports, scenario, on_error='flag'){also}"
        ) from None
