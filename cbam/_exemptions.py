"""Exemptions by country group: who is exempt, from when, and how much of the fee they still pay.

A scenario lists exemptions in order; the first group an origin belongs to decides. Membership
comes from dated group files (``country_lists/``, or a user's CSV or YAML), judged at the start,
the end, or on any day of the rules year, or on a fixed reference date; a grace period keeps a
graduated country exempt for some years; a phase-in charges a share of the fee that rises by year;
a threshold keeps the exemption only while the origin's share of the imports of that good stays
below a limit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import polars as pl
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from cbam._countries import (
    country_group,
    csv_line,
    file_lines,
    iso3_codes,
    member_dates,
    members_in_year,
    members_on,
    upper_ascii,
)
from cbam._errors import ScenarioError, shorten
from cbam._files import noted
from cbam._interop import read_csv
from cbam._parameters import Share, Whole, scheduled
from cbam._resources import data_dir, installed_copy
from cbam._yaml import read_yaml_mapping

FIRST_GROUP_YEAR = 1971  # GA resolution 2768 (XXVI), the first UN list of LDCs


def _not_a_number(value: Any) -> Any:
    """A day is a date, never a number (pydantic would read 0 as 1970-01-01, a timestamp)."""
    if isinstance(value, int | float):
        raise ValueError(
            "a date (YYYY-MM-DD) or start_of_year, end_of_year or any_day_of_year, not the "
            f"number {value!r}"
        )
    return value


Day = Annotated[dt.date, BeforeValidator(_not_a_number)]
StatusOn = Annotated[
    Literal["start_of_year", "end_of_year", "any_day_of_year"] | dt.date,
    BeforeValidator(_not_a_number),
]


class Exemption(BaseModel):
    """One exemption rule of a scenario.

    Attributes:
        group: A short name from ``country_lists/groups.yaml`` (``ldc``, ``sids``), a group file
            stem in ``country_lists/``, or a path to a CSV (``iso3`` and optional
            ``member_from``, ``member_to``) or YAML (a list of ISO3 codes, or ``members:`` with
            those keys) of the user's own.
        status_on: When membership is judged: ``start_of_year`` (1 January of the year
            judged: the import year, or the rules year under the scenario's
            ``exemption_status_year: rules``), ``end_of_year`` (31 December),
            ``any_day_of_year`` (a member on any day of it), or a fixed date.
        grace_years: Years a country stays exempt after leaving the group (graduating).
        fee_share_charged: Phase-in: rules year -> share of the fee still charged (a step
            function); ``None`` exempts fully.
        max_import_share: Exempt only while the origin's share of all imports of that CN code in
            the frame and import year is below this share (masses summed in whole grams, the
            share read to six decimals and compared exactly: ``rates/eu/exact_sums.yaml``).
        label: The name printed in ``exemption_reason`` (default: the group's label).

    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    group: str
    status_on: StatusOn = "start_of_year"
    grace_years: Annotated[Whole, Field(ge=0, le=100)] = 0
    fee_share_charged: dict[int, Share] | None = None
    max_import_share: Share | None = None
    label: str | None = None


class _Alias(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    files: list[str] = Field(min_length=1)
    label: str


@cache
def group_aliases() -> dict[str, _Alias]:
    """Short group names of ``country_lists/groups.yaml``."""
    raw = read_yaml_mapping(data_dir("country_lists") / "groups.yaml")
    return {str(k): _Alias.model_validate(v) for k, v in raw.items()}


_MEMBER_SCHEMA = {"iso3": pl.String, "member_from": pl.Date, "member_to": pl.Date}
_DESCRIPTIVE = ("name", "source", "note")  # columns of a group file that no rule reads


def _user_group(path: Path, looked: str = "") -> pl.DataFrame:
    if not noted(path).is_file():
        raise ScenarioError(f"country group file not found: {path}{looked}")

    def entry(i: int) -> str:
        return f"members entry {i + 1}"

    # Dates are read as text and checked by member_dates (file, line, column, value).
    as_text = dict.fromkeys(_MEMBER_SCHEMA, pl.String)
    place: Callable[[int], str] = csv_line
    if path.suffix.lower() == ".csv":
        frame = read_csv(path, "group file", schema_overrides=as_text)
        place = file_lines(path, frame.height)
    elif path.suffix.lower() in (".yaml", ".yml"):
        try:
            raw: Any = read_yaml_mapping(path).get("members")
        except ScenarioError as exc:  # a bare list, say
            raise ScenarioError(
                f"{exc} (a group YAML is a mapping: members: [ISO3, ...])"
            ) from None
        if raw is None:
            raise ScenarioError(f"{path}: a group YAML needs a 'members:' list")
        if not isinstance(raw, list):
            raise ScenarioError(f"{path}: 'members:' must be a list of ISO3 codes or mappings")
        rows = [{"iso3": r} if isinstance(r, str) else r for r in raw]
        odd = [i for i, r in enumerate(rows) if not isinstance(r, dict)]
        if odd:
            raise ScenarioError(f"{path}: {entry(odd[0])} is neither an ISO3 code nor a mapping")
        rows = [{k: None if v is None else str(v) for k, v in r.items()} for r in rows]
        try:
            frame = pl.DataFrame(rows, schema_overrides=as_text)
        except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
            raise ScenarioError(f"{path}: malformed members: {shorten(exc)}") from exc
        place = entry
    else:
        raise ScenarioError(f"{path}: a group file must be .csv or .yaml")
    if "iso3" not in frame.columns:
        raise ScenarioError(f"{path}: a group file needs an 'iso3' column")
    # A misspelt date column ('membr_to') would leave every member in the group for good.
    unknown_columns = [c for c in frame.columns if c not in (*_MEMBER_SCHEMA, *_DESCRIPTIVE)]
    if unknown_columns:
        raise ScenarioError(
            f"{path}: unknown column(s) {shorten(unknown_columns)}: a group file has iso3, "
            f"member_from and member_to, and may describe its rows in {', '.join(_DESCRIPTIVE)}"
        )
    frame = member_dates(frame, path, place)
    frame = frame.with_columns(upper_ascii(pl.col("iso3").str.strip_chars()))
    known = iso3_codes()
    faults = [  # a group file is a short list: each fault by its line
        f"{place(i)}: iso3 {shorten(repr(code), 40) if code else 'empty'}"
        for i, code in enumerate(frame["iso3"].fill_null(""))
        if code not in known
    ]
    if faults:
        more = f" and {len(faults) - 5} more" if len(faults) > 5 else ""
        raise ScenarioError(
            f"{path}: unknown or missing ISO3 codes: {', '.join(faults[:5])}{more} (give "
            "ISO 3166-1 alpha-3 codes, such as KEN)"
        )
    return frame.select("iso3", "member_from", "member_to")


def is_group_file(spec: str) -> bool:
    """Whether a group is named by a file of the user's, not by a name of ``country_lists/``."""
    return spec.endswith((".csv", ".yaml", ".yml")) or "/" in spec


def group_members(spec: str, base_dir: Path | None) -> tuple[pl.DataFrame, str]:
    """Members (``iso3, member_from, member_to``) and label of an exemption's group."""
    aliases = group_aliases()
    if spec in aliases:
        alias = aliases[spec]
        frames = [country_group(f).select(*_MEMBER_SCHEMA) for f in alias.files]
        return pl.concat(frames), alias.label
    if is_group_file(spec):
        path = Path(spec)
        looked = ""
        if not path.is_absolute() and base_dir is not None:
            looked = f" (looked beside the scenario, in {base_dir}, then in the current folder)"
            # Noted even when missing: one made there later takes precedence.
            path = base_dir / path if noted(base_dir / path).is_file() else path
        if not noted(path).is_file() and (copy := installed_copy(spec)) is not None:
            path = copy  # country_lists/... outside a checkout: the copy installed with cbam
        return _user_group(path, looked), path.stem
    return country_group(spec).select(*_MEMBER_SCHEMA), spec


def excluded_origins(
    groups: Sequence[str],
    reasons: Mapping[str, str],
    year: int,
    seen: set[str],
    base_dir: Path | None = None,
) -> list[tuple[str, str]]:
    """(ISO3, reason) of the origins outside a regime in ``year``, every regime's way.

    The first of ``groups`` an origin belongs to (on 1 January) decides; ``reasons`` holds the
    regime's own reason for each group it lists, and another group (a scenario's
    ``excluded_origin_groups``, a group file of the user's too, found as an exemption's is
    from ``base_dir``) is named as such. Origins in ``seen`` (home origins, earlier groups) are
    skipped; those found are added to it.

    Example:
        >>> excluded_origins(["eu27"], {}, 2027, set())[:2]
        [('AUT', "excluded origin group 'eu27'"), ('BEL', "excluded origin group 'eu27'")]

    """
    found: list[tuple[str, str]] = []
    day = dt.date(year, 1, 1)
    for group in groups:
        if not is_group_file(group):
            members, name = members_in_year(group, year), group
        else:
            frame, name = group_members(group, base_dir)
            members = members_on(frame, day)
        reason = reasons.get(group, f"excluded origin group '{name}'")
        for iso3 in sorted(members - seen):
            found.append((iso3, reason))
            seen.add(iso3)
    return found


def _shift(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _status(members: pl.DataFrame, year: int, rule: Exemption) -> dict[str, str]:
    """ISO3 -> 'member' or 'grace' in ``year`` under the rule's date and grace period."""
    if isinstance(rule.status_on, dt.date):
        first = last = rule.status_on
    elif rule.status_on == "start_of_year":
        first = last = dt.date(year, 1, 1)
    elif rule.status_on == "end_of_year":
        first = last = dt.date(year, 12, 31)
    else:
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    status: dict[str, str] = {}
    for iso3, start, end in members.iter_rows():
        if start is not None and start > last:
            continue
        if end is None or first < end:
            status[iso3] = "member"
        elif rule.grace_years and first < _shift(end, rule.grace_years):
            status.setdefault(iso3, "grace")
    return status


def idle_rules(
    rules: Sequence[Exemption],
    years: range,
    never_relieved: set[str],
    base_dir: Path | None,
    relieves: Callable[[Exemption, int], bool] = lambda rule, year: True,
) -> list[int]:
    """Indexes of ``rules`` that relieve no origin in any of ``years``, so change no fee.

    An origin in ``never_relieved`` (outside the regime in every rules year) is relieved by
    none; an origin an earlier rule holds in a year is that rule's, as in ``relief_table``,
    whether or not that rule relieves anything in the year (``relieves``: its phase-in charges
    less than the whole fee then).
    """
    loaded = [(rule, group_members(rule.group, base_dir)[0]) for rule in rules]
    used: set[int] = set()
    for year in years:
        seen = set(never_relieved)
        for index, (rule, group) in enumerate(loaded):
            fresh = _status(group, year, rule).keys() - seen
            if fresh and relieves(rule, year):
                used.add(index)
            seen |= fresh
    return [i for i in range(len(rules)) if i not in used]


def _phase_in_reason(label: str, share: float) -> str:
    """The reason a row's fee is reduced: the share charged as given (0.5 %, 12.5 %, 99.9 %).

    In decimal, as the share's shortest form: 0.9999999 is 99.99999 %, never a rounded 100 %.

    Example:
        >>> _phase_in_reason("LDC", 0.9999999), _phase_in_reason("LDC", 1e-7)
        ('LDC, 99.99999% of fee charged (phase-in)', 'LDC, 0.00001% of fee charged (phase-in)')

    """
    if share == 0:
        return label
    percent = format((Decimal(repr(share)) * 100).normalize(), "f")
    return f"{label}, {percent}% of fee charged (phase-in)"


def relief_table(
    rules: list[Exemption], years: range, base_dir: Path | None, rules_years: range | None = None
) -> pl.DataFrame:
    """(origin, year) -> reason, share of the fee charged and import-share limit.

    ``year`` is the year membership is judged in; the first rule whose group holds the origin
    then decides. A phase-in's share follows the rules year: given ``rules_years`` (membership
    judged in another year, the import year), the table is keyed by ``rules_year`` too, else
    ``year`` is the rules year. A year whose share charged is 1 (or more) relieves nothing.
    """
    members: list[tuple[str, int, int, str]] = []
    loaded = [(rule, *group_members(rule.group, base_dir)) for rule in rules]
    for year in years:
        seen: set[str] = set()
        for index, (rule, group, _) in enumerate(loaded):
            for iso3, state in sorted(_status(group, year, rule).items()):
                if iso3 not in seen:
                    seen.add(iso3)
                    members.append((iso3, year, index, state))
    phases: list[tuple[int, str, int, str, float, float | None]] = []
    for index, (rule, _, group_label) in enumerate(loaded):
        label = rule.label or group_label
        states = {
            "member": label,
            "grace": f"{label} (graduated; within {rule.grace_years}-year grace period)",
        }
        for year in rules_years or years:
            share = scheduled(rule.fee_share_charged or {}, year) or 0.0
            if share < 1:
                for state, text in states.items():
                    reason = _phase_in_reason(text, share)
                    phases.append((index, state, year, reason, share, rule.max_import_share))
    by = ["_rule", "_state", "rules_year" if rules_years else "year"]
    member_frame = pl.DataFrame(
        members,
        schema={"origin": pl.String, "year": pl.Int32, "_rule": pl.Int32, "_state": pl.String},
        orient="row",
    )
    phase_frame = pl.DataFrame(
        phases,
        schema={
            "_rule": pl.Int32,
            "_state": pl.String,
            by[2]: pl.Int32,
            "reason": pl.String,
            "share": pl.Float64,
            "max_import_share": pl.Float64,
        },
        orient="row",
    )
    joined = member_frame.join(
        phase_frame, on=by[:2] if rules_years else by, how="inner", maintain_order="left"
    )
    keys = ["origin", "year", *(["rules_year"] if rules_years else [])]
    return joined.select(*keys, "reason", "share", "max_import_share")
