"""The import-frame contract: input columns, their normalised forms, and the output columns.

Schema checks run on the LazyFrame's schema without collecting. Value checks are expressions
evaluated with the pipeline, so a bad row is found in the same pass that computes the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from cbam._countries import iso3_codes, upper_ascii
from cbam._errors import CbamInputError, InputProblem, shorten
from cbam._eu import config as eu_config
from cbam._eu.reference import SECTORS
from cbam._interop import FrameT, to_polars
from cbam._territory import UNION

REQUIRED_COLUMNS: dict[str, str] = {
    "year": "integer calendar year",
    "origin": "ISO 3166-1 alpha-3 code of the country of origin",
    "cn_code": "CN/HS code: 2, 4, 6 or 8 digits, spaces allowed",
    "quantity_t": "net mass in tonnes (electricity: MWh)",
}
OPTIONAL_COLUMNS: dict[str, str] = {
    "value_eur": "customs value in EUR",
    "importer": "declarant identifier (a blank cell: none; surrounding spaces ignored)",
    "destination": (
        "ISO 3166-1 alpha-3 code of the importing country (EUU: the EU as one importer); a "
        "regime charges only rows imported into its territory (empty: charged as before)"
    ),
    "quarter": "quarter of import, 1-4",
    "route": "production route marker (A-L, see rates/eu/sectors.yaml)",
    "see_direct": (
        "verified actual direct emissions, t CO2e per t (cement: per t clinker; electricity: "
        "per MWh)"
    ),
    "see_indirect": "verified actual indirect emissions, t CO2e per t (cement: per t clinker)",
    "clinker_share": "t clinker per t of good, for clinker-based cement headings",
    "carbon_price_paid_eur_per_t": (
        "certified carbon price effectively paid abroad, EUR per t CO2e; wins over the table "
        "(the output fills empty cells from the table and says so in carbon_price_source)"
    ),
    "precursor_benchmark_t_per_t": (
        "benchmarks of the precursors consumed per t of good, added to the column-A benchmark "
        "of rows with actual values (IR 2025/2620)"
    ),
}
# The normalised column each numeric input is read into.
_AMOUNTS = {
    "quantity_t": "_c_qty",
    "value_eur": "_c_value",
    "see_direct": "_c_see_d",
    "see_indirect": "_c_see_i",
    "clinker_share": "_c_clinker",
    "precursor_benchmark_t_per_t": "_c_precursor_bm",
    "carbon_price_paid_eur_per_t": "_c_cp_row",
}
NUMERIC_COLUMNS = tuple(_AMOUNTS)
INTEGER_COLUMNS = ("year", "quarter")

# The fixed vocabularies of the output's categorical columns, the same for every regime.
INTENSITY_SOURCES = ("actual", "default:country", "default:other-countries", "default:aggregate")
CLINKER_SHARE_SOURCES = ("row", "scenario default", "aggregate (heading defaults)")
ROUTE_SOURCES = (
    "row",  # actual values: the row's route decides
    "default value",  # default values: the route the default-value table names
    "row (default value names no route)",  # default values whose table row names none
    "equivalent of row route",
    "equivalent of default-value route",
    "route-free",
    "assumed (sector preference)",
    "assumed (default variant)",
    # Actual values without a route, under the scenario's actual_values_route_from_default.
    "assumed (default-value route for actual values)",
    "aggregate",
)
THRESHOLD_STATUSES = (
    "exempt (importer at or below threshold)",
    "liable (importer above threshold)",
    "not applied (no importer)",
    "not applied (customs value missing)",
    "not covered (electricity, hydrogen)",
    "not covered (sector outside threshold)",
    "off (scenario)",
    "none (regime has no threshold)",
)
SECTOR_ENUM = pl.Enum(SECTORS)
INTENSITY_SOURCE_ENUM = pl.Enum(INTENSITY_SOURCES)
CLINKER_SOURCE_ENUM = pl.Enum(CLINKER_SHARE_SOURCES)
COLUMN_ENUM = pl.Enum(["A", "B"])
# Route markers of rates/eu/sectors.yaml, and '' for a route-free benchmark.
ROUTE_ENUM = pl.Enum(["", *eu_config.sectors().route_markers])
ROUTE_SOURCE_ENUM = pl.Enum(ROUTE_SOURCES)
THRESHOLD_ENUM = pl.Enum(THRESHOLD_STATUSES)
# Labels drawn from data (default-value rows, price tables, the scenario's groups and
# periods) have no fixed list: categorical, one type for every regime.
LABEL = pl.Categorical()

OUTPUT_SCHEMA: dict[str, tuple[pl.DataType, str]] = {
    "sector": (SECTOR_ENUM, "CBAM sector of the code (null: not a CBAM good)"),
    "rules_year": (pl.Int32(), "the year whose rules were applied"),
    "intensity_source": (
        INTENSITY_SOURCE_ENUM,
        "actual, default:country, default:other-countries or default:aggregate",
    ),
    "see_t_per_t": (
        pl.Float64(),
        "specific embedded emissions used, t CO2e per t (cement CN8: per t clinker; "
        "aggregate codes: per t of good)",
    ),
    "clinker_share_applied": (
        pl.Float64(),
        "t clinker per t of good applied (null where not clinker-based)",
    ),
    "clinker_share_source": (
        CLINKER_SOURCE_ENUM,
        "row, scenario default, or aggregate (heading defaults)",
    ),
    "embedded_t": (pl.Float64(), "embedded emissions, t CO2e"),
    "default_value_heading": (
        LABEL,
        "the default-value row used ('TUR 7207 11 11', 'OTHER 7601', or 'mean of N CN8 codes')",
    ),
    "benchmark_t_per_t": (pl.Float64(), "CBAM benchmark applied (IR 2025/2620)"),
    "benchmark_period": (LABEL, "benchmark period of the rules year ('2026-2027', '2028-2030')"),
    "benchmark_column": (COLUMN_ENUM, "A (actual values) or B (default values)"),
    "benchmark_route": (ROUTE_ENUM, "route marker of the benchmark ('' route-free)"),
    "benchmark_route_source": (ROUTE_SOURCE_ENUM, "why that route"),
    "cbam_factor": (pl.Float64(), "CBAM factor of the rules year"),
    "cross_sectoral_correction_factor": (pl.Float64(), "CSCF of the rules year"),
    "free_allocation_t": (pl.Float64(), "free-allocation adjustment, t CO2e"),
    "carbon_price_paid_eur_per_t": (
        pl.Float64(),
        "effective carbon price paid abroad, EUR per t CO2e",
    ),
    "carbon_price_source": (
        LABEL,
        "row, the table's instruments and years, scenario path, or none",
    ),
    "deduction_t": (
        pl.Float64(),
        "deduction for carbon price paid abroad, t CO2e: embedded x price paid / certificate "
        "price, at most the embedded emissions less the free allocation",
    ),
    "certificates": (pl.Float64(), "CBAM certificates due"),
    "certificate_price_eur": (pl.Float64(), "certificate price applied, EUR per certificate"),
    "certificate_price_period": (LABEL, "the period whose price applied"),
    "de_minimis": (
        THRESHOLD_ENUM,
        "status under the regime's importer threshold (the EU's de minimis mass, a design's "
        "mass or value threshold): exempt, liable, not applied, not covered, off or none",
    ),
    "importer_annual_t": (
        pl.Float64(),
        "the importer's Annex I mass in the import year (de minimis basis)",
    ),
    "origin_import_share": (
        pl.Float64(),
        "origin's share of the code's imports in the year (threshold rules)",
    ),
    "fee_share_charged": (
        pl.Float64(),
        "share of the fee charged after exemptions and phase-ins (0 to 1)",
    ),
    "fee_before_exemptions_eur": (pl.Float64(), "fee had the row not been exempt, EUR"),
    "fee_eur": (pl.Float64(), "fee, EUR (unrounded)"),
    "exempt": (pl.Boolean(), "whether the row owes nothing by rule"),
    "exemption_reason": (
        LABEL,
        "the rule that exempts the row or reduces its fee (null when none)",
    ),
    "ave": (
        pl.Float64(),
        "ad valorem equivalent: fee_eur / value_eur (null without a positive value)",
    ),
    "currency": (pl.String(), "currency the regime charges in (EUR for the EU CBAM)"),
    "fee_local": (pl.Float64(), "fee in the regime's currency (unrounded)"),
    "reference_source": (
        pl.String(),
        "where the reference intensity a design compares with came from (null: none used)",
    ),
    "input_error": (pl.String(), "what is wrong with the row (lenient mode only; null otherwise)"),
}
"""The output contract: each column ``compute`` adds, its Polars type and a line on it.

Categorical columns with a fixed vocabulary are ``pl.Enum`` of the full list; labels drawn
from data (default-value rows, carbon-price instruments, a scenario's country groups and
price periods) are ``pl.Categorical``; ``currency`` is an ISO 4217 code as text.
"""
OUTPUT_COLUMNS: dict[str, str] = {name: doc for name, (_, doc) in OUTPUT_SCHEMA.items()}


@dataclass(frozen=True)
class Check:
    """A row-level validity check: rows where ``failed`` is true have ``message``.

    ``column_of``, where given, names the column at fault row by row (an overflow is the
    fault of whichever amount is too large); ``column`` is then only its fallback.
    """

    column: str
    message: str
    failed: pl.Expr
    shown: pl.Expr
    column_of: pl.Expr | None = None


# The input each normalised amount is read from.
PUBLIC_NAMES = {internal: column for column, internal in _AMOUNTS.items()}


def overflow_culprit(
    schema: Mapping[str, pl.DataType], inputs: Sequence[str]
) -> tuple[pl.Expr, pl.Expr]:
    """The column to blame for a fee that overflows, and its value as text, row by row.

    The fee multiplies the row's amounts (``inputs``, normalised names) and the certificate
    price; the largest of them in magnitude is named (``see_direct`` for an intensity of
    1e308, ``certificate_price_eur`` for a scenario price of 1e308).
    """
    price = "certificate_price_eur"
    sizes = {c: pl.col(c).abs().fill_null(0.0) for c in [*inputs, price]}
    largest = pl.max_horizontal(list(sizes.values()))
    names = {c: PUBLIC_NAMES.get(c, c) for c in inputs}
    column = pl.coalesce(
        [pl.when(sizes[c] == largest).then(pl.lit(names[c])) for c in inputs] + [pl.lit(price)]
    )
    shown = pl.coalesce(
        [pl.when(sizes[c] == largest).then(value_shown(names[c], schema)) for c in inputs]
        + [pl.col(price).cast(pl.String).fill_null("null")]
    )
    return column, shown


def kind_ok(column: str, dtype: pl.DataType) -> bool:
    """Whether an input column of ``dtype`` can hold ``column``'s values."""
    if dtype == pl.Null:
        return True
    if column in NUMERIC_COLUMNS or column in INTEGER_COLUMNS:
        return dtype.is_numeric() or dtype == pl.String
    return dtype == pl.String or dtype.is_integer() or isinstance(dtype, pl.Categorical | pl.Enum)


def check_columns(schema: Mapping[str, pl.DataType], reserved: tuple[str, ...] = ("_c_",)) -> None:
    """Fail on missing required columns, columns of an unusable type, or output names in input.

    ``reserved``: prefixes of the caller's working columns (compute's ``_c_``; totals adds
    ``_t_``, sweep ``_s_``), which an input column may not take.

    Raises:
        CbamInputError: naming each offending column.

    """
    problems = [
        (column, f"required column is missing ({meaning})")
        for column, meaning in REQUIRED_COLUMNS.items()
        if column not in schema
    ]
    for column, dtype in schema.items():
        short = shorten(column, 40)
        if column in REQUIRED_COLUMNS or column in OPTIONAL_COLUMNS:
            if not kind_ok(column, dtype):
                # A number held as categories (pandas' category, Parquet's dictionary) is text
                # once cast; other kinds (dates, yes/no) hold no such value at all.
                fix = (
                    f"; cast it to numbers or text first, e.g. pl.col('{short}').cast(pl.String)"
                    if isinstance(dtype, pl.Categorical | pl.Enum)
                    else ""
                )
                problems.append((column, f"has dtype {dtype}, which cannot hold it{fix}"))
        elif column in OUTPUT_COLUMNS:
            problems.append(
                (
                    column,
                    "is an output column; rename or drop it (cbam computes it; keep yours with "
                    f"frame.rename({{'{short}': 'source_{short}'}}), as cbam run does)",
                )
            )
        elif column.startswith(reserved):
            named = ", ".join(map(repr, reserved))
            problems.append((column, f"names starting with {named} are reserved for cbam's work"))
    if problems:
        # Say what the frame holds: a header read with the wrong names is then plain to see.
        found = shorten(", ".join(schema), 400) or "none"
        problems[-1] = (problems[-1][0], f"{problems[-1][1]} (columns found: {found})")
        raise CbamInputError([InputProblem(column, message, 0) for column, message in problems])


def number_as_read(column: str, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """An amount column as ``compute`` reads it: text stripped, a number as Float64, else null.

    Every reader of an input amount goes through here (``summarise``, ``totals``): ' 100' is
    100 t wherever it is summed.
    """
    if column not in schema:
        return pl.lit(None, pl.Float64)
    raw = pl.col(column)
    if schema[column] == pl.Float64:
        return raw
    if schema[column] == pl.String:
        raw = raw.str.strip_chars()
    elif schema[column].is_temporal() or schema[column] == pl.Boolean:
        # A date is no number (as a cast, its day count: 2026-01-01 would be 20454), nor a
        # yes/no: read as text, which no number reads.
        raw = raw.cast(pl.String)
    return raw.cast(pl.Float64, strict=False)


def whole_as_read(column: str, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """A whole-number input column (``year``, ``quarter``) as the rules read it, else null."""
    if column in schema and schema[column].is_integer():
        return pl.col(column).cast(pl.Int32, strict=False)  # whole already; out of range: null
    number = number_as_read(column, schema)
    # Only whole numbers count: 2026.5 is not a year.
    return pl.when(number == number.round()).then(number).cast(pl.Int32, strict=False)


# The text rule keys, as the rules read them: trimmed, then country and route codes in upper
# case and CN codes without spaces ("tur", " TUR" and "TUR" are one origin).
_KEY_FORMS: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    "origin": upper_ascii,
    "cn_code": lambda text: text.str.replace_all(" ", "", literal=True),
    # A blank route, destination or declarant is none (null), as the rules read it; padding
    # does not make another one.
    "route": lambda text: pl.when(text != "").then(upper_ascii(text)),
    "destination": lambda text: pl.when(text != "").then(upper_ascii(text)),
    "importer": lambda text: pl.when(text != "").then(text),
}


TEXT_KEYS = tuple(_KEY_FORMS)  # the rule keys read as text, whatever their input type


def currency_as_read() -> pl.Expr:
    """A fee table's ``currency`` column as an ISO 4217 code: trimmed, upper case ('eur' is EUR)."""
    return pl.col("currency").cast(pl.String).str.strip_chars().str.to_uppercase()


CN_FORM = "2, 4, 6 or 8 digits of an existing HS chapter"


def cn_well_formed(cn: pl.Expr) -> pl.Expr:
    """Whether a CN code as read (no spaces) has a CN code's form (``CN_FORM``).

    Example:
        >>> codes = pl.Series(["72081000", "7208100", "7208100000", "7700", "72"])
        >>> pl.select(cn_well_formed(pl.lit(codes))).to_series().to_list()
        [True, False, False, False, True]

    """
    chapter = cn.str.slice(0, 2).cast(pl.Int32, strict=False)
    # ASCII digits: Polars' \d also matches full-width digits ('７２０８１０００'), no CN code.
    return cn.str.contains(r"^([0-9]{2}){1,4}$") & chapter.is_between(1, 97) & (chapter != 77)


def check_key_values(table: pl.DataFrame, keys: Sequence[str], what: str) -> None:
    """Refuse a key table's value that no fee row can hold, as read (``key_as_read``).

    An origin that is no ISO3 code ('TR'), a destination neither one nor EUU, a sector cbam
    does not know ('steel'): joined to the fees, it would match nothing, unsaid.

    Raises:
        ValueError: naming the table, the key and its values.

    Example:
        >>> check_key_values(pl.DataFrame({"sector": ["steel"]}), ["sector"], "economy")
        Traceback (most recent call last):
        ValueError: economy: sector ['steel']: not a sector (...); it would match no fee row

    """
    known = {
        "origin": (iso3_codes(), "not an ISO 3166-1 alpha-3 code"),
        "destination": (iso3_codes() | {UNION}, f"not an ISO 3166-1 alpha-3 code (or {UNION})"),
        "sector": (frozenset(SECTORS), f"not a sector ({', '.join(SECTORS)})"),
    }
    for key in keys:
        values = table[key].drop_nulls().cast(pl.String).unique().sort()
        if key == "cn_code":  # as read: spaces taken out, as compute reads it
            text = values.str.replace_all(" ", "", literal=True).str.strip_chars()
            bad = values.filter(~pl.select(cn_well_formed(pl.lit(text))).to_series())
            problem = f"not a CN code ({CN_FORM})"
        elif key in known:
            domain, problem = known[key]
            bad = values.filter(~values.is_in(sorted(domain)))
        else:
            continue
        if bad.len():
            raise ValueError(
                f"{what}: {key} {shorten(bad.head(5).to_list())}: {problem}; it would match no "
                "fee row"
            )


def _text_key(column: str, schema: Mapping[str, pl.DataType]) -> bool:
    """Whether key ``column`` is compared as text: a rule key, or a label column."""
    dtype = schema.get(column)
    return column in TEXT_KEYS or isinstance(dtype, pl.String | pl.Categorical | pl.Enum)


def join_key(column: str, schema: Mapping[str, pl.DataType], text: bool | None = None) -> pl.Expr:
    """Key ``column`` of a fee table or of a key table joined to it, in one form for both.

    A year or quarter is the whole number the rules read (``2026``, ``'2026.0'``); a rule
    key or a label (``origin``, ``cn_code``, ``sector``; ``text``: decided by the fee table)
    is its text as read ('tur' is TUR); another column is left as it is. Both sides of a join
    so read match whatever their types.
    """
    if column in INTEGER_COLUMNS:
        return whole_as_read(column, schema).alias(column)
    if _text_key(column, schema) if text is None else text:
        return key_as_read(column).cast(pl.String).str.strip_chars().alias(column)
    return pl.col(column)


def key_table_as_read(
    table: pl.DataFrame, keys: Sequence[str], fees: Mapping[str, pl.DataType], what: str
) -> pl.DataFrame:
    """The key columns of a table joined to fees (elasticities, an economy), as ``join_key``.

    A key neither a year nor text in the fees takes the fees' type.

    Raises:
        ValueError: a key value that no fee row can hold (``check_key_values``), or one
            that cannot be read as the fees' (a year 'soon'), naming the table, key and values.

    """
    read = [
        join_key(key, table.schema, text=_text_key(key, fees))
        if key in INTEGER_COLUMNS or _text_key(key, fees)
        else pl.col(key).cast(fees[key], strict=False)
        for key in keys
    ]
    out = table.with_columns(read)
    for key in keys:
        lost = table[key].is_not_null() & out[key].is_null()
        if not _text_key(key, fees) and lost.any():
            values = table[key].filter(lost).cast(pl.String).head(5).to_list()
            raise ValueError(f"{what}: {key} {shorten(values)}: not a value of the fees' {key}")
    check_key_values(out, keys, what)
    return out


def key_as_read(column: str, schema: Mapping[str, pl.DataType] | None = None) -> pl.Expr:
    """Input column ``column`` as the rules read it, if it is a rule key (else as it is).

    ``compute`` keeps its input columns as given; totals by a key group by this form, so the
    rows the rules price alike are one group. A ``year`` or ``quarter`` given as text (a CSV
    read as text) is the whole number the rules read ('2026.0' and ' 2026' are 2026), where
    ``schema`` says it is text.

    Example:
        >>> frame = pl.DataFrame({"origin": [" tur"], "cn_code": ["7208 10 00"], "year": [2026]})
        >>> frame.select(key_as_read(c) for c in frame.columns).row(0)
        ('TUR', '72081000', 2026)
        >>> pl.DataFrame({"year": ["2026.0"]}).select(key_as_read("year", {"year": pl.String}))
        shape: (1, 1)
        ┌──────┐
        │ year │
        │ ---  │
        │ i32  │
        ╞══════╡
        │ 2026 │
        └──────┘

    """
    if column in INTEGER_COLUMNS and schema is not None and schema.get(column) == pl.String:
        return whole_as_read(column, schema).alias(column)
    form = _KEY_FORMS.get(column)
    text = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.col(column) if form is None else form(text).alias(column)


def _text(column: str, schema: Mapping[str, pl.DataType], absent: str | None = "") -> pl.Expr:
    return key_as_read(column) if column in schema else pl.lit(absent, pl.String)


def normalise(lf: pl.LazyFrame, schema: Mapping[str, pl.DataType]) -> pl.LazyFrame:
    """Add the normalised ``_c_*`` columns the rules read; input columns stay untouched."""
    return lf.with_row_index("_c_row").with_columns(
        whole_as_read("year", schema).alias("_c_year"),
        whole_as_read("quarter", schema).alias("_c_quarter"),
        _text("origin", schema).alias("_c_origin"),
        _text("cn_code", schema).alias("_c_cn"),
        _text("importer", schema, None).alias("_c_importer"),
        _text("route", schema).fill_null("").alias("_c_route"),
        _text("destination", schema).fill_null("").alias("_c_dest"),
        # + 0.0: a -0.0 is 0 (IEEE), so that no fee or amount built from it reads -0.0.
        *(
            (number_as_read(column, schema) + 0.0).alias(internal)
            for column, internal in _AMOUNTS.items()
        ),
    )


def present(column: str, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """Whether an input column holds a value: not null, and text not blank; absent: False."""
    if column not in schema:
        return pl.lit(False)
    raw = pl.col(column)
    if schema[column] == pl.String:
        return raw.str.strip_chars().str.len_chars() > 0
    return raw.is_not_null()


def value_shown(column: str, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """An input column as text for error messages ('(absent)' without the column)."""
    if column not in schema:
        return pl.lit("(absent)")
    return pl.col(column).cast(pl.String).fill_null("null")


def number_checks(schema: Mapping[str, pl.DataType]) -> list[Check]:
    """Type and range checks of the numeric input columns.

    An absent optional column is a null constant no check can fail on, so it has none.
    """

    def typed(column: str, internal: str) -> list[tuple[str, str, pl.Expr]]:
        value, whole = pl.col(internal), column in INTEGER_COLUMNS
        kind = "a whole number" if whole else "a number"
        # A whole number too large for the rules' 32-bit years and quarters (2^31) is one.
        if not whole or column not in schema:
            huge = pl.lit(False)
        elif schema[column].is_integer():  # an integer that is no Int32
            huge = value.is_null() & pl.col(column).is_not_null()
        else:
            raw = number_as_read(column, schema)
            huge = (value.is_null() & (raw == raw.round())).fill_null(False)
        if column in REQUIRED_COLUMNS:
            found = [(column, f"missing or not {kind}", value.is_null() & ~huge)]
        else:
            found = [(column, f"not {kind}", present(column, schema) & value.is_null() & ~huge)]
        if whole:
            return [*found, (column, "a whole number out of range", huge)]
        return [
            *found,
            (column, "not a finite number", ~value.is_finite()),
            (column, "negative", value < 0),
        ]

    clinker, quarter = pl.col("_c_clinker"), pl.col("_c_quarter")
    specs = [
        *[spec for column, internal in _AMOUNTS.items() for spec in typed(column, internal)],
        (
            "clinker_share",
            "must be above 0 and at most 1 (t clinker per t of good)",
            (clinker == 0) | (clinker > 1),
        ),
        *typed("year", "_c_year"),
        *typed("quarter", "_c_quarter"),
        ("quarter", "must be 1, 2, 3 or 4", ~quarter.is_between(1, 4)),
    ]
    checks = [Check(c, m, failed, value_shown(c, schema)) for c, m, failed in specs if c in schema]
    return [*_flagged_on_reading(schema), *checks]


def _flagged_on_reading(schema: Mapping[str, pl.DataType]) -> list[Check]:
    """Rows ``read_trade(..., on_error="flag")`` kept with a fault: its own words, first.

    Their other columns are null where the fault was, so without this check the rows are
    named for a missing quantity, say, not for the export flow or the partner 'World' read.
    """
    if "trade_error" not in schema:
        return []
    error = pl.col("trade_error").cast(pl.String)
    shown = error.str.slice(0, 100)
    if "source_line" in schema:
        shown = pl.format("{} (source_line {})", shown, pl.col("source_line"))
    message = (
        "flagged by cbam.read_trade (its fault in trade_error): fix the file, or keep the "
        "rows read without one (pl.col('trade_error').is_null())"
    )
    return [Check("trade_error", message, error.is_not_null(), shown)]


def collect_problems(
    frame: pl.DataFrame | pl.LazyFrame, checks: list[Check], limit: int = 5
) -> list[InputProblem]:
    """Evaluate ``checks`` in one aggregation and return the ones that failed on some row."""
    aggregations: list[pl.Expr] = []
    for i, check in enumerate(checks):
        failed = check.failed.fill_null(False)
        aggregations += [
            failed.sum().alias(f"n{i}"),
            pl.col("_c_row").filter(failed).head(limit).implode().alias(f"r{i}"),
            check.shown.filter(failed).head(limit).implode().alias(f"v{i}"),
        ]
    summary = frame.lazy().select(aggregations).collect().row(0)
    problems: list[InputProblem] = []
    for i, check in enumerate(checks):
        n, rows, values = summary[3 * i : 3 * i + 3]
        if n and check.column_of is not None:
            problems += _by_column(frame, check, limit)
        elif n:
            problems.append(_problem(check.column, check.message, n, rows, values))
    return problems


def _problem(
    column: object, message: str, n: int, rows: list[int], values: list[Any]
) -> InputProblem:
    return InputProblem(
        str(column), message, int(n), tuple(map(int, rows)), tuple(map(str, values))
    )


def _by_column(frame: pl.DataFrame | pl.LazyFrame, check: Check, limit: int) -> list[InputProblem]:
    """The problems of a check whose column varies by row, one per column at fault."""
    assert check.column_of is not None
    groups = (
        frame.lazy()
        .filter(check.failed.fill_null(False))
        .select(
            check.column_of.fill_null(check.column).alias("_c_col"),
            "_c_row",
            check.shown.alias("_c_shown"),
        )
        .group_by("_c_col")
        .agg(pl.len(), pl.col("_c_row").head(limit), pl.col("_c_shown").head(limit))
        .sort(pl.col("_c_row").list.first())
        .collect()
    )
    return [
        _problem(c, check.message, n, rows, values) for c, n, rows, values in groups.iter_rows()
    ]


def error_message(checks: list[Check], quoted: Collection[str] = ()) -> pl.Expr:
    """A text column naming every failed check of the row (null when none failed).

    A check of a ``quoted`` column quotes the row's value: the output replaces such a column
    (``carbon_price_paid_eur_per_t``), so the value would be shown nowhere else.
    """

    def part(c: Check) -> pl.Expr:
        if c.column_of is not None:
            return pl.concat_str([c.column_of.fill_null(c.column), pl.lit(f": {c.message}")])
        if c.column in quoted:
            value = c.shown.cast(pl.String).fill_null("null")
            return pl.concat_str([pl.lit(f"{c.column}: {c.message} ('"), value, pl.lit("')")])
        return pl.lit(f"{c.column}: {c.message}")

    parts = [pl.when(c.failed.fill_null(False)).then(part(c)) for c in checks]
    joined = pl.concat_str(parts, separator="; ", ignore_nulls=True)
    return pl.when(joined.str.len_chars() > 0).then(joined).alias("input_error")


def result_columns(inputs: Sequence[str]) -> list[str]:
    """The columns ``compute`` returns for an input with columns ``inputs``, in order.

    Example:
        >>> result_columns(["year", "origin"])[:3]
        ['year', 'origin', 'sector']

    """
    return [*inputs, *[c for c in OUTPUT_COLUMNS if c not in inputs]]


def fees_as_polars(
    fees: Any, what: str = "fees", reads: Sequence[str] | None = None
) -> pl.LazyFrame:
    """A ``compute`` result as a LazyFrame, its output columns typed as ``compute`` types them.

    A fee table read back from a file or through pandas loses what Polars knew: amounts and
    ``exempt`` as text (a CSV read without inference, ``pd.read_csv(dtype=str)``), a rules
    year as a float, an Enum without a value as nulls of no type, an Enum as a categorical of
    the labels present. Such columns take their ``OUTPUT_SCHEMA`` type again, so every reader
    of a fee table (``summarise``, the indicators, ``recycle``, the charts) sums the same
    numbers, typed as those of the Polars table. A column of other labels is kept.

    ``reads``: the output columns the caller reads, where not all (the others are left as
    they are, and none of them is refused).

    Raises:
        CbamInputError: an amount or yes/no column holding text that is no such value, or a
            whole-number column a number that is not one of its type (``rules_year``
            2027.5), naming the column, rows and values.

    """
    lazy = to_polars(fees, what).lazy()
    schema = lazy.collect_schema()
    casts: list[pl.Expr] = []
    unread: dict[str, pl.Expr] = {}  # column -> rows whose text is no value of its type
    for name, (dtype, _) in OUTPUT_SCHEMA.items():
        have = schema.get(name) if reads is None or name in reads else None
        if have is None or have == dtype:
            continue
        if have == pl.String and (dtype.is_numeric() or dtype == pl.Boolean):
            read = _text_as(name, dtype)
            casts.append(read)
            text = pl.col(name).str.strip_chars()
            unread[name] = text.is_not_null() & (text != "") & read.is_null()
        elif have.is_numeric() and dtype.is_numeric():
            number = pl.col(name).cast(pl.Float64)
            whole = number if dtype.is_float() else pl.when(number == number.round()).then(number)
            read = whole.cast(dtype, strict=False)
            casts.append(read.alias(name))
            # A rules year of 2027.5 or 2**40 is no year compute writes: refused, as its text.
            unread[name] = pl.col(name).is_not_null() & read.is_null()
        elif have == pl.Null or (have == pl.Categorical and isinstance(dtype, pl.Enum)):
            labels = lazy.select(pl.col(name).drop_nulls().cast(pl.String).unique()).collect()
            fits = not isinstance(dtype, pl.Enum) or set(labels[name]) <= set(dtype.categories)
            if have == pl.Null or fits:
                casts.append(pl.col(name).cast(dtype))
    if unread:
        _refuse_unread(lazy, unread, what)
    return lazy.with_columns(casts) if casts else lazy


def _text_as(name: str, dtype: pl.DataType) -> pl.Expr:
    """A text column as a number or a yes/no of ``dtype``, as ``compute`` wrote it; else null."""
    text = pl.col(name).str.strip_chars()
    if dtype == pl.Boolean:  # Polars writes true/false, pandas True/False
        words = {"true": True, "false": False, "1": True, "0": False}
        return text.str.to_lowercase().replace_strict(words, default=None, return_dtype=pl.Boolean)
    number = text.cast(pl.Float64, strict=False)
    if not dtype.is_float():
        number = pl.when(number == number.round()).then(number)
    return number.cast(dtype, strict=False).alias(name)


def _refuse_unread(
    frame: pl.LazyFrame, unread: Mapping[str, pl.Expr], what: str, limit: int = 5
) -> None:
    """Refuse text no amount or yes/no reads: it would be summed as nothing, unsaid."""
    rows = pl.int_range(pl.len(), dtype=pl.Int64)
    found = frame.select(
        agg
        for i, (name, failed) in enumerate(unread.items())
        for agg in (
            failed.sum().alias(f"n{i}"),
            rows.filter(failed).head(limit).implode().alias(f"r{i}"),
            pl.col(name).filter(failed).head(limit).implode().alias(f"v{i}"),
        )
    ).collect()
    problems = [
        InputProblem(name, "not a value compute writes in it", n, tuple(r), tuple(map(str, v)))
        for i, name in enumerate(unread)
        if (n := found[f"n{i}"].item())
        for r, v in [(found[f"r{i}"].item().to_list(), found[f"v{i}"].item().to_list())]
    ]
    if problems:
        raise CbamInputError(problems, source=what, hint=None, data="fee table")


def conform(frame: FrameT) -> FrameT:
    """``frame`` with every output column it holds cast to its ``OUTPUT_SCHEMA`` type.

    Every regime's plan ends here, so a column has one type whatever the regime. A label
    outside an ``Enum``'s list is a programming error and raises.

    Example:
        >>> frame = pl.DataFrame({"year": [2026], "benchmark_column": ["A"]})
        >>> conform(frame).schema["benchmark_column"]
        Enum(categories=['A', 'B'])

    """
    schema = frame.collect_schema()
    casts = [
        pl.col(name).cast(dtype)
        for name, (dtype, _) in OUTPUT_SCHEMA.items()
        if name in schema and schema[name] != dtype
    ]
    return frame.with_columns(casts) if casts else frame
