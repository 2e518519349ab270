"""Static charts of fee tables, trajectories, scenario comparisons and recycling (matplotlib).

Each function returns a ``matplotlib.figure.Figure`` built without pyplot (no global state, no
display needed) and, given ``path``, writes it there (PNG, SVG or PDF by the suffix). matplotlib
is imported only when a chart is drawn, so ``import cbam`` does not need it:
``pip install 'cbam[charts]'``.

* ``fees_by_origin(fees, top=15)``: the origins paying most, stacked by sector.
* ``phase_in_trajectory(trajectory)``: ``cbam.phase_in`` output, fee by rules year with the
  CBAM factor.
* ``scenario_comparison({"name": fees, ...}, by="origin")``: fees side by side.
* ``recycling_flows(recycling)``: where the revenue goes, and each country's net balance.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from cbam._countries import upper_ascii_text
from cbam._errors import CbamInputError, InputProblem, ScenarioError, first_line, shorten
from cbam._recycling import Recycling
from cbam._schema import currency_as_read, fees_as_polars, key_as_read, number_as_read
from cbam._summary import SUMMED
from cbam._territory import imported_elsewhere

__all__ = [
    "fees_by_origin",
    "phase_in_trajectory",
    "recycling_flows",
    "save_all",
    "scenario_comparison",
]

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_WIDTH = 9.0


def _figure(height: float, columns: int = 1) -> tuple[Figure, list[Axes]]:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("cbam.charts needs matplotlib: pip install 'cbam[charts]'") from exc
    figure = Figure(figsize=(_WIDTH if columns == 1 else 6.0 * columns, height), dpi=100)
    axes = figure.subplots(1, columns, squeeze=False)[0]
    return figure, list(axes)


def _write(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` to the file ``path`` names, in the format its suffix names.

    Raises:
        ScenarioError: a path that names no file of a format matplotlib writes (a folder, no
            suffix, ``.xyz``), or one that cannot be written, naming the path.

    """
    text = str(path)
    target = Path(path)
    # pgf writes LaTeX for a TeX install to typeset: no figure file by itself.
    kinds = {k: v for k, v in figure.canvas.get_supported_filetypes().items() if k != "pgf"}
    suffix = target.suffix.lower().removeprefix(".")
    named = ScenarioError(
        f"path {shorten(repr(text), 80)}: name a file whose suffix is a format to write "
        f"(.png, .svg, .pdf or another of {', '.join(sorted(kinds))})"
    )
    if not text or text.endswith(("/", "\\")) or suffix not in kinds:
        raise named
    try:
        if target.is_dir():
            raise named
        target.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(target, dpi=120)
    except (OSError, RuntimeError) as exc:
        cause = exc.strerror if isinstance(exc, OSError) and exc.strerror else first_line(exc)
        raise ScenarioError(f"path {shorten(repr(text), 80)}: cannot write it: {cause}") from None
    return target


def _finish(figure: Figure, path: str | Path | None, source: str | None) -> Figure:
    if source:
        figure.text(0.01, 0.005, source, fontsize=7, color="0.4", ha="left", va="bottom")
    figure.tight_layout(rect=(0, 0.03 if source else 0, 1, 1))
    if path is not None:
        _write(figure, path)
    return figure


def _fees(fees: pl.DataFrame | pl.LazyFrame | Any) -> pl.DataFrame:
    """A fee table, typed as ``compute`` types it (one read back from a CSV, say)."""
    return fees_as_polars(fees).collect()


def _with_columns(frame: pl.DataFrame, needed: Sequence[str | None], what: str) -> pl.DataFrame:
    """``frame``, if it has the ``needed`` columns (None: none needed); else name those missing.

    Raises:
        ScenarioError: naming the missing columns, the argument and the columns found.

    """
    missing = [c for c in needed if c is not None and c not in frame.columns]
    if missing:
        raise ScenarioError(
            f"{what}: no column(s) {shorten(missing)} (columns found: {shorten(frame.columns)})"
        )
    return frame


def _drawn(
    frame: pl.DataFrame, column: str, what: str, kept: pl.Expr | None = None
) -> pl.DataFrame:
    """The ``kept`` rows of ``frame``, if each one's ``column`` is a finite number (or null).

    Raises:
        CbamInputError: a NaN or infinite amount, as ``summarise`` refuses it, naming the
            rows (of the frame as given) and values.

    """
    kept = pl.lit(True) if kept is None else kept
    value = number_as_read(column, frame.schema)
    bad = kept & value.is_not_null() & ~value.is_finite()
    rows = frame.with_row_index("_row").filter(bad)
    if rows.height:
        shown = rows.head(5)
        problem = InputProblem(
            column,
            "not a finite number",
            rows.height,
            tuple(shown["_row"].to_list()),
            tuple(str(v) for v in shown[column].to_list()),
        )
        raise CbamInputError([problem], hint=None, data=what)
    return frame.filter(kept)


def _count(top: object) -> int:
    """``top`` as a count of bars: a whole number of at least 1."""
    if isinstance(top, bool) or not isinstance(top, Integral) or top < 1:
        raise ValueError(f"top must be a whole number of at least 1, not {shorten(repr(top), 40)}")
    return int(top)


def _largest_first(frame: pl.DataFrame, column: str) -> list[str]:
    """The labels of ``column``, largest total fee first (drawn nearest the axis)."""
    totals = frame.group_by(column).agg(pl.col("fee_eur").sum())
    return totals.sort(["fee_eur", column], descending=[True, False])[column].to_list()


def _stacks(
    frame: pl.DataFrame, stack_by: str, at: str, places: Sequence[object]
) -> Iterator[tuple[str, list[float], list[float]]]:
    """Per ``stack_by`` label, largest first: its fee at each ``at`` of ``places``, and its base.

    A label's bars start where the labels before it end.
    """
    read = key_as_read(stack_by, frame.schema).cast(pl.String).fill_null("(none)")
    labelled = frame.with_columns(read)
    base = [0.0] * len(places)
    for label in _largest_first(labelled, stack_by):
        part = labelled.filter(pl.col(stack_by) == label).group_by(at).agg(pl.col("fee_eur").sum())
        fees = dict(part.iter_rows())
        sizes = [float(fees.get(p, 0.0)) for p in places]
        yield label, sizes, base
        base = [a + b for a, b in zip(base, sizes, strict=True)]


_NO_ORIGIN = "(no origin)"


def _stacked_by(stack_by: str | None, function: str) -> None:
    """Refuse stacking by an amount: the bars are those amounts, not labels of them."""
    if stack_by in _SUMMABLE:
        raise ScenarioError(
            f"{function}: stack_by={stack_by!r} is an amount, not a label to stack the bars "
            "by (give a label column such as 'sector', or None)"
        )


# The columns whose rows add up to a group's total (as summarise adds them); a ratio (ave)
# or a rate (see_t_per_t, cbam_factor) does not.
_SUMMABLE = (*SUMMED, "value_eur", "fee_local")

_SCALES = ((1e9, "billion"), (1e6, "million"), (1e3, "thousand"))


def _unit_of(column: str) -> str:
    """The unit of a summed output column, as an axis names it.

    Example:
        >>> [_unit_of(c) for c in ("fee_eur", "quantity_t", "embedded_t", "certificates")]
        ['EUR', 't', 't CO2e', 'certificates']

    """
    if column.endswith("_eur"):
        return "EUR"
    if column == "quantity_t":
        return "t"
    return "t CO2e" if column.endswith("_t") else column


def _scaled(ax: Axes, label: str, unit: str, axis: Literal["x", "y"] = "x") -> None:
    """Mark ``axis`` in the unit's thousands, millions or billions, as its values span.

    Called once the bars are drawn: the scale follows the axis limits, so a fee of EUR 9,000
    reads 9 (EUR thousand), not 0 (EUR million); ticks of zero never read -0.
    """
    from matplotlib.ticker import FuncFormatter

    largest = max(abs(v) for v in (ax.get_xlim() if axis == "x" else ax.get_ylim()))
    factor, word = next(((f, w) for f, w in _SCALES if largest >= f), (1.0, ""))
    # As many decimals as about five ticks over the span need (0.05 apart: two).
    step = largest / factor / 5
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 0
    formatter = FuncFormatter(lambda v, _: f"{round(v / factor, decimals) + 0.0:,.{decimals}f}")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(formatter)
    named = " ".join(part for part in (unit, word) if part)
    text = ", ".join(part for part in (label, named) if part)
    (ax.set_xlabel if axis == "x" else ax.set_ylabel)(text)
    ax.grid(axis=axis, alpha=0.3)


def fees_by_origin(
    fees: pl.DataFrame | pl.LazyFrame,
    top: int = 15,
    stack_by: str | None = "sector",
    path: str | Path | None = None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Horizontal bars of the ``top`` origins by fee, stacked by ``stack_by``.

    Args:
        fees: A frame returned by ``cbam.compute``.
        top: How many origins to show (largest fee first).
        stack_by: A column to stack the bars by (``sector``), or None for plain bars.
        path: Where to write the figure, if anywhere.
        title: The chart title (default: "Fee by origin, top N").
        source: A source line printed under the chart.

    Returns:
        The figure.

    Example:
        >>> import polars as pl, cbam
        >>> from cbam import charts
        >>> rows = pl.DataFrame({"year": [2026, 2026], "origin": ["TUR", "CHN"],
        ...     "cn_code": ["72071111", "25232900"], "quantity_t": [100.0, 1000.0]})
        >>> fig = charts.fees_by_origin(cbam.compute(rows))
        >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]   # largest fee first
        ['CHN', 'TUR']

    """
    needed = ["origin", "fee_eur", "input_error", stack_by]
    frame = _with_columns(_fees(fees), needed, "fees_by_origin(fees)")
    _stacked_by(stack_by, "fees_by_origin")
    top = _count(top)
    # 'tur' is TUR, as the rules read it; a row without an origin is drawn as such.
    frame = _drawn(frame, "fee_eur", "fee table", kept=pl.col("input_error").is_null())
    frame = frame.with_columns(key_as_read("origin").fill_null(_NO_ORIGIN))
    totals = frame.group_by("origin").agg(pl.col("fee_eur").sum())
    order = totals.sort(["fee_eur", "origin"], descending=[True, False]).head(top)
    origins = order["origin"].to_list()
    figure, (ax,) = _figure(height=0.35 * max(len(origins), 4) + 1.2)
    positions = list(range(len(origins)))[::-1]  # largest at the top
    if stack_by is None:
        ax.barh(positions, order["fee_eur"].to_list(), color="tab:blue")
    else:
        shown = frame.filter(pl.col("origin").is_in(origins))
        for label, widths, left in _stacks(shown, stack_by, "origin", origins):
            ax.barh(positions, widths, left=left, label=label)
        ax.legend(fontsize=8, loc="lower right", frameon=False)
    ax.set_yticks(positions, origins)
    _scaled(ax, "fee", "EUR")
    ax.set_title(title or f"Fee by origin, top {len(origins)}")
    return _finish(figure, path, source)


def phase_in_trajectory(
    trajectory: pl.DataFrame | pl.LazyFrame,
    stack_by: str | None = None,
    path: str | Path | None = None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Fee by rules year (bars, stacked by ``stack_by`` if given) and the CBAM factor (line).

    Args:
        trajectory: ``cbam.phase_in`` output (``rules_year``, ``fee_eur``, ``cbam_factor`` and
            the ``by`` columns it was grouped by).
        stack_by: One of the trajectory's ``by`` columns to stack the bars by.
        path: Where to write the figure, if anywhere.
        title: The chart title.
        source: A source line printed under the chart.

    Returns:
        The figure.

    Example:
        >>> import polars as pl
        >>> from cbam import charts
        >>> path = pl.DataFrame({"rules_year": [2026, 2034], "fee_eur": [1e9, 3e9],
        ...                      "cbam_factor": [0.975, 0.0]})
        >>> fig = charts.phase_in_trajectory(path)
        >>> len(fig.axes)   # fee axis and CBAM factor axis
        2

    """
    needed = ["rules_year", "fee_eur", "cbam_factor", stack_by]
    what = "phase_in_trajectory(trajectory)"
    # Typed as phase_in types it: a trajectory read back from a CSV as text reads alike.
    frame = _with_columns(fees_as_polars(trajectory, what).collect(), needed, what)
    _stacked_by(stack_by, "phase_in_trajectory")
    frame = _drawn(frame, "fee_eur", "trajectory")
    if frame["rules_year"].null_count():
        raise ScenarioError(f"{what}: rules_year is empty on some rows; each row is a year's")
    years = sorted(frame["rules_year"].unique().to_list())
    figure, (ax,) = _figure(height=4.5)
    if stack_by is None:
        totals = frame.group_by("rules_year").agg(pl.col("fee_eur").sum()).sort("rules_year")
        ax.bar(years, totals["fee_eur"].to_list(), color="tab:blue", label="fee")
    else:
        for label, heights, bottom in _stacks(frame, stack_by, "rules_year", years):
            ax.bar(years, heights, bottom=bottom, label=label)
    _scaled(ax, "fee", "EUR", "y")
    ax.set_xticks(years, [str(y) for y in years])
    factor = frame.group_by("rules_year").agg(pl.col("cbam_factor").max()).sort("rules_year")
    handles, labels = ax.get_legend_handles_labels()
    if factor["cbam_factor"].is_not_null().any():  # a design without free allocation has none
        twin = ax.twinx()
        twin.plot(
            years, factor["cbam_factor"].to_list(), color="black", marker="o", label="CBAM factor"
        )
        twin.set_ylim(0, 1.05)
        twin.set_ylabel("CBAM factor (share of free allocation kept)")
        more_handles, more_labels = twin.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    ax.legend(handles, labels, fontsize=8, loc="upper left")
    ax.set_title(title or "Phase-in: the same trade under each year's rules")
    return _finish(figure, path, source)


def scenario_comparison(
    results: Mapping[str, pl.DataFrame | pl.LazyFrame],
    by: str = "origin",
    top: int = 10,
    column: str = "fee_eur",
    path: str | Path | None = None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Grouped horizontal bars: ``column`` by ``by`` under each scenario.

    The groups shown are the ``top`` largest under the first scenario.

    Args:
        results: Scenario label -> a frame returned by ``cbam.compute``.
        by: The grouping column (``origin``, ``sector``, ...).
        top: How many groups to show.
        column: The summed column (``fee_eur`` by default).
        path: Where to write the figure, if anywhere.
        title: The chart title.
        source: A source line printed under the chart.

    Returns:
        The figure.

    Example:
        >>> import polars as pl, cbam
        >>> from cbam import charts
        >>> rows = pl.DataFrame({"year": [2026], "origin": ["TUR"], "cn_code": ["72071111"],
        ...     "quantity_t": [100.0]})
        >>> runs = {s: cbam.compute(rows, s) for s in ("eu-cbam", "eu-cbam-rules-2034")}
        >>> fig = charts.scenario_comparison(runs)
        >>> len(fig.axes[0].patches)   # one bar per scenario
        2

    """
    if not isinstance(results, Mapping):
        raise TypeError(
            "scenario_comparison takes a mapping of labels to compute results, e.g. "
            f"{{'eu-cbam': fees}}, not {type(results).__name__}"
        )
    if not results:
        raise ValueError("scenario_comparison needs at least one result")
    top = _count(top)
    if column not in _SUMMABLE:
        raise ScenarioError(
            f"scenario_comparison: column={shorten(repr(column), 40)} is no amount that adds "
            f"up over rows (one of {', '.join(_SUMMABLE)}); a ratio such as ave is "
            "cbam.summarise's"
        )
    needed = [by, column, "input_error"]
    local = column == "fee_local"  # each regime's own currency: one axis holds one of them
    sums, currencies = {}, {}
    for name, frame in results.items():
        given = _with_columns(_fees(frame), needed, f"scenario_comparison(results[{name!r}])")
        # The regime's imports only, as summarise counts them: no flagged row, none sent
        # outside its territory.
        kept = pl.col("input_error").is_null() & ~imported_elsewhere(given.columns)
        given = _drawn(given, column, f"results[{name!r}]", kept)
        if local and "currency" in given.columns:  # one result without it holds one currency
            found = given.select(currency_as_read())["currency"].drop_nulls().unique()
            currencies[name] = sorted(found)
        elif local and len(results) > 1:  # which currency is each in? One axis holds one.
            _with_columns(given, ["currency"], f"scenario_comparison(results[{name!r}])")
        sums[name] = dict(
            given.group_by(key_as_read(by, given.schema).cast(pl.String).fill_null(f"(no {by})"))
            .agg(number_as_read(column, given.schema).sum())  # ' 100' t is 100 t
            .iter_rows()
        )
    used = sorted({c for found in currencies.values() for c in found})
    if len(used) > 1:
        said = ", ".join(f"{name!r}: {'/'.join(found)}" for name, found in currencies.items())
        raise ScenarioError(
            f"scenario_comparison: fee_local is in more than one currency ({said}); one axis "
            "holds one currency: compare fee_eur, or results in one currency"
        )
    first = next(iter(sums.values()))
    groups = [g for g, _ in sorted(first.items(), key=lambda kv: (-kv[1], str(kv[0])))][:top]
    names = list(sums)
    height = 0.8 / len(names)
    figure, (ax,) = _figure(height=0.3 * len(groups) * max(len(names), 2) / 2 + 1.5)
    base = list(range(len(groups)))[::-1]
    for i, name in enumerate(names):
        positions = [p + (len(names) - 1 - i) * height - 0.4 + height / 2 for p in base]
        ax.barh(positions, [float(sums[name].get(g, 0.0)) for g in groups], height, label=name)
    ax.set_yticks(base, [str(g) for g in groups])
    unit = used[0] if local and used else _unit_of(column)
    named = column.removesuffix("_eur") if column.endswith("_eur") else column.removesuffix("_t")
    _scaled(ax, named, "" if unit == column else unit)
    ax.legend(fontsize=8, loc="lower right", frameon=False)
    ax.set_title(title or f"{column} by {by} under each scenario")
    return _finish(figure, path, source)


def recycling_flows(
    recycling: Recycling,
    top: int = 12,
    countries: Sequence[str] | None = None,
    path: str | Path | None = None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Two panels: the revenue by pool, and the ``top`` countries by absolute net balance.

    Args:
        recycling: The result of ``cbam.recycle``.
        top: How many countries to show in the balance panel.
        countries: The countries (ISO3) to show instead of the ``top`` ones.
        path: Where to write the figure, if anywhere.
        title: The figure title (default: the plan's name).
        source: A source line printed under the chart.

    Returns:
        The figure.

    Example:
        >>> import polars as pl, cbam
        >>> from cbam import charts
        >>> rows = pl.DataFrame({"year": [2026], "origin": ["TUR"], "cn_code": ["72071111"],
        ...     "quantity_t": [100.0]})
        >>> fees = cbam.compute(rows, "eu-cbam-own-resources")
        >>> fig = charts.recycling_flows(cbam.recycle(fees, "eu-cbam-own-resources"))
        >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]   # in the plan's order
        ['EU budget', "Member States' budgets"]

    """
    if not isinstance(recycling, Recycling):
        raise TypeError(
            f"recycling_flows takes the result of cbam.recycle, not {type(recycling).__name__}"
        )
    top = _count(top)
    if countries is not None:  # one name as by= takes it; ISO3 codes as the rules read them
        given = [countries] if isinstance(countries, str) else list(countries)
        countries = [upper_ascii_text(str(c).strip()) for c in given]
    unknown = sorted(set(countries or ()) - set(recycling.balance["origin"].to_list()))
    if unknown:
        raise ScenarioError(f"recycling_flows: countries {shorten(unknown)} have no balance")
    figure, (left, right) = _figure(height=4.8, columns=2)
    pools = recycling.pools.sort("allocation")
    labels = pools["pool"].to_list()
    positions = list(range(len(labels)))[::-1]
    left.barh(positions, pools["amount_eur"].to_list(), color="tab:green")
    left.set_yticks(positions, labels)
    _scaled(left, "", "EUR")
    left.set_title("Where the revenue goes")
    chosen = (
        recycling.balance.filter(pl.col("origin").is_in(list(countries)))
        if countries is not None
        else recycling.balance.sort(
            pl.col("net_eur").abs(), "origin", descending=[True, False]
        ).head(top)
    )
    balance = chosen.sort(["net_eur", "origin"])
    nets = balance["net_eur"].to_list()
    colours = ["tab:red" if v < 0 else "tab:green" for v in nets]
    right.barh(list(range(len(nets))), nets, color=colours)
    right.set_yticks(list(range(len(nets))), balance["origin"].to_list())
    right.axvline(0, color="black", linewidth=0.8)
    _scaled(right, "net balance (received - paid)", "EUR")
    right.set_title(
        f"Net balance, top {len(nets)} countries" if countries is None else "Net balance"
    )
    figure.suptitle(title or f"Revenue recycling: {recycling.plan.name}")
    return _finish(figure, path, source)


def save_all(figures: Mapping[str, Figure], folder: str | Path) -> Sequence[Path]:
    """Write each figure as ``folder/<name>.png`` and return the paths.

    Example:
        >>> import tempfile, polars as pl
        >>> from cbam import charts
        >>> path = pl.DataFrame({"rules_year": [2026], "fee_eur": [1e9], "cbam_factor": [0.975]})
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     [p.name for p in charts.save_all({"trajectory":
        ...         charts.phase_in_trajectory(path)}, tmp)]
        ['trajectory.png']

    """
    if not isinstance(figures, Mapping) or not all(hasattr(f, "savefig") for f in figures.values()):
        raise TypeError("save_all takes a mapping of names to figures, e.g. {'fees': figure}")
    # A name is a file's, in ``folder``: 'x/y' or '../x' would write elsewhere.
    odd = [n for n in figures if not isinstance(n, str) or Path(n).name != n or n in ("", "..")]
    if odd:
        raise ScenarioError(
            f"save_all: names {shorten(odd)} are no file names (each figure is written as "
            "folder/<name>.png: no folders or '..' in a name)"
        )
    target = Path(folder)
    return [_write(figure, target / f"{name}.png") for name, figure in figures.items()]
