"""pandas, PyArrow and other eager frames in and out of ``compute``, through narwhals.

``compute`` runs on Polars. A frame of another library narwhals knows (a pandas DataFrame, a
PyArrow Table, Modin, cuDF) is converted to Polars on the way in and back to its own library on
the way out, so an existing model calls ``cbam.compute(its_frame)`` and gets its kind back. A
pandas index is carried over (one output row per input row, in order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import narwhals as nw
import polars as pl


def through_polars(frame: Any, run: Callable[[pl.DataFrame], pl.DataFrame]) -> Any:
    """Convert an eager non-Polars frame to Polars, ``run`` it, and convert the result back.

    Args:
        frame: A pandas DataFrame, PyArrow Table or other eager frame narwhals supports.
        run: The Polars computation (one output row per input row, in order).

    Returns:
        The result in ``frame``'s library, with a pandas input's index.

    Raises:
        TypeError: ``frame`` is not a data frame narwhals can read eagerly.

    Example:
        >>> import pyarrow as pa, polars as pl
        >>> table = pa.table({"x": [1, 2]})
        >>> out = through_polars(table, lambda df: df.with_columns(y=pl.col("x") * 2))
        >>> type(out).__name__, out.column("y").to_pylist()
        ('Table', [2, 4])

    """
    try:
        data = nw.from_native(frame, eager_only=True)
    except TypeError as exc:
        raise TypeError(
            "imports must be a Polars DataFrame or LazyFrame, or an eager data frame narwhals "
            f"supports (pandas, PyArrow, ...), not {type(frame).__module__}."
            f"{type(frame).__name__}"
        ) from exc
    result = run(data.to_polars())
    back = nw.from_arrow(result, backend=nw.get_native_namespace(data))
    index = nw.maybe_get_index(data)
    if index is not None:
        back = nw.maybe_set_index(back, index=[index])
    return nw.to_native(back)
