"""Revenue recycling: where the fee revenue goes, with every cent accounted for.

A plan is an ordered list of allocations, each sending a share of the total, of the remainder,
of what its recipients paid, or a fixed amount to a pool that its rule splits among recipients.
Money is counted in integer cents and every split is made by the largest-remainder method on
exact fractions (``apportion``), so each level sums exactly to the one above. The rules, the
errors and the "no eligible recipient" case are described in ``docs/guide/recycling.md``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cbam._countries import (
    failing_lines,
    file_lines,
    iso3_codes,
    members_on,
    upper_ascii,
    upper_ascii_text,
)
from cbam._errors import CbamInputError, InputProblem, ScenarioError, shorten, validation_problems
from cbam._exemptions import Day, group_members
from cbam._files import noted
from cbam._interop import read_csv
from cbam._parameters import Number, Whole
from cbam._resources import data_dir, is_path
from cbam._schema import (
    Check,
    collect_problems,
    currency_as_read,
    fees_as_polars,
    key_as_read,
    kind_ok,
    whole_as_read,
)
from cbam._territory import Territory, imported_elsewhere
from cbam._yaml import read_yaml_mapping

Rule = Literal["domestic", "proportional_to_paid", "proportional_to_index", "equal_per_country"]
Finite = Number


def plans_dir() -> Path:
    """The folder of bundled recycling plans (``rates/recycling/``)."""
    return data_dir("rates") / "recycling"


class Allocation(BaseModel):
    """One entry of a recycling plan.

    Attributes:
        pool: The recipient pool's name, printed in the outputs (``EU budget``).
        share: A share between 0 and 1 (a number, or a fraction written ``"1/3"``) of ``of``.
        of: What ``share`` is a share of: ``total`` revenue, the ``remainder`` left by the
            allocations before this one, or what this pool's recipients paid
            (``paid_by_recipients``, with ``proportional_to_paid`` only: a return to origin).
        amount_eur: A fixed amount instead of a share (rounded to the cent, half to even).
        rule: How the pool is split: ``domestic``, ``proportional_to_paid``,
            ``proportional_to_index`` or ``equal_per_country``.
        recipient: The recipient of a ``domestic`` pool (default: the pool's name).
        group: Country group(s) that may receive: a short name of ``country_lists/groups.yaml``
            (``ldc``, ``sids``), a group file stem, or a path to a user's group CSV or YAML.
        countries: ISO3 codes that may receive, added to the group's members.
        index: For ``proportional_to_index``: a table name (``rates/recycling/index/NAME.csv``),
            a path to a CSV with columns ``iso3`` and ``value``, or an inline ISO3 -> value map.
        basis: What counts as paid for ``proportional_to_paid`` and ``paid_by_recipients``:
            ``fee_eur`` (what was charged) or ``fee_before_exemptions_eur`` (what would have
            been charged without the exemptions, so that exempt countries count too).
        status_on: The day group membership is judged (default: 1 January of the latest
            ``year`` in the fees).
        if_no_recipient: ``error`` (default) or ``carry``: leave the money to a later
            ``share: 1`` of the remainder.
        years: The first and last year of the revenue the allocation takes (a fund of limited
            life); none for every year. Fees of other years pass it by: its money stays in the
            remainder.
        note: Free text, e.g. the source of the share.

    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    pool: str = Field(min_length=1)
    share: Finite | str | None = None
    of: Literal["total", "remainder", "paid_by_recipients"] = "total"
    amount_eur: Finite | None = None
    rule: Rule = "domestic"
    recipient: str | None = None
    group: str | list[str] | None = None
    countries: list[str] | None = None
    index: str | dict[str, Finite] | None = None
    basis: Literal["fee_eur", "fee_before_exemptions_eur"] = "fee_eur"
    status_on: Day | None = None
    if_no_recipient: Literal["error", "carry"] = "error"
    years: tuple[Whole, Whole] | None = None
    note: str | None = None

    @property
    def country_codes(self) -> set[str]:
        """The ``countries`` as the rules read a code: ' moz' is MOZ."""
        return {upper_ascii_text(c.strip()) for c in self.countries or []}

    @property
    def groups(self) -> list[str]:
        """The group specs as a list."""
        if self.group is None:
            return []
        return [self.group] if isinstance(self.group, str) else list(self.group)

    @property
    def share_fraction(self) -> Fraction | None:
        """The share as an exact fraction of the decimal written (0.75 -> 3/4)."""
        if self.share is None:
            return None
        try:
            if isinstance(self.share, str):
                text = self.share.strip()
                if text.endswith("%"):
                    return Fraction(text[:-1].strip()) / 100
                return Fraction(text)
            return Fraction(repr(self.share))
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError(f"share '{self.share}' is not a number or fraction") from exc

    def amount_cents(self) -> int | None:
        """The fixed amount in cents, rounded half to even."""
        if self.amount_eur is None:
            return None
        # Exact at any size (a Decimal quantize fails past 28 digits): round() is half to even.
        return round(Fraction(repr(self.amount_eur)) * 100)


def _eur(cents: Fraction | int) -> str:
    """An amount of cents as euros, to the cent; past a quadrillion in four figures.

    Example:
        >>> _eur(123456), _eur(Fraction(10) ** 302)
        ('EUR 1,234.56', 'EUR 1e+300')

    """
    euros = float(cents) / 100
    return f"EUR {euros:,.2f}" if abs(euros) < 1e15 else f"EUR {euros:.4g}"


def _where(plan: str, number: int, entry: Allocation) -> str:
    return f"recycling plan '{plan}', allocation {number} ('{entry.pool}')"


def _pct(value: Fraction) -> str:
    return f"{float(value) * 100:.6g} %"


def _check_entry(plan: str, number: int, entry: Allocation) -> None:
    """Static checks of one allocation; raise ValueError naming it."""
    where = _where(plan, number, entry)
    if (entry.share is None) == (entry.amount_eur is None):
        raise ValueError(f"{where}: give either 'share' or 'amount_eur'")
    try:
        share = entry.share_fraction
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    if share is not None and share < 0:
        raise ValueError(f"{where}: negative share {entry.share}")
    if share is not None and share > 1:
        raise ValueError(f"{where}: share {entry.share} is over 100 % of the {entry.of}")
    if entry.amount_eur is not None:
        if entry.amount_eur < 0:
            raise ValueError(f"{where}: negative amount_eur {entry.amount_eur}")
        if entry.of != "total":
            raise ValueError(f"{where}: 'of' applies to a share, not to amount_eur")
    if entry.of == "paid_by_recipients" and entry.rule != "proportional_to_paid":
        raise ValueError(f"{where}: 'of: paid_by_recipients' needs rule proportional_to_paid")
    if entry.rule == "domestic":
        extra = [k for k in ("group", "countries", "index") if getattr(entry, k) is not None]
        if extra:
            raise ValueError(f"{where}: a domestic pool has one recipient; remove {extra}")
    elif entry.recipient is not None:
        raise ValueError(f"{where}: 'recipient' names a domestic pool's recipient only")
    if entry.rule == "proportional_to_index" and entry.index is None:
        raise ValueError(f"{where}: rule proportional_to_index needs an 'index' table")
    if entry.rule != "proportional_to_index" and entry.index is not None:
        raise ValueError(f"{where}: 'index' applies to rule proportional_to_index only")
    if entry.rule == "equal_per_country" and not entry.groups and not entry.countries:
        raise ValueError(f"{where}: rule equal_per_country needs a 'group' or 'countries'")
    unknown = sorted(entry.country_codes - iso3_codes())
    if unknown:
        raise ValueError(f"{where}: unknown recipient country codes {unknown}")
    for spec in entry.groups:
        if not is_path(spec):
            try:
                group_members(spec, None)
            except ScenarioError as exc:
                raise ValueError(f"{where}: unknown recipient group: {exc}") from exc
    if isinstance(entry.index, dict) or (entry.index is not None and not is_path(entry.index)):
        try:  # an inline or bundled table is checked now; a file, when the plan is applied
            _index(entry.index, None)
        except ScenarioError as exc:
            raise ValueError(f"{where}: {exc}") from exc


def _takes_remainder(entry: Allocation) -> bool:
    return entry.of == "remainder" and entry.share_fraction == 1


class RecyclingPlan(BaseModel):
    """A validated recycling plan: metadata and ordered allocations.

    A scenario's ``recycling:`` key holds a plan inline, or the name of a bundled plan
    (``rates/recycling/NAME.yaml``; ``cbam.list_recycling_plans()``) or a path to a plan file.

    Attributes:
        name: Short name, printed in outputs.
        description: One line on what the plan models.
        status: ``law``, ``proposal`` (a published proposal, not adopted) or ``option`` (a policy
            option without a formal proposal, or a user's plan).
        sources: Where the plan and its shares come from.
        allocations: The allocations, applied in order.
        source: The file the plan was read from, for the record; relative paths in the plan
            (group files, index tables) are read from its folder.

    Example:
        >>> plan = load_plan("eu-own-resources")
        >>> [(a.pool, a.share) for a in plan.allocations], plan.status
        ([('EU budget', 0.75), ("Member States' budgets", 1.0)], 'proposal')

    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = "recycling plan"
    description: str = ""
    status: Literal["law", "proposal", "option"] = "option"
    sources: list[str] = Field(default_factory=list)
    allocations: list[Allocation] = Field(min_length=1)
    source: str | None = None

    @model_validator(mode="after")
    def _balanced(self) -> RecyclingPlan:
        # The revenue left after each allocation is alpha * total - (amounts that depend on
        # the data); the plan must leave nothing, whatever the total.
        alpha, pending = Fraction(1), False
        count = len(self.allocations)
        for number, entry in enumerate(self.allocations, start=1):
            _check_entry(self.name, number, entry)
            where = _where(self.name, number, entry)
            share = entry.share_fraction
            if entry.years is not None and entry.years[0] > entry.years[1]:
                raise ValueError(f"{where}: years {list(entry.years)}: the first is after the last")
            if entry.years is not None and not any(
                _takes_remainder(later) for later in self.allocations[number:]
            ):
                raise ValueError(
                    f"{where}: an allocation of some years only needs a later allocation of "
                    "'share: 1, of: remainder' to take its money in the other years"
                )
            if entry.if_no_recipient == "carry" and not any(
                _takes_remainder(later) for later in self.allocations[number:]
            ):
                raise ValueError(
                    f"{where}: 'if_no_recipient: carry' needs a later allocation of "
                    "'share: 1, of: remainder' to take the money it leaves"
                )
            if share is not None and entry.of == "total":
                if share > alpha:
                    raise ValueError(
                        f"{where}: takes {_pct(share)} of the total revenue, but only "
                        f"{_pct(alpha)} remains: shares of the total add up to over 100 %"
                    )
                alpha -= share
            elif share is not None and entry.of == "remainder":
                alpha *= 1 - share
                pending = pending and share < 1
            else:  # a fixed amount or a return of what recipients paid
                pending = True
            if number == count and alpha == 0 and pending:
                raise ValueError(
                    f"{where}: shares of the total add up to 100 % beside a fixed amount or a "
                    "return of what recipients paid, so the plan allocates more than the "
                    "revenue; take what is left with 'share: 1, of: remainder'"
                )
            if number == count and (alpha > 0 or pending):
                left = f"{_pct(alpha)} of the revenue" if alpha > 0 else "revenue"
                raise ValueError(
                    f"{where}: the plan leaves {left} unallocated after its last allocation; "
                    "make the shares of the total add up to 100 % or end with an allocation "
                    "of 'share: 1, of: remainder'"
                )
        return self

    def base_dir(self) -> Path | None:
        """The folder relative paths in the plan are read from (its file's), if any."""
        return Path(self.source).parent if self.source else None


def read_plan(name_or_path: str | Path) -> dict[str, Any]:
    """A bundled plan (by name) or a plan file, as a raw mapping with its ``source``."""
    text = str(name_or_path)
    if is_path(text):
        path = Path(text)
    else:
        path = plans_dir() / f"{text}.yaml"
        if not path.is_file():
            known = ", ".join(list_recycling_plans())
            raise ValueError(
                f"unknown recycling plan '{text}' (bundled: {known}; or give a YAML path)"
            )
    raw = read_yaml_mapping(path)
    raw.setdefault("name", path.stem)
    raw["source"] = str(path)
    return raw


def list_recycling_plans() -> dict[str, str]:
    """Bundled recycling plans with their status and one-line descriptions.

    Example:
        >>> list_recycling_plans()["eu-own-resources"].startswith("proposal:")
        True

    """
    result: dict[str, str] = {}
    for path in sorted(plans_dir().glob("*.yaml")):
        raw = read_yaml_mapping(path)
        description = str(raw.get("description", "")).strip()
        result[path.stem] = f"{raw.get('status', 'option')}: {description}"
    return result


def load_plan(plan: RecyclingPlan | str | Path | dict[str, Any]) -> RecyclingPlan:
    """A recycling plan from a bundled name, a YAML path, a mapping, or a plan.

    Raises:
        ScenarioError: unknown plan, malformed file, or a plan that does not validate, naming
            the allocation at fault.

    """
    if isinstance(plan, RecyclingPlan):
        return plan
    try:
        raw = read_plan(plan) if isinstance(plan, str | Path) else plan
    except ValueError as exc:
        raise ScenarioError(f"invalid recycling plan: (plan): {shorten(exc, 400)}") from exc
    try:
        return RecyclingPlan.model_validate(raw)
    except ValidationError as exc:
        source = raw.get("source") if isinstance(raw, Mapping) else None
        where = f"{source}: " if source else ""
        problems = validation_problems(exc, raw)
        raise ScenarioError(f"{where}invalid recycling plan: {problems}") from None


# --- index tables -------------------------------------------------------------------------


def _index_from_mapping(mapping: dict[str, float]) -> dict[str, Fraction]:
    spellings: dict[str, list[str]] = {}
    for key in mapping:
        spellings.setdefault(upper_ascii_text(str(key).strip()), []).append(str(key))
    twice = [" and ".join(map(repr, s)) for s in spellings.values() if len(s) > 1]
    if twice:  # MOZ: 1 and moz: 3, a country twice: which value holds?
        raise ScenarioError(f"index table: a country given twice ({'; '.join(twice)}): keep one")
    table = {upper_ascii_text(str(k).strip()): v for k, v in mapping.items()}
    unknown = sorted(set(table) - iso3_codes())
    if unknown:
        raise ScenarioError(f"index table: unknown ISO3 codes {unknown}")
    bad = {k: v for k, v in table.items() if not math.isfinite(v) or v < 0}
    if bad:
        raise ScenarioError(f"index table: values must be finite and >= 0, not {bad}")
    # As written, as shares are (0.3 is 3/10, not the binary float): the same proportions in
    # other units give the same cents, and ties break as documented.
    return {k: Fraction(repr(float(v))) for k, v in table.items()}


def _index_from_csv(path: Path) -> dict[str, Fraction]:
    if not noted(path).is_file():
        raise ScenarioError(f"index table not found: {path}")
    texts = {"iso3": pl.String, "value": pl.String}
    frame = read_csv(path, "index table", schema_overrides=texts)
    missing = [c for c in ("iso3", "value") if c not in frame.columns]
    if missing:
        raise ScenarioError(f"{path}: an index table needs columns iso3 and value; lacks {missing}")
    place = file_lines(path, frame.height)
    codes = upper_ascii(pl.col("iso3").str.strip_chars())
    text = pl.col("value").str.strip_chars()
    value = text.cast(pl.Float64, strict=False).alias("value")
    checks = [
        ("iso3", codes.fill_null("") == "", "empty"),
        ("value", text.fill_null("") == "", "empty"),
        ("iso3", ~codes.is_in(sorted(iso3_codes())), "not an ISO3 code"),
        ("iso3", codes.is_duplicated(), "a country given twice (keep one)"),
        ("value", ~value.is_finite().fill_null(False) | (value < 0), "not a finite number >= 0"),
    ]
    for column, bad, message in checks:
        if frame.select(bad.fill_null(False).any()).item():
            shown = failing_lines(frame, bad.fill_null(False), column, place)
            raise ScenarioError(f"{path}: index table, column {column}: {message}: {shown}")
    table = frame.select(codes, value)
    return _index_from_mapping(dict(zip(table["iso3"], table["value"], strict=True)))


@cache
def _bundled_index(name: str) -> dict[str, Fraction]:
    path = plans_dir() / "index" / f"{name}.csv"
    if not path.is_file():
        folder = plans_dir() / "index"
        known = sorted(p.stem for p in folder.glob("*.csv")) if folder.is_dir() else []
        raise ScenarioError(
            f"unknown index table '{name}': cbam bundles {known or 'no index tables'} (no cited "
            "population or GDP table in its reference data yet); give a CSV path with columns "
            "iso3 and value, or an inline mapping ISO3 -> value"
        )
    return _index_from_csv(path)


def _index(spec: str | dict[str, float], base_dir: Path | None) -> dict[str, Fraction]:
    if isinstance(spec, dict):
        return _index_from_mapping(spec)
    if not is_path(spec):
        return _bundled_index(spec)
    path = Path(spec)
    if not path.is_absolute() and base_dir is not None and (base_dir / path).is_file():
        path = base_dir / path
    return _index_from_csv(path)


# --- exact splitting ----------------------------------------------------------------------


def apportion(total: int, weights: Sequence[Fraction | int]) -> list[int]:
    """Split ``total`` cents in proportion to ``weights`` by the largest-remainder method.

    Each part gets its exact quota rounded down; the cents left over go one each to the
    largest fractional parts, the earlier part first on a tie. The parts sum to ``total``
    exactly and each lies within one cent of its quota.

    Example:
        >>> apportion(10, [1, 1, 1])
        [4, 3, 3]
        >>> apportion(186666666667, [Fraction(3, 4), Fraction(1, 4)])
        [140000000000, 46666666667]

    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("apportion needs a total and weights >= 0")
    whole = sum(weights, Fraction(0))
    if whole == 0:
        if total == 0:
            return [0] * len(weights)
        raise ValueError("cannot split a positive total by weights that are all zero")
    quotas = [Fraction(total) * w / whole for w in weights]
    parts = [math.floor(q) for q in quotas]
    left = total - sum(parts)
    order = sorted(range(len(quotas)), key=lambda i: (parts[i] - quotas[i], i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def _to_cents(value: Fraction) -> int:
    return round(value * 100)  # exact, half to even


# --- recycle ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recycling:
    """Where the revenue of a ``compute`` result goes under a recycling plan.

    Attributes:
        plan: The plan applied.
        total_eur: Total revenue, the sum of ``fee_eur`` rounded to the cent.
        total_cents: The same in integer cents.
        pools: One row per allocation: ``allocation`` (1-based), ``pool``, ``rule``,
            ``recipients`` (count), ``amount_eur``, ``amount_cents``, ``carried`` (the pool had
            no eligible recipient and left its money to the remainder).
        flows: One row per pool and recipient: ``allocation``, ``pool``, ``rule``,
            ``recipient`` (ISO3, or a domestic recipient's name), ``amount_eur``,
            ``amount_cents``.
        balance: One row per country (every origin in the fees and every country that
            receives): ``origin``, ``paid_eur``, ``received_eur``, ``net_eur`` (received less
            paid: negative for a net payer), and the same in cents. Domestic pools are not
            countries and appear only in ``pools`` and ``flows``.

    """

    plan: RecyclingPlan
    total_eur: float
    total_cents: int
    pools: pl.DataFrame
    flows: pl.DataFrame
    balance: pl.DataFrame


def _fee_checks(column: str) -> list[Check]:
    value = pl.col(column).cast(pl.Float64, strict=False)
    return [
        Check(
            column,
            "null or not a number (a row flagged by on_error='flag': fix or drop it first)",
            value.is_null(),
            pl.col(column),
        ),
        Check(column, "not a finite number", value.is_nan() | value.is_infinite(), pl.col(column)),
        Check(column, "negative", value < 0, pl.col(column)),
        Check(
            column,
            "too large to count in 64-bit cents",
            value.is_finite() & (value.abs() > _MAX_EUR),
            pl.col(column),
        ),
    ]


# Amounts are held in Int64 cents; a total must stay below 2**63 cents.
_MAX_CENTS = 2**63 - 1
_MAX_EUR = _MAX_CENTS / 100


def _paid_cents(frame: pl.DataFrame, column: str) -> tuple[int, dict[str, int]]:
    """Total revenue in cents (rounded half to even) and each origin's share of it.

    Raises:
        CbamInputError: a total too large to hold in 64-bit cents.

    """
    # Each origin's fees summed exactly (as summarise sums them: whole 2^-60 units up to 2^40,
    # 2^-12 units up to 2^90, the rest as fractions), so the total's cents depend neither on
    # the rows' order nor on which origin a row belongs to.
    amount = pl.col(column).cast(pl.Float64)
    size = amount.abs()
    small = (size < 2.0**40) & ((size >= 2.0**-40) | (amount == 0))
    large = (size >= 2.0**40) & (size < 2.0**90)
    by_origin = (
        frame.group_by("origin")
        .agg(
            (pl.when(small).then(amount) * 2.0**60).round().cast(pl.Int128).sum().alias("_s"),
            (pl.when(large).then(amount) * 2.0**12).round().cast(pl.Int128).sum().alias("_l"),
            pl.when(~small & ~large).then(amount).drop_nulls().alias("_r"),
        )
        .sort("origin")
    )
    origins: list[str] = by_origin["origin"].to_list()
    exact = [
        Fraction(int(units), 2**60) + Fraction(int(large_units), 2**12) + sum(map(Fraction, rest))
        for units, large_units, rest in by_origin.select("_s", "_l", "_r").iter_rows()
    ]
    total = _to_cents(sum(exact, Fraction(0)))
    if total > _MAX_CENTS:
        message = f"the total, EUR {total / 100:,.0f}, is too large to count in 64-bit cents"
        raise CbamInputError([InputProblem(column, message, 0)], hint=None, data="fee table")
    return total, dict(zip(origins, apportion(total, exact), strict=True))


def _from_within(frame: pl.DataFrame, territory: Territory | None) -> pl.Expr:
    """Rows whose origin lies in the regime's own territory, on 1 January of the row's year."""
    if territory is None:
        return pl.lit(False)
    within = pl.col("origin").is_in(sorted(territory.codes))
    years = frame["year"].drop_nulls().unique().to_list() if "year" in frame.columns else []
    for year in years:
        members = sorted(_members_on(territory.groups, dt.date(int(year), 1, 1), None))
        within = within | ((pl.col("year") == year) & pl.col("origin").is_in(members))
    return within


def _members_on(specs: list[str], day: dt.date, base_dir: Path | None) -> set[str]:
    found: set[str] = set()
    for spec in specs:
        members, _ = group_members(spec, base_dir)
        found |= members_on(members, day)
    return found


def _outside_years(plan: RecyclingPlan, fees: pl.DataFrame) -> set[int]:
    """The positions of the allocations whose ``years`` the fees' years all fall outside.

    Such an allocation takes nothing; it keeps its place (and number) in the plan.

    Raises:
        ScenarioError: fees of years both inside and outside an allocation's years, or with
            no year, which could be split only by year (``cbam run --recycling`` does so).

    """
    if all(a.years is None for a in plan.allocations) or fees.is_empty():
        return set()  # no fees: no revenue, whichever years the allocations take
    given = fees["year"] if "year" in fees.columns else pl.Series([None])
    years = sorted(given.drop_nulls().unique().to_list())
    outside = set()
    for at, entry in enumerate(plan.allocations):
        if entry.years is None:
            continue
        first, last = entry.years
        inside = [first <= int(y) <= last for y in years]
        where = f"{_where(plan.name, at + 1, entry)}: it takes the revenue of {first}-{last} only"
        if "year" in fees.columns and given.null_count():  # a row of no year: in or out?
            rows = given.is_null().arg_true().head(5).to_list()
            raise ScenarioError(
                f"{where}, and {given.null_count():,} fee row(s) have no year (row(s) "
                f"{', '.join(str(r + 1) for r in rows)}): give each row its year"
            )
        if given.null_count() or len(set(inside)) != 1:  # no year, or some in and some out
            raise ScenarioError(
                f"{where}, and the fees' years are "
                f"{shorten(years) if years else 'not given'}: recycle each year's fees on their "
                "own (cbam run --recycling does), or give a 'year' column"
            )
        if not inside[0]:
            outside.add(at)
    return outside


def recycle(
    fees: pl.DataFrame | pl.LazyFrame,
    plan: RecyclingPlan | str | Path | dict[str, Any],
    *,
    base_dir: Path | None = None,
    territory: Territory | None = None,
    currency: str | None = None,
) -> Recycling:
    """Allocate the revenue of a ``compute`` result under a recycling plan.

    ``cbam.recycle`` finds the plan of a scenario (``cbam._api``); this takes the plan itself.

    Args:
        fees: As for ``cbam.recycle``.
        plan: The plan (bundled name, YAML path, mapping or RecyclingPlan).
        base_dir: Where relative paths in a plan without a file of its own are read from (a
            plan inline in a scenario: the scenario's folder).
        territory: The regime's own territory: a group's members inside it on the membership
            day (Guadeloupe, a SIDS and an outermost region of the EU) receive nothing as a
            group's member; a country named in ``countries`` still does.
        currency: The regime's own currency: fees whose ``currency`` column names another
            are another regime's revenue (UK CBAM fees in an EU plan), refused.

    Returns:
        A ``Recycling``, as ``cbam.recycle`` does; it raises the same errors.

    Example:
        >>> fees = pl.DataFrame({"origin": ["TUR", "CHN"], "fee_eur": [600.0, 400.0]})
        >>> recycle(fees, "eu-own-resources").total_eur
        1000.0

    """
    applied = load_plan(plan)
    if applied.source:
        base_dir = applied.base_dir()

    # The amounts read, typed as compute types them (a CSV read back); other columns unread.
    frame = fees_as_polars(fees, reads=("fee_eur", "fee_before_exemptions_eur")).collect()
    if currency is not None and "currency" in frame.columns:
        codes = frame.select(currency_as_read())["currency"].drop_nulls()
        others = sorted(set(codes) - {currency.upper()})
        if others:
            raise ScenarioError(
                f"recycle: fees in {', '.join(others)} are another regime's revenue, not that "
                f"of this plan's regime (in {currency}; a plan alone is the EU CBAM's): "
                "recycle each regime's fees under its own scenario, "
                "cbam.recycle(fees, 'uk-cbam', plan=...)"
            )
    # A year is a number or its text (a categorical's text too); 'origin' an ISO3 text. Another
    # type (a date, a list, true/false) holds no year compute writes: named, never read as one.
    if "year" in frame.columns and isinstance(frame.schema["year"], pl.Categorical | pl.Enum):
        frame = frame.with_columns(pl.col("year").cast(pl.String))
    typed = [
        InputProblem(c, f"has dtype {frame.schema[c]}, which cannot hold it", 0)
        for c in ("origin", "year")
        if c in frame.columns and not kind_ok(c, frame.schema[c])
    ]
    if typed:
        raise CbamInputError(typed, hint=None, data="fee table")
    given = frame
    # Keys as the rules read them: 'tur' is TUR, a year '2026.0' is 2026 (2027.5 is none).
    frame = frame.with_columns(
        key_as_read("origin") if c == "origin" else whole_as_read(c, given.schema).alias(c)
        for c in ("origin", "year")
        if c in frame.columns
    )
    needed = {"origin", "fee_eur"}
    if any(a.basis == "fee_before_exemptions_eur" for a in applied.allocations):
        needed.add("fee_before_exemptions_eur")
    missing = sorted(needed - set(frame.columns))
    if missing:
        problem = "missing column (recycle needs it)"
        missed = [InputProblem(c, problem, 0) for c in missing]
        raise CbamInputError(missed, hint=None, data="fee table")
    checks = [check for c in sorted(needed - {"origin"}) for check in _fee_checks(c)]
    # Each origin is a country that paid (and may be paid back), each year one compute writes:
    # an ISO2 'MZ' or a year '2O27' would be booked as no country or no year.
    origin, year = pl.col("_c_origin"), pl.col("_c_year")
    checks += [
        Check("origin", "null", origin.is_null(), pl.lit("null")),
        Check(
            "origin",
            "unknown ISO 3166-1 alpha-3 code",
            origin.is_not_null() & ~origin.is_in(sorted(iso3_codes())),
            pl.col("origin").cast(pl.String),
        ),
    ]
    if "year" in frame.columns:
        year_text = pl.col("year").cast(pl.String).str.strip_chars()
        unread = year_text.is_not_null() & (year_text != "") & year.is_null()
        checks.append(Check("year", "not a whole year", unread, year_text))
    keys = [pl.col(c).alias(f"_c_{c}") for c in ("origin", "year") if c in frame.columns]
    read = pl.concat([given, frame.select(keys)], how="horizontal")
    problems = collect_problems(read.with_row_index("_c_row"), checks)
    if problems:
        # recycle has no lenient mode: the rows must be fixed or dropped first.
        raise CbamInputError(problems, hint=None, data="fee table")

    outside = _outside_years(applied, frame)
    total, paid = _paid_cents(frame, "fee_eur")
    paid_basis = {"fee_eur": paid}
    if "fee_before_exemptions_eur" in needed:
        # What a row would have paid the regime: nothing where it was imported elsewhere, nor
        # where it came from the regime's own territory (an EU origin's goods are no imports).
        before = frame.with_columns(
            pl.when(imported_elsewhere(frame.columns) | _from_within(frame, territory))
            .then(0.0)
            .otherwise(pl.col("fee_before_exemptions_eur"))
            .alias("fee_before_exemptions_eur")
        )
        paid_basis["fee_before_exemptions_eur"] = _paid_cents(before, "fee_before_exemptions_eur")[
            1
        ]

    def membership_day(where: str, entry: Allocation) -> dt.date:
        if entry.status_on is not None:
            return entry.status_on
        if "year" not in frame.columns or frame["year"].drop_nulls().is_empty():
            what = "no 'year' column" if "year" not in frame.columns else "no rows with a year"
            raise ScenarioError(
                f"{where}: group membership is judged on "
                f"1 January of the fees' latest year, but the fees have {what}; set status_on"
            )
        return dt.date(int(frame["year"].drop_nulls().max()), 1, 1)  # type: ignore[arg-type]

    def recipients(where: str, entry: Allocation) -> dict[str, Fraction]:
        """Eligible recipients and their weights (> 0), in recipient order."""
        if entry.rule == "domestic":
            return {entry.recipient or entry.pool: Fraction(1)}
        if frame.is_empty():  # no fees, no revenue: no one to pay, no year to judge members by
            return {}
        allowed: set[str] | None = None
        if entry.groups or entry.countries:
            allowed = set(entry.country_codes)
            if entry.groups:
                day = membership_day(where, entry)
                members = _members_on(entry.groups, day, base_dir)
                if territory is not None:  # the regime's own territory is not abroad
                    members -= _members_on(territory.groups, day, None) | set(territory.codes)
                allowed |= members
        if entry.rule == "proportional_to_paid":
            basis = paid_basis[entry.basis]
            weights = {o: Fraction(c) for o, c in basis.items() if c > 0}
        elif entry.rule == "proportional_to_index":
            assert entry.index is not None
            table = _index(entry.index, base_dir)
            if allowed is not None:
                lacking = sorted(allowed - set(table))
                if lacking:
                    raise ScenarioError(
                        f"{where}: the index table has no value for {len(lacking)} "
                        f"eligible recipient(s): {', '.join(lacking[:10])}"
                        + (" and more" if len(lacking) > 10 else "")
                        + " (give each a value, 0 to leave it out)"
                    )
            weights = {k: v for k, v in table.items() if v > 0}
        else:
            assert allowed is not None
            weights = {c: Fraction(1) for c in allowed}
        if allowed is not None:
            weights = {k: v for k, v in weights.items() if k in allowed}
        return dict(sorted(weights.items()))

    exact: list[Fraction] = []
    eligible: list[dict[str, Fraction]] = []
    carried: list[bool] = []
    remaining = Fraction(total)
    for number, entry in enumerate(applied.allocations, start=1):
        where = _where(applied.name, number, entry)
        if number - 1 in outside:  # not this revenue's years: the pool holds nothing
            exact.append(Fraction(0))
            eligible.append({})
            carried.append(False)
            continue
        try:
            weights = recipients(where, entry)
        except ScenarioError as exc:
            text = str(exc)
            raise ScenarioError(text if text.startswith(where) else f"{where}: {text}") from exc
        share = entry.share_fraction
        fixed = entry.amount_cents()
        if fixed is not None:
            amount = Fraction(fixed)
        elif entry.of == "total":
            amount = Fraction(total) * (share or 0)
        elif entry.of == "remainder":
            amount = remaining * (share or 0)
        else:
            amount = sum(weights.values(), Fraction(0)) * (share or 0)
        skip = not weights and entry.if_no_recipient == "carry"
        if skip:
            amount = Fraction(0)
        if amount > remaining:
            raise ScenarioError(
                f"{where}: takes {_eur(amount)} but only {_eur(remaining)} of the "
                f"{_eur(total)} revenue remains"
            )
        if not weights and amount > 0:
            raise ScenarioError(
                f"{where}: has {_eur(amount)} to give and no eligible recipient "
                f"({_why_empty(entry)}); set 'if_no_recipient: carry' to leave it to a later "
                "allocation of the remainder"
            )
        remaining -= amount
        exact.append(amount)
        eligible.append(weights)
        carried.append(skip)

    pool_cents = apportion(total, exact) if total else [0] * len(exact)
    pool_rows: list[dict[str, object]] = []
    flow_rows: list[dict[str, object]] = []
    received: dict[str, int] = {}
    for number, (entry, cents, weights, skip) in enumerate(
        zip(applied.allocations, pool_cents, eligible, carried, strict=True), start=1
    ):
        pool_rows.append(
            {
                "allocation": number,
                "pool": entry.pool,
                "rule": entry.rule,
                "recipients": len(weights),
                "amount_eur": cents / 100,
                "amount_cents": cents,
                "carried": skip,
            }
        )
        # A pool without recipients holds 0 cents: apportion(0, []) gives no flow.
        for name, part in zip(weights, apportion(cents, list(weights.values())), strict=True):
            flow_rows.append(
                {
                    "allocation": number,
                    "pool": entry.pool,
                    "rule": entry.rule,
                    "recipient": name,
                    "amount_eur": part / 100,
                    "amount_cents": part,
                }
            )
            if entry.rule != "domestic":
                received[name] = received.get(name, 0) + part

    countries = sorted(set(paid) | set(received))
    by_country = pl.DataFrame(
        {
            "origin": countries,
            "paid": [paid.get(c, 0) for c in countries],
            "received": [received.get(c, 0) for c in countries],
        },
        schema={"origin": pl.String, "paid": pl.Int64, "received": pl.Int64},
    ).with_columns(net=pl.col("received") - pl.col("paid"))
    amounts = ("paid", "received", "net")
    balance = by_country.select(
        "origin",
        *[(pl.col(a) / 100).alias(f"{a}_eur") for a in amounts],
        *[pl.col(a).alias(f"{a}_cents") for a in amounts],
    ).sort(["paid_cents", "received_cents", "origin"], descending=[True, True, False])
    return Recycling(
        plan=applied,
        total_eur=total / 100,
        total_cents=total,
        pools=pl.DataFrame(pool_rows, schema=_POOL_SCHEMA),
        flows=pl.DataFrame(flow_rows, schema=_FLOW_SCHEMA).sort(
            ["allocation", "amount_cents", "recipient"], descending=[False, True, False]
        ),
        balance=balance,
    )


def _why_empty(entry: Allocation) -> str:
    listed = ", ".join([*entry.groups, *(entry.countries or [])])
    who = f"no country of {listed}" if listed else "no country"
    if entry.rule == "proportional_to_paid":
        return f"{who} paid anything ({entry.basis})"
    if entry.rule == "proportional_to_index":
        return f"{who} has a positive index value"
    return f"{listed} has no members on the membership day"


_POOL_SCHEMA = {
    "allocation": pl.Int32,
    "pool": pl.String,
    "rule": pl.String,
    "recipients": pl.Int32,
    "amount_eur": pl.Float64,
    "amount_cents": pl.Int64,
    "carried": pl.Boolean,
}
_FLOW_SCHEMA = {
    "allocation": pl.Int32,
    "pool": pl.String,
    "rule": pl.String,
    "recipient": pl.String,
    "amount_eur": pl.Float64,
    "amount_cents": pl.Int64,
}
