"""pandas, PyArrow and other eager frames in and out of cbam, through narwhals.

cbam runs on Polars. A frame of another library narwhals knows (a pandas DataFrame, a PyArrow
Table, Modin, cuDF) is converted to Polars on the way in (``to_polars``, used by every function
that takes a frame) and, where the function returns rows or totals, back to its own library on
the way out, so an existing model calls ``cbam.compute(its_frame)`` and gets its kind back. A
pandas index is carried over where rows map one to one (``compute``).

Duplicate column names are refused, naming them. A column Arrow cannot type (an object column
mixing text and numbers, a sparse array, integers past 64 bits) is read as text, each value
as ``str`` gives it and a missing one as null: as a CSV's or a Polars text column would be, so
that the rules read it the same whatever the library (' 250' and 250 are one amount; 'abc'
is a bad row, refused or flagged, naming its value).
"""

from __future__ import annotations

import csv
import gzip
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import narwhals as nw
import polars as pl
import pyarrow as pa

from cbam._errors import CbamInputError, InputProblem, ScenarioError, first_line, shorten
from cbam._resources import installed_copy

# A frame kind kept from input to output: DataFrame in, DataFrame out; LazyFrame, LazyFrame.
FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)


def _native(frame: Any, what: str) -> Any:
    try:
        return nw.from_native(frame, eager_only=True)
    except TypeError as exc:
        raise TypeError(
            f"{what} must be a Polars DataFrame or LazyFrame, or an eager data frame narwhals "
            f"supports (pandas, PyArrow, ...), not {shorten(type(frame).__module__)}."
            f"{shorten(type(frame).__name__)}"
        ) from exc


def _names(frame: Any) -> list[str]:
    """The column names as the library holds them (pandas and Arrow allow duplicates)."""
    for attribute in ("column_names", "columns"):
        names = getattr(frame, attribute, None)
        if names is not None:
            return [str(n) for n in names]
    return []


def _missing(value: Any) -> bool:
    """Whether a cell holds no value: None, NaN (float, NumPy, Decimal), pandas' NA or NaT."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return bool(value != value)  # only a NaN differs from itself
    except Exception:  # a value that compares to no bool: a value all the same
        return False


def _as_text(data: Any, column: str) -> pl.Series:
    """A column Arrow cannot type, each value as ``str`` gives it (a missing one null)."""
    values = data.get_column(column).to_list()
    return pl.Series(column, [None if _missing(v) else str(v) for v in values], dtype=pl.String)


def _converts(data: Any, column: str) -> bool:
    """Whether Arrow types the column on its own."""
    try:
        data.select(column).to_polars()
    except Exception:
        return False
    return True


def to_polars(frame: Any, what: str = "imports") -> pl.DataFrame | pl.LazyFrame:
    """``frame`` as a Polars frame: Polars frames as they are, others converted.

    A column Arrow cannot type is read as text (see the module's docstring).

    Raises:
        TypeError: ``frame`` is not a data frame narwhals can read eagerly.
        CbamInputError: duplicate column names, naming each.

    Example:
        >>> import pandas as pd
        >>> to_polars(pd.DataFrame({"x": [1, 2]})).to_dict(as_series=False)
        {'x': [1, 2]}

    """
    if isinstance(frame, pl.DataFrame | pl.LazyFrame):
        return frame
    counts = Counter(_names(frame))
    duplicated = [name for name, n in counts.items() if n > 1]
    if duplicated:
        raise CbamInputError(
            [
                InputProblem(name, f"appears {counts[name]} times: column names must be unique", 0)
                for name in duplicated
            ],
            source=what,
        )
    data = _native(frame, what)
    try:
        result: pl.DataFrame = data.to_polars()
    except Exception as exc:
        untyped = [c for c in data.columns if not _converts(data, c)]
        if not untyped:
            raise TypeError(
                f"{what}: cannot convert the frame to Polars: {shorten(exc, 400)}"
            ) from exc
        typed = data.drop(untyped).to_polars()
        result = typed.with_columns(_as_text(data, c) for c in untyped).select(data.columns)
    return result


def through_polars(frame: Any, run: Callable[[pl.DataFrame], pl.DataFrame]) -> Any:
    """Convert an eager non-Polars frame to Polars, ``run`` it, and convert the result back.

    A pandas input's index is put on the result: ``run`` keeps one output row per input row,
    in order.

    Args:
        frame: A pandas DataFrame, PyArrow Table or other eager frame narwhals supports.
        run: The Polars computation.

    Returns:
        The result in ``frame``'s library.

    Raises:
        TypeError: ``frame`` is not a data frame narwhals can read eagerly.
        CbamInputError: see ``to_polars``.

    Example:
        >>> import pyarrow as pa, polars as pl
        >>> table = pa.table({"x": [1, 2]})
        >>> out = through_polars(table, lambda df: df.with_columns(y=pl.col("x") * 2))
        >>> type(out).__name__, out.column("y").to_pylist()
        ('Table', [2, 4])

    """
    converted = to_polars(frame)
    assert isinstance(converted, pl.DataFrame)
    result = run(converted)
    # A column the run filled or changed (``carbon_price_paid_eur_per_t``'s empty cells) comes
    # back as the run made it, as from a Polars input; an untouched one comes back as given.
    own = [c for c in converted.columns if c in result.columns and _same(result[c], converted[c])]
    return like(frame, result, keep_index=True, own=own)


def _same(a: pl.Series, b: pl.Series) -> bool:
    """Whether two columns hold the same values, row for row (nulls alike; any dtypes)."""
    try:
        return a.equals(b, check_dtypes=False, check_names=False, null_equal=True)
    except pl.exceptions.PolarsError:  # dtypes that do not compare: the run changed it
        return False


def like(
    frame: Any, result: pl.DataFrame, *, keep_index: bool = False, own: list[str] | None = None
) -> Any:
    """``result`` in the library of the eager frame ``frame`` (a Polars frame: as it is).

    Through Arrow's oldest layout (plain strings, dictionaries), which every reader of a
    PyArrow table takes (``string_view`` could not be written to Parquet or joined). With
    ``keep_index`` (one row out per row in, in order), the frame's own columns come back as
    they went in: a pandas index, dtypes (a nullable ``Int64`` id stays one, not a float)
    and column labels (``0``, not ``'0'``): all of them, or those named in ``own``.
    """
    if isinstance(frame, pl.DataFrame | pl.LazyFrame):
        return result
    data = _native(frame, "frame")
    arrow = result.to_arrow(compat_level=pl.CompatLevel.oldest())
    namespace = nw.get_native_namespace(data)
    if namespace.__name__ == "pandas":
        # pandas' nullable dtypes: a flagged row's fee is missing (<NA>), not NaN, and a
        # column's dtype does not change with whether a row is flagged (int64 to float64).
        nullable = _pandas_nullable(namespace)
        back = nw.from_native(arrow.to_pandas(types_mapper=nullable.get), eager_only=True)
    else:
        back = nw.from_arrow(arrow, backend=namespace)
    index = nw.maybe_get_index(data) if keep_index else None
    if index is not None:
        back = nw.maybe_set_index(back, index=[index])
    native = nw.to_native(back)
    return _own_columns(native, frame, own) if keep_index else native


def _pandas_nullable(pd: Any) -> dict[Any, Any]:
    """Arrow number and boolean types to pandas' nullable dtypes (``pd``: the pandas module)."""
    ints = {f"int{n}": f"Int{n}" for n in (8, 16, 32, 64)}
    ints |= {f"uint{n}": f"UInt{n}" for n in (8, 16, 32, 64)}
    floats = {"float32": "Float32", "float64": "Float64"}
    mapping = {getattr(pa, a)(): pd.api.types.pandas_dtype(b) for a, b in (ints | floats).items()}
    return mapping | {pa.bool_(): pd.BooleanDtype()}


def _own_columns(out: Any, given: Any, own: list[str] | None) -> Any:
    """``out`` (row for row ``given``'s) with ``given``'s own columns put back unchanged.

    Only those named in ``own``, where it is given (by their names as text).
    """
    if hasattr(given, "column_names") and hasattr(out, "set_column"):  # PyArrow tables
        for name in given.column_names:
            if own is not None and str(name) not in own:
                continue
            at = out.schema.get_field_index(name)
            if at >= 0:
                out = out.set_column(at, name, given.column(name))
        return out
    columns = getattr(given, "columns", None)
    if columns is None or not hasattr(out, "rename"):
        return out
    labels = {str(label): label for label in columns}  # pandas: labels of any type
    out = out.rename(columns={s: label for s, label in labels.items() if s in out.columns})
    for label in columns:
        if label in out.columns and (own is None or str(label) in own):
            out[label] = given[label].array  # row for row: by position, dtype and all
    return out


def same_kind(frame: FrameT, result: pl.LazyFrame, *, keep_index: bool = False) -> FrameT:
    """``result`` in the kind of ``frame``: lazy, eager, or the library of a pandas frame."""
    if isinstance(frame, pl.LazyFrame):
        return result
    if isinstance(frame, pl.DataFrame):
        return result.collect()
    return like(frame, result.collect(), keep_index=keep_index)


_DUPLICATED = re.compile(r"^(?P<name>.+)_duplicated_\d+$")


def duplicated(columns: list[str]) -> list[str]:
    """The names a CSV header gives twice (Polars renames the copy ``NAME_duplicated_0``).

    Example:
        >>> duplicated(["q", "t", "q_duplicated_0"])
        ['q']

    """
    names = set(columns)
    return sorted(
        {m["name"] for c in columns if (m := _DUPLICATED.match(c)) and m["name"] in names}
    )


_TEXT_SUFFIXES = (".csv", ".tsv", ".txt")


def _lines_end_with_lf(path: Path, what: str) -> Path:
    """The path of a text file whose lines end with LF (or CRLF); CR alone is refused.

    Excel for Mac's 'CSV (Macintosh)' ends lines with CR alone, which Polars reads as one
    line: the whole file a header, its rows column names, no row at all, unsaid.
    """
    if not path.name.lower().removesuffix(".gz").endswith(_TEXT_SUFFIXES):
        return path
    opener: Any = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as f:
            start = f.read(1 << 20)
    except (OSError, EOFError):
        return path  # the reader says what is wrong with it
    if b"\r" in start and b"\n" not in start:
        raise ScenarioError(
            f"{shorten(path)}: the {what} ends its lines with CR alone (Excel for Mac's 'CSV "
            "(Macintosh)'), which reads as one line: save it as 'CSV UTF-8', or with LF or "
            "CRLF line ends"
        )
    return path


def a_file(path: Path, what: str) -> Path:
    """The path, if it names a file; read it literally (``glob=False``), never as a pattern.

    A relative ``data/``, ``rates/`` or ``country_lists/`` path that is not here names the copy
    installed with cbam (as the command line reads it), so the docs' examples run anywhere.

    Polars would expand ``*``, ``?`` and ``[...]`` in a name: ``g/*.csv`` would merge every file
    of the folder (and double a fee), ``lit[1].csv`` would find none.

    Example:
        >>> a_file(Path("/"), "import file")
        Traceback (most recent call last):
        cbam._errors.ScenarioError: /: the import file is a folder; name a file in it

    """
    try:
        if path.is_file():
            return _lines_end_with_lf(path, what)
        gone = not path.exists()
    except OSError as exc:  # a name the file system refuses (too long, ...)
        raise ScenarioError(f"{shorten(path)}: cannot read {what}: {exc.strerror}") from None
    if gone and (copy := installed_copy(str(path))) is not None:
        return copy  # a shipped file named as in a checkout (data/samples/...): the same file
    if gone:
        literal = (
            " (cbam reads a name as given, not as a pattern)" if set("*?[") & set(str(path)) else ""
        )
        raise ScenarioError(f"{shorten(path)}: no such {what}{literal}")
    if path.is_dir():
        raise ScenarioError(f"{shorten(path)}: the {what} is a folder; name a file in it")
    raise ScenarioError(
        f"{shorten(path)}: the {what} is not a regular file (a pipe?); save it first"
    )


def misread_line(path: Path, separator: str = ",") -> str:
    r"""Where a CSV stops parsing as its header says: '' when no line is found at fault.

    Read again, line by line, only after Polars failed on a line with more fields than the
    header (a ragged line, or ';' with decimal commas), which it names not; shorter lines it
    reads, their missing fields null.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        ...     _ = f.write("a,b\n1,2\n3,4,5\n")
        >>> misread_line(Path(f.name))
        '; line 3 has 3 fields, the header 2'

    """
    try:
        records = _records(path, separator)
        header = next(records, (1, []))[1]
        for number, row in records:
            if len(row) > len(header):  # Polars reads short lines, fills nulls
                semi = len(header) == 1 and ";" in header[0]
                hint = " (the file looks separated by ';': save it with commas)" if semi else ""
                return f"; line {number} has {len(row)} fields, the header {len(header)}{hint}"
    except (OSError, csv.Error, UnicodeError):
        return ""
    return ""


def read_fault(path: Path, exc: Exception, separator: str = ",") -> str:
    """Where a CSV read that Polars refused went wrong ('' where no line is found at fault).

    A line with more fields than the header (``misread_line``), or a quote that leaves a
    field open ("CSV malformed"): the first line with an odd count of double quotes.
    """
    if "fields" in str(exc):
        return misread_line(path, separator)
    text = str(exc).lower()
    if "malformed" not in text and not ("could not parse" in text and '"' in text):
        return ""
    odd = _first_odd_quote_line(path)
    if odd is None:  # no quote left open: one closed before its field ends ('"ACME 12" pipes')
        stray = _first_stray_quote_line(path, separator)
        return (
            f"; line {stray} holds a quoted field that goes on after its closing quote (quote "
            'the whole field, "ACME ""12"" pipes", or remove the quotes)'
            if stray is not None
            else ""
        )
    return (
        f"; line {odd} holds an odd number of double quotes (a quote inside a field "
        'that is not quoted: quote the whole field, "a""b", or remove the quote)'
    )


def _records(path: Path, separator: str = ",") -> Iterator[tuple[int, list[str]]]:
    """Each record of a CSV file (the header first) with the file line it starts on.

    A quoted field may hold line breaks: its record spans several lines (``csv`` joins them).
    """
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    limit = csv.field_size_limit((1 << 31) - 1)  # a cell as long as Polars reads one
    try:
        # Lines end at LF only, as Polars and ``cat -n`` count them (a lone CR is a character).
        with opener(path, "rt", encoding="utf-8", errors="replace", newline="\n") as f:
            rows = csv.reader(f, delimiter=separator)
            start = 1
            for row in rows:
                yield start, row
                start = rows.line_num + 1
    finally:
        csv.field_size_limit(limit)


def _file_lines(path: Path) -> pl.LazyFrame:
    """The file's lines as they are, one text column ``line`` (no field nor quote read)."""
    return pl.scan_csv(
        path,
        has_header=False,
        separator="\x1f",
        quote_char=None,
        infer_schema=False,
        new_columns=["line"],
        truncate_ragged_lines=True,
        encoding="utf8-lossy",
        glob=False,
    )


def _first_odd_quote_line(path: Path) -> int | None:
    """The first line of the file (1-based) with an odd count of double quotes, or None.

    Such a line opens or closes a quoted field over line breaks. Read as lines by the
    streaming engine, in memory bounded whatever the file's size.
    """
    lines = _file_lines(path)
    odd = pl.col("line").str.count_matches('"', literal=True).fill_null(0) % 2 == 1
    try:
        first = (
            lines.with_row_index("n").filter(odd).select("n").head(1).collect(engine="streaming")
        )
    except (OSError, pl.exceptions.PolarsError):
        return None
    return None if first.is_empty() else int(first.item()) + 1


def _first_stray_quote_line(path: Path, separator: str = ",") -> int | None:
    """The first line (1-based) where a quoted field goes on after its closing quote, or None."""
    opener: Any = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace", newline="\n") as f:
            rows = csv.reader(f, delimiter=separator, strict=True)
            for _ in rows:
                pass
    except csv.Error:
        return int(rows.line_num)
    except OSError:
        return None
    return None


def _holds_quote(path: Path) -> bool:
    """Whether the file holds a double quote anywhere (read in blocks, never whole)."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as f:
        while block := f.read(1 << 24):
            if b'"' in block:
                return True
    return False


def record_lines(path: Path, records: Callable[[], int], separator: str = ",") -> list[int] | None:
    r"""The file line each data record of a CSV starts on; None where record i is on line i + 2.

    Records and lines differ only where a quoted field holds a line break. A file without a
    double quote costs one read of its bytes, one whose every line holds an even count of
    quotes one Polars read of its lines; else ``csv`` reads the file, and its records are
    checked against the count Polars parses (``records()``).

    Raises:
        ScenarioError: Polars reads fewer records than ``csv``: a quote inside an unquoted
            field (``no"te``) opened a quoted field in Polars' reading and its rows were read
            as one, naming the first line with an odd count of quotes.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        ...     _ = f.write('a,note\n1,"two\nlines"\n2,x\n')
        >>> record_lines(Path(f.name), lambda: 2)
        [2, 4]

    """
    if not _holds_quote(path):
        return None
    odd = _first_odd_quote_line(path)
    if odd is None:
        return None  # no quoted field spans lines
    try:
        starts = [line for line, _ in _records(path, separator)][1:]
    except (OSError, csv.Error, UnicodeError):
        return None
    count = records()
    if len(starts) > count:
        raise ScenarioError(
            f"{path}: line {odd}: a double quote inside a field that is not quoted "
            f"reads {len(starts) - count:,} line(s) below it into one field; quote the "
            'whole field ("a""b") or remove the quote'
        )
    return starts if len(starts) == count and count else None


def encoding_hint(header: list[str]) -> str | None:
    r"""Why a header reads as no text: NUL bytes or characters that are not UTF-8; else None.

    Example:
        >>> encoding_hint(["\x00y\x00e\x00a\x00r"]).split(":")[0]
        'the header holds NUL bytes or characters that are not UTF-8 text'

    """
    if not any("\x00" in c or "\ufffd" in c for c in header):
        return None
    return (
        "the header holds NUL bytes or characters that are not UTF-8 text: is the file "
        "UTF-16 or in another encoding? cbam reads UTF-8: save it as UTF-8 CSV"
    )


def short_line(path: Path, fields: int, separator: str = ",") -> str:
    r"""The first line with fewer fields than the header's ``fields``: '' when there is none.

    Polars reads such a line with its missing fields null, without a word: an importer or a
    customs value lost changes thresholds and fees. One pass of Polars counts the separators
    of each line outside quotes; where a line counts short, or leaves a quote open, the file
    is read again by ``csv``, which joins a quoted field's line breaks, before a line is named.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        ...     _ = f.write("a,b,c\n1,2,3\n\n4,5\n")
        >>> short_line(Path(f.name), 3)
        '; line 4 has 2 fields, the header 3 (an empty value still needs its separator)'

    """
    try:
        lines = _file_lines(path).collect()["line"]
    except (OSError, pl.exceptions.PolarsError):
        return ""
    # Separators inside quotes are no field's: counted without the quoted parts; a line with
    # a quote left open (a field over two lines) is read again, as a short-looking one is.
    unquoted = lines.str.strip_chars("\r").str.replace_all(r'"[^"]*"', "")
    counts = unquoted.str.count_matches(separator, literal=True)
    doubtful = (counts < fields - 1) | unquoted.str.contains('"', literal=True)
    if not (lines.str.strip_chars().fill_null("").ne("") & doubtful).any():
        return ""
    try:
        records = _records(path, separator)
        next(records, None)
        for number, row in records:
            if row and len(row) < fields:
                return (
                    f"; line {number} has {len(row)} fields, the header {fields} (an "
                    "empty value still needs its separator)"
                )
    except (OSError, csv.Error, UnicodeError):  # a field past csv's size limit, say
        return ""
    return ""


def undecodable_line(path: Path, separator: str = ",") -> str:
    r"""The first line and column holding bytes that are not UTF-8: '' when none is found.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile("wb", suffix=".csv", delete=False) as f:
        ...     _ = f.write(b"a,note\n1,ok\n2,C\xf4te\n")
        >>> undecodable_line(Path(f.name)).split(": bytes")[0]
        "; line 3, column 'note'"

    """
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as f:
            header: list[str] = []
            for number, raw in enumerate(f, start=1):
                text = raw.decode("utf-8", errors="replace")
                fields = next(csv.reader([text], delimiter=separator), [])
                if number == 1:
                    header = fields
                if "\ufffd" not in text:
                    continue
                at = next((i for i, v in enumerate(fields) if "\ufffd" in v), 0)
                column = header[at] if at < len(header) else f"field {at + 1}"
                value = shorten(fields[at] if fields else text.strip(), 40)
                return f"; line {number}, column {column!r}: bytes that are not UTF-8 ({value!r})"
    except (OSError, csv.Error):
        return ""
    return ""


def read_csv(path: Path, what: str, **options: Any) -> pl.DataFrame:
    """Read a CSV file of the user's or of ``rates/``, refusing what Polars would guess at.

    Args:
        path: The file.
        what: What the file holds, for messages (``import file``, ``group file``).
        **options: Passed to ``polars.read_csv``.

    Raises:
        ScenarioError: the file cannot be read or parsed, or its header names a column twice
            (Polars would rename the second ``NAME_duplicated_0`` and the first would be used
            silently), naming the file and the column.

    """
    try:
        frame = pl.read_csv(a_file(path, what), glob=False, **options)
    except (OSError, pl.exceptions.PolarsError) as exc:
        # Polars appends a page of advice on schema options to parse errors: keep the cause.
        separator = options.get("separator", ",")
        where = read_fault(path, exc, separator)
        if "utf-8" in str(exc).lower() or "utf8" in str(exc).lower():
            where = undecodable_line(path, separator)
        cause = shorten(first_line(exc), 400)
        raise ScenarioError(f"{path}: cannot read {what}: {cause}{where}") from exc
    twice = duplicated(frame.columns)
    if twice:
        raise ScenarioError(
            f"{path}: the header of the {what} names column(s) {shorten(twice)} more than "
            "once; remove or rename the copies"
        )
    return frame
