"""Command line: ``cbam run``, ``cbam compare``, ``cbam check``, ``cbam scenarios``.

``cbam run`` computes fees for an import file (CSV or Parquet; the bundled EU import data by
default) and prints totals by the chosen columns; ``--out`` writes every row's result (CSV,
Parquet or an Excel workbook).
``cbam compare`` puts several scenarios (regimes) side by side in one currency, under one rules
year unless ``--mixed-rules`` says otherwise.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import polars as pl

from cbam import __version__
from cbam._api import recycle
from cbam._compare import compare_counted, fee_column
from cbam._countries import upper_ascii_text
from cbam._design import EU_ENGINE, list_regimes
from cbam._errors import CbamInputError, ScenarioError, cap_message, first_line, shorten
from cbam._files import reading
from cbam._interop import (
    a_file,
    encoding_hint,
    read_csv,
    read_fault,
    record_lines,
    short_line,
)
from cbam._pipeline import OnError, compute
from cbam._progress import stage
from cbam._recycling import Recycling, RecyclingPlan, load_plan
from cbam._resolve import load_scenario, resolve
from cbam._resources import bundled_imports, data_dir, installed_copy, scenarios_dir
from cbam._scenario import Scenario, list_scenarios
from cbam._schema import (
    INTEGER_COLUMNS,
    NUMERIC_COLUMNS,
    OPTIONAL_COLUMNS,
    OUTPUT_COLUMNS,
    REQUIRED_COLUMNS,
    check_columns,
    key_as_read,
    result_columns,
)
from cbam._summary import SUMMARY_COLUMNS, grouping, order_free_sum, summarise
from cbam._territory import imported_elsewhere
from cbam._trade_formats import FORMATS, TradeFormat, blank_lines, read_trade

_YEAR_SUFFIX = re.compile(r"_(19|20)\d\d$")  # tonnes_2022: a wide panel's column
_BIG = 1_000_000  # rows from which `cbam run` shows a progress bar on a terminal
_TEXT_COLUMNS = dict.fromkeys(("origin", "cn_code", "importer", "route", "destination"), pl.String)
OUT_TYPES = (".csv", ".parquet", ".xlsx")
_EXCEL_ROWS = 1_048_575  # data rows on one Excel sheet (1,048,576 less the header)
_RUN_HINT = "pass --on-error flag to keep and flag such rows instead"
_COMPARE_HINT = "pass --on-error flag to leave such rows out of the fees and count them"


# --- options: every value is checked as it is parsed, before any work -----------------------


class _Parser(argparse.ArgumentParser):
    """argparse, saying ``cbam: error: ...`` in one line (exit status 2), the value capped.

    The usage block argparse prints first is left to ``--help``, which the line names.
    """

    def error(self, message: str) -> NoReturn:
        hint = f" (see: {self.prog} --help)"
        self.exit(2, f"cbam: error: {cap_message(message, 600)}{hint}\n")


def _whole(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: '{shorten(text, 40)}'") from None


def count(text: str) -> int:
    """A count of 0 or more (``--top``: 0 shows all)."""
    n = _whole(text)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {n}")
    return n


def examples(text: str) -> int:
    """Generated panels per property (``--examples``): 1 to 100,000."""
    n = _whole(text)
    if not 1 <= n <= 100_000:
        raise argparse.ArgumentTypeError(f"must be from 1 to 100,000, not {shorten(n, 40)}")
    return n


def year(text: str) -> int:
    """A calendar year (``--rules-year``); the scenario's range is checked once it is loaded."""
    n = _whole(text)
    if not 1000 <= n <= 9999:
        raise argparse.ArgumentTypeError(f"not a year (such as 2026): '{shorten(text, 40)}'")
    return n


def years(text: str) -> list[int]:
    """Comma-separated years (``--year 2024,2025``)."""
    parts = [p for p in text.split(",") if p.strip()]
    if not parts:
        raise argparse.ArgumentTypeError("give one or more years, comma-separated")
    return sorted({year(p) for p in parts})


def usd_rates(text: str) -> dict[int, float]:
    """EUR per USD by year (``--eur-per-usd 2017=0.885,2018=0.847``), for read_trade."""
    rates: dict[int, float] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        given_year, _, rate = part.partition("=")
        try:
            value = float(rate)
        except ValueError:
            value = math.nan
        if not rate or not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(
                f"give YEAR=RATE (EUR per USD > 0), comma-separated, not '{shorten(part, 40)}'"
            )
        rates[year(given_year)] = value
    if not rates:
        raise argparse.ArgumentTypeError("give YEAR=RATE pairs, e.g. 2018=0.847")
    return rates


def columns(text: str) -> list[str]:
    """Comma-separated column names (``--by``); checked against the file once it is read."""
    return [c.strip() for c in text.split(",") if c.strip()]


def out_file(text: str) -> Path:
    """An output file whose type is known and whose folder exists (``--out``)."""
    path = Path(text)
    suffix = path.suffix.lower()
    try:
        is_folder, folder_exists = path.is_dir(), path.parent.is_dir()
    except OSError as exc:  # a name the file system refuses (too long, ...)
        raise argparse.ArgumentTypeError(f"'{shorten(text)}': {exc.strerror}") from None
    if is_folder:
        raise argparse.ArgumentTypeError(f"'{shorten(text)}' is a folder; name a file in it")
    if suffix not in OUT_TYPES:
        raise argparse.ArgumentTypeError(
            f"'{shorten(text)}': unknown file type '{shorten(suffix, 20)}' "
            f"(use {', '.join(OUT_TYPES)})"
        )
    if not folder_exists:
        raise argparse.ArgumentTypeError(
            f"folder '{shorten(path.parent)}' does not exist (create it first)"
        )
    target = path if path.exists() else path.parent
    if not os.access(target, os.W_OK):
        raise argparse.ArgumentTypeError(f"'{shorten(target)}' is not writable")
    return path


def read_imports(
    path: Path,
    trade_format: TradeFormat | None = None,
    on_error: OnError = "raise",
    origin: str | None = None,
    destination: str | None = None,
    eur_per_usd: dict[int, float] | None = None,
) -> pl.DataFrame:
    """Read an import file; CN codes and other identifiers stay text (no lost leading zeros).

    ``trade_format`` (``--format baci|comtrade|comext|wide``) reads a publisher's layout
    through ``cbam.read_trade``; ``origin`` and ``destination`` (``--origin``,
    ``--destination``) fill a wide panel's, which has no such columns; ``eur_per_usd``
    (``--eur-per-usd``) adds or overrides years of the bundled USD rates.
    """
    given = [f"--{n}" for n, v in (("origin", origin), ("destination", destination)) if v]
    if given and trade_format != "wide":
        raise ScenarioError(
            f"{' and '.join(given)}: for --format wide only (the other layouts carry "
            "their own origin and destination columns)"
        )
    if eur_per_usd and trade_format is None:
        raise ScenarioError(
            "--eur-per-usd: for a trade panel with values in USD (--format baci, comtrade or "
            "wide); cbam's own columns give value_eur"
        )
    if trade_format:
        try:
            rows = read_trade(
                path,
                trade_format,
                on_error=on_error,
                origin=origin,
                destination=destination,
                eur_per_usd=eur_per_usd,
                keep=True,  # the file's other columns (an importer) travel, as a plain file's
            ).collect()
            renamed = [c for c in rows.columns if c.startswith("source_") and c != "source_line"]
            if renamed:
                said = ", ".join(f"'{shorten(c[7:], 40)}' as '{shorten(c, 47)}'" for c in renamed)
                print(
                    f"note: {path.name} has column(s) that cbam computes itself; kept yours, "
                    f"{said} (cbam's own, from the CN code, take the plain names)"
                )
            skipped = blank_lines(path)
            if skipped:
                shown = ", ".join(map(str, skipped[:5]))
                print(f"note: {len(skipped)} empty line(s) of {path.name} skipped (line {shown})")
            return rows
        except CbamInputError as exc:
            raise exc.relabel(hint=_RUN_HINT) from None
        except pl.exceptions.PolarsError as exc:  # flag mode reads the file only here
            at = read_fault(path, exc)
            raise ScenarioError(
                f"{path}: cannot read: {shorten(first_line(exc), 400)}{at}"
            ) from exc
    suffix = a_file(path, "import file").suffix.lower()
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path, glob=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        message = shorten(first_line(exc), 400)
        raise ScenarioError(f"{path}: cannot read import file: {message}") from exc
    if suffix in (".csv", ".txt"):
        try:
            frame = _read_import_csv(path)
        except ScenarioError as exc:
            if "utf-8" not in str(exc).lower() and "utf8" not in str(exc).lower():
                raise
            raise ScenarioError(
                f"{exc} (cbam reads UTF-8 text: save the file as UTF-8 CSV)"
            ) from None
        hint = header_hint(frame.columns)
        if hint:
            raise ScenarioError(f"{path}: {hint}")
        return frame
    raise ScenarioError(
        f"{path}: unsupported file type '{shorten(suffix, 20)}' (use .csv or .parquet)"
    )


def _read_import_csv(path: Path) -> pl.DataFrame:
    """The import CSV, its types inferred from the first 10,000 lines.

    A whole-file pass would cost about 16x. Where a later line does not parse so, amounts read
    as decimals, then as text, which ``compute`` checks line by line (a decimal on line 10,002
    was an error, and 'n/a' there named no line).
    """
    header = read_csv(path, "import file", infer_schema=False, n_rows=0).columns
    # A misread header (UTF-16, ';') gets its own hint in read_imports; else a short line.
    short = "" if header_hint(header) else short_line(path, len(header))
    if short:
        raise ScenarioError(f"{path}: cannot read import file{short}")
    # Columns cbam does not read are carried as given, as text: an identifier keeps its
    # leading zeros ('00042', a partner '036'), in --out files too.
    inputs = {**REQUIRED_COLUMNS, **OPTIONAL_COLUMNS}
    carried = dict.fromkeys((c for c in header if c not in inputs), pl.String)
    for attempt in range(4):
        # Then the numbers as decimals (a year of 2027.0), the other columns as text (a
        # carried column of codes), and every column as text (an 'n/a' amount).
        numbers = [c for c in header if c in (*NUMERIC_COLUMNS, *INTEGER_COLUMNS)]
        text: dict[str, type[pl.DataType]] = dict.fromkeys(header, pl.String)
        decimals: dict[str, type[pl.DataType]] = dict.fromkeys(numbers, pl.Float64)
        wider = [{}, decimals, {**text, **decimals}, text][attempt]
        try:
            return read_csv(
                path,
                "import file",
                schema_overrides={**carried, **wider, **_TEXT_COLUMNS},
                infer_schema_length=10_000,
            )
        except ScenarioError as exc:
            if attempt == 3 or "could not parse" not in str(exc):
                raise
    raise AssertionError("unreachable")


def header_hint(header: list[str]) -> str | None:
    """Why a CSV header looks misread (a one-column header, bytes that are not UTF-8), or None.

    Example:
        >>> header_hint(["year;origin"]).split(": ")[-1]
        "cbam reads comma-separated files; this one looks separated by ';' (save it with commas)"

    """
    if (misread := encoding_hint(header)) is not None:
        return misread
    if len(header) != 1:
        return None
    marks = [m for m in (";", "\t", "|") if m in header[0]]
    looks = f"; this one looks separated by {marks[0]!r}" if marks else ""
    return (
        f"the header is one column, '{shorten(header[0], 80)}': cbam reads comma-separated "
        f"files{looks} (save it with commas"
        + (")" if marks else ", and check the file's encoding is UTF-8)")
    )


def _source_names(imports: pl.DataFrame, path: Path) -> pl.DataFrame:
    """Input columns that cbam computes (``sector``, ...) kept as ``source_<name>``, said once."""
    results = [c for c in ("fee_eur", "certificates", "input_error") if c in imports.columns]
    if len(results) == 3:  # a result file (--out) read back: renaming ~30 columns helps no one
        inputs = [c for c in imports.columns if c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)]
        raise ScenarioError(
            f"{path}: looks like a cbam result file (it has cbam's own columns "
            f"{', '.join(results)}, ...): run cbam on import rows; keep the input columns "
            f"({shorten(', '.join(inputs), 200)}) and drop the others"
        )
    computed = [c for c in imports.columns if c in OUTPUT_COLUMNS and c not in OPTIONAL_COLUMNS]
    both = [c for c in computed if f"source_{c}" in imports.columns]
    if both:
        c = both[0]
        raise ScenarioError(
            f"{path}: has both '{shorten(c, 40)}' and 'source_{shorten(c, 40)}': cbam computes "
            f"'{shorten(c, 40)}' itself and keeps a file's own as 'source_{shorten(c, 40)}'; "
            "drop or rename one"
        )
    if not computed:
        return imports
    renamed = ", ".join(f"'{shorten(c, 40)}' as 'source_{shorten(c, 40)}'" for c in computed)
    print(
        f"note: {path.name} has column(s) that cbam computes itself; kept yours, {renamed} "
        "(cbam's own, from the CN code, take the plain names)"
    )
    return imports.rename({c: f"source_{c}" for c in computed})


def _load(name: str, rules_year: int | None, weights: str | None = None) -> Scenario:
    """The scenario with ``--weights`` (a bundled name or a file) and a checked ``--rules-year``."""
    overrides: dict[str, object] = {}
    if weights is not None:
        text = weights.strip()
        is_file = text.lower().endswith((".csv", ".parquet")) or "/" in text or "\\" in text
        overrides["aggregation_weights"] = str(Path(text).resolve()) if is_file else text
    try:
        scenario = load_scenario(name, overrides=overrides or None)
        if overrides:
            resolve(scenario)  # an unknown weights name is told now, not mid-run
    except ScenarioError as exc:
        said = str(exc)
        if not overrides or "aggregation_weights" not in said:
            raise
        # Named as the user gave it: --weights, not the scenario file's key.
        raise ScenarioError(
            f"--weights: {said.split('aggregation_weights', 1)[1].lstrip(': ')}"
        ) from None
    if rules_year is None:
        return scenario
    first, last = resolve(scenario).rules_years
    if not first <= rules_year <= last:
        raise ScenarioError(
            f"--rules-year {rules_year}: scenario '{scenario.name}' has rules for {first}-{last}"
        )
    loaded = load_scenario(name, overrides={**overrides, "rules_year": rules_year})
    if scenario.rules_year in (None, rules_year):
        return loaded
    # Its description names its own rules year ('the 2026 rules'): said to be replaced.
    replaced = f"[its rules year {scenario.rules_year} replaced by --rules-year {rules_year}]"
    return loaded.model_copy(update={"description": f"{loaded.description} {replaced}"})


def _read(args: argparse.Namespace) -> tuple[Path, pl.DataFrame, list[int] | None]:
    """The import file, the rows of ``--year`` (and unreadable years), each one's file position."""
    path = Path(args.imports) if args.imports else bundled_imports()
    imports = _source_names(
        read_imports(
            path, args.format, args.on_error, args.origin, args.destination, args.eur_per_usd
        ),
        path,
    )
    # Missing or unusable columns first: they decide whether --year and --by make sense.
    try:
        check_columns(imports.schema)
    except CbamInputError as exc:
        wide = [c for c in imports.columns if _YEAR_SUFFIX.search(c)]
        if wide and not args.format and "year" not in imports.columns:
            raise ScenarioError(
                f"{path}: no 'year' column, but year-suffixed ones "
                f"({shorten(', '.join(wide), 120)}): a wide panel; read it with --format wide "
                f"(cbam.read_trade(..., format='wide'))\n{exc}"
            ) from None
        raise exc.relabel(source=str(path)) from None
    # A trade panel's rows say their own file line (a wide row gives one row per year).
    lines = imports["source_line"] if args.format and "source_line" in imports.columns else None
    text = lines is None and path.suffix.lower() in (".csv", ".txt") and imports.width
    # Each row's line less 2 (the header is line 1): a quoted field may span lines.
    starts = record_lines(path, lambda: imports.height) if text else None
    every = pl.Series(range(imports.height)) if starts is None else pl.Series(starts) - 2
    blank = imports.select(pl.all_horizontal(pl.all().is_null())).to_series()
    if text and blank.any():
        # A blank line or one of empty fields (one at the end of a hand-edited file) holds no
        # row: skipped, said.
        lines = every.filter(~blank)
        shown = ", ".join(str(n + 2) for n in every.filter(blank).head(5).to_list())
        print(f"note: {blank.sum()} empty line(s) of {path.name} skipped (line {shown})")
        imports = imports.filter(~blank)
    elif starts is not None:
        lines = every
    if not args.year:
        return path, imports, None if lines is None else lines.to_list()
    if "year" not in imports.columns:
        raise ScenarioError(f"--year: {path} has no 'year' column to select rows by")
    given = imports["year"].cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
    keep = given.is_in([float(y) for y in args.year]) | given.is_null()
    every = pl.Series(range(imports.height)) if lines is None else lines
    positions: list[int] = every.filter(keep).to_list()
    if imports.height and not positions:
        found = given.drop_nulls().unique().sort().cast(pl.Int64).to_list()
        span = f"{found[0]}-{found[-1]}" if found else "none"
        chosen = ",".join(map(str, args.year))
        print(f"note: no rows of {path.name} are in --year {chosen} (its years: {span})")
    return path, imports.filter(keep), positions


def _in_file(
    exc: CbamInputError,
    path: Path,
    positions: list[int] | None,
    trade_format: str | None,
    hint: str,
) -> CbamInputError:
    """An input error told in the file's lines (a CSV's line 1 is the header) or rows."""
    # After a trade reader, positions are the rows' own source_line: no offset.
    text = path.suffix.lower() != ".parquet"
    lines = path.suffix.lower() in (".csv", ".txt") and not trade_format
    return exc.relabel(
        source=str(path),
        row_offset=0 if trade_format else 2 if lines else 1,
        row_label="line" if lines or (trade_format and text) else "row",
        hint=hint,
        rows=positions,
    )


_EXCEL_CELL = 32_767  # characters an Excel cell holds; xlsxwriter cuts longer text silently


def _fits_excel(fees: pl.DataFrame, path: Path) -> None:
    """Refuse rows an Excel cell would cut, naming the column, the row and its length."""
    text = [c for c, t in fees.schema.items() if t in (pl.String, pl.Categorical)]
    lengths = fees.select(pl.col(text).cast(pl.String).str.len_chars().max())
    for column in (c for c in text if (lengths[c][0] or 0) > _EXCEL_CELL):
        row = fees[column].cast(pl.String).str.len_chars().arg_max() or 0
        size = fees[column].cast(pl.String).str.len_chars()[row]
        raise ScenarioError(
            f"--out {path}: column '{shorten(column, 60)}', row {row + 1:,}, holds {size:,} "
            f"characters, more than an Excel cell's {_EXCEL_CELL:,}: write .csv or .parquet"
        )


# Excel holds a number in 15 significant digits: a longer whole number goes in as text.
_EXCEL_EXACT = 10**15


def _as_cells(frame: pl.DataFrame, suffix: str) -> pl.DataFrame:
    """``frame`` with the columns the format cannot hold as they are written as text.

    A duration in ISO 8601 (``PT5H``; CSV has no type for it, Excel would show a bare
    fraction of a day); in a workbook also a time with its zone (Excel's have none) and a
    whole number of more than 15 digits, which Excel would round.
    """
    if suffix == ".parquet":
        return frame
    as_text: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Duration):
            as_text.append(column.dt.to_string("iso"))
        elif suffix == ".xlsx" and isinstance(dtype, pl.Datetime) and dtype.time_zone:
            as_text.append(column.cast(pl.String))
        elif suffix == ".xlsx" and (dtype.is_integer() or isinstance(dtype, pl.Decimal)):
            # Past 15 digits in all (a Decimal's places count too), Excel would round it.
            places = dtype.scale if isinstance(dtype, pl.Decimal) else 0
            # The largest magnitude from the ends, in Python (Polars' abs() of Int64's
            # minimum wraps to itself).
            low, high = frame.select(column.min().alias("low"), column.max().alias("high")).row(0)
            big = None if low is None else max(abs(low), abs(high))
            if big is not None and big * 10**places >= _EXCEL_EXACT:
                as_text.append(column.cast(pl.String))
    return frame.with_columns(as_text) if as_text else frame


def _write(
    fees: pl.DataFrame, totals: pl.DataFrame, label: tuple[str, str] | None, path: Path
) -> None:
    """Row-level results as CSV, Parquet or an Excel workbook (rows, and the totals printed).

    Written to a file beside ``path``, then moved onto it: a write that fails half way leaves
    no broken file, nor overwrites a good one.
    """
    suffix = path.suffix.lower()
    target = path.resolve()  # through a link, onto the file it names
    if target.exists() and not target.is_file():
        # A pipe or a device (a link to /dev/full, say) would be replaced by the file moved
        # onto it.
        raise ScenarioError(f"--out {path}: not a regular file (a pipe or a device); name a file")
    partial = target.with_name(f".{target.name}.partial")
    fees, totals = _as_cells(fees, suffix), _as_cells(totals, suffix)
    try:
        if suffix == ".parquet":
            fees.write_parquet(partial)
        elif suffix == ".xlsx":
            import xlsxwriter  # type: ignore[import-untyped]

            _fits_excel(fees, path)
            try:
                # A NaN or inf (kept on a flagged row) becomes Excel's #NUM!, not a failure.
                # Text stays text: '=1+1' or 'http://...' in a user's column is no formula
                # or link (a formula would run in the reader's Excel).
                options = {
                    "nan_inf_to_errors": True,
                    "strings_to_formulas": False,
                    "strings_to_urls": False,
                }
                with xlsxwriter.Workbook(partial, options) as workbook:
                    fees.write_excel(workbook, worksheet="rows", float_precision=6)
                    totals.write_excel(workbook, worksheet="totals", float_precision=2)
                    if label is not None:  # the total row's label, in a column of numbers
                        sheet = workbook.get_worksheet_by_name("totals")
                        sheet.write_string(totals.height, totals.columns.index(label[0]), label[1])
            except xlsxwriter.exceptions.XlsxWriterException as exc:
                raise ScenarioError(f"--out {path}: cannot write: {shorten(exc, 400)}") from exc
        else:
            fees.write_csv(partial)
        os.replace(partial, target)
    except ScenarioError:
        raise  # already says which file (a ValueError, not to be wrapped twice)
    except OSError as exc:
        raise ScenarioError(f"--out {path}: cannot write: {exc.strerror or exc}") from exc
    except (pl.exceptions.PolarsError, TypeError, ValueError) as exc:
        # A column the format cannot hold (nested values in a CSV, say).
        raise ScenarioError(f"--out {path}: cannot write: {shorten(exc, 400)}") from exc
    finally:
        partial.unlink(missing_ok=True)


def _print_table(frame: pl.DataFrame) -> None:
    # Years and quarters are labels, not quantities: no thousands separator.
    frame = frame.with_columns(
        pl.col(c).cast(pl.String) for c in ("year", "rules_year", "quarter") if c in frame.columns
    )
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_width_chars=200,
        thousands_separator=",",
        float_precision=2,
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        tbl_formatting="ASCII_MARKDOWN",
        fmt_str_lengths=70,
    ):
        print(frame)


def _run(args: argparse.Namespace) -> int:
    # The files the run reads, so that --out replaces none of them (a weights table, a group).
    with reading() as read:
        return _run_reading(args, read)


def _not_read(out: Path | None, read: set[Path], import_file: Path) -> None:
    """Refuse an ``--out`` that names a file the run reads (its imports, weights, groups).

    cbam's own data (``rates/``, ``country_lists/``, ``data/``, the scenarios) are never a
    place to write, read by this run or not.
    """
    if out is None:
        return
    target = out.resolve()
    own = [data_dir(kind).resolve() for kind in ("rates", "country_lists", "data")]
    for folder in [*own, scenarios_dir().resolve()]:
        if target.is_relative_to(folder):
            raise ScenarioError(
                f"--out {out}: is in cbam's own data ({folder.name}/), which the runs read; "
                "name a file elsewhere"
            )
    for path in sorted({import_file, *read}):
        if path.resolve() == target:
            what = "the import file" if path == import_file else "a file this run reads"
            raise ScenarioError(f"--out {out}: is {what}; name another file")


def _run_reading(args: argparse.Namespace, read: set[Path]) -> int:
    """``cbam run``, noting in ``read`` the files it reads."""
    import_file = Path(args.imports) if args.imports else bundled_imports()
    scenario: Scenario = _load(args.scenario, args.rules_year, args.weights)
    resolve(scenario)  # its files noted in ``read``
    plan: RecyclingPlan | None = None
    if args.recycling is not None:  # checked before the run, not after it has printed
        try:
            plan = load_plan(args.recycling) if args.recycling else scenario.recycling
        except ScenarioError as exc:
            raise ScenarioError(f"--recycling: {exc}") from None
        if plan is None:
            raise ScenarioError(
                f"--recycling: scenario '{scenario.name}' has no recycling plan; name one "
                "(cbam.list_recycling_plans() lists the bundled plans)"
            )
    _not_read(args.out, read, import_file)
    if not args.imports and scenario.rules_year is None:
        # The bundled data are 2019-2025 trade, before the first rules year: apply that year's
        # rules to every row rather than fail (the header says so).
        first = resolve(scenario).rules_years[0]
        scenario = _load(args.scenario, first, args.weights)
        print(
            f"note: the bundled imports predate the rules; applying the {first} rules "
            "(pass --rules-year to choose another year)"
        )
    path, imports, positions = _read(args)
    by = grouping(args.by, result_columns(imports.columns), "--by", SUMMARY_COLUMNS)
    nested = [c for c, d in imports.schema.items() if d.is_nested()]
    binary = [c for c, d in imports.schema.items() if d == pl.Binary]
    suffix = args.out.suffix.lower() if args.out else ""
    if suffix == ".csv" and nested:
        raise ScenarioError(
            f"--out {args.out}: CSV cannot hold the nested column(s) {shorten(nested)}; "
            "write .parquet or .xlsx"
        )
    if suffix in (".csv", ".xlsx") and binary:
        raise ScenarioError(
            f"--out {args.out}: {suffix[1:].upper()} cannot hold the binary column(s) "
            f"{shorten(binary)}; write .parquet"
        )
    if args.out and args.out.suffix.lower() == ".xlsx" and imports.height > _EXCEL_ROWS:
        raise ScenarioError(
            f"--out {args.out}: an Excel sheet holds {_EXCEL_ROWS:,} rows, this run has "
            f"{imports.height:,}; write .csv or .parquet"
        )
    try:
        # A progress bar on a terminal for large files; nothing when output is piped.
        with stage("compute", desc="cbam run", enabled=None if imports.height >= _BIG else False):
            fees = compute(imports, scenario, on_error=args.on_error)
    except CbamInputError as exc:
        raise _in_file(exc, path, positions, args.format, _RUN_HINT) from None

    # Flagged rows (--on-error flag) have no results: counted apart, left out of the totals
    # (not shown as groups of zeros).
    computed = fees.filter(pl.col("input_error").is_null())
    import_years = computed.select(key_as_read("year", computed.schema))["year"]  # '2026.0': 2026
    years = import_years.drop_nulls().unique().sort().to_list()
    several = len(years) > 1
    rules = (
        f"the {scenario.rules_year} rules applied to every row (rules_year)"
        if scenario.rules_year
        else "each row under its own year's rules"
    )
    if several and scenario.rules_year:
        rules += f": each import year's trade priced under the {scenario.rules_year} rules"
    print(
        f"cbam {__version__}: scenario '{shorten(scenario.name, 120)}': "
        f"{shorten(_one_line(scenario.description), 300)}"
    )
    print(
        f"imports: {path.name}, {_rows(fees.height)}, years {years[0]}-{years[-1]}"
        if years
        else f"imports: {path.name}, no rows"
    )
    print(f"rules: {rules}")
    design = resolve(scenario).design
    if scenario.regime != EU_ENGINE:  # the EU CBAM's runs are named by their scenario alone
        print(f"regime: {design.name} ({design.reference.title}), charged in {design.currency}")
    for note in design.notes:
        print(f"assumed: {note}")
    prices = (  # fewest rows first; ties by period and price, the same every run
        fees.group_by("certificate_price_period", "certificate_price_eur")
        .len()
        .sort("len", "certificate_price_period", "certificate_price_eur", nulls_last=True)
    )
    for period, price, n in prices.iter_rows():
        if price is not None:
            print(f"certificate price: EUR {price:,.2f} ({period}, {_rows(n)})")
    summary = summarise(computed, by=by)
    shown = summary.head(args.top) if args.top and summary.height > args.top else summary
    columns = [*by, *_RUN_COLUMNS]
    span = f"{years[0]}-{years[-1]}" if years else ""
    summed = f"; {len(years)} import years {span} summed" if several and "year" not in by else ""
    # Groups by year come in year order: the first N are then not the N largest.
    cut = "first" if {"year", "rules_year"} & set(by) else "top"
    scope = f": {cut} {args.top} of {summary.height}" if shown.height < summary.height else ""
    if by:  # without groups (one row) nothing is cut
        print(
            f"\nFees by {', '.join(by)}{scope} "
            f"(EUR, t CO2e, ave_pct: fee / customs value x 100{summed})"
        )
    _print_table(shown.select(columns))
    if several and "year" not in by:
        print(f"\nTotals by import year ({rules.split(':')[0]})")
        _print_table(summarise(computed, by=["year"]).select("year", *_RUN_COLUMNS))
    total = summarise(computed, by=[]).row(0, named=True)
    flagged = fees.height - computed.height
    # Electricity is declared in MWh, other goods in tonnes (Reg. 2023/956 Art. 6(2)(a)).
    electric = computed.filter(pl.col("sector") == "electricity")
    mwh = summarise(electric, by=[])["quantity_t"][0] if electric.height else 0.0
    quantity = f"{total['quantity_t'] - mwh:,.0f} t" + (
        f" and {mwh:,.0f} MWh of electricity" if electric.height else ""
    )
    print(
        f"\nTotal fee: EUR {total['fee_eur']:,.2f} on {quantity} "
        f"({total['embedded_t']:,.0f} t CO2e embedded, {total['certificates']:,.0f} certificates)"
        + (f"; the {len(years)} import years {span} summed (each year above)" if several else "")
    )
    print(
        f"Rows: {computed.height:,} computed, "
        f"{total['exempt_rows']:,} exempt, {flagged:,} flagged (left out of totals)"
    )
    if total.get("outside_rows"):
        print(
            f"{_rows(total['outside_rows'])} imported outside the territory, left out of "
            "totals (exemption_reason says so on each row)"
        )
    if flagged:
        _print_flagged(fees)
    sources = (
        fees.filter(pl.col("intensity_source").is_not_null())
        .group_by("intensity_source")
        .agg(pl.len().alias("rows"), pl.col("embedded_t").sum())
        .sort("intensity_source")
    )
    layers = ", ".join(f"{s}: {_rows(r)}" for s, r, _ in sources.iter_rows()) or "none"
    print(f"Intensity from: {layers}")
    _print_forgone(fees)
    de_minimis = fees.filter(pl.col("de_minimis").is_not_null()).group_by("de_minimis").len()
    said = ", ".join(f"{s} ({_rows(n)})" for s, n in de_minimis.sort("de_minimis").iter_rows())
    print(f"De minimis: {said or 'none'}")
    reasons = (
        fees.filter(pl.col("exempt") & ~imported_elsewhere(fees.columns))
        .group_by("exemption_reason")
        .len()
        .sort("len", descending=True)
    )
    if reasons.height:
        print("Exempt: " + ", ".join(f"{r} ({_rows(n)})" for r, n in reasons.iter_rows()))
    if plan is not None:
        _print_recycling(computed, flagged, scenario, plan, args.top)
    if args.out:
        _not_read(args.out, read, import_file)  # and those read since (a plan's index table)
        _write(fees, *_totals_table(computed, summary, by, columns), args.out)
        sheets = " (sheets 'rows' and 'totals')" if args.out.suffix.lower() == ".xlsx" else ""
        print(f"Row-level results written to {args.out}{sheets}")
    return 0


_RUN_COLUMNS = [
    "quantity_t",
    "embedded_t",
    "free_allocation_t",
    "deduction_t",
    "deduction_eur",
    "certificates",
    "fee_eur",
    "ave_pct",
    "exempt_rows",
]


def _print_flagged(fees: pl.DataFrame, limit: int = 5) -> None:
    """The commonest reasons rows were flagged, with their counts.

    A trade reader's ``trade_error`` (the file's column and value) comes before ``input_error``
    (compute's, which only sees the quantity the reader left empty).
    """
    columns = [c for c in ("trade_error", "input_error") if c in fees.columns]
    reason = pl.coalesce(columns).alias("reason")
    reasons = (
        fees.filter(pl.col("input_error").is_not_null())
        .group_by(reason)
        .len()
        .sort(["len", "reason"], descending=[True, False])
    )
    shown = ", ".join(f"{shorten(r, 120)} ({_rows(n)})" for r, n in reasons.head(limit).iter_rows())
    more = f", and {reasons.height - limit:,} other reasons" if reasons.height > limit else ""
    print(f"Flagged: {shown}{more} (each row's reason is in {' and '.join(columns)} of --out)")


def _totals_table(
    fees: pl.DataFrame, summary: pl.DataFrame, by: list[str], columns: list[str]
) -> tuple[pl.DataFrame, tuple[str, str] | None]:
    """Every group's totals (not only ``--top``), then the grand total, labelled ``total``.

    The label goes in the first text key, so a year stays a number in a sheet whatever the
    order of --by. Where no key is text (``--by year``), the total row's keys are left empty
    and the label is returned, (column, text), for the sheet to write in that one cell.
    """
    groups = summary.select(columns)
    if not by:
        return groups, None
    texts = [c for c in by if groups.schema[c] in (pl.String, pl.Categorical, pl.Enum)]
    labelled = texts[0] if texts else by[0]
    name = "total"
    if texts:
        groups = groups.with_columns(pl.col(labelled).cast(pl.String))
        # A group of that name (an importer called 'total') is not the grand total.
        while name in groups[labelled]:
            name = "total (all rows)" if name == "total" else f"{name}*"

    def label(column: str) -> pl.Expr:
        text = column == labelled and bool(texts)
        return pl.lit(name if text else None).cast(groups.schema[column]).alias(column)

    total = summarise(fees, by=[]).select(label(c) if c in by else pl.col(c) for c in columns)
    table = pl.concat([groups, total], how="vertical_relaxed")
    return table, None if texts else (labelled, name)


def _print_recycling(
    computed: pl.DataFrame, flagged: int, scenario: Scenario, plan: RecyclingPlan, top: int
) -> None:
    """Where the revenue of the computed rows goes under the scenario's (or the named) plan.

    A plan whose groups are judged on 1 January of the fees' year allocates each year's
    revenue on its own: one call over years would judge them all by the latest year (a
    country that graduated in it would get nothing back for the years it paid as an LDC).
    """
    year_read = key_as_read("year", computed.schema)  # '2026.0' is 2026, as the rules read it
    years = computed.select(year_read)["year"].drop_nulls().unique().sort().to_list()
    judged = any(a.groups and a.status_on is None for a in plan.allocations)
    windows = any(a.years is not None for a in plan.allocations)
    by_year = len(years) > 1 and (judged or windows)
    if by_year:
        why = [
            *(["the plan's groups are judged on 1 January of each year"] if judged else []),
            *(["some of its allocations take some years' revenue only"] if windows else []),
        ]
        print(
            f"\nRevenue recycling year by year ({years[0]}-{years[-1]}): {'; '.join(why)}"
            + (f" ({flagged:,} flagged rows left out)" if flagged else "")
        )
    for year in years if by_year else [None]:
        rows = computed if year is None else computed.filter(year_read == year)
        _print_plan(recycle(rows, scenario, plan=plan), flagged, year, top)


def _print_plan(result: Recycling, flagged: int, year: int | None, top: int) -> None:
    p = result.plan
    print(
        f"\nRevenue recycling{f', {year}' if year else ''}: plan '{p.name}' ({p.status})"
        + (f": {p.description}" if p.description else "")
        + "\n"
        f"Revenue: EUR {result.total_eur:,.2f}, allocated to the cent"
        + (f" ({flagged:,} flagged rows left out)" if flagged and year is None else "")
    )
    _print_table(result.pools.select("allocation", "pool", "rule", "recipients", "amount_eur"))
    for title, frame, columns in (
        (
            "Flows",
            result.flows.sort("amount_eur", descending=True),
            ["pool", "recipient", "amount_eur"],
        ),
        (
            "Balance by country (net = received - paid; paid is the revenue's cents shared "
            "by fee, so it can differ by a cent from the fee table)",
            result.balance,
            ["origin", "paid_eur", "received_eur", "net_eur"],
        ),
    ):
        cut = bool(top) and frame.height > top
        print(f"\n{title} (EUR; {f'top {top} of {frame.height}' if cut else 'all'})")
        _print_table((frame.head(top) if cut else frame).select(columns))


def _print_forgone(fees: pl.DataFrame) -> None:
    """Revenue forgone by each exemption rule: the would-be fee less the fee charged."""
    # A row imported elsewhere is not this regime's import: no revenue forgone by a rule.
    forgone = (
        fees.filter(pl.col("exemption_reason").is_not_null() & ~imported_elsewhere(fees.columns))
        .group_by("exemption_reason")
        .agg(
            pl.len().alias("rows"),
            order_free_sum(pl.col("fee_before_exemptions_eur")),
            order_free_sum(pl.col("fee_eur")),
        )
        .with_columns(
            (pl.col("fee_before_exemptions_eur") - pl.col("fee_eur")).alias("forgone_eur")
        )
        .filter(pl.col("forgone_eur") > 0)
        .sort("forgone_eur", descending=True)
    )
    if forgone.height:
        total = forgone["forgone_eur"].sum()
        print(f"\nRevenue forgone by exemption rule (EUR; total {total:,.2f})")
        _print_table(forgone)


def _check(args: argparse.Namespace) -> int:
    try:
        from cbam.testing import check_scenario
    except ImportError:
        raise ScenarioError("cbam check needs hypothesis: pip install 'cbam[testing]'") from None
    given = [s for s in (args.scenario, args.scenario_option) if s is not None]
    if len(given) != 1:
        raise ScenarioError("cbam check: name one scenario (cbam check eu-cbam)")
    report = check_scenario(given[0], max_examples=args.examples)
    print(
        f"cbam check: scenario '{report.scenario}', {args.examples} generated panels per property"
    )
    for result in report.results:
        mark = "holds" if result.holds else "FAILS"
        print(f"  {mark:5s}  {result.name}: {result.why}")
        if not result.holds:
            if result.error:
                print(f"         error: {result.error}")
            if result.counterexample is not None:
                print("         smallest counterexample:")
                with pl.Config(tbl_hide_dataframe_shape=True, tbl_width_chars=120):
                    for line in str(result.counterexample).splitlines():
                        print(f"         {line}")
    held = sum(r.holds for r in report.results)
    print(f"{held} of {len(report.results)} properties hold")
    return 0 if report.all_hold else 1


def _rules_label(scenario: Scenario) -> str:
    return (
        f"rules year {scenario.rules_year} (applied to every row)"
        if scenario.rules_year
        else "each row's own year's rules"
    )


def _same_rules(
    scenarios: list[Scenario], names: list[str], args: argparse.Namespace
) -> list[Scenario]:
    """The scenarios under one rules year, or as they are where ``--mixed-rules`` says so.

    The bundled 2019-2025 trade predates every rule: without ``--imports``, scenarios without a
    rules year take the first year all of them have rules for.
    """
    open_ended = [s for s in scenarios if s.rules_year is None]
    if not args.imports and open_ended:
        fixed = sorted({s.rules_year for s in scenarios if s.rules_year is not None})
        first = max(resolve(s).rules_years[0] for s in open_ended)
        last = min(resolve(s).rules_years[1] for s in open_ended)
        if first > last:
            raise ScenarioError(
                "the scenarios have no rules year in common (pass --rules-year, or "
                "--mixed-rules to give each its own)"
            )
        if len(fixed) == 1 and first <= fixed[0] <= last:
            chosen, why = fixed[0], "the year the other scenarios apply"
        else:
            chosen, why = first, "the first year all of them have rules for"
        scenarios = [
            s if s.rules_year is not None else _load(n, chosen, args.weights)
            for n, s in zip(names, scenarios, strict=True)
        ]
        print(
            f"note: the bundled imports predate the rules; applying the {chosen} rules to "
            f"{', '.join(s.name for s in open_ended)} ({why}; pass --rules-year to choose "
            "another)"
        )
    kinds = {s.rules_year for s in scenarios}
    if len(kinds) > 1 and not args.mixed_rules:
        said = "; ".join(f"{shorten(s.name, 120)}: {_rules_label(s)}" for s in scenarios)
        raise ScenarioError(
            f"the scenarios apply different rules years ({said}): the differences would "
            "mix years as well as designs. Pass --rules-year YEAR to put all under one year, "
            "or --mixed-rules to compare them as they are"
        )
    return scenarios


def _compare(args: argparse.Namespace) -> int:
    if len(args.scenarios) < 2:
        raise ScenarioError("compare needs two or more scenarios")
    scenarios = [_load(name, args.rules_year, args.weights) for name in args.scenarios]
    scenarios = _same_rules(scenarios, args.scenarios, args)
    path, imports, positions = _read(args)
    by = grouping(args.by, result_columns(imports.columns), what="--by")
    try:
        table, flagged, outside = compare_counted(
            imports, scenarios, by=by, currency=args.currency, on_error=args.on_error
        )
    except CbamInputError as exc:
        raise _in_file(exc, path, positions, args.format, _COMPARE_HINT) from None
    print(f"cbam {__version__}: {len(scenarios)} scenarios on {path.name}, {_rows(imports.height)}")
    for s in scenarios:
        described = shorten(_one_line(s.description), 300)
        print(f"  {shorten(s.name, 120)}: {described} [{_rules_label(s)}]")
        for note in resolve(s).design.notes:
            print(f"    assumed: {note}")
    if len({s.rules_year for s in scenarios}) > 1:
        print("note: the rules years differ (--mixed-rules): differences mix years and designs")
    shown = table.head(args.top) if args.top and table.height > args.top else table
    currency = upper_ascii_text(args.currency.strip())
    cut = "first" if {"year", "rules_year"} & set(by) else "top"  # years list in order
    scope = f"{cut} {args.top} of {table.height}" if shown.height < table.height else "all"
    base = scenarios[0].name
    grouped = f"by {', '.join(by)}" if by else "in total"
    print(f"\nFees {grouped} ({currency}; {scope}; differences from {base}; total last)")
    if by:  # without groups the table is the total already
        shown = pl.concat(
            [
                shown.with_columns(pl.col(by).cast(pl.String)),
                _total_row(table, by, [s.name for s in scenarios], currency),
            ],
            how="vertical",
        )
    _print_table(_in_cents(shown, [s.name for s in scenarios], currency))
    if any(flagged.values()):
        counts = ", ".join(f"{name} {n:,}" for name, n in flagged.items())
        print(
            f"Flagged rows, left out of the fees above: {counts} "
            "(cbam run --on-error flag --out FILE says why on each row)"
        )
        if table.select(pl.any_horizontal(pl.exclude(by).is_null()).any()).item():
            print("null: a group whose every row that scenario flagged has no fee of it")
    if any(outside.values()):
        counts = ", ".join(f"{name} {n:,}" for name, n in outside.items())
        print(f"Rows imported outside each scenario's territory, left out of its fees: {counts}")
    return 0


def _total_row(table: pl.DataFrame, by: list[str], names: list[str], currency: str) -> pl.DataFrame:
    """One row of column sums, labelled ``total`` in the first grouping column.

    A difference is that of the totals (as ``compare`` without groups gives it), not the sum of
    the groups' differences, which leaves out a group one scenario flagged whole.
    """
    fees = [pl.col(fee_column(currency, name)) for name in names]
    sums = table.select(pl.exclude(by).sum()).with_columns(
        (fee - fees[0]).alias(f"{name} - {names[0]}")
        for name, fee in zip(names[1:], fees[1:], strict=True)
    )
    labels = [pl.lit("total" if c == by[0] else "", pl.String).alias(c) for c in by]
    return sums.select(*labels, pl.all())


def _in_cents(table: pl.DataFrame, names: list[str], currency: str) -> pl.DataFrame:
    """Fees to the cent as printed, and each difference that of the printed fees.

    Rounded on its own, a difference could be a cent off the columns beside it.
    """
    fees = [fee_column(currency, name) for name in names]
    cents = table.with_columns(pl.col(fees).round(2))
    return cents.with_columns(
        (pl.col(fee) - pl.col(fees[0])).round(2).alias(f"{name} - {names[0]}")
        for name, fee in zip(names[1:], fees[1:], strict=True)
    )


def _one_line(text: str) -> str:
    """A description on one line: a YAML block's line breaks and indents as single spaces."""
    return " ".join(text.split())


def _scenarios(_: argparse.Namespace) -> int:
    scenarios, regimes = list_scenarios(), list_regimes()
    width = max(len(name) for name in [*scenarios, *regimes]) + 2
    for name, description in scenarios.items():
        print(f"{name:{width}s}{description}")
    print("\nRegimes (a scenario's regime:, or a design file of your own):")
    for name, description in regimes.items():
        print(f"{name:{width}s}{description}")
    return 0


def _add_panel_options(parser: argparse.ArgumentParser, on_error: str) -> None:
    """The options of ``run`` and ``compare`` that say which rows, read how, under which rules."""
    parser.add_argument("--imports", help="CSV or Parquet file (default: bundled EU imports)")
    parser.add_argument(
        "--format", choices=FORMATS, help="--imports is a trade panel in this layout"
    )
    parser.add_argument("--origin", help="--format wide: ISO3 origin of every row")
    parser.add_argument(
        "--destination", help="--format wide: ISO3 destination of every row (EUU: the EU)"
    )
    parser.add_argument(
        "--eur-per-usd",
        type=usd_rates,
        metavar="YEAR=RATE,...",
        help="--format baci/comtrade/wide: EUR per USD for these years, adding to or "
        "replacing the bundled rates (rates/carbon_prices/fx.csv)",
    )
    parser.add_argument("--rules-year", type=year, help="apply this year's rules to every row")
    parser.add_argument(
        "--weights",
        metavar="FILE",
        help="CN8 trade weights for aggregate codes (HS2/CN4/CN6): a CSV/Parquet file of "
        "cn_code, weight[, origin] or a bundled name (the scenario's aggregation_weights)",
    )
    parser.add_argument("--year", type=years, help="keep only these import years, comma-separated")
    parser.add_argument(
        "--top", type=count, default=0, help="print only the N largest groups (0: all)"
    )
    parser.add_argument("--on-error", choices=["raise", "flag"], default="raise", help=on_error)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cbam`` command."""
    parser = _Parser(prog="cbam", description=__doc__.splitlines()[0].replace("``", ""))
    parser.add_argument("--version", action="version", version=f"cbam {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="compute fees for an import file and print totals")
    run.add_argument("--scenario", default="eu-cbam", help="bundled name or YAML path")
    _add_panel_options(run, on_error="raise on bad rows (default) or keep and flag them")
    run.add_argument(
        "--out",
        type=out_file,
        help="write row-level results to this .csv, .parquet or .xlsx file (Excel: sheets "
        "'rows' and 'totals')",
    )
    run.add_argument(
        "--by", type=columns, default="origin,sector", help="grouping columns, comma-separated"
    )
    run.add_argument(
        "--recycling",
        nargs="?",
        const="",
        metavar="PLAN",
        help="print where the revenue goes: the scenario's recycling plan, or the bundled plan "
        "or plan file PLAN",
    )
    run.set_defaults(handler=_run)
    check = sub.add_parser("check", help="run the invariant catalogue against a scenario")
    check.add_argument("scenario", nargs="?", help="bundled name or YAML path")
    # The option as run and compare spell it (one of the two, not both).
    check.add_argument("--scenario", dest="scenario_option", help=argparse.SUPPRESS)
    check.add_argument(
        "--examples", type=examples, default=25, help="generated panels per property"
    )
    check.set_defaults(handler=_check)
    comp = sub.add_parser("compare", help="several scenarios side by side in one currency")
    comp.add_argument("scenarios", nargs="+", help="two or more bundled names or YAML paths")
    _add_panel_options(
        comp,
        on_error="raise on bad rows (default) or leave them out of the fees and count them",
    )
    comp.add_argument(
        "--by", type=columns, default="origin", help="grouping columns, comma-separated"
    )
    comp.add_argument("--currency", default="EUR", help="currency of every amount (default EUR)")
    comp.add_argument(
        "--mixed-rules",
        action="store_true",
        help="compare scenarios whose rules years differ, as they are (refused otherwise)",
    )
    comp.set_defaults(handler=_compare)
    scenarios = sub.add_parser("scenarios", help="list the bundled scenarios and regimes")
    scenarios.set_defaults(handler=_scenarios)
    return parser


def _rows(n: int) -> str:
    """'1 row', '2 rows'."""
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


def _here_or_installed(text: str) -> str:
    """``text``, or the installed copy of a shipped file it names that is not here (said so)."""
    copy = installed_copy(text)
    if copy is None:
        return text
    print(f"note: no {text} here; reading the copy installed with cbam ({copy})", file=sys.stderr)
    return str(copy)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cbam`` command; returns the exit status.

    A user's error (a bad option, file, scenario or row) is one ``cbam: error: ...`` message on
    standard error and exit status 2, never a traceback.
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or an option argparse refused
        return exc.code if isinstance(exc.code, int) else 2
    for name in ("imports", "scenario", "scenarios", "weights", "recycling"):
        given = getattr(args, name, None)
        if isinstance(given, list):
            setattr(args, name, [_here_or_installed(g) for g in given])
        elif isinstance(given, str):
            setattr(args, name, _here_or_installed(given))
    try:
        status: int = args.handler(args)
    except (CbamInputError, ScenarioError) as exc:
        print(f"cbam: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # a file the system refuses (permissions, a full disk, ...)
        print(f"cbam: error: {shorten(exc, 400)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: stop without a traceback, with the shell's status
        print("cbam: interrupted", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
