"""``totals``: ``summarise(compute(...))`` over whole panels, priced once per rule key.

Every rule input of a row is a column of its key (origin, code, year, quarter, importer,
route, actual values, ...), and the fee is linear in the row's amount for a given key:
quantity for charges per tonne, customs value for ad valorem charges. So the rows are summed
per distinct key first, each key is priced once by ``compute`` as one row carrying the key's
sums, and the priced keys are summed again by ``by``.

Where the key is origin, code, year and quarter (no importers, routes or actual values), the
rows are binned rather than grouped: each row's key is a position in a dense array over the
distinct origins and codes, the years and quarters, and ``numpy.add.at`` sums counts and
amounts into it, batch by batch on the streaming engine, so memory is bounded by the keys, not
by the rows (``benchmarks/bench_scale.py``). Other keys are grouped by Polars.

Thresholds still hold: an importer's annual mass or value and an origin's share of a code's
imports are sums over rows whose importer, year, origin and code are in the key, so the key
sums add up to the same totals. They are decided on amounts rounded per row to the gram or
cent (``rates/eu/exact_sums.yaml``); where a key's rounded sum differs from the sum of its
rounded rows, the rows are priced one by one instead.

The quarter matters only where the price is quarterly: a probe prices one covered good per
sector in each year of the panel, quarter by quarter, and keys of the years whose results do
not differ by quarter are summed over the quarters.

Checks cost no second pass: null, negative, NaN and non-finite amounts are aggregates of the
same group-by, and the key checks run on the keys (``compute``'s own). Whenever anything
fails, ``totals`` runs the detailed path (``summarise(compute(rows))``), so a strict run's
error names the rows exactly as ``compute`` does and a lenient run accounts flagged rows as
``summarise`` does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import Literal, overload

import numpy as np
import polars as pl
from narwhals.typing import IntoDataFrame, IntoDataFrameT

from cbam._errors import shorten
from cbam._eu import config
from cbam._interop import like, to_polars
from cbam._pipeline import Engine, OnError, compute, polars_engine
from cbam._resolve import load_scenario
from cbam._resources import data_dir
from cbam._scenario import Scenario
from cbam._schema import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, check_columns, result_columns
from cbam._summary import SUMMED, grouping, summarise, summed

# Amounts summed per key; every other rule input is part of the key.
ADDITIVE = ("quantity_t", "value_eur")
RULE_INPUTS = tuple(c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c not in ADDITIVE)
_ROWS = "_t_rows"  # rows summed into a key
_BAD = "_t_bad"  # a key with a failed amount, or a rounded sum unlike its rounded rows
_VALUED = "_t_valued"  # 0: no customs value, 1: zero or less, 2: positive (summarise's ave)
_BIN = "_t_bin"  # a row's position in the dense key layout
# Rule keys a dense layout covers, and its size beyond which rows are grouped instead.
_DENSE_KEYS = ("origin", "cn_code", "year", "quarter")
_MAX_BINS = 8_000_000  # 3 float64 arrays of this length: 192 MB
_MAX_YEARS = 100
_MAX_SLOTS = 1 << 22  # hash table of a key column's distinct values: 96 MB at most
_BATCH_ROWS = 500_000  # per batch on the streaming engine: smaller holds less, larger runs faster
# The compute outputs a summary reads.
_READ = (*SUMMED, "certificate_price_eur", "exempt", "exemption_reason", "input_error")


def _number(column: str, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """An input amount as ``compute`` reads it (text stripped, anything else null)."""
    raw = pl.col(column)
    if schema[column] == pl.Float64:
        return raw
    if schema[column] == pl.String:
        raw = raw.str.strip_chars()
    return raw.cast(pl.Float64, strict=False)


def _present(column: str, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    raw = pl.col(column)
    if schema[column] == pl.String:
        return raw.str.strip_chars().str.len_chars() > 0
    return raw.is_not_null()


def _whole(column: str, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """A year or quarter as ``compute`` reads it: a whole number, else null."""
    if schema[column].is_integer():
        return pl.col(column).cast(pl.Int32, strict=False)
    number = _number(column, schema)
    return pl.when(number == number.round()).then(number).cast(pl.Int32, strict=False)


def _bad_amount(schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """True where a summed amount fails one of ``compute``'s number checks."""
    qty = _number("quantity_t", schema)
    bad = qty.is_null() | ~qty.is_finite() | (qty < 0)
    if "value_eur" in schema:
        value = _number("value_eur", schema)
        bad = bad | (_present("value_eur", schema) & value.is_null())
        bad = bad | ~value.is_finite().fill_null(True) | (value < 0).fill_null(False)
    return bad


def _units(amount: pl.Expr, decimals: int) -> pl.Expr:
    """An amount in whole units of 10^-decimals (a float), as the threshold sums round it."""
    cap = config.exact_sums().row_cap
    valid = amount.is_finite() & (amount > 0)
    scaled = (amount.clip(upper_bound=cap) * float(10**decimals)).round()
    return pl.when(valid).then(scaled).otherwise(0.0)


@cache
def _probe_goods() -> pl.DataFrame:
    """One CN8 code of each sector: the goods a quarter probe prices."""
    goods = pl.read_csv(
        data_dir("rates") / "eu" / "goods.csv", schema_overrides={"cn_code": pl.String}
    )
    return (
        goods.filter(pl.col("cn_code").str.len_chars() == 8)
        .sort("cn_code")
        .group_by("sector", maintain_order=True)
        .first()
        .select("cn_code")
    )


_QUARTERLY: dict[tuple[str, tuple[int, ...]], frozenset[int]] = {}
_KEEP = 64


def quarterly_years(scenario: Scenario, years: Sequence[int]) -> frozenset[int]:
    """The years among ``years`` whose results differ by quarter under the scenario.

    One covered good per sector is priced in each year with each quarter and without one;
    a year where no good is priced (no rules for it) counts as quarterly, which is safe.
    Kept per distinct scenario (by content) and years.

    Example:
        >>> import cbam
        >>> sorted(quarterly_years(cbam.load_scenario("eu-cbam"), [2026, 2027]))
        [2026]

    """
    key = (scenario.model_dump_json(), tuple(sorted(set(years))))
    if key not in _QUARTERLY:
        if len(_QUARTERLY) >= _KEEP:
            _QUARTERLY.pop(next(iter(_QUARTERLY)))
        _QUARTERLY[key] = _probe_quarters(scenario, key[1])
    return _QUARTERLY[key]


def _probe_quarters(scenario: Scenario, years: tuple[int, ...]) -> frozenset[int]:
    goods = _probe_goods()
    quarters = pl.DataFrame({"quarter": [None, 1, 2, 3, 4]}, schema={"quarter": pl.Int8})
    probe = (
        pl.DataFrame({"year": list(years)}, schema={"year": pl.Int32})
        .join(goods, how="cross")
        .join(quarters, how="cross")
        .with_columns(
            pl.lit("CHN").alias("origin"),
            pl.lit(1.0).alias("quantity_t"),
            pl.lit(1000.0).alias("value_eur"),  # ad valorem charges price the value
        )
    )
    priced = compute(probe, scenario, on_error="flag").filter(
        pl.col("input_error").is_null() & pl.col("sector").is_not_null()
    )
    per_good = priced.group_by("year", "cn_code").agg(
        pl.col("quarter").count().alias("quarters"),
        pl.struct("certificate_price_eur", "fee_eur").n_unique().alias("results"),
    )
    steady = per_good.group_by("year").agg(
        ((pl.col("quarters") == 4) & (pl.col("results") == 1)).all().alias("steady")
    )
    annual = set(steady.filter("steady")["year"].to_list())
    return frozenset(y for y in years if y not in annual)


def _valued(value: pl.Expr) -> pl.Expr:
    """A row's ``_VALUED`` kind: 0 without a customs value, 2 positive, 1 zero or less."""
    return pl.when(value.is_null()).then(0).when(value > 0).then(2).otherwise(1)


def _rounds_sums(schema: Mapping[str, pl.DataType], scenario: Scenario) -> bool:
    """Whether thresholds need each key's rounded sums: importers, or import-share relief."""
    shares = any(rule.max_import_share is not None for rule in scenario.exemptions)
    return "importer" in schema or shares


def _key_columns(schema: Mapping[str, pl.DataType], groups: Sequence[str]) -> list[str]:
    """The input columns a row's key is made of: its rule inputs and the input columns of ``by``."""
    return [c for c in schema if c in RULE_INPUTS or (c in groups and c not in ADDITIVE)]


def _keys(
    lazy: pl.LazyFrame,
    schema: Mapping[str, pl.DataType],
    scenario: Scenario,
    groups: Sequence[str],
    run_engine: Literal["in-memory", "streaming", "gpu"],
) -> pl.DataFrame:
    """The rows summed per distinct rule key, with their row count.

    A row whose amount fails a check sums as NaN into its key's ``quantity_t``, so one
    non-finite key sum says that something failed (an overflowing sum too) at the cost of no
    aggregation but the sums themselves.
    """
    keys = _key_columns(schema, groups)
    rows: list[pl.Expr] = [pl.col(c) for c in keys]
    if "quarter" in schema and "quarter" not in groups:
        years = lazy.select(_whole("year", schema).unique().drop_nulls()).collect(engine=run_engine)
        quarterly = quarterly_years(scenario, years.to_series().to_list())
        quarter = _whole("quarter", schema)
        # A whole quarter of a year priced by the year is summed with the year's other rows.
        collapse = quarter.is_between(1, 4) & ~_whole("year", schema).is_in(sorted(quarterly))
        rows[keys.index("quarter")] = (
            pl.when(collapse.fill_null(False)).then(None).otherwise(pl.col("quarter"))
        ).alias("quarter")
    qty = _number("quantity_t", schema)
    rows.append(pl.when(_bad_amount(schema)).then(float("nan")).otherwise(qty).alias("quantity_t"))
    sums: list[pl.Expr] = [pl.len().alias(_ROWS), pl.col("quantity_t").sum()]
    group_keys = [*keys]
    if "value_eur" in schema:
        value = _number("value_eur", schema)
        rows.append(value.alias("value_eur"))
        rows.append(_valued(value).alias(_VALUED))
        group_keys.append(_VALUED)
        sums.append(pl.col("value_eur").sum())
    # Threshold sums round each row; a key whose rounded sum differs is priced row by row.
    exact = config.exact_sums()
    rounded: list[tuple[str, int]] = []
    if _rounds_sums(schema, scenario):
        rounded = [("quantity_t", exact.mass_decimals)]
        if "value_eur" in schema:
            rounded.append(("value_eur", exact.value_decimals))
    for column, decimals in rounded:
        rows.append(_units(pl.col(column), decimals).alias(f"_t_units_{column}"))
        sums.append(pl.col(f"_t_units_{column}").sum())
    summed = lazy.select(rows).group_by(group_keys).agg(sums).collect(engine=run_engine)
    flags = [~pl.col("quantity_t").is_finite()]
    flags += [
        _units(pl.col(column), decimals) != pl.col(f"_t_units_{column}")
        for column, decimals in rounded
    ]
    tidy = [pl.any_horizontal(flags).alias(_BAD)]
    if "value_eur" in schema:
        # A key of rows without a customs value has none (a sum of nulls would be 0).
        tidy.append(pl.when(pl.col(_VALUED) > 0).then(pl.col("value_eur")).alias("value_eur"))
    return summed.with_columns(tidy).drop([f"_t_units_{c}" for c, _ in rounded])


def _batches(lazy: pl.LazyFrame, run_engine: str, is_frame: bool) -> Iterator[pl.DataFrame]:
    """The rows in batches: a frame at once, a lazy query streamed in bounded memory."""
    if is_frame or run_engine != "streaming":
        yield lazy.collect(engine=run_engine)  # type: ignore[call-overload]
        return
    yield from lazy.collect_batches(chunk_size=_BATCH_ROWS, maintain_order=False)


def _index_of(column: str, values: pl.Series) -> pl.Expr:
    """A row's position in ``values`` (its column's distinct values); null for any other value.

    Through a table of the values' hashes where a small one separates them: a seed is sought
    under which they fall into distinct slots of a table twice their count squared (birthday
    odds), so a row costs one hash and two gathers; else by an Enum cast (a string lookup).
    """
    size = 1 << max(10, (2 * values.len() ** 2).bit_length())
    for seed in range(64 if size <= _MAX_SLOTS else 0):
        hashes = values.hash(seed)
        slots = hashes & (size - 1)
        if slots.n_unique() < values.len():
            continue
        index = np.full(size, values.len(), dtype=np.int64)
        index[slots.to_numpy()] = np.arange(values.len())
        expected = np.zeros(size, dtype=np.uint64)
        expected[slots.to_numpy()] = hashes.to_numpy()
        hashed = pl.col(column).hash(seed)
        slot = hashed & (size - 1)
        found = pl.lit(pl.Series(expected)).gather(slot) == hashed
        return pl.when(found).then(pl.lit(pl.Series(index)).gather(slot))
    enum = pl.col(column).cast(pl.Enum(values), strict=False)
    return enum.to_physical().cast(pl.Int64)


def _add_sums(where: np.ndarray, weights: list[np.ndarray], totals: list[np.ndarray]) -> None:
    """Add rows' count, then each weight's sum, per bin into ``totals``, in place.

    ``numpy.add.at`` costs a batch its rows only, where ``numpy.bincount`` allocates, fills and
    adds a whole layout per measure: small batches then stream in less memory at no loss.
    """
    with np.errstate(over="ignore"):  # inf: the key is bad
        np.add.at(totals[0], where, 1)
        for total, weight in zip(totals[1:], weights, strict=True):
            np.add.at(total, where, weight)


def _binned(
    lazy: pl.LazyFrame,
    schema: Mapping[str, pl.DataType],
    scenario: Scenario,
    groups: Sequence[str],
    run_engine: Literal["in-memory", "streaming", "gpu"],
    is_frame: bool,
) -> pl.DataFrame | None:
    """``_keys``'s frame, from rows binned by a dense key index; None where that cannot apply.

    Origins and codes are laid out by their distinct values, years by their span, quarters
    only in the years priced by quarter, and customs values by ``_VALUED`` where not all are
    positive: a row's key is then one position in a dense array, and its count and amounts
    are summed into it by ``numpy.add.at`` (which Polars lacks), batch by batch, in memory
    bounded by the layout rather than by the rows. Keys with a null, amounts failing a check
    and odd quarters return None: ``_keys`` groups them and the detailed path reports them.
    """
    keys = _key_columns(schema, groups)
    integer = {k: schema[k].is_integer() for k in ("year", "quarter") if k in schema}
    amounts = [c for c in ADDITIVE if c in schema]
    if (
        _rounds_sums(schema, scenario)  # rounded sums are kept by ``_keys`` alone
        or not set(keys) <= set(_DENSE_KEYS)
        or schema["origin"] != pl.String
        or schema["cn_code"] != pl.String
        or not all(integer.values())
        or not all(schema[c].is_numeric() for c in amounts)
    ):
        return None
    quartered, valued = "quarter" in schema, "value_eur" in schema
    value = pl.col("value_eur").cast(pl.Float64) if valued else pl.lit(1.0)
    odd_quarter = ~pl.col("quarter").is_between(1, 4) if quartered else pl.lit(False)
    # Three queries, each streamed: distinct values in a query of their own stay bounded in
    # memory, where ``unique().implode()`` beside the checks holds the whole column.
    stats, origins_frame, codes_frame = pl.collect_all(
        [
            lazy.select(
                pl.any_horizontal(pl.col("origin", "cn_code", "year").is_null())
                .any()
                .alias("null_key"),
                _bad_amount(schema).any().alias("bad_amount"),
                odd_quarter.any().alias("odd_quarter"),
                *((_valued(value) == k).any().alias(f"kind{k}") for k in range(3)),
                pl.col("year").min().alias("first"),
                pl.col("year").max().alias("last"),
            ),
            lazy.select(pl.col("origin").unique().sort()),
            lazy.select(pl.col("cn_code").unique().sort()),
        ],
        engine=run_engine,
    )
    origins, codes = origins_frame.to_series(), codes_frame.to_series()
    failed = stats.select("null_key", "bad_amount", "odd_quarter").row(0)
    first, last = stats["first"][0], stats["last"][0]
    if any(failed) or first is None or last - first >= _MAX_YEARS:
        return None  # faults are reported by the detailed path; far-apart years are sparse
    # Bins: origin x code x slot x customs value kind, where a year has one slot, or five
    # where it is priced by quarter or ``by`` asks for quarters (none given, then 1-4).
    years = list(range(first, last + 1))
    by_quarter: frozenset[int] = frozenset()
    if quartered:
        whole = "quarter" in groups
        by_quarter = frozenset(years) if whole else quarterly_years(scenario, years)
    widths = [5 if y in by_quarter else 1 for y in years]
    # Customs value kinds: only those present take a place (most panels: positive values only).
    kinds = [k for k in range(3) if stats[f"kind{k}"][0]] if valued else [2]
    shape = [origins.len(), codes.len(), sum(widths), len(kinds)]
    bins = int(np.prod(shape))
    if bins > _MAX_BINS:
        return None
    o, c = _index_of("origin", origins), _index_of("cn_code", codes)
    y = pl.col("year").cast(pl.Int64) - first
    slot = pl.lit(pl.Series(np.cumsum([0, *widths[:-1]]), dtype=pl.Int64)).gather(y)
    if by_quarter:
        in_quarters = pl.lit(pl.Series([w == 5 for w in widths])).gather(y)
        slot = slot + pl.when(in_quarters).then(pl.col("quarter").fill_null(0)).otherwise(0)
    position = (o * shape[1] + c) * shape[2] + slot
    if shape[3] > 1:
        place = pl.Series(np.cumsum([k in kinds for k in range(3)]) - 1, dtype=pl.Int64)
        position = position * shape[3] + pl.lit(place).gather(_valued(value))
    columns = [position.alias(_BIN), _number("quantity_t", schema).alias("quantity_t")]
    if valued:
        columns.append(value.fill_null(0.0).alias("value_eur"))
    totals = [np.zeros(bins, dtype=np.int64), *(np.zeros(bins) for _ in amounts)]
    for batch in _batches(lazy.select(columns), run_engine, is_frame):
        if batch[_BIN].null_count():
            return None  # a value that was not among the distinct ones: the input changed
        _add_sums(batch[_BIN].to_numpy(), [batch[a].to_numpy() for a in amounts], totals)
    filled = np.flatnonzero(totals[0])
    sums = {_ROWS: pl.Series(totals[0][filled]).cast(pl.get_index_type())}
    sums.update({a: pl.Series(t[filled]) for a, t in zip(amounts, totals[1:], strict=True)})
    del totals  # the layout's arrays, before the keys' frame is built
    # Each filled bin back to its key: the layout's mixed radix, read from the right.
    slot_year = pl.Series(np.repeat(years, widths), dtype=schema["year"])
    slot_quarter = pl.Series(np.concatenate([np.arange(w) for w in widths]))
    at = pl.col(_BIN) // shape[3]
    quarter = pl.lit(slot_quarter).gather(at % shape[2])
    key_of = {
        "origin": pl.lit(origins).gather(at // (shape[2] * shape[1])),
        "cn_code": pl.lit(codes).gather(at // shape[2] % shape[1]),
        "year": pl.lit(slot_year).gather(at % shape[2]),
        "quarter": pl.when(quarter > 0).then(quarter).cast(schema.get("quarter", pl.Int8)),
    }
    frame = pl.DataFrame({_BIN: filled}).with_columns(*(key_of[k].alias(k) for k in keys), **sums)
    tidy = [(~pl.col("quantity_t").is_finite()).alias(_BAD)]
    if valued:
        kind = pl.lit(pl.Series(kinds)).gather(pl.col(_BIN) % shape[3])
        tidy += [
            kind.cast(pl.Int32).alias(_VALUED),
            pl.when(kind > 0).then(pl.col("value_eur")).alias("value_eur"),
        ]
    return frame.with_columns(tidy).drop(_BIN)


@overload
def totals(
    imports: pl.DataFrame | pl.LazyFrame,
    scenario: Scenario | str = ...,
    by: Sequence[str] = ...,
    *,
    on_error: OnError = ...,
    engine: Engine = ...,
) -> pl.DataFrame: ...
@overload
def totals(
    imports: IntoDataFrameT,
    scenario: Scenario | str = ...,
    by: Sequence[str] = ...,
    *,
    on_error: OnError = ...,
    engine: Engine = ...,
) -> IntoDataFrameT: ...


def totals(
    imports: pl.DataFrame | pl.LazyFrame | IntoDataFrame,
    scenario: Scenario | str = "eu-cbam",
    by: Sequence[str] = ("origin", "sector"),
    *,
    on_error: OnError = "raise",
    engine: Engine = "auto",
) -> pl.DataFrame | IntoDataFrame:
    """``summarise(compute(imports, scenario), by)``, summed per rule key before pricing.

    Equal to ``cbam.summarise(cbam.compute(imports, scenario, on_error=on_error), by=by)`` to
    the cent, and many times faster on large panels, where many rows share a key (origin,
    code, year and every other rule input but the amounts).

    Args:
        imports: Import rows as for ``cbam.compute``: a DataFrame, a LazyFrame (for example
            ``pl.scan_parquet(...)``, read twice: for its distinct keys, then to sum them) or
            any frame narwhals supports.
        scenario: A ``Scenario`` or the name or path of one.
        by: Columns of ``compute``'s result to total by; empty for a grand total.
        on_error: ``"raise"`` raises ``CbamInputError`` naming the rows at fault, as
            ``compute`` does; ``"flag"`` counts such rows in ``flagged_rows``, as
            ``summarise`` does.
        engine: Polars engine, as for ``compute``.

    Returns:
        ``summarise``'s frame, collected (a Polars DataFrame, or the input's own kind for
        pandas and the like).

    Raises:
        CbamInputError: bad input, when ``on_error="raise"``.

    Example:
        >>> import polars as pl, cbam
        >>> rows = pl.DataFrame({"year": [2026, 2026, 2027], "origin": ["TUR", "TUR", "TUR"],
        ...     "cn_code": ["72071111"] * 3, "quantity_t": [100.0, 50.0, 10.0]})
        >>> s = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
        >>> cbam.totals(rows, s, by=["year"])["fee_eur"].round(2).to_list()
        [14533.2, 1180.96]

    """
    if on_error not in ("raise", "flag"):
        raise ValueError(f"on_error must be 'raise' or 'flag', not {shorten(repr(on_error))}")
    if not isinstance(imports, pl.DataFrame | pl.LazyFrame):
        polars_rows = to_polars(imports, "imports")
        result = totals(polars_rows, scenario, by, on_error=on_error, engine=engine)
        native: IntoDataFrame = like(imports, result)
        return native
    chosen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    # The group-by and the keyed rules stream faster than they run in memory (benchmarks/).
    run_engine = polars_engine(engine, "streaming")
    lazy = imports.lazy()
    schema = lazy.collect_schema()
    check_columns(schema)
    groups = grouping(by, result_columns(schema.names()))

    def detailed() -> pl.DataFrame:
        fees = compute(imports, chosen, on_error=on_error, engine=engine)
        return summarise(fees.lazy(), groups).collect()

    is_frame = isinstance(imports, pl.DataFrame)
    keys = _binned(lazy, schema, chosen, groups, run_engine, is_frame)
    if keys is None:
        keys = _keys(lazy, schema, chosen, groups, run_engine)
    if keys[_BAD].any():
        return detailed()
    fees = compute(keys.lazy(), chosen, on_error="flag", engine=engine)
    names = fees.collect_schema().names()
    wanted = [*dict.fromkeys([*groups, *(c for c in _READ if c in names), _ROWS])]
    if "value_eur" in names:
        wanted.append("value_eur")
    if "destination" in names:
        wanted.append("destination")
    priced = fees.select(wanted).collect(engine=run_engine)
    if priced["input_error"].is_not_null().any():
        return detailed()
    return summed(priced.lazy(), names, groups, weight=_ROWS).collect()
