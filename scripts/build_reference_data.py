"""Build the project's reference data (rates/, country_lists/, data/) from ../shared.

Reproducible: run ``python scripts/build_reference_data.py [--shared PATH]`` from anywhere.
The library never reads ../shared at run time; it reads only what this script writes.

Outputs (UTF-8, comma-separated, header row, LF line endings):

* rates/eu/default_values.csv, rates/eu/crosscheck_default_values.csv,
  rates/eu/markup_rule_exceptions.csv    (IR (EU) 2025/2621 Annex I)
* rates/eu/benchmarks.csv, rates/eu/crosscheck_benchmarks.csv   (IR (EU) 2025/2620 Annex)
* rates/eu/goods.csv                      (Reg. (EU) 2023/956 Annex I)
* country_lists/iso3166_1.csv, eu_cbam_country_names.csv, eu27.csv, eu_cbam_annex_iii.csv
* data/eu27_comext_cbam_imports_2019_2025.csv   (Eurostat Comext DS-045409)

The README files next to the outputs are written by hand; the figures they quote (row counts,
cross-check results) are printed by this script at the end of a run.
"""

from __future__ import annotations

import csv
import importlib.metadata
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pycountry
from _common import parse_folders

THREE = Decimal("0.001")
VALUE_FIELDS = ("direct", "indirect", "total", "markup_2026", "markup_2027", "markup_2028")
MARKUP_YEARS = (2026, 2027, 2028)
MARKUP_FACTORS = {2026: Decimal("1.1"), 2027: Decimal("1.2"), 2028: Decimal("1.3")}
FERTILISER_FACTOR = Decimal("1.01")
OTHER_LABEL = "other countries and territories"  # matched case-insensitively
OTHER = "OTHER"
# Headings with a white and a grey default value per country: 2523 10 00 (clinker) and
# 2523 90 00 (other hydraulic cements). `variant` is A (grey) / B (white) on these, '' elsewhere,
# so that (origin, cn_code, variant) is a unique key (the engine checks it at load).
WHITE_GREY_HEADINGS = ("25231000", "25239000")
VARIANT = {"grey": "A", "white": "B", "": ""}

DEFAULT_VALUE_COLUMNS = [
    "origin",
    "cn_code",
    "variant",
    "route",
    "description",
    "status",
    *VALUE_FIELDS,
]
CROSSCHECK_DV_COLUMNS = [
    "origin",
    "cn_code",
    "variant",
    "field",
    "reference_value",
    "second_transcription_value",
]
MARKUP_EXCEPTION_COLUMNS = [
    "origin",
    "cn_code",
    "variant",
    "route",
    "year",
    "base",
    "published",
    "expected_from_rounded_base",
    "unrounded_base_second_transcription",
    "expected_from_unrounded_base",
    "explanation",
    "action",
]
BENCHMARK_COLUMNS = ["cn_code", "column", "route", "period", "benchmark", "description"]
CROSSCHECK_BM_COLUMNS = [
    "cn_code",
    "column",
    "route",
    "period",
    "field",
    "reference_value",
    "second_transcription_value",
]
GOODS_COLUMNS = ["cn_code", "sector", "category", "ghg", "description"]
GOODS_SECTORS = {"cement", "iron_steel", "aluminium", "fertilisers", "hydrogen", "electricity"}
PERIODS = {"1": "2026-2027", "2": "2028-2030", "": ""}
GROUP_COLUMNS = ["iso3", "name", "member_from", "member_to", "source"]
IMPORT_COLUMNS = ["year", "origin", "cn_code", "quantity_t", "value_eur", "source_sector"]
SECTOR_TO_CN = {
    "iron_steel_72": "72",
    "iron_steel_73": "73",
    "aluminum_76": "76",
    "cement_2523": "2523",
    "hydrogen_2804": "280410",
    "fertilizers": "31",
}

# Data-note decisions on the default-value table (see rates/eu/README.md, "Data notes").
# South Korea's white clinker / white hydraulic cement rows carry no route marker in the source;
# every other country's valued white row carries B.
ROUTE_RESTORED = {("KOR", "25231000", "white"): "B", ("KOR", "25239000", "white"): "B"}
# Albania 2523 21 00: the figures sit one block to the right (direct, indirect, total printed
# under the 2026/2027/2028 mark-up headings). Reconstructed; mark-ups recomputed.
ALBANIA_SHIFT = ("ALB", "25232100")

# Regulation labels that pycountry cannot resolve on its own, with the ISO 3166-1 code used.
LABEL_OVERRIDES = {
    "Myanmar/Burma": "MMR",
    "Russia": "RUS",
    "Brunei": "BRN",
    "Democratic Republic of the Congo": "COD",
}

EU27: list[tuple[str, str, str, str]] = [
    # iso3, name, member_from, source
    ("BEL", "Belgium", "1958-01-01", "Treaty establishing the EEC (Rome, 1957), founding member"),
    ("DEU", "Germany", "1958-01-01", "Treaty establishing the EEC (Rome, 1957), founding member"),
    ("FRA", "France", "1958-01-01", "Treaty establishing the EEC (Rome, 1957), founding member"),
    ("ITA", "Italy", "1958-01-01", "Treaty establishing the EEC (Rome, 1957), founding member"),
    (
        "LUX",
        "Luxembourg",
        "1958-01-01",
        "Treaty establishing the EEC (Rome, 1957), founding member",
    ),
    (
        "NLD",
        "Netherlands",
        "1958-01-01",
        "Treaty establishing the EEC (Rome, 1957), founding member",
    ),
    ("DNK", "Denmark", "1973-01-01", "Treaty of Accession 1972"),
    ("IRL", "Ireland", "1973-01-01", "Treaty of Accession 1972"),
    ("GRC", "Greece", "1981-01-01", "Treaty of Accession 1979"),
    ("ESP", "Spain", "1986-01-01", "Treaty of Accession 1985"),
    ("PRT", "Portugal", "1986-01-01", "Treaty of Accession 1985"),
    ("AUT", "Austria", "1995-01-01", "Treaty of Accession 1994"),
    ("FIN", "Finland", "1995-01-01", "Treaty of Accession 1994"),
    ("SWE", "Sweden", "1995-01-01", "Treaty of Accession 1994"),
    ("CYP", "Cyprus", "2004-05-01", "Treaty of Accession 2003"),
    ("CZE", "Czechia", "2004-05-01", "Treaty of Accession 2003"),
    ("EST", "Estonia", "2004-05-01", "Treaty of Accession 2003"),
    ("HUN", "Hungary", "2004-05-01", "Treaty of Accession 2003"),
    ("LVA", "Latvia", "2004-05-01", "Treaty of Accession 2003"),
    ("LTU", "Lithuania", "2004-05-01", "Treaty of Accession 2003"),
    ("MLT", "Malta", "2004-05-01", "Treaty of Accession 2003"),
    ("POL", "Poland", "2004-05-01", "Treaty of Accession 2003"),
    ("SVK", "Slovakia", "2004-05-01", "Treaty of Accession 2003"),
    ("SVN", "Slovenia", "2004-05-01", "Treaty of Accession 2003"),
    ("BGR", "Bulgaria", "2007-01-01", "Treaty of Accession 2005"),
    ("ROU", "Romania", "2007-01-01", "Treaty of Accession 2005"),
    ("HRV", "Croatia", "2013-07-01", "Treaty of Accession 2011"),
]
ANNEX_III_SOURCE = (
    "Reg. (EU) 2023/956 Annex III point 1 "
    "https://www.fantasticsearch.net/law/eu/en?article=1&id=r20lZpsB1anJoctMn0x_"
)
ANNEX_III = [
    ("ISL", "Iceland"),
    ("LIE", "Liechtenstein"),
    ("NOR", "Norway"),
    ("CHE", "Switzerland"),
]
REG_2023_956_IN_FORCE = "2023-05-17"


class DataError(RuntimeError):
    """Raised when a source does not look the way this script expects."""


# --------------------------------------------------------------------------- helpers


def read_csv(path: Path, *, encoding: str = "utf-8", delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, str]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            n += 1
    return n


def digits(cn: str) -> str:
    code = cn.replace(" ", "")
    if not code.isdigit() or len(code) not in (4, 6, 8):
        raise DataError(f"unexpected CN code {cn!r}")
    return code


def dec3(text: str) -> Decimal:
    return Decimal(text).quantize(THREE, rounding=ROUND_HALF_UP)


def fmt3(value: Decimal) -> str:
    return f"{value.quantize(THREE, rounding=ROUND_HALF_UP):f}"


def colour(description: str) -> str:
    text = description.strip().lower()
    if text.startswith("white"):
        return "white"
    if text.startswith("grey"):
        return "grey"
    raise DataError(f"cannot tell white from grey in {description!r}")


def is_fertiliser(sector: str) -> bool:
    return sector.strip().lower().startswith("fertili")


# --------------------------------------------------------------------------- countries


def iso3166_rows() -> list[dict[str, str]]:
    rows = [
        {"iso3": c.alpha_3, "iso2": c.alpha_2, "numeric": c.numeric, "name": c.name}
        for c in pycountry.countries
    ]
    rows.append({"iso3": "XKX", "iso2": "XK", "numeric": "", "name": "Kosovo"})
    return sorted(rows, key=lambda r: r["iso3"])


def regulation_country_map(labels: Iterable[str], shared_map: dict[str, str]) -> dict[str, str]:
    """Map each default-value country label to ISO3 (OTHER for the fallback); fail if unmapped.

    Two independent sources are checked against each other: pycountry (exact lookup, or the
    explicit overrides above) and the shared label->ISO3 file (whose labels are Excel sheet
    names: truncated to 31 characters, '/' written '_').
    """
    result: dict[str, str] = {}
    problems: list[str] = []
    for label in sorted(set(labels)):
        if label.strip().lower() == OTHER_LABEL:
            result[label] = OTHER
            continue
        via_pycountry: str | None
        try:
            via_pycountry = pycountry.countries.lookup(label).alpha_3
        except LookupError:
            via_pycountry = None
        override = LABEL_OVERRIDES.get(label)
        if override is not None and via_pycountry is not None and override != via_pycountry:
            problems.append(f"{label}: override {override} but pycountry says {via_pycountry}")
        via_pycountry = override or via_pycountry
        via_shared = shared_lookup(label, shared_map)
        if via_pycountry is None and via_shared is None:
            problems.append(f"{label}: unmapped")
            continue
        if via_pycountry and via_shared and via_pycountry != via_shared:
            problems.append(f"{label}: pycountry {via_pycountry} != shared file {via_shared}")
            continue
        iso3 = via_pycountry or via_shared
        assert iso3 is not None
        if pycountry.countries.get(alpha_3=iso3) is None:
            problems.append(f"{label}: {iso3} is not an ISO 3166-1 code")
        result[label] = iso3
    if problems:
        raise DataError("country label mapping failed:\n  " + "\n  ".join(problems))
    return result


def shared_lookup(label: str, shared_map: dict[str, str]) -> str | None:
    for sheet, iso3 in shared_map.items():
        name = sheet.replace("_", "/")
        if name == label or (len(sheet) == 31 and label.startswith(sheet)):
            return iso3 or None
    return None


# --------------------------------------------------------------------------- default values


@dataclass
class DefaultValueRow:
    origin: str
    cn_code: str
    colour: str  # white/grey for the white/grey headings, '' otherwise
    route: str
    description: str
    sector: str
    status: str
    values: dict[str, str]  # field -> 3-decimal string or ''

    @property
    def variant(self) -> str:
        return VARIANT[self.colour]

    def as_csv(self) -> dict[str, str]:
        return {
            "origin": self.origin,
            "cn_code": self.cn_code,
            "variant": self.variant,
            "route": self.route,
            "description": self.description,
            "status": self.status,
            **self.values,
        }


def parse_default_values(
    rows: list[dict[str, str]], country_map: dict[str, str]
) -> tuple[list[DefaultValueRow], list[str]]:
    out: list[DefaultValueRow] = []
    notes: list[str] = []
    for r in rows:
        origin = country_map[r["country"]]
        cn = digits(r["cn_code"])
        col = colour(r["description"]) if cn in WHITE_GREY_HEADINGS else ""
        raw = {f: r[f].strip() for f in VALUE_FIELDS}
        route = r["route"].strip()
        if (origin, cn) == ALBANIA_SHIFT:
            raw, note = fix_albania(raw)
            notes.append(note)
        restored = ROUTE_RESTORED.get((origin, cn, col))
        if restored is not None:
            if route:
                raise DataError(f"{origin} {cn} {col}: route {route!r} already present")
            notes.append(f"{origin} {cn} {col}: route restored '' -> {restored}")
            route = restored
        tokens = set(raw.values())
        if tokens <= {"DASH", "NA"}:
            status = "dash"
            if "DASH" not in tokens:
                raise DataError(f"{origin} {cn}: only NA tokens")
        elif "DASH" in tokens:
            raise DataError(f"{origin} {cn}: DASH mixed with numbers: {raw}")
        else:
            status = "value"
        values = {f: "" if v in ("DASH", "NA") else fmt3(Decimal(v)) for f, v in raw.items()}
        out.append(
            DefaultValueRow(
                origin,
                cn,
                col,
                route,
                r["description"].strip(),
                r["sector"].strip(),
                status,
                values,
            )
        )
    keys = Counter((d.origin, d.cn_code, d.colour) for d in out)
    dup = [k for k, n in keys.items() if n > 1]
    if dup:
        raise DataError(f"duplicate default-value rows: {dup[:5]}")
    return out, notes


def fix_albania(raw: dict[str, str]) -> tuple[dict[str, str], str]:
    expected = {
        "direct": "DASH",
        "indirect": "DASH",
        "total": "DASH",
        "markup_2026": "1.230",
        "markup_2027": "0.140",
        "markup_2028": "1.370",
    }
    if raw != expected:
        raise DataError(f"Albania 2523 21 00 no longer looks shifted: {raw}")
    total = Decimal(raw["markup_2028"])
    fixed = {
        "direct": raw["markup_2026"],
        "indirect": raw["markup_2027"],
        "total": raw["markup_2028"],
    }
    for year in MARKUP_YEARS:
        fixed[f"markup_{year}"] = fmt3(total * MARKUP_FACTORS[year])
    note = (
        f"ALB 25232100: shifted columns reconstructed as direct/indirect/total "
        f"{fixed['direct']}/{fixed['indirect']}/{fixed['total']}, mark-ups recomputed "
        f"{fixed['markup_2026']}/{fixed['markup_2027']}/{fixed['markup_2028']}"
    )
    return fixed, note


@dataclass
class SecondRow:
    iso3: str
    cn_code: str
    colour: str
    values: dict[str, str]  # raw strings ('' = empty)
    route: str


def parse_second_transcription(
    path: Path, iso_map: dict[str, str]
) -> dict[tuple[str, str, str], SecondRow]:
    with path.open(encoding="latin-1", newline="") as fh:
        reader = csv.reader(fh, delimiter=";")
        header = next(reader)
        if len(header) != 11:
            raise DataError(f"second transcription: unexpected header {header}")
        out: dict[tuple[str, str, str], SecondRow] = {}
        for rec in reader:
            label, _sector, cn, desc, *vals, route = rec
            if label not in iso_map:
                raise DataError(f"second transcription: label {label!r} not in the ISO3 map")
            iso3 = iso_map[label] or OTHER
            col = colour(desc) if cn in WHITE_GREY_HEADINGS else ""
            key = (iso3, cn, col)
            if key in out:
                raise DataError(f"second transcription: duplicate {key}")
            out[key] = SecondRow(
                iso3, cn, col, dict(zip(VALUE_FIELDS, vals, strict=True)), route.strip().strip("()")
            )
    return out


def crosscheck_default_values(
    ours: list[DefaultValueRow], second: dict[tuple[str, str, str], SecondRow]
) -> list[dict[str, str]]:
    """Compare every value, status and route; the second transcription is rounded to 3 dp."""
    out: list[dict[str, str]] = []

    def add(d_origin: str, cn: str, variant: str, field: str, ref: str, sec: str) -> None:
        out.append(
            {
                "origin": d_origin,
                "cn_code": cn,
                "variant": variant,
                "field": field,
                "reference_value": ref,
                "second_transcription_value": sec,
            }
        )

    seen = set()
    for d in ours:
        key = (d.origin, d.cn_code, d.colour)
        seen.add(key)
        s = second.get(key)
        if s is None:
            add(d.origin, d.cn_code, d.variant, "row", "present", "ABSENT")
            continue
        for f in VALUE_FIELDS:
            ref, sec = d.values[f], s.values[f]
            if ref == "" and sec == "":
                continue
            if ref == "" or sec == "" or Decimal(ref) != dec3(sec):
                add(d.origin, d.cn_code, d.variant, f, ref or d.status.upper(), sec)
        if d.route != s.route:
            add(d.origin, d.cn_code, d.variant, "route", d.route, s.route)
    for key, s in sorted(second.items()):
        if key in seen:
            continue
        for f in VALUE_FIELDS:
            if s.values[f]:
                add(s.iso3, s.cn_code, VARIANT[s.colour], f, "ABSENT", s.values[f])
    return out


def markup_exceptions(
    ours: list[DefaultValueRow], second: dict[tuple[str, str, str], SecondRow]
) -> list[dict[str, str]]:
    """Rows where markup_YYYY != round(total x factor, 3); total equals direct outside cement,
    fertilisers and 2601 12 00, so it is the base in every sector."""
    out: list[dict[str, str]] = []
    for d in ours:
        if d.status != "value":
            continue
        base = Decimal(d.values["total"])
        s = second.get((d.origin, d.cn_code, d.colour))
        unrounded = Decimal(s.values["total"]) if s and s.values["total"] else None
        for year in MARKUP_YEARS:
            factor = FERTILISER_FACTOR if is_fertiliser(d.sector) else MARKUP_FACTORS[year]
            published = Decimal(d.values[f"markup_{year}"])
            expected = (base * factor).quantize(THREE, rounding=ROUND_HALF_UP)
            if published == expected:
                continue
            exp_unrounded = (
                (unrounded * factor).quantize(THREE, rounding=ROUND_HALF_UP)
                if unrounded is not None
                else None
            )
            if exp_unrounded == published:
                why = "published mark-up computed from the unrounded base value"
                action = "kept as published"
            else:
                compounded = fmt3_dec(base * Decimal("1.1") ** (year - 2025))
                why = (
                    f"mark-up compounded: total x 1.1^{year - 2025}"
                    if not is_fertiliser(d.sector) and published == compounded
                    else "unexplained"
                )
                action = "kept as published (legal text; both transcriptions agree)"
            out.append(
                {
                    "origin": d.origin,
                    "cn_code": d.cn_code,
                    "variant": d.variant,
                    "route": d.route,
                    "year": str(year),
                    "base": d.values["total"],
                    "published": d.values[f"markup_{year}"],
                    "expected_from_rounded_base": fmt3(expected),
                    "unrounded_base_second_transcription": str(unrounded)
                    if unrounded is not None
                    else "",
                    "expected_from_unrounded_base": fmt3(exp_unrounded)
                    if exp_unrounded is not None
                    else "",
                    "explanation": why,
                    "action": action,
                }
            )
    return out


def fmt3_dec(value: Decimal) -> Decimal:
    return value.quantize(THREE, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- benchmarks


def build_benchmarks(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    out = []
    for r in rows:
        cn = digits(r["cn_code"])
        if len(cn) != 8:
            raise DataError(f"benchmark CN not 8 digits: {r['cn_code']}")
        if r["column"] not in ("A", "B") or r["year"] not in PERIODS:
            raise DataError(f"benchmark row: unexpected column/year {r}")
        out.append(
            {
                "cn_code": cn,
                "column": r["column"],
                "route": r["route"].strip(),
                "period": PERIODS[r["year"]],
                "benchmark": fmt3(Decimal(r["benchmark"])),
                "description": r["description"].strip(),
            }
        )
    keys = Counter((o["cn_code"], o["column"], o["route"], o["period"]) for o in out)
    if any(n > 1 for n in keys.values()):
        raise DataError("duplicate benchmark keys")
    return out


_BM_VALUE = re.compile(r"^(?P<value>\d+,\d+)\s*(?P<tags>(\(\w\)\s*)*)$")


def parse_column_b(path: Path) -> dict[tuple[str, str, str], str]:
    """Parse the second column-B transcription: key (cn, route, period) -> 3-dp value."""
    out: dict[tuple[str, str, str], str] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=";")
        next(reader)
        for rec in reader:
            if len(rec) != 2 or not re.fullmatch(r"\d{8}", rec[0]):
                continue  # sector banners and empty ';' lines
            m = _BM_VALUE.match(rec[1].strip())
            if m is None:
                raise DataError(f"column B: cannot parse {rec}")
            route, period = "", ""
            for tag in re.findall(r"\((\w)\)", m["tags"]):
                if tag.isdigit():
                    period = PERIODS[tag]
                else:
                    route = tag
            key = (rec[0], route, period)
            if key in out:
                raise DataError(f"column B: duplicate {key}")
            out[key] = fmt3(Decimal(m["value"].replace(",", ".")))
    return out


def crosscheck_benchmarks(
    ours: list[dict[str, str]], second: dict[tuple[str, str, str], str]
) -> list[dict[str, str]]:
    out = []
    ours_b = {
        (o["cn_code"], o["route"], o["period"]): o["benchmark"] for o in ours if o["column"] == "B"
    }
    for key in sorted(set(ours_b) | set(second)):
        ref, sec = ours_b.get(key, "ABSENT"), second.get(key, "ABSENT")
        if ref != sec:
            out.append(
                {
                    "cn_code": key[0],
                    "column": "B",
                    "route": key[1],
                    "period": key[2],
                    "field": "benchmark",
                    "reference_value": ref,
                    "second_transcription_value": sec,
                }
            )
    return out


# --------------------------------------------------------------------------- goods


def build_goods(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    out = []
    for r in rows:
        cn = digits(r["cn"])
        if len(cn) != 8 or cn != digits(r["display"]):
            raise DataError(f"goods: bad CN {r}")
        if r["sector"] not in GOODS_SECTORS:
            raise DataError(f"goods: sector {r['sector']!r}")
        out.append(
            {
                "cn_code": cn,
                "sector": r["sector"],
                "category": r["category"].strip(),
                "ghg": r["ghg"].strip(),
                "description": r["description"].strip(),
            }
        )
    if len({o["cn_code"] for o in out}) != len(out):
        raise DataError("goods: duplicate CN codes")
    return out


# --------------------------------------------------------------------------- trade


@dataclass
class TradeResult:
    rows: list[dict[str, str]]
    dropped: Counter[str]
    dropped_t: dict[str, Decimal]
    dropped_eur: dict[str, Decimal]
    merged_keys: list[tuple[str, str, str]]
    zero_quantity: int
    tonnes_by_year: dict[str, Decimal]
    tonnes_by_year_sector: dict[tuple[str, str], Decimal]
    eur_by_year: dict[str, Decimal]


def build_imports(trade: list[dict[str, str]], partner_map: dict[str, str]) -> TradeResult:
    agg: dict[tuple[str, str, str], list[Decimal]] = {}
    sectors: dict[tuple[str, str, str], str] = {}
    labels: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    dropped: Counter[str] = Counter()
    dropped_t: dict[str, Decimal] = defaultdict(Decimal)
    dropped_eur: dict[str, Decimal] = defaultdict(Decimal)
    for r in trade:
        if r["flow"] != "Import":
            continue
        label = r["partnerDesc"]
        if label not in partner_map:
            raise DataError(f"trade: partner {label!r} not in the label->ISO map")
        # quantity_100kg carries float noise (0.06999999999999999): 2 dp = 1 kg is its precision
        qty_t = Decimal(r["quantity_100kg"]).quantize(Decimal("0.01"), ROUND_HALF_UP) / 10
        eur = Decimal(r["primaryValue"])
        iso3 = partner_map[label]
        if not iso3:
            dropped[label] += 1
            dropped_t[label] += qty_t
            dropped_eur[label] += eur
            continue
        sector = r["sector"]
        key = (r["period"], iso3, SECTOR_TO_CN[sector])
        if key in sectors and sectors[key] != sector:
            raise DataError(f"trade: two sectors on one key {key}")
        sectors[key] = sector
        labels[key].append(label)
        acc = agg.setdefault(key, [Decimal(0), Decimal(0)])
        acc[0] += qty_t
        acc[1] += eur
    rows = []
    tonnes_by_year: dict[str, Decimal] = defaultdict(Decimal)
    eur_by_year: dict[str, Decimal] = defaultdict(Decimal)
    by_year_sector: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    zero_q = 0
    for key in sorted(agg):
        qty, eur = agg[key]
        year, iso3, cn = key
        zero_q += qty == 0 and eur != 0
        tonnes_by_year[year] += qty
        eur_by_year[year] += eur
        by_year_sector[(year, sectors[key])] += qty
        rows.append(
            {
                "year": year,
                "origin": iso3,
                "cn_code": cn,
                "quantity_t": f"{qty.quantize(THREE):f}",
                "value_eur": f"{eur.quantize(Decimal(1)):f}"
                if eur == eur.to_integral()
                else f"{eur:f}",
                "source_sector": sectors[key],
            }
        )
    merged = [k for k, v in labels.items() if len(v) > 1]
    return TradeResult(
        rows,
        dropped,
        dropped_t,
        dropped_eur,
        sorted(merged),
        zero_q,
        tonnes_by_year,
        by_year_sector,
        eur_by_year,
    )


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    shared, out = parse_folders(__doc__, argv)
    ref = shared / "reference" / "eu_cbam"
    intens = shared / "data" / "intensities"
    trade_dir = shared / "data" / "trade"
    counts: dict[str, int] = {}

    # countries
    iso_rows = iso3166_rows()
    iso3_set = {r["iso3"] for r in iso_rows}
    counts["country_lists/iso3166_1.csv"] = write_csv(
        out / "country_lists" / "iso3166_1.csv", ["iso3", "iso2", "numeric", "name"], iso_rows
    )
    dv_src = read_csv(ref / "default_values_ir_2025_2621.csv")
    if len(dv_src) != 11391:
        raise DataError(f"default values: {len(dv_src)} rows, expected 11,391")
    shared_iso = {r["Country"]: r["iso3"] for r in read_csv(intens / "cbam_dv_country_to_iso3.csv")}
    country_map = regulation_country_map((r["country"] for r in dv_src), shared_iso)
    counts["country_lists/eu_cbam_country_names.csv"] = write_csv(
        out / "country_lists" / "eu_cbam_country_names.csv",
        ["regulation_name", "iso3"],
        ({"regulation_name": k, "iso3": v} for k, v in sorted(country_map.items())),
    )
    for iso3, *_ in EU27:
        if iso3 not in iso3_set:
            raise DataError(f"EU27: {iso3} unknown")
    if len(EU27) != 27:
        raise DataError("EU27 must list 27 states")
    counts["country_lists/eu27.csv"] = write_csv(
        out / "country_lists" / "eu27.csv",
        GROUP_COLUMNS,
        (
            {"iso3": i, "name": n, "member_from": f, "member_to": "", "source": s}
            for i, n, f, s in EU27
        ),
    )
    counts["country_lists/eu_cbam_annex_iii.csv"] = write_csv(
        out / "country_lists" / "eu_cbam_annex_iii.csv",
        GROUP_COLUMNS,
        (
            {
                "iso3": i,
                "name": n,
                "member_from": REG_2023_956_IN_FORCE,
                "member_to": "",
                "source": ANNEX_III_SOURCE,
            }
            for i, n in ANNEX_III
        ),
    )

    # default values
    dv, dv_notes = parse_default_values(dv_src, country_map)
    second = parse_second_transcription(
        intens / "cbam_default_values_IR2025-2621_annexI_wb20260204.csv", shared_iso
    )
    counts["rates/eu/default_values.csv"] = write_csv(
        out / "rates" / "eu" / "default_values.csv", DEFAULT_VALUE_COLUMNS, (d.as_csv() for d in dv)
    )
    dv_cross = crosscheck_default_values(dv, second)
    counts["rates/eu/crosscheck_default_values.csv"] = write_csv(
        out / "rates" / "eu" / "crosscheck_default_values.csv", CROSSCHECK_DV_COLUMNS, dv_cross
    )
    mk = markup_exceptions(dv, second)
    counts["rates/eu/markup_rule_exceptions.csv"] = write_csv(
        out / "rates" / "eu" / "markup_rule_exceptions.csv", MARKUP_EXCEPTION_COLUMNS, mk
    )

    # benchmarks
    bm = build_benchmarks(read_csv(ref / "benchmarks_ir_2025_2620.csv"))
    counts["rates/eu/benchmarks.csv"] = write_csv(
        out / "rates" / "eu" / "benchmarks.csv", BENCHMARK_COLUMNS, bm
    )
    bm_cross = crosscheck_benchmarks(
        bm, parse_column_b(intens / "cbam_benchmarks_IR2025-2620_columnB.csv")
    )
    counts["rates/eu/crosscheck_benchmarks.csv"] = write_csv(
        out / "rates" / "eu" / "crosscheck_benchmarks.csv", CROSSCHECK_BM_COLUMNS, bm_cross
    )

    # goods
    goods = build_goods(read_csv(ref / "annex_i_goods.csv"))
    counts["rates/eu/goods.csv"] = write_csv(
        out / "rates" / "eu" / "goods.csv", GOODS_COLUMNS, goods
    )

    # trade
    partner_map = {
        r["partnerDesc"]: r["iso3"] for r in read_csv(trade_dir / "eu27_partner_label_to_iso.csv")
    }
    # The source's 'Palestine' label stands for Eurostat code QP, which is "High seas" in the
    # Geonomenclature (Palestine is PS): not a country of origin, dropped like the other Q* codes.
    partner_map["Palestine"] = ""
    tr = build_imports(
        read_csv(trade_dir / "eu27_cbam_sector_trade_by_partner_2019_2025.csv"), partner_map
    )
    unknown = sorted({r["origin"] for r in tr.rows} - iso3_set)
    if unknown:
        raise DataError(f"trade origins not in iso3166_1.csv: {unknown}")
    counts["data/eu27_comext_cbam_imports_2019_2025.csv"] = write_csv(
        out / "data" / "eu27_comext_cbam_imports_2019_2025.csv", IMPORT_COLUMNS, tr.rows
    )

    # sanity checks named in the brief
    tur = [d for d in dv if d.origin == "TUR" and d.cn_code == "72071111"]
    assert len(tur) == 1 and tur[0].values["markup_2026"] == "2.541" and tur[0].route == "C"
    assert any(
        b["cn_code"] == "72071111"
        and b["column"] == "B"
        and b["route"] == "C"
        and b["benchmark"] == "1.364"
        for b in bm
    )

    report(counts, dv, dv_notes, dv_cross, mk, bm_cross, tr)
    return 0


def report(
    counts: dict[str, int],
    dv: list[DefaultValueRow],
    dv_notes: list[str],
    dv_cross: list[dict[str, str]],
    mk: list[dict[str, str]],
    bm_cross: list[dict[str, str]],
    tr: TradeResult,
) -> None:
    print("pycountry", importlib.metadata.version("pycountry"))
    print("rows written (excluding header):")
    for name, n in counts.items():
        print(f"  {name}: {n}")
    print("default values by status:", dict(Counter(d.status for d in dv)))
    print("data-note fixes:")
    for note in dv_notes:
        print("  " + note)
    print(
        "default-value cross-check disagreements:",
        len(dv_cross),
        dict(Counter(c["field"] for c in dv_cross)),
    )
    print("mark-up rule exceptions:", len(mk), dict(Counter(m["explanation"] for m in mk)))
    for m in mk:
        if not m["explanation"].startswith("published mark-up computed from the unrounded"):
            print(
                "  ",
                {
                    k: m[k]
                    for k in (
                        "origin",
                        "cn_code",
                        "year",
                        "base",
                        "published",
                        "expected_from_rounded_base",
                        "explanation",
                    )
                },
            )
    print("benchmark column-B cross-check disagreements:", len(bm_cross))
    for c in bm_cross[:20]:
        print("  ", c)
    print("trade: dropped import rows by label:", dict(tr.dropped))
    print("  dropped tonnes:", {k: f"{v:f}" for k, v in tr.dropped_t.items()})
    print("  dropped EUR:", {k: f"{v:f}" for k, v in tr.dropped_eur.items()})
    print(
        "  totals dropped:",
        sum(tr.dropped.values()),
        "rows",
        f"{sum(tr.dropped_t.values()):f} t",
        f"{sum(tr.dropped_eur.values()):f} EUR",
    )
    print("  merged keys (two labels, one ISO3):", tr.merged_keys)
    print("  value-but-zero-quantity output rows:", tr.zero_quantity)
    for year in sorted(tr.tonnes_by_year):
        print(f"  {year}: {tr.tonnes_by_year[year]:.0f} t  EUR {tr.eur_by_year[year]:.0f}")
    sectors = sorted({s for _, s in tr.tonnes_by_year_sector})
    print("  tonnes by year x sector:", ", ".join(sectors))
    for year in sorted(tr.tonnes_by_year):
        print("   ", year, " ".join(f"{tr.tonnes_by_year_sector[(year, s)]:.0f}" for s in sectors))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
