"""Exceptions raised by cbam: one for bad import rows, one for bad scenarios and data files.

Every message echoes user values through ``shorten`` (at most ``MAX_ECHO`` characters each) and
is capped as a whole by ``cap_message``, so a hostile value (a 1 MB origin code, a 5,000-digit
number) never makes a message of its own size.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

MAX_ECHO = 200  # characters of one echoed value (a cell, a column name, an argument)
MAX_MESSAGE = 4000  # characters of a whole message


# Polars' parse error quotes the cell, which may hold line breaks (a quote left open).
_UNPARSED = re.compile(r"could not parse `(.*?)` as dtype `([^`]*)` at column '([^']*)'", re.S)


def first_line(exc: BaseException) -> str:
    r"""An exception's first line (Polars appends pages of advice), or its type where it is empty.

    A cell Polars could not parse is shown whole, its line breaks escaped.

    Example:
        >>> print(first_line(ValueError("could not parse `\"a\nb` as dtype `str` at column 'x'")))
        could not parse `"a\nb` as dtype `str` at column 'x'

    """
    text = str(exc).strip()
    cell = _UNPARSED.search(text)
    if cell is not None and "\n" in cell.group(1):
        before = text[: cell.start()].splitlines()
        return (
            f"{before[-1] if before else ''}could not parse `{shorten(cell.group(1), 80)}` as "
            f"dtype `{cell.group(2)}` at column '{cell.group(3)}'"
        )
    return (text.splitlines() or [type(exc).__name__])[0]


def shorten(value: object, limit: int = MAX_ECHO) -> str:
    r"""``value`` as text of at most about ``limit`` characters, saying how long it was.

    Control characters are shown escaped: a line break or a terminal escape sequence in a
    file's cell echoes as ``\n`` or ``\x1b``, never breaks the message or reaches the terminal.

    Example:
        >>> shorten("TUR"), shorten("X" * 1000, 5), shorten("CH\nN")
        ('TUR', 'XXXXX... (1,000 characters)', 'CH\\nN')

    """
    text = str(value)
    if len(text) <= limit:
        return _visible(text)
    return f"{_visible(text[:limit])}... ({len(text):,} characters)"


def shorten_end(value: object, limit: int = MAX_ECHO) -> str:
    """``shorten``, keeping the end: a path's file name and the folders just above it.

    Example:
        >>> shorten_end("/tmp/run/A/my.csv", 8)
        '...A/my.csv (17 characters)'

    """
    text = str(value)
    if len(text) <= limit:
        return _visible(text)
    return f"...{_visible(text[-limit:])} ({len(text):,} characters)"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    """``text`` with each control character as its escape (``repr``'s, without the quotes)."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def cap_message(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut in the middle to about ``limit`` characters (its start and end kept).

    Example:
        >>> cap_message("a" * 10 + "b" * 10, 8)
        'aaaa [... 12 characters left out ...] bbbb'

    """
    if len(text) <= limit:
        return text
    head, tail = limit // 2, limit - limit // 2
    return f"{text[:head]} [... {len(text) - limit:,} characters left out ...] {text[-tail:]}"


@dataclass(frozen=True)
class InputProblem:
    """One kind of problem found in an import frame.

    Attributes:
        column: The input column at fault.
        message: What is wrong, in words.
        count: How many rows have this problem (0: the column itself is at fault, e.g.
            missing, so flagging rows cannot help).
        rows: The first offending row indices (0-based positions, in input order; messages
            print them 1-based).
        values: The offending values on those rows, as text.

    """

    column: str
    message: str
    count: int
    rows: tuple[int, ...] = field(default_factory=tuple)
    values: tuple[str, ...] = field(default_factory=tuple)

    def describe(self, row_offset: int = 1, row_label: str = "row") -> str:
        """One line naming the column, the problem, the first values and rows.

        Args:
            row_offset: Added to each 0-based row index: 1 for row numbers (the first row is
                row 1), 2 for the lines of a CSV file whose line 1 is the header.
            row_label: ``row`` or ``line``.

        """
        shown = ", ".join(
            f"{row_label} {r + row_offset} ({shorten(v)})"
            for r, v in zip(self.rows, self.values, strict=True)
        )
        more = f" and {self.count - len(self.rows)} more" if self.count > len(self.rows) else ""
        where = f": {shown}{more}" if shown else ""
        return f"column '{shorten(self.column)}': {self.message}{where}"


FLAG_HINT = "pass on_error='flag' to keep and flag such rows instead"


class CbamInputError(ValueError):
    """Import rows that cannot be computed; ``problems`` lists each kind of fault found.

    Row numbers in the message are 1-based (``row 1`` is the first row), or the file's line
    numbers where a caller reading a file says so (``row_offset=2, row_label="line"``: line 1
    is the header). ``hint`` says how to keep and flag bad rows; it is shown only when some
    problem is about rows (a missing column cannot be flagged away) and left out when None.
    ``data`` names what was read: import data, or a fee table handed to a reader of fees.
    """

    def __init__(
        self,
        problems: list[InputProblem],
        source: str | None = None,
        row_offset: int = 1,
        row_label: str = "row",
        hint: str | None = FLAG_HINT,
        data: str = "import data",
    ) -> None:
        self.problems = problems
        self.source = source
        self.row_offset = row_offset
        self.row_label = row_label
        self.hint = hint
        self.data = data
        where = f"{shorten(source)}: " if source else ""
        note = f"; {hint}" if hint and any(p.count > 0 for p in problems) else ""
        lines = "\n  ".join(p.describe(row_offset, row_label) for p in problems)
        super().__init__(
            cap_message(f"{where}invalid {data} ({len(problems)} problem(s){note}):\n  {lines}")
        )

    def __reduce__(self) -> tuple[type[CbamInputError], tuple[object, ...]]:
        # Rebuilt from its parts (a Dask worker's error reaches the client whole).
        args = (self.problems, self.source, self.row_offset, self.row_label, self.hint, self.data)
        return (CbamInputError, args)

    def relabel(
        self,
        *,
        source: str | None = None,
        row_offset: int | None = None,
        row_label: str | None = None,
        hint: str | None = None,
        rows: list[int] | None = None,
    ) -> CbamInputError:
        """The same problems for another reader: a file name, line numbers, another hint.

        Args:
            source: The file (or call) the rows came from.
            row_offset: See the class; None keeps this error's.
            row_label: ``row`` or ``line``; None keeps this error's.
            hint: How to keep and flag bad rows from where the caller stands (None: no hint).
            rows: The original position of each row that was computed, when the caller
                filtered its input: problem rows are mapped back through it.

        """
        return CbamInputError(
            self.problems
            if rows is None
            else [replace(p, rows=tuple(rows[r] for r in p.rows)) for p in self.problems],
            source=source if source is not None else self.source,
            row_offset=self.row_offset if row_offset is None else row_offset,
            row_label=self.row_label if row_label is None else row_label,
            hint=hint,
            data=self.data,
        )


class ScenarioError(ValueError):
    """A scenario, data file or argument that cannot be read or does not validate.

    The message is capped (``cap_message``) whatever it echoes.
    """

    def __init__(self, message: str) -> None:
        super().__init__(cap_message(str(message)))


def _given(err: Any) -> str:
    """The value an error is about, shortened, where it is one scalar ('' for none).

    A missing or unknown key says all in its path; a mapping or list is named by its kind,
    not echoed.
    """
    value = err.get("input")
    if err["type"] in ("missing", "extra_forbidden"):
        return ""
    if isinstance(value, list | tuple | dict):  # a wrong type says so; a rule says all
        if err["type"] in ("value_error", "assertion_error"):
            return ""
        return "a mapping" if isinstance(value, dict) else "a list"
    if not isinstance(value, str | int | float | dt.date):
        return ""
    return shorten(repr(value), 40)


def _says(message: str, value: str) -> bool:
    """Whether ``message`` already names ``value`` as a word of its own (any case)."""
    pattern = rf"(?<![\w.]){re.escape(value)}(?![\w.])"
    return re.search(pattern, message, flags=re.IGNORECASE) is not None


def validation_problems(exc: ValidationError, given: object = None) -> str:
    """Pydantic validation errors as one line: ``key.path: message; ...``, each part capped.

    With ``given`` (the input validated), paths name only the input's keys: pydantic also names
    each member of a union it tried (``constrained-float``, ``dict[int,...]``, a validator
    chain) and says why each failed. Of one union's failures, those that got furthest into the
    input are kept, and a member of another type (``Input should be a valid dictionary`` for a
    number) is left out where another member says what is wrong with the value.

    Example:
        >>> from typing import Annotated
        >>> from pydantic import BaseModel, Field
        >>> class M(BaseModel):
        ...     price: Annotated[float, Field(ge=0)] | dict[int, float]
        >>> try:
        ...     M.model_validate({"price": -1})
        ... except ValidationError as exc:
        ...     print(validation_problems(exc, {"price": -1}))
        price: Input should be greater than or equal to 0 (given -1)

    """
    found = [(e, *_input_path(e["loc"], given, e["type"] == "missing")) for e in exc.errors()]
    deepest: dict[tuple[object, ...], int] = {}
    for _, path, site in found:
        if site is not None:
            deepest[path[:site]] = max(deepest.get(path[:site], 0), len(path))
    lines: list[str] = []
    for err, path, site in found:
        if site is not None:
            rivals = [e["type"] for e, p, s in found if s is not None and p == path]
            if len(path) < deepest[path[:site]] or (
                err["type"].endswith("_type") and not all(t.endswith("_type") for t in rivals)
            ):
                continue
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "model_type":  # not "... instance of DatedParameter[Annotated[...": keys
            message = f"Input should be a mapping of keys, not {shorten(err['input'], 40)}"
        elif (shown := _given(err)) and not _says(message, str(err["input"])):
            message = f"{message} (given {shown})"
        # Messages of our own validators carry their advice at the end: room for it.
        line = f"{shorten('.'.join(map(str, path)) or '(top level)')}: {shorten(message, 300)}"
        lines += [line] if line not in lines else []
    return "; ".join(lines)


def _input_path(
    loc: tuple[int | str, ...], given: object, missing: bool
) -> tuple[tuple[int | str, ...], int | None]:
    """``loc``'s parts that are keys in ``given`` (all, without it); how many precede a union."""
    if given is None:
        return loc, None
    path: list[int | str] = []
    node, site = given, None
    for n, part in enumerate(loc):
        listed = isinstance(node, list | tuple) and isinstance(part, int) and 0 <= part < len(node)
        if listed or (isinstance(node, Mapping) and part in node):
            node = node[part]  # type: ignore[index]
        elif not (missing and n == len(loc) - 1):  # a missing key is not in the input
            site = len(path) if site is None else site
            continue
        path.append(part)
    return tuple(path), site
