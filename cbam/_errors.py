"""Exceptions raised by cbam: one for bad import rows, one for bad scenarios and data files."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError


@dataclass(frozen=True)
class InputProblem:
    """One kind of problem found in an import frame.

    Attributes:
        column: The input column at fault.
        message: What is wrong, in words.
        count: How many rows have this problem.
        rows: The first offending row indices (0-based, in input order).
        values: The offending values on those rows, as text.

    """

    column: str
    message: str
    count: int
    rows: tuple[int, ...] = field(default_factory=tuple)
    values: tuple[str, ...] = field(default_factory=tuple)

    def describe(self, row_offset: int = 0, row_label: str = "row") -> str:
        """One line naming the column, the problem, the first values and rows."""
        shown = ", ".join(
            f"{row_label} {r + row_offset} ({v})"
            for r, v in zip(self.rows, self.values, strict=True)
        )
        more = f" and {self.count - len(self.rows)} more" if self.count > len(self.rows) else ""
        return f"column '{self.column}': {self.message}: {shown}{more}"


class CbamInputError(ValueError):
    """Import rows that cannot be computed; ``problems`` lists each kind of fault found."""

    def __init__(
        self,
        problems: list[InputProblem],
        source: str | None = None,
        row_offset: int = 0,
        row_label: str = "row",
        hint: str = "pass on_error='flag'",
    ) -> None:
        self.problems = problems
        self.source = source
        where = f"{source}: " if source else ""
        lines = [p.describe(row_offset, row_label) for p in problems]
        super().__init__(
            f"{where}invalid import data ({len(problems)} problem(s); {hint} to "
            "keep and flag such rows instead):\n  " + "\n  ".join(lines)
        )


class ScenarioError(ValueError):
    """A scenario or reference-data file that cannot be read or does not validate."""


def validation_problems(exc: ValidationError) -> str:
    """Pydantic validation errors as one line: ``key.path: message; ...``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
        for err in exc.errors()
    )
