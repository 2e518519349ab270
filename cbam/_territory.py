"""A regime's territory: the importing countries whose imports it charges.

Each regime charges only imports into its own territory (the EU CBAM imports into the EU, the
UK CBAM imports into the United Kingdom, the US bills imports into the United States). The
territory is data: ``territory:`` in ``rates/eu/regime.yaml`` and in each design file of
``rates/regimes/``, as dated country groups of ``country_lists/`` and ISO3 codes. A row whose
``destination`` lies outside it is kept, owes nothing, and says why in ``exemption_reason``;
a row without a destination (no column, or an empty cell) is charged as before.
"""

from __future__ import annotations

from collections.abc import Collection
from itertools import groupby

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cbam._countries import country_group, iso3_codes, members_in_year
from cbam._errors import ScenarioError
from cbam._parameters import Reference

UNION = "EUU"  # the EU reporting as one importer (Eurostat's EU27_2020); a destination only
# Every territory's reason starts so: one predicate then finds such rows in any regime's output.
OUTSIDE_REASON_PREFIX = "destination outside"


class Territory(BaseModel):
    """The importing countries a regime charges, and the reason printed on the others.

    Attributes:
        description: What the territory is, in words.
        groups: Dated country groups (``country_lists/<name>.csv``): members in the rules year.
        codes: ISO3 codes always inside (``EUU``: the EU reporting as one importer).
        reason: The ``exemption_reason`` of a row imported elsewhere.
        reference: The legal text that sets the territory.

    Example:
        >>> t = Territory(description="UK", codes=["GBR"], reason="destination outside the UK",
        ...               reference={"title": "Finance Act 2026 Part 5", "href": "https://x"})
        >>> sorted(t.members_by_year(2027, 2028).items())
        [((2027, 2028), frozenset({'GBR'}))]

    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str
    groups: list[str] = Field(default_factory=list)
    codes: list[str] = Field(default_factory=list)
    reason: str = Field(min_length=1)
    reference: Reference

    @model_validator(mode="after")
    def _complete(self) -> Territory:
        if not self.groups and not self.codes:
            raise ValueError("territory: give groups or codes")
        if not self.reason.startswith(OUTSIDE_REASON_PREFIX):
            raise ValueError(
                f"territory: reason must start with '{OUTSIDE_REASON_PREFIX}' (it marks rows "
                f"imported elsewhere in every report), not {self.reason[:80]!r}"
            )
        return self

    def members_by_year(self, first: int, last: int) -> dict[tuple[int, int], frozenset[str]]:
        """The members in each span of rules years with the same membership (first..last)."""

        def members(year: int) -> frozenset[str]:
            return frozenset(self.codes).union(*(members_in_year(g, year) for g in self.groups))

        spans: dict[tuple[int, int], frozenset[str]] = {}
        for group, run in groupby(range(first, last + 1), key=members):
            years = list(run)
            spans[(years[0], years[-1])] = group
        return spans


def outside(territory: Territory | None, first: int, last: int) -> pl.Expr:
    """True where a row's destination (``_c_dest``) is given and outside the territory.

    Membership is that of the row's rules year (``rules_year``), as for the regime's origin
    exclusions; a year without rules is left to the year check.
    """
    if territory is None:
        return pl.lit(False)
    destination = pl.col("_c_dest")
    inside = pl.lit(True)
    for (start, end), members in territory.members_by_year(first, last).items():
        in_span = pl.col("rules_year").is_between(start, end)
        inside = pl.when(in_span).then(destination.is_in(sorted(members))).otherwise(inside)
    return ((destination.fill_null("") != "") & ~inside).fill_null(False)


def imported_elsewhere(columns: Collection[str]) -> pl.Expr:
    """True for an output row imported outside its regime's territory (``compute``'s result).

    Such a row is not the regime's import: reports (``summarise``, ``compare``, ``cbam run``)
    leave it out of their totals and count it apart, and it is no revenue forgone by an
    exemption. False everywhere when the output has no ``destination`` column.

    Example:
        >>> import polars as pl
        >>> fees = pl.DataFrame({"destination": ["DEU", "USA"],
        ...     "exemption_reason": [None, "destination outside the EU customs territory"]})
        >>> fees.select(imported_elsewhere(fees.columns))["exemption_reason"].to_list()
        [False, True]

    """
    if "destination" not in columns or "exemption_reason" not in columns:
        return pl.lit(False)
    reason = pl.col("exemption_reason").cast(pl.String)
    return reason.str.starts_with(OUTSIDE_REASON_PREFIX).fill_null(False)


def territory_problems(territory: Territory) -> list[str]:
    """Names in ``territory`` that the country lists do not know (the model reads no file).

    A group file that is missing or malformed is one of them, named under ``territory.groups``.
    """
    problems = []
    for group in territory.groups:
        try:
            country_group(group)
        except ScenarioError as exc:  # named as the design's other faults are, with its file
            problems.append(f"territory.groups: {exc}")
    unknown = [c for c in territory.codes if c not in iso3_codes() | {UNION}]
    return [*problems, *([f"territory: unknown ISO3 codes {unknown}"] if unknown else [])]
