"""Build the trade-data country-code exceptions in country_lists/ from the tables in this script.

Reproducible: run ``python scripts/build_trade_codes.py [--shared PATH] [--out PATH]``.
The library never reads ../shared at run time; ``cbam.read_trade`` reads only what this script
writes, plus ``country_lists/iso3166_1.csv`` (ISO 3166-1 from pycountry).

A trade data set's country code is converted in two steps: first through the exceptions written
here (its publisher's own codes, aggregates and special codes), then, for every other code,
through ISO 3166-1 (numeric codes for BACI and Comtrade, alpha-2 for Eurostat Comext). Outputs
(UTF-8, comma-separated, header row, LF line endings), columns
``code,iso3,kind,name,note,source``:

* country_lists/trade_codes_baci.csv      CEPII BACI exporter/importer codes (``i``, ``j``)
* country_lists/trade_codes_comtrade.csv  UN Comtrade reporter and partner codes
* country_lists/trade_codes_comext.csv    Eurostat Comext reporter and partner (GEO) codes

``kind`` is ``country`` (the code stands for ``iso3``), ``union`` (the EU reporting as one
importer: ``EUU``, allowed as a destination only), ``aggregate`` (a sum over countries, such as
Comtrade's 'World' or Comext's EXT_EU27_2020: refused by name, never summed twice) or
``not_a_country`` (a special code or a territory without an ISO 3166-1 code: refused by name).

Checks (the script exits non-zero if one fails): every ``iso3`` of a ``country`` row exists in
country_lists/iso3166_1.csv; no code appears twice; an exception never hides an ISO code of
another country; the UNSD M49 file (../shared/data/country_classification) gives the same
country for every ISO numeric code that BACI and Comtrade use unchanged, and none of the
publishers' own country codes is an M49 code of another country.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from _common import parse_folders

M49_FILE = Path("data") / "country_classification" / "unsd_m49_en_2024-09-25.csv"
COLUMNS = ["code", "iso3", "kind", "name", "note", "source"]
UNION = "EUU"  # the EU as one reporter; the code rates/carbon_prices/instruments.csv uses


class Row(NamedTuple):
    code: str
    iso3: str
    kind: str
    name: str
    note: str
    source: str


# --------------------------------------------------------------------------- sources
FACTS = "../shared/facts/trade-data-formats.md"
BACI = (
    "CEPII BACI country_codes_V202401.csv "
    "(http://www.cepii.fr/DATA_DOWNLOAD/baci/data/BACI_HS92_V202401.zip), as transcribed in "
    "public BACI workflows (mmcky/econ-phdthesis, pyeconlab/trade/dataset/CEPIIBACI/meta) [S]"
)
BACI_NES = (
    "CEPII BACI country_codes_V202601.csv, rows '490,Other Asia nes,,S19', "
    "'697,Europe EFTA nes,,R20', '711,Southern African Customs Union (...1999),,ZA1' as quoted "
    "in public BACI test fixtures [S]"
)
COMTRADE = (
    "UN Comtrade reference tables Reporters.json and partnerAreas.json "
    "(https://comtradeapi.un.org/files/v1/app/reference/partnerAreas.json); codes as listed in "
    f"{FACTS} (uncomtrade/comtradeapicall and its issues) [S]"
)
COMTRADE_NES = (
    "UN Comtrade partnerAreas.json (https://comtradeapi.un.org/files/v1/app/reference/"
    "partnerAreas.json): 'nes' areas and special categories, as recoded in public Comtrade "
    "workflows (an R pipeline mapping them to 'e-<code>') [S]"
)
TAIWAN = (
    f"{FACTS}: 'Taiwan is reported as Other Asia, nes (490)'; silent loss reported in "
    "koala73/worldmonitor #2984, #3982 and Vizzuality/trase #1887 [S]"
)
COMEXT = f"Eurostat GEO nomenclature, as summarised in {FACTS} [S]"
KOSOVO = (
    "Kosovo has no ISO 3166 code; XK/XKX are user-assigned (IndEcol/country_converter #29, "
    "vincentarelbundock/countrycode #305); country_lists/iso3166_1.csv carries XKX [S]"
)
COMEXT_Q = (
    "Eurostat special partner codes (stores and provisions, countries not specified, "
    "confidential), as labelled in ../shared/data/trade/eu27_partner_label_to_iso.csv and "
    "data/README.md [S]"
)
CEUTA_MELILLA = (
    "Eurostat codes XC/XL; Annex III point 2 of Reg. (EU) 2023/956 "
    "(https://eur-lex.europa.eu/eli/reg/2023/956/2025-10-20/eng); data/README.md [P]"
)
COMEXT_AGG = (
    f"{FACTS}: 'aggregates EXT_EU27_2020 / INT_EU27_2020 (never countries)'; Eurostat Comext "
    "DS-045409 reporter EU27_2020 [S]"
)

# ---------------------------------------------------------------- BACI (ISO numeric-style)
# Codes BACI uses that are not the ISO 3166-1 numeric code of the country (France 251, not
# 250), and codes that are not one country. Every other code is read as ISO numeric.
BACI_ROWS = [
    Row(
        "58",
        "",
        "aggregate",
        "Belgium-Luxembourg (...1998)",
        "two countries reported jointly before 1999; ISO BEL 056, LUX 442",
        BACI,
    ),
    Row("251", "FRA", "country", "France", "BACI's France includes Monaco; ISO numeric 250", BACI),
    Row(
        "381",
        "ITA",
        "country",
        "Italy",
        "BACI's Italy includes San Marino and the Holy See; ISO numeric 380",
        BACI,
    ),
    Row(
        "490",
        "TWN",
        "country",
        "Other Asia, nes",
        "in practice Taiwan (BACI's own ISO3 is the placeholder S19); ISO numeric 158",
        f"{BACI_NES}; {TAIWAN}",
    ),
    Row(
        "530",
        "",
        "not_a_country",
        "Netherlands Antilles (...2010)",
        "dissolved 2010 into CUW, SXM and BES; no single current code",
        BACI,
    ),
    Row(
        "536",
        "",
        "not_a_country",
        "Neutral Zone",
        "former Saudi-Iraqi neutral zone; no current ISO code",
        BACI,
    ),
    Row(
        "579",
        "NOR",
        "country",
        "Norway",
        "BACI's Norway includes Svalbard and Jan Mayen; ISO numeric 578",
        BACI,
    ),
    Row(
        "697",
        "",
        "aggregate",
        "Europe EFTA, nes",
        "EFTA members not specified (BACI's placeholder ISO3 R20)",
        BACI_NES,
    ),
    Row("699", "IND", "country", "India", "ISO numeric 356", BACI),
    Row(
        "711",
        "",
        "aggregate",
        "Southern African Customs Union (...1999)",
        "five countries reported jointly before 2000 (BACI's placeholder ISO3 ZA1)",
        BACI_NES,
    ),
    Row(
        "736",
        "SDN",
        "country",
        "Sudan (...2011)",
        "Sudan before South Sudan's independence (9 Jul 2011); today's SDN is ISO numeric 729",
        BACI,
    ),
    Row(
        "757",
        "CHE",
        "country",
        "Switzerland",
        "BACI's Switzerland includes Liechtenstein; ISO numeric 756",
        BACI,
    ),
    Row(
        "842",
        "USA",
        "country",
        "USA",
        "BACI's USA includes Puerto Rico and the US Virgin Islands; ISO numeric 840",
        BACI,
    ),
    Row("849", "UMI", "country", "US Misc. Pacific Islands", "ISO numeric 581", BACI),
    Row(
        "891",
        "",
        "not_a_country",
        "Serbia and Montenegro (...2005)",
        "dissolved 2006 into SRB and MNE; no single current code",
        BACI,
    ),
]

# ------------------------------------------------------- UN Comtrade reporter/partner codes
COMTRADE_ROWS = [
    Row(
        "0",
        "",
        "aggregate",
        "World",
        "the sum over all partners: a total, never a country",
        COMTRADE,
    ),
    Row(
        "58",
        "",
        "aggregate",
        "Belgium-Luxembourg (...1998)",
        "two countries reported jointly before 1999",
        COMTRADE,
    ),
    Row(
        "80", "", "not_a_country", "British Antarctic Territory", "no ISO 3166-1 code", COMTRADE_NES
    ),
    Row(
        "97",
        "",
        "aggregate",
        "European Union",
        "Comtrade's EU reporter: a sum over member states",
        COMTRADE,
    ),
    Row("129", "", "aggregate", "Caribbean, nes", "area not elsewhere specified", COMTRADE_NES),
    Row(
        "221", "", "aggregate", "Eastern Europe, nes", "area not elsewhere specified", COMTRADE_NES
    ),
    Row(
        "251",
        "FRA",
        "country",
        "France",
        "Comtrade's France includes Monaco; ISO numeric 250",
        COMTRADE,
    ),
    Row(
        "290", "", "aggregate", "Northern Africa, nes", "area not elsewhere specified", COMTRADE_NES
    ),
    Row("381", "ITA", "country", "Italy", "ISO numeric 380", COMTRADE),
    Row(
        "471",
        "",
        "aggregate",
        "Central American Common Market, nes",
        "area not elsewhere specified",
        COMTRADE_NES,
    ),
    Row(
        "472",
        "",
        "aggregate",
        "Africa CAMEU region, nes",
        "area not elsewhere specified",
        COMTRADE_NES,
    ),
    Row("473", "", "aggregate", "LAIA, nes", "area not elsewhere specified", COMTRADE_NES),
    Row(
        "490",
        "TWN",
        "country",
        "Other Asia, nes",
        "in practice Taiwan, which Comtrade does not list by name; ISO numeric 158",
        f"{COMTRADE}; {TAIWAN}",
    ),
    Row(
        "492",
        "",
        "aggregate",
        "Europe EU, nes",
        "area not elsewhere specified; Comtrade reuses Monaco's ISO numeric 492 "
        "(Monaco is counted in France, 251)",
        COMTRADE_NES,
    ),
    Row("527", "", "aggregate", "Oceania, nes", "area not elsewhere specified", COMTRADE_NES),
    Row(
        "530",
        "",
        "not_a_country",
        "Netherlands Antilles (...2010)",
        "dissolved 2010; no single current code",
        COMTRADE_NES,
    ),
    Row("536", "", "not_a_country", "Neutral Zone", "no current ISO code", COMTRADE_NES),
    Row("568", "", "aggregate", "Other Europe, nes", "area not elsewhere specified", COMTRADE_NES),
    Row("577", "", "aggregate", "Other Africa, nes", "area not elsewhere specified", COMTRADE_NES),
    Row("579", "NOR", "country", "Norway", "ISO numeric 578", COMTRADE),
    Row(
        "636", "", "aggregate", "Rest of America, nes", "area not elsewhere specified", COMTRADE_NES
    ),
    Row(
        "637",
        "",
        "aggregate",
        "North America and Central America, nes",
        "area not elsewhere specified",
        COMTRADE_NES,
    ),
    Row("697", "", "aggregate", "Europe EFTA, nes", "area not elsewhere specified", COMTRADE_NES),
    Row("699", "IND", "country", "India", "ISO numeric 356", COMTRADE),
    Row(
        "711",
        "",
        "aggregate",
        "Southern African Customs Union (...1999)",
        "five countries reported jointly",
        COMTRADE_NES,
    ),
    Row(
        "736",
        "SDN",
        "country",
        "Sudan (...2011)",
        "Sudan before South Sudan's independence; today's SDN is 729",
        COMTRADE_NES,
    ),
    Row("757", "CHE", "country", "Switzerland", "ISO numeric 756", COMTRADE),
    Row(
        "837",
        "",
        "not_a_country",
        "Bunkers",
        "ship and aircraft stores, not a country",
        COMTRADE_NES,
    ),
    Row("838", "", "not_a_country", "Free Zones", "not a country", COMTRADE_NES),
    Row(
        "839",
        "",
        "not_a_country",
        "Special Categories",
        "partner withheld, not a country",
        COMTRADE_NES,
    ),
    Row("842", "USA", "country", "USA", "ISO numeric 840", COMTRADE),
    Row("849", "UMI", "country", "US Misc. Pacific Islands", "ISO numeric 581", COMTRADE_NES),
    Row("879", "", "aggregate", "Western Asia, nes", "area not elsewhere specified", COMTRADE_NES),
    Row(
        "891",
        "",
        "not_a_country",
        "Serbia and Montenegro (...2005)",
        "dissolved 2006; no single current code",
        COMTRADE_NES,
    ),
    Row("899", "", "aggregate", "Areas, nes", "area not elsewhere specified", COMTRADE_NES),
]

# ------------------------------------------------------------ Eurostat Comext GEO codes
COMEXT_ROWS = [
    Row("EL", "GRC", "country", "Greece", "Eurostat writes Greece EL (ISO alpha-2 GR)", COMEXT),
    Row(
        "UK",
        "GBR",
        "country",
        "United Kingdom",
        "Eurostat's GEO code for the UK in its other data sets (ISO alpha-2 GB)",
        COMEXT,
    ),
    Row(
        "XI",
        "",
        "not_a_country",
        "United Kingdom (Northern Ireland), whose trade with the EU is intra-EU under the Windsor "
        "Framework: no import into the EU customs territory",
        "Comext partner code from 2021; assumption: refused rather than counted as GBR (goods "
        "from Northern Ireland pay no EU CBAM)",
        "Eurostat GEO nomenclature (XI, United Kingdom (Northern Ireland), from 2021); Windsor "
        "Framework, Art. 5 and Annex 2 (EU customs legislation applies in Northern Ireland) [S]",
    ),
    Row(
        "XU",
        "GBR",
        "country",
        "United Kingdom (excluding Northern Ireland)",
        "Comext partner code from 2021; assumption: counted as GBR",
        "assumption [A]: Comext's partner code for Great Britain from 2021, when Northern "
        "Ireland (XI) is reported apart; not in ../shared/facts/trade-data-formats.md, which "
        "lists EL, XK, XS and the EU aggregates only (the code list is the Geonomenclature of "
        "Commission Implementing Regulation (EU) 2020/1470, not checked here)",
    ),
    Row(
        "XK",
        "XKX",
        "country",
        "Kosovo",
        "user-assigned code (not ISO 3166-1)",
        f"{COMEXT}; {KOSOVO}",
    ),
    Row("XS", "SRB", "country", "Serbia", "Serbia in some extractions (ISO alpha-2 RS)", COMEXT),
    Row(
        "XC",
        "",
        "not_a_country",
        "Ceuta",
        "Spanish territory outside the EU customs territory, no ISO 3166-1 code; "
        "CBAM Annex III point 2",
        CEUTA_MELILLA,
    ),
    Row(
        "XL",
        "",
        "not_a_country",
        "Melilla",
        "Spanish territory outside the EU customs territory, no ISO 3166-1 code; "
        "CBAM Annex III point 2",
        CEUTA_MELILLA,
    ),
    Row("QP", "", "not_a_country", "High seas", "Eurostat special code", COMEXT_Q),
    Row(
        "QR",
        "",
        "not_a_country",
        "Stores and provisions (intra-EU)",
        "Eurostat special code",
        COMEXT_Q,
    ),
    Row(
        "QS",
        "",
        "not_a_country",
        "Stores and provisions (extra-EU)",
        "Eurostat special code",
        COMEXT_Q,
    ),
    Row(
        "QV",
        "",
        "not_a_country",
        "Countries and territories not specified (intra-EU)",
        "Eurostat special code",
        COMEXT_Q,
    ),
    Row(
        "QW",
        "",
        "not_a_country",
        "Countries and territories not specified (extra-EU)",
        "Eurostat special code",
        COMEXT_Q,
    ),
    Row(
        "QY",
        "",
        "not_a_country",
        "Secret countries (intra-EU)",
        "Eurostat special code (confidential)",
        COMEXT_Q,
    ),
    Row(
        "QZ",
        "",
        "not_a_country",
        "Secret countries (extra-EU)",
        "Eurostat special code (confidential)",
        COMEXT_Q,
    ),
    Row(
        "EU27_2020",
        UNION,
        "union",
        "European Union (27 countries, from 2020)",
        "the EU as one importer: a destination (reporter), never an origin",
        COMEXT_AGG,
    ),
    Row(
        "EU",
        UNION,
        "union",
        "European Union",
        "the EU as one importer: a destination (reporter), never an origin",
        COMEXT_AGG,
    ),
    Row(
        "EXT_EU27_2020",
        "",
        "aggregate",
        "Extra-EU27 (from 2020)",
        "sum over all non-EU partners",
        COMEXT_AGG,
    ),
    Row(
        "INT_EU27_2020",
        "",
        "aggregate",
        "Intra-EU27 (from 2020)",
        "sum over all EU partners",
        COMEXT_AGG,
    ),
    Row("EXT_EU28", "", "aggregate", "Extra-EU28", "sum over all non-EU partners", COMEXT_AGG),
    Row("INT_EU28", "", "aggregate", "Intra-EU28", "sum over all EU partners", COMEXT_AGG),
    Row(
        "EU28",
        "",
        "aggregate",
        "European Union (28 countries)",
        "includes the United Kingdom: not one destination territory",
        COMEXT_AGG,
    ),
    Row("WORLD", "", "aggregate", "World", "the sum over all partners", COMEXT_AGG),
]


class DataError(RuntimeError):
    """Raised when the tables or a source do not look the way this script expects."""


def read_iso(out: Path) -> tuple[dict[str, str], dict[str, str]]:
    """ISO numeric (no leading zeros) -> iso3 and ISO alpha-2 -> iso3, from iso3166_1.csv."""
    with (out / "country_lists" / "iso3166_1.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    numeric = {str(int(r["numeric"])): r["iso3"] for r in rows if r["numeric"]}
    alpha2 = {r["iso2"]: r["iso3"] for r in rows}
    return numeric, alpha2


def read_m49(shared: Path) -> dict[str, str]:
    """M49 code (no leading zeros) -> ISO3, from the UNSD file of 25 Sep 2024."""
    with (shared / M49_FILE).open(encoding="utf-8-sig") as fh:
        return {
            str(int(r["M49 Code"])): r["ISO-alpha3 Code"]
            for r in csv.DictReader(fh)
            if r["ISO-alpha3 Code"]
        }


# Codes a publisher deliberately reuses from another country (documented in the row's note).
REUSED = {("comtrade", "492")}


def check(
    name: str, rows: Sequence[Row], standard: dict[str, str], iso3: set[str], m49: dict[str, str]
) -> list[str]:
    """Problems with one table (empty when it is sound)."""
    problems: list[str] = []
    codes = [r.code for r in rows]
    problems += [
        f"{name}: code {c} twice" for c in sorted({c for c in codes if codes.count(c) > 1})
    ]
    for r in rows:
        if r.kind not in ("country", "union", "aggregate", "not_a_country"):
            problems.append(f"{name} {r.code}: unknown kind {r.kind!r}")
        if r.kind == "country" and r.iso3 not in iso3:
            problems.append(f"{name} {r.code}: {r.iso3} is not in iso3166_1.csv")
        if r.kind == "union" and r.iso3 != UNION:
            problems.append(f"{name} {r.code}: a union row must map to {UNION}")
        if r.kind in ("aggregate", "not_a_country") and r.iso3:
            problems.append(f"{name} {r.code}: a refused code must have no iso3")
        if not r.source or not r.note:
            problems.append(f"{name} {r.code}: no source or note")
        # An exception must not hide the ISO code of a different country.
        if (name, r.code) in REUSED:
            if "reuses" not in r.note:
                problems.append(f"{name} {r.code}: a reused code must say so in its note")
            continue
        if r.code in standard and standard[r.code] != r.iso3:
            problems.append(f"{name} {r.code}: is ISO's code for {standard[r.code]}, not {r.iso3}")
        if m49 and r.code in m49 and m49[r.code] != r.iso3:
            problems.append(f"{name} {r.code}: is M49's code for {m49[r.code]}")
    return problems


def write(path: Path, rows: Sequence[Row]) -> int:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return len(rows)


def main(argv: Sequence[str] | None = None) -> int:
    shared, out = parse_folders(__doc__, argv)
    numeric, alpha2 = read_iso(out)
    iso3 = set(numeric.values()) | set(alpha2.values())
    m49 = read_m49(shared)
    problems = check("baci", BACI_ROWS, numeric, iso3, m49)
    problems += check("comtrade", COMTRADE_ROWS, numeric, iso3, m49)
    problems += check("comext", COMEXT_ROWS, alpha2, iso3, {})
    # ISO numeric and M49 agree wherever both name a country (the codes used unchanged).
    differ = sorted(c for c in set(numeric) & set(m49) if numeric[c] != m49[c])
    problems += [f"ISO numeric {c} is {numeric[c]} but M49 says {m49[c]}" for c in differ]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    folder = out / "country_lists"
    for name, rows in (
        ("trade_codes_baci.csv", BACI_ROWS),
        ("trade_codes_comtrade.csv", COMTRADE_ROWS),
        ("trade_codes_comext.csv", COMEXT_ROWS),
    ):
        n = write(folder / name, sorted(rows, key=lambda r: (len(r.code), r.code)))
        kinds = {
            k: sum(r.kind == k for r in rows)
            for k in ("country", "union", "aggregate", "not_a_country")
        }
        print(f"country_lists/{name}: {n} rows {kinds}")
    only_m49 = sorted(set(m49) - set(numeric))
    print(f"M49 codes without an ISO numeric code in iso3166_1.csv: {only_m49 or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
