"""The parameter explorer: one Markdown page per rule file in ``rates/`` and ``country_lists/``.

Pure functions (no MkDocs import), so tests can call them: ``build_pages()`` returns
``{page path: Markdown}`` for every rule file, an index and a navigation file. The site build
(``scripts/gen_docs.py``, run by the mkdocs-gen-files plugin) writes them, so the pages are
made from the data on every build and cannot drift from it.

A YAML file is read generically: every mapping with a ``value`` (or with a ``reference`` of its
own) is one value, dated by its ``from`` key or by year (and quarter) keys above it; its unit is
the nearest ``unit`` above it; ``assumption: true`` becomes a badge. Values of one series that
are numbers and change over time get a step chart (inline SVG, drawn here). A CSV file becomes a
table: in full up to ``FULL_TABLE_ROWS`` rows, else a summary of its columns and a searchable,
paged table (``docs/javascripts/tables.js``) over all its rows embedded as JSON.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
RULE_DIRS = ("rates", "country_lists")
FULL_TABLE_ROWS = 100
BADGE = '<span class="cbam-assumption" title="assumption: true in the file">assumption</span>'
URL = re.compile(r"https?://[^\s,;()<>\"']+[^\s,;()<>\"'.]")

# What a CSV without a reference column holds, and where its values come from: the reference
# is read from the YAML rule file that cites the same legal act (so a corrected link there shows
# here too) or named as a README beside the file.
_IR2621 = ("rates/eu/markup.yaml", ("values", 0, "reference"))
_IR2620 = ("rates/eu/benchmark_period.yaml", ("values", 0, "reference"))
_REG956 = ("rates/eu/regime.yaml", ("reference",))
CSV_NOTES: dict[str, tuple[str, str, tuple[str, tuple[Any, ...]] | None]] = {
    "rates/eu/default_values.csv": (
        "Default values by origin and CN code (IR (EU) 2025/2621 Annex I): base direct, indirect "
        "and total intensities and the published marked-up columns for 2026, 2027 and 2028 "
        "onwards (`markup_20xx`, used as published; `rates/eu/markup.yaml` says which applies). "
        "`status` says whether the cell holds a value or a dash ('–').",
        "t CO2e per t of good (per t of clinker for the clinker-based cement headings)",
        _IR2621,
    ),
    "rates/eu/benchmarks.csv": (
        "Free-allocation benchmarks by CN code, column (A: direct, B: cumulative with "
        "precursors), production route and period (IR (EU) 2025/2620 Annex).",
        "t CO2e per t of good",
        _IR2620,
    ),
    "rates/eu/goods.csv": (
        "The Annex I goods: CN code, sector, category and greenhouse gas.",
        "",
        _REG956,
    ),
    "rates/eu/markup_rule_exceptions.csv": (
        "Default-value cells whose published marked-up value differs from the base value times "
        "the nominal mark-up, with the decision taken (kept as published).",
        "t CO2e per t of good",
        _IR2621,
    ),
    "rates/eu/crosscheck_default_values.csv": (
        "Cells where the default-value table differs from a second transcription of "
        "IR (EU) 2025/2621 (see `rates/eu/README.md`).",
        "t CO2e per t of good",
        _IR2621,
    ),
    "rates/eu/crosscheck_benchmarks.csv": (
        "Cells where the benchmark table differs from a second transcription of "
        "IR (EU) 2025/2620 (see `rates/eu/README.md`).",
        "t CO2e per t of good",
        _IR2620,
    ),
    "rates/eu/cn_successors.csv": (
        "Retired Annex I CN codes and the codes of the CN in force that succeed them.",
        "",
        None,
    ),
    "rates/eu/aggregation_weights/eu_imports_from_usa_cn8_2022_2025.csv": (
        "CN8 trade weights for aggregate codes: the tonnage of EU imports from the US by CN8, "
        "2022-2025 (Eurostat Comext, CC BY 4.0; `rates/eu/aggregation_weights/README.md`).",
        "t (relative weights; normalised per prefix)",
        None,
    ),
    "rates/carbon_prices/instruments.csv": (
        "Carbon-pricing instruments abroad whose price can be deducted (Art. 9).",
        "",
        None,
    ),
    "rates/carbon_prices/prices.csv": (
        "Nominal prices of each instrument by year, in its own currency.",
        "local currency per t CO2e",
        None,
    ),
    "rates/carbon_prices/coverage.csv": (
        "Share of each CBAM sector's emissions an instrument covers, and the share given free "
        "or rebated (rows marked `assumption`).",
        "ratio",
        None,
    ),
    "rates/carbon_prices/fx.csv": (
        "Exchange rates used to convert prices and fees, by currency and year.",
        "EUR per unit of currency",
        None,
    ),
    "rates/carbon_prices/no_price.csv": (
        "Jurisdictions with a carbon-pricing system but no price to deduct.",
        "",
        None,
    ),
    "country_lists/iso3166_1.csv": ("ISO 3166-1 country codes (from pycountry).", "", None),
    "country_lists/trade_codes_baci.csv": (
        "CEPII BACI's country codes that are not ISO 3166-1 numeric codes, and what they mean.",
        "",
        None,
    ),
    "country_lists/trade_codes_comtrade.csv": (
        "UN Comtrade's reporter and partner codes that are not ISO 3166-1 countries.",
        "",
        None,
    ),
    "country_lists/trade_codes_comext.csv": (
        "Eurostat Comext's partner codes that differ from ISO 3166-1 alpha-2.",
        "",
        None,
    ),
    "country_lists/eu_cbam_country_names.csv": (
        "The country names the regulation's tables use, mapped to ISO3.",
        "",
        None,
    ),
}


@dataclass
class Row:
    """One value: its key within its section, dates, value, assumption badge and source."""

    key: str
    start: str
    value: str
    number: float | None
    assumption: bool
    reference: dict[str, Any] | None
    notes: str
    end: str = ""


@dataclass
class Section:
    """The values at one path of a YAML file (a series, or a table keyed by the last key)."""

    path: tuple[str, ...]
    description: str = ""
    unit: str = ""
    reference: dict[str, Any] | None = None
    rows: list[Row] = field(default_factory=list)
    settings: list[tuple[str, str]] = field(default_factory=list)


# ------------------------------------------------------------------------------------ files


def rule_files(root: Path = REPO) -> list[str]:
    """Every rule file (YAML or CSV) under ``rates/`` and ``country_lists/``, relative, sorted."""
    found = [
        p.relative_to(root).as_posix()
        for folder in RULE_DIRS
        for p in (root / folder).rglob("*")
        if p.is_file() and p.suffix in {".yaml", ".csv"}
    ]
    return sorted(found)


def page_path(rule_file: str) -> str:
    """Where a rule file's page goes in the site: ``parameters/<its path>.md``."""
    return f"parameters/{rule_file}.md"


def notes_files(root: Path = REPO) -> list[str]:
    """The README of each rule folder (provenance and data decisions), relative, sorted."""
    return sorted(
        p.relative_to(root).as_posix()
        for folder in RULE_DIRS
        for p in (root / folder).rglob("README.md")
    )


# ------------------------------------------------------------------------------- formatting


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def fmt(value: object) -> str:
    """A YAML value as short text: lists joined, mappings as ``key: value``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value) if value else "(none)"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {fmt(v)}" for k, v in value.items() if k != "reference")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def link(reference: dict[str, Any] | None) -> str:
    """A reference ``{title, href}`` as a Markdown link (the title alone without an href)."""
    if not reference:
        return ""
    title = cell(reference.get("title", reference.get("href", "")))
    href = reference.get("href")
    return f"[{title}]({href})" if href else title


def linkify(text: str) -> str:
    """HTML-escaped text whose URLs are links."""
    out, last = [], 0
    for match in URL.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        url = match.group(0)
        out.append(f'<a href="{html.escape(url)}">{html.escape(url)}</a>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def year_fraction(start: str) -> float | None:
    """A start date as a fractional year for a chart ('2026-07-01', '2026 Q3', '2026')."""
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", start):
        return int(m[1]) + (int(m[2]) - 1) / 12 + (int(m[3]) - 1) / 365
    if m := re.fullmatch(r"(\d{4}) Q([1-4])", start):
        return int(m[1]) + (int(m[2]) - 1) / 4
    if re.fullmatch(r"\d{4}", start):
        return float(start)
    return None


def step_chart(
    points: list[tuple[float, float]], unit: str, title: str = "", width: int = 560
) -> str:
    """An inline SVG step chart of a value over time (each value holds until the next)."""
    points = sorted(points)
    height, left, right, top, bottom = 170, 64, 16, 22, 28
    x0, x1 = points[0][0], max(points[-1][0] + 1, points[0][0] + 1)
    lo = min(0.0, min(v for _, v in points))
    hi = max(v for _, v in points)
    hi = hi if hi > lo else lo + 1

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return top + (hi - y) / (hi - lo) * (height - top - bottom)

    path = []
    for i, (x, y) in enumerate(points):
        nxt = points[i + 1][0] if i + 1 < len(points) else x1
        path.append(f"{'M' if i == 0 else 'L'}{sx(x):.1f},{sy(y):.1f} H{sx(nxt):.1f}")
    years = sorted({int(x) for x, _ in points} | {int(x1)})
    step = max(1, len(years) // (8 if width >= 500 else 4))
    ticks = "".join(
        f'<text x="{sx(y):.1f}" y="{height - 8}" text-anchor="middle">{y}</text>'
        for y in years[::step]
    )
    dots = "".join(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5"/>' for x, y in points)
    label = html.escape(f"{title} ({unit})" if title and unit else title or unit)
    return (
        f'<svg class="cbam-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{label}" xmlns="http://www.w3.org/2000/svg">'
        f'<text x="{left}" y="14" class="cbam-chart-title">{label}</text>'
        f'<line x1="{left}" y1="{sy(lo):.1f}" x2="{width - right}" y2="{sy(lo):.1f}" '
        f'class="cbam-axis"/>'
        f'<text x="{left - 6}" y="{sy(hi) + 4:.1f}" text-anchor="end">{hi:.4g}</text>'
        f'<text x="{left - 6}" y="{sy(lo) + 4:.1f}" text-anchor="end">{lo:.4g}</text>'
        f'<path d="{" ".join(path)}" class="cbam-line"/>{dots}{ticks}</svg>'
    )


# ------------------------------------------------------------------------------------- YAML

_SKIP = {"description", "unit", "reference"}
_RECORD_META = {"from", "value", "reference", "assumption"}


def _is_record(node: object) -> bool:
    return isinstance(node, dict) and ("value" in node or isinstance(node.get("reference"), dict))


def _date_split(path: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """Year (and quarter) keys at the end of a path are a date, not a name."""

    def is_year(s: str) -> bool:
        return s.isdigit() and 1900 <= int(s) <= 2200

    if len(path) >= 2 and is_year(path[-2]) and path[-1] in {"1", "2", "3", "4"}:
        return path[:-2], f"{path[-2]} Q{path[-1]}"
    if path and is_year(path[-1]):
        return path[:-1], path[-1]
    return path, ""


def _start(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def parse_yaml(document: dict[str, Any]) -> dict[tuple[str, ...], Section]:
    """Every value of a rule file, by section (the path to it), in the file's order."""
    sections: dict[tuple[str, ...], Section] = {}

    def section(path: tuple[str, ...], unit: str) -> Section:
        if path not in sections:
            sections[path] = Section(path, unit=unit)
        return sections[path]

    def record(node: dict[str, Any], path: tuple[str, ...], unit: str, in_list: bool) -> None:
        base, date = _date_split(path)
        start = _start(node.get("from")) or date
        key = ""
        if not start and not in_list:
            base, key = path[:-1], path[-1]
        elif not in_list and not date:
            base = path
        if base and base[-1] == "values":  # a dated list belongs to the rule that holds it
            base = base[:-1]
        extra = {k: v for k, v in node.items() if k not in _RECORD_META}
        nested = {k: v for k, v in extra.items() if _is_record(v) or isinstance(v, list)}
        for k, v in nested.items():
            if _is_record(v) or (isinstance(v, list) and v and all(map(_is_record, v))):
                walk(v, (*path, str(k)), unit)
                del extra[k]
        if "value" in node:
            value, notes = node["value"], fmt(extra)
        else:
            value, notes = extra, ""
        number = (
            float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        )
        section(base, unit).rows.append(
            Row(
                key,
                start,
                fmt(value),
                number,
                node.get("assumption") is True,
                node.get("reference"),
                notes,
            )
        )

    def walk(node: object, path: tuple[str, ...], unit: str) -> None:
        if isinstance(node, dict):
            if path and _is_record(node):
                record(node, path, unit, in_list=False)
                return
            if isinstance(node.get("unit"), str):
                unit = node["unit"]
            here = section(path, unit)
            here.unit = unit
            if isinstance(node.get("description"), str):
                here.description = node["description"]
            if isinstance(node.get("reference"), dict):
                here.reference = node["reference"]
            for k, v in node.items():
                if k not in _SKIP:
                    walk(v, (*path, str(k)), unit)
        elif isinstance(node, list) and node and all(map(_is_record, node)):
            for item in node:
                record(item, path, unit, in_list=True)
        elif isinstance(node, list) and any(isinstance(v, dict | list) for v in node):
            for i, item in enumerate(node, 1):
                walk(item, (*path, str(i)), unit)
        else:
            section(path[:-1], unit).settings.append((path[-1] if path else "", fmt(node)))

    walk(document, (), "")
    for sec in sections.values():
        dated = [r for r in sec.rows if r.start and not r.key]
        for row, nxt in pairwise(dated):
            row.end = nxt.start
    return sections


def _section_markdown(sec: Section) -> Iterator[str]:
    title = " › ".join(sec.path) if sec.path else "Values"
    yield f"## `{title}`" if sec.path else "## Values"
    yield ""
    if sec.path and sec.description:
        yield cell(sec.description)
        yield ""
    facts = []
    if sec.unit and sec.rows:
        facts.append(f"**Unit:** {cell(sec.unit)}")
    if sec.path and sec.reference:
        facts.append(f"**Source:** {link(sec.reference)}")
    if facts:
        yield " · ".join(facts)
        yield ""
    points = [
        (x, r.number)
        for r in sec.rows
        if r.number is not None and not r.key and (x := year_fraction(r.start)) is not None
    ]
    if len(points) >= 2 and len({v for _, v in points}) > 1:
        yield step_chart(points, sec.unit)
        yield ""
    if sec.rows:
        keyed = any(r.key for r in sec.rows)
        dated = any(r.start for r in sec.rows)
        noted = any(r.notes for r in sec.rows)
        head = (["key"] if keyed else []) + (["from", "until"] if dated else [])
        head += ["value", "", "source"] + (["notes"] if noted else [])
        yield "| " + " | ".join(head) + " |"
        yield "|" + "---|" * len(head)
        for r in sec.rows:
            cells = [f"`{cell(r.key)}`"] if keyed else []
            cells += [r.start, r.end] if dated else []
            cells += [f"**{cell(r.value)}**", BADGE if r.assumption else "", link(r.reference)]
            cells += [cell(r.notes)] if noted else []
            yield "| " + " | ".join(cells) + " |"
        yield ""
    if sec.settings:
        yield "| setting | value |"
        yield "|---|---|"
        for key, value in sec.settings:
            linked = URL.sub(lambda m: f"<{m.group(0)}>", cell(value))
            yield f"| `{cell(key)}` | {linked} |"
        yield ""


def yaml_page(rule_file: str, root: Path = REPO) -> tuple[str, dict[str, Any]]:
    """A YAML rule file's page, and facts for the index (description, counts)."""
    document = yaml.safe_load((root / rule_file).read_text("utf-8"))
    sections = parse_yaml(document if isinstance(document, dict) else {"value": document})
    rows = [r for s in sections.values() for r in s.rows]
    top = sections.get((), Section(()))
    lines = [f"# {Path(rule_file).name}", "", f"`{rule_file}`", ""]
    if top.description:
        lines += [cell(top.description), ""]
    if top.reference:
        lines += [f"**Source:** {link(top.reference)}", ""]
    assumed = sum(r.assumption for r in rows)
    marked = f"{assumed} of them marked {BADGE}" if assumed else "none marked as an assumption"
    if rows:
        lines += [
            f"{len(rows)} cited values, {marked}. A dated value holds from its date until the "
            "next one's (`until` empty: still in force). Generated from the file at build time.",
            "",
        ]
    else:
        lines += ["The file's settings as written (no dated values). Generated at build time.", ""]
    if rule_file == "country_lists/groups.yaml":
        lines += _groups_membership(document, root)
    for sec in sections.values():
        if sec.rows or sec.settings:
            lines += list(_section_markdown(sec))
    facts = {"description": top.description, "values": len(rows), "assumptions": assumed}
    return "\n".join(lines) + "\n", facts


# -------------------------------------------------------------------------------------- CSV


def _resolve_reference(spec: tuple[str, tuple[Any, ...]] | None, root: Path) -> str:
    if spec is None:
        return ""
    node: Any = yaml.safe_load((root / spec[0]).read_text("utf-8"))
    for step in spec[1]:
        node = node[step]
    return link(node)


def _numeric(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _membership(rows: list[dict[str, str]]) -> list[str]:
    """Members in force on 1 January of each year, with a chart when the count changes."""
    years = range(2019, 2036)
    counts = []
    for year in years:
        day = f"{year}-01-01"
        counts.append(_members_on(rows, day))
    lines = ["## Membership over time", ""]
    lines += [
        "Members on 1 January of each year (a row is a member from `member_from`, inclusive, "
        "to `member_to`, exclusive; an empty date is open).",
        "",
    ]
    if len(set(counts)) > 1:
        lines += [
            step_chart(
                [(float(y), float(c)) for y, c in zip(years, counts, strict=True)],
                "members on 1 January",
            ),
            "",
        ]
    changes = [r for r in rows if r.get("member_to") or r.get("member_from", "") >= "2019"]
    lines += ["| year | members |", "|---|---|"]
    lines += [f"| {y} | {c} |" for y, c in zip(years, counts, strict=True)]
    lines.append("")
    if changes:
        lines += ["Dated changes:", ""]
        lines += [
            f"- **{cell(r.get('name', r.get('iso3', '')))}** (`{r.get('iso3', '')}`): "
            f"member {('from ' + r['member_from']) if r.get('member_from') else ''}"
            f"{(' to ' + r['member_to']) if r.get('member_to') else ''}"
            for r in changes
        ]
        lines.append("")
    return lines


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _members_on(rows: list[dict[str, str]], day: str) -> int:
    return sum(
        (not r.get("member_from") or r["member_from"] <= day)
        and (not r.get("member_to") or r["member_to"] > day)
        for r in rows
    )


def _group_labels(root: Path) -> dict[str, str]:
    """Each group file's label, from ``country_lists/groups.yaml``."""
    groups = yaml.safe_load((root / "country_lists" / "groups.yaml").read_text("utf-8"))
    labels: dict[str, str] = {}
    for name, group in groups.items():
        for stem in group.get("files", []):
            labels.setdefault(f"country_lists/{stem}.csv", f"{group['label']} (`{name}`)")
    return labels


def _groups_membership(document: dict[str, Any], root: Path) -> list[str]:
    """The groups' member counts on 1 January, year by year, from their dated files."""
    years = list(range(2024, 2031))
    lines = [
        "## Members on 1 January",
        "",
        "Counted from each group's files (membership dates `member_from`, `member_to`).",
        "",
        "| group | label | files | " + " | ".join(map(str, years)) + " |",
        "|---|---|---|" + "---|" * len(years),
    ]
    for name, group in document.items():
        rows: list[dict[str, str]] = []
        links = []
        for stem in group.get("files", []):
            rows += _read_csv(root / "country_lists" / f"{stem}.csv")[1]
            links.append(f"[{stem}]({stem}.csv.md)")
        counts = [str(_members_on(rows, f"{y}-01-01")) for y in years]
        lines.append(
            f"| `{name}` | {cell(group.get('label', ''))} | {', '.join(links)} | "
            + " | ".join(counts)
            + " |"
        )
    return [*lines, ""]


def _series_charts(header: list[str], rows: list[dict[str, str]], unit: str) -> list[str]:
    """One chart per id (first column) where a table has a ``year`` and a numeric column."""
    if "year" not in header or header[0] == "year":
        return []
    after = header[header.index("year") + 1 :]
    value_col = next(
        (c for c in after if all(_numeric(r[c]) is not None for r in rows if r[c])), None
    )
    if value_col is None:
        return []
    series: dict[str, list[tuple[float, float]]] = {}
    currency = {}
    for r in rows:
        if (v := _numeric(r[value_col])) is not None and r["year"].isdigit():
            series.setdefault(r[header[0]], []).append((float(r["year"]), v))
            currency[r[header[0]]] = r.get("currency", "")
    charts = [
        step_chart(points, f"{currency[key] or unit} {value_col}".strip(), title=key, width=340)
        for key, points in series.items()
        if len(points) >= 2 and len({v for _, v in points}) > 1
    ]
    if not charts:
        return []
    return [f"## `{value_col}` over time", "", '<div class="cbam-charts">', *charts, "</div>", ""]


def _summary(header: list[str], rows: list[dict[str, str]]) -> list[str]:
    lines = ["## Columns", "", "| column | distinct values | commonest |", "|---|---|---|"]
    for col in header:
        counts = Counter(r[col] for r in rows)
        common = ", ".join(f"`{cell(v) or '(empty)'}` {n}" for v, n in counts.most_common(6))
        lines.append(f"| `{col}` | {len(counts)} | {common} |")
    return [*lines, ""]


def _html_cell(col: str, value: str) -> str:
    if col == "assumption" and value.lower() == "true":
        return BADGE
    return linkify(value)


def csv_page(rule_file: str, root: Path = REPO) -> tuple[str, dict[str, Any]]:
    """A CSV rule table's page, and facts for the index."""
    with (root / rule_file).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    description, unit, spec = CSV_NOTES.get(rule_file, ("", "", None))
    if not description and {"iso3", "member_from"} <= set(header):
        label = _group_labels(root).get(rule_file, "")
        description = (
            f"{label + ': a' if label else 'A'} dated country group, each row a member from "
            "`member_from` to `member_to`."
        )
    reference = _resolve_reference(spec, root)
    assumed = sum(
        r.get("assumption", "").lower() == "true" or r.get("source", "").startswith("ASSUMPTION")
        for r in rows
    )
    lines = [f"# {Path(rule_file).name}", "", f"`{rule_file}`", ""]
    if description:
        lines += [description, ""]
    facts_line = [f"**Rows:** {len(rows):,}"]
    if unit:
        facts_line.append(f"**Unit:** {cell(unit)}")
    if reference:
        facts_line.append(f"**Source:** {reference}")
    elif any(c in header for c in ("source", "source_url", "reference")):
        facts_line.append("**Source:** the `source` (or `reference`) column of each row")
    lines += [" · ".join(facts_line), ""]
    if assumed:
        lines += [f"{assumed} rows are marked {BADGE}.", ""]
    if {"member_from", "member_to"} <= set(header):
        lines += _membership(rows)
    lines += _series_charts(header, rows, unit)
    if len(rows) > FULL_TABLE_ROWS:
        lines += _summary(header, rows)
    lines += ["## Rows", ""]
    lines += _table_html(rule_file, header, rows)
    facts = {"description": description, "values": len(rows), "assumptions": assumed}
    return "\n".join(lines) + "\n", facts


def _table_html(rule_file: str, header: list[str], rows: list[dict[str, str]]) -> list[str]:
    """A table with a filter box; over FULL_TABLE_ROWS rows it is paged by tables.js."""
    ident = re.sub(r"[^a-z0-9]+", "-", rule_file.lower())
    if len(rows) <= FULL_TABLE_ROWS:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{_html_cell(c, r[c])}</td>" for c in header) + "</tr>"
            for r in rows
        )
        return [
            f'<div class="cbam-table" id="{ident}"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>",
            "",
        ]
    data = json.dumps(
        {"columns": header, "rows": [[r[c] for c in header] for r in rows]},
        ensure_ascii=False,
        separators=(",", ":"),
    ).replace("</", "<\\/")
    return [
        f"All {len(rows):,} rows, {50} a page: type in the box to keep the rows whose cells "
        "contain every word (e.g. `TUR 7207`).",
        "",
        f'<div class="cbam-table cbam-paged" id="{ident}">'
        f'<script type="application/json">{data}</script>'
        "<noscript>This table needs JavaScript; the file itself is plain CSV.</noscript></div>",
        "",
    ]


# ------------------------------------------------------------------------------ notes pages

_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def notes_page(readme: str, root: Path = REPO) -> str:
    """A folder's README as a page; links to files outside the site become plain paths."""
    text = (root / readme).read_text("utf-8")
    folder = Path(readme).parent
    local = set(rule_files(root))

    def fix(match: re.Match[str]) -> str:
        label, target = match.groups()
        if target.startswith(("http://", "https://", "#", "mailto:")):
            return match.group(0)
        path, _, anchor = target.partition("#")
        normal = os.path.normpath(folder / path) if path else readme
        if normal in local:
            here = len(Path(page_path(readme)).parent.parts)
            rel = "../" * (here - 1) + page_path(normal)[len("parameters/") :]
            return f"[{label}]({rel})"
        return f"{label} (`{normal}{'#' + anchor if anchor else ''}`)"

    return _MD_LINK.sub(fix, text)


# ------------------------------------------------------------------------------------ pages


def rule_page(rule_file: str, root: Path = REPO) -> tuple[str, dict[str, Any]]:
    """The page of one rule file (YAML or CSV)."""
    if rule_file.endswith(".yaml"):
        return yaml_page(rule_file, root)
    return csv_page(rule_file, root)


def _folders(files: Iterable[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for f in files:
        grouped.setdefault(str(Path(f).parent), []).append(f)
    return dict(sorted(grouped.items(), key=lambda kv: (not kv[0].startswith("rates"), kv[0])))


def build_pages(root: Path = REPO) -> dict[str, str]:
    """Every generated page of the parameter explorer: ``{path under docs/: Markdown}``."""
    files = rule_files(root)
    pages: dict[str, str] = {}
    facts: dict[str, dict[str, Any]] = {}
    for f in files:
        pages[page_path(f)], facts[f] = rule_page(f, root)
    readmes = {str(Path(r).parent): r for r in notes_files(root)}
    for folder, readme in readmes.items():
        pages[f"parameters/{folder}/README.md"] = notes_page(readme, root)

    index = [
        "# Parameter explorer",
        "",
        "Every rule file of `rates/` and `country_lists/`, one page each, generated from the files "
        "at every build: each value with the dates it holds, its unit, its source and an "
        f"{BADGE} badge where the file marks it `assumption: true`. A value holds from its date "
        "until the next one's. Values that change over time have a chart. CSV tables are shown "
        f"in full up to {FULL_TABLE_ROWS} rows; larger ones get a summary of their columns and a "
        "searchable table over all their rows.",
        "",
    ]
    nav = ["* [Overview](index.md)"]
    for folder, group in _folders(files).items():
        index += [f"## `{folder}/`", ""]
        if folder in readmes:
            readme = f"{folder}/README.md"
            index += [f"Provenance and data decisions: [{readme}]({readme}).", ""]
        index += ["| file | what | values or rows | assumptions |", "|---|---|---|---|"]
        nav.append(f"* {folder}/")
        if folder in readmes:
            nav.append(f"    * [README]({folder}/README.md)")
        for f in group:
            rel = page_path(f)[len("parameters/") :]
            what = cell(facts[f]["description"])
            what = what if len(what) <= 160 else what[:157].rsplit(" ", 1)[0] + " ..."
            n, a = facts[f]["values"], facts[f]["assumptions"]
            index.append(f"| [{Path(f).name}]({rel}) | {what} | {n:,} | {a or ''} |")
            nav.append(f"    * [{Path(f).name}]({rel})")
        index.append("")
    pages["parameters/index.md"] = "\n".join(index) + "\n"
    pages["parameters/SUMMARY.md"] = "\n".join(nav) + "\n"
    return pages


def columns_page() -> str:
    """The column contract, from ``cbam.INPUT_COLUMNS`` and ``cbam.OUTPUT_SCHEMA``."""
    import cbam  # only this page needs the package itself

    lines = [
        "# Columns and errors",
        "",
        "The column contract: what [`compute`](compute.md#cbam.compute) reads and what it adds. "
        "The tables are generated from the constants below at build time.",
        "",
        "## Input columns",
        "",
        "| column | required | what |",
        "|---|---|---|",
    ]
    required = set(cbam._schema.REQUIRED_COLUMNS)
    for name, doc in cbam.INPUT_COLUMNS.items():
        lines.append(f"| `{name}` | {'yes' if name in required else ''} | {cell(doc)} |")
    lines += ["", "## Output columns", "", "Every input column and row, in order, then:", ""]
    lines += ["| column | Polars type | what |", "|---|---|---|"]
    for name, (dtype, doc) in cbam.OUTPUT_SCHEMA.items():
        lines.append(f"| `{name}` | `{cell(dtype)}` | {cell(doc)} |")
    lines.append("")
    for name in ("INPUT_COLUMNS", "OUTPUT_COLUMNS", "OUTPUT_SCHEMA"):
        lines += [
            f"::: cbam.{name}",
            "    options:",
            "      show_if_no_docstring: true",
            "      show_attribute_values: false",
            "",
        ]
    lines += ["## Errors", ""]
    for name in ("CbamInputError", "InputProblem", "ScenarioError"):
        lines += [f"::: cbam.{name}", ""]
    return "\n".join(lines)


def assumption_list(rule_files_: Iterable[str], page: str, root: Path = REPO) -> str:
    """Every value marked ``assumption: true`` in YAML rule files, as a Markdown list.

    ``page`` is the path (under docs/) of the page the list goes on, for relative links.
    """
    up = "../" * (len(Path(page).parts) - 1)
    lines = []
    for rule_file in rule_files_:
        document = yaml.safe_load((root / rule_file).read_text("utf-8"))
        target = up + page_path(rule_file)
        for sec in parse_yaml(document).values():
            for r in sec.rows:
                if not r.assumption:
                    continue
                where = " › ".join((*sec.path, r.key) if r.key else sec.path) or "value"
                when = f" from {r.start}" if r.start else ""
                source = cell(r.reference.get("title", "")) if r.reference else ""
                lines.append(
                    f"- [`{Path(rule_file).name}`]({target}) `{cell(where)}`{when}: "
                    f"**{cell(r.value)}** {cell(sec.unit) if r.number is not None else ''}"
                    f"{' (' + source + ')' if source else ''}"
                )
    return "\n".join(lines) + "\n" if lines else "(none)\n"
