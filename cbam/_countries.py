"""Country codes and dated country groups from ``country_lists/``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from pathlib import Path

import polars as pl

from cbam._errors import ScenarioError, shorten
from cbam._interop import read_csv, record_lines
from cbam._resources import data_dir

# Dates are read as text and parsed by ``member_dates``, which names the line of a bad one.
_GROUP_SCHEMA = {
    "iso3": pl.String,
    "name": pl.String,
    "member_from": pl.String,
    "member_to": pl.String,
    "source": pl.String,
}
_OPTIONAL = {"note": pl.String}
DATE_COLUMNS = ("member_from", "member_to")


def upper_ascii(text: pl.Expr) -> pl.Expr:
    """Text in upper case where it is ASCII; other text as it is (a code then unknown).

    Unicode upper-cases some other letters to ASCII ones ('ſ' to 'S', 'ı' to 'I'), which would
    turn look-alike text into a valid country or route code.

    Example:
        >>> pl.select(upper_ascii(pl.lit(pl.Series(["tur", "\u017fen"])))).to_series().to_list()
        ['TUR', 'ſen']

    """
    ascii_only = text.str.len_bytes() == text.str.len_chars()
    return pl.when(ascii_only).then(text.str.to_uppercase()).otherwise(text)


def upper_ascii_text(text: str) -> str:
    """``upper_ascii`` of one text: upper case where it is ASCII, else as it is.

    Example:
        >>> upper_ascii_text(" kor"), upper_ascii_text("\u0131ta")
        (' KOR', 'ıta')

    """
    return text.upper() if text.isascii() else text


def csv_line(index: int) -> str:
    """The line of a CSV file holding data row ``index`` (0-based; line 1 is the header)."""
    return f"line {index + 2}"


def failing_lines(
    frame: pl.DataFrame, bad: pl.Expr, column: str, place: Callable[[int], str], limit: int = 5
) -> str:
    """The first rows of ``frame`` failing ``bad``, each by ``place`` and its ``column`` value.

    Example:
        >>> rows = pl.DataFrame({"iso3": ["MOZ", "MZ", None]})
        >>> failing_lines(rows, pl.col("iso3").str.len_chars() != 3, "iso3", csv_line)
        "line 3 ('MZ'), line 4 ('')"

    """
    rows = frame.with_row_index("_r").filter(bad.fill_null(True))
    shown = ", ".join(
        f"{place(r)} ({shorten('' if v is None else str(v), 30)!r})"
        for r, v in rows.head(limit).select("_r", column).iter_rows()
    )
    return shown + (f" and {rows.height - limit} more" if rows.height > limit else "")


def file_lines(path: Path, rows: int) -> Callable[[int], str]:
    """Where data row i of the CSV file ``path`` (of ``rows`` rows) starts, as ``cat -n`` says.

    ``csv_line``, unless a quoted field spans lines (``record_lines``).
    """
    starts = record_lines(path, lambda: rows)
    return csv_line if starts is None else lambda i: f"line {starts[i]}"


def member_dates(
    frame: pl.DataFrame, path: Path | str, place: Callable[[int], str] = csv_line
) -> pl.DataFrame:
    """``member_from`` and ``member_to`` as dates, checked, in every group file cbam reads.

    A date is ISO ``YYYY-MM-DD`` (empty: open-ended); membership runs from ``member_from``
    (inclusive) to ``member_to`` (exclusive), so ``member_to`` may not be before
    ``member_from``. Absent columns are open-ended.

    Args:
        frame: The group's rows, the date columns as text or dates.
        path: The file, for messages.
        place: Where row ``i`` is in the file (``line 3``, ``members entry 2``).

    Raises:
        ScenarioError: a value that is not a date, or a membership that ends before it
            starts, naming the file, the line, the column and the value.

    """
    for column in DATE_COLUMNS:
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.Date).alias(column))
            continue
        if frame.schema[column] == pl.Date:
            continue
        text = frame[column].cast(pl.String).str.strip_chars()
        parsed = text.str.to_date("%Y-%m-%d", strict=False)
        bad = (text.is_not_null() & (text != "") & parsed.is_null()).arg_true()
        if bad.len():
            i = int(bad[0])
            more = f" (and {bad.len() - 1} more)" if bad.len() > 1 else ""
            raise ScenarioError(
                f"{path}: {place(i)}: {column} '{shorten(text[i])}' is not a date "
                f"(YYYY-MM-DD){more}"
            )
        frame = frame.with_columns(parsed.alias(column))
    backwards = (pl.col("member_to") < pl.col("member_from")).fill_null(False)
    wrong = frame.with_row_index("_row").filter(backwards)
    if wrong.height:
        row = wrong.row(0, named=True)
        more = f" (and {wrong.height - 1} more)" if wrong.height > 1 else ""
        raise ScenarioError(
            f"{path}: {place(row['_row'])}: member_to {row['member_to']} is before "
            f"member_from {row['member_from']} ({shorten(row.get('iso3'))}){more}"
        )
    return frame


@cache
def iso3_codes() -> frozenset[str]:
    """All ISO 3166-1 alpha-3 codes known to cbam (plus the user-assigned XKX for Kosovo)."""
    path = data_dir("country_lists") / "iso3166_1.csv"
    frame = pl.read_csv(path, schema_overrides={"iso3": pl.String, "numeric": pl.String})
    return frozenset(frame["iso3"].to_list())


@cache
def country_group(name: str) -> pl.DataFrame:
    """A dated country group (``iso3, name, member_from, member_to, source``).

    Raises:
        ScenarioError: if no file ``country_lists/<name>.csv`` exists or it is malformed.

    """
    path = data_dir("country_lists") / f"{name}.csv"
    if not path.is_file():
        raise ScenarioError(f"unknown country group '{name}': no file {path}")
    frame = read_csv(path, "country group", schema_overrides={**_GROUP_SCHEMA, **_OPTIONAL})
    missing = [c for c in _GROUP_SCHEMA if c not in frame.columns]
    if missing:
        raise ScenarioError(f"{path}: country group lacks columns {missing}")
    frame = member_dates(frame.select(*_GROUP_SCHEMA), path, file_lines(path, frame.height))
    unknown = sorted(set(frame["iso3"].to_list()) - iso3_codes())
    if unknown:
        raise ScenarioError(f"{path}: unknown ISO3 codes {unknown}")
    return frame


@cache
def members_in_year(name: str, year: int) -> frozenset[str]:
    """ISO3 codes that belong to group ``name`` on 1 January of ``year``."""
    return members_on(country_group(name), dt.date(year, 1, 1))


def members_on(group: pl.DataFrame, day: dt.date) -> frozenset[str]:
    """ISO3 codes of a group (``iso3, member_from, member_to``) that are members on ``day``."""
    frame = group.filter(
        (pl.col("member_from").is_null() | (pl.col("member_from") <= day))
        & (pl.col("member_to").is_null() | (pl.col("member_to") > day))
    )
    return frozenset(frame["iso3"].to_list())
