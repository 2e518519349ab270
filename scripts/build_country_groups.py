"""Build the dated UN country groups (LDC, SIDS) in country_lists/ from the tables in this script.

Reproducible: run ``python scripts/build_country_groups.py [--shared PATH] [--out PATH]``.
The library never reads ../shared at run time; it reads only what this script writes.

Outputs (UTF-8, comma-separated, header row, LF line endings), columns
``iso3,name,member_from,member_to,source,note``:

* country_lists/un_ldc.csv               UN least developed countries, with graduation dates
* country_lists/un_sids_members.csv      small island developing States that are UN members
* country_lists/un_sids_non_members.csv  SIDS that are not UN members / are associate members
                                         of UN regional commissions

The data are held below, one tuple per country, each with its source URL (from the project's
policy fact sheet, ../shared/facts/policy-facts.md section 5, unless a comment says otherwise).
Membership on day ``d``: ``member_from`` empty or <= d, and ``member_to`` empty or > d; i.e.
``member_to`` is the first day *outside* the group (the graduation date), the same rule as
``cbam._countries.members_in_year``.

Checks (the script exits non-zero if one fails): every ISO3 code exists in
country_lists/iso3166_1.csv; no duplicates; dates are ISO dates; the LDC members on 2024-09-25
are exactly the countries flagged LDC in the UNSD M49 file of that date; 44 LDCs on 2026-01-01;
the fixed sanity rows (MOZ, BTN, STP). Differences from the M49 SIDS flag are printed, not
fatal (the M49 grouping is a different list; see country_lists/README.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from _common import REPO, parse_folders

M49_FILE = Path("data") / "country_classification" / "unsd_m49_en_2024-09-25.csv"
M49_DATE = dt.date(2024, 9, 25)
COLUMNS = ["iso3", "name", "member_from", "member_to", "source", "note"]


class Row(NamedTuple):
    iso3: str
    name: str
    member_from: str
    member_to: str
    source: str
    note: str


class DataError(RuntimeError):
    """Raised when the tables or a source do not look the way this script expects."""


# --------------------------------------------------------------------------- sources
# URLs cited in policy-facts.md section 5.
UN_DESA_44 = (  # STP graduated 13 Dec 2024; "There are now 44 countries remaining"
    "https://policy.desa.un.org/themes/cdp-news-and-events/news/"
    "sao-tome-and-principe-graduated-from-ldc-status"
)
WTO_ILIBRARY = "https://www.wto-ilibrary.org/content/books/9789287051097c003"
SCIREF = "http://sciref.net/o44738.html"
UN_PRESS_VUT = "https://press.un.org/en/2021/ga12313.doc.htm"
XINHUA_BTN = "https://english.news.cn/20231219/018041949a7c4069aeeafb5cf60114a6/c.html"
TBS_BGD = "https://www.tbsnews.net/economy/erd-celebrate-un-nod-ldc-graduation-sunday-351838"
XINHUA_BGD_DEFER = "http://m.grzxsz.com/english/20260603/21592786110f43708816eded1f4953d6/c.html"
NATION_LAO = "https://www.nationthailand.com/international/40009250"
CLICKMANDU_NPL = "https://english.clickmandu.com/2025/11/4678"
ISLANDS_BUSINESS_SLB = (
    "https://islandsbusiness.com/news-break/"
    "solomon-islands-granted-three-years-ldc-graduation-extension-by-un/"
)
SENENEWS_SEN_KHM = (
    "https://senenews.com/en/senegal/economy-senegal-and-cambodia-withdrawn-from-the-"
    "least-developed-countries-list-5774.html"
)
JAPAN_CAMBODIA_KHM = (
    "https://japan-cambodia.or.jp/about-cambodia/news/"
    "%e3%82%ab%e3%83%b3%e3%83%9c%e3%82%b8%e3%82%a2%e3%80%812029%e5%b9%b4%e3%81%ab%e5%be%8c"
    "%e7%99%ba%e9%96%8b%e7%99%ba%e9%80%94%e4%b8%8a%e5%9b%bd%e3%81%8b%e3%82%89%e3%80%8c%e5%8d"
    "%92%e6%a5%ad%e3%80%8d"
)
OHRLLS_REVIEWS = (  # mirror of the UN-OHRLLS page, as cited in the facts
    "http://dd-floors.com/ohrlls/content/previous-triennial-reviews-and-graduation-decisions"
)
UNOHRLLS_SIDS = "http://unohrlls.org/about-sids/"
ZARO_SIDS = "https://zaro.info/small-island-developing-states/which-countries-are-sids"
VERIFAVIA_SIDS = (
    "https://www.verifavia.com/greenhouse-gas-verification/"
    "fq-which-are-the-small-island-developing-states-302.php"
)
WPR_SIDS = "https://www.worldpopulationreview.com/country-rankings/small-island-developing-states"

# Not in the facts file; found while checking the facts (UN pages unless marked secondary).
UN_DESA_TIMELINE = (  # inclusion year of every LDC, graduation years (1994 Botswana, ...)
    "https://policy.desa.un.org/themes/least-developed-countries-category/"
    "creation-of-the-ldc-category-and-timeline-of-changes-to"
)
OHRLLS_GNQ = (  # "graduated ... on 4 June 2017"; "Previously, Botswana (1994), ..."
    "http://unohrlls.org/news/"
    "4-june-2017-equatorial-guinea-graduates-category-least-developed-countries/"
)
OHRLLS_CPV = (  # Feb 2008: "At the end of last year ... ceased to be one of the LDCs"
    "https://unohrlls.org/meetings-conferences-and-special-events/"
    "no-more-an-ldc-cape-verde-looks-to-build-on-economic-gains/"
)
MACAUHUB_CPV = "https://macauhub.com.mo/2008/01/02/4307/"  # secondary: "From 1 Jan" 2008
UN_DESA_WSM = (  # LDC factsheet: transition extended "until 1 January 2014" (A/RES/64/295)
    "http://www.un.org/en/development/desa/policy/cdp/ldc/profile/country_164.shtml"
)
LIQUISEARCH_MDV = "https://www.liquisearch.com/least_developed_countries"  # secondary
UN_DESA_VUT = (  # "On 4 December, Vanuatu became the sixth country to graduate"
    "https://policy.desa.un.org/themes/cdp-news-and-events/news/vanuatu-graduated-from-ldc-status"
)

GA_1971 = "GA res. 2768 (XXVI)"
A_RES_76_8 = "A/RES/76/8 of 24 Nov 2021"

# --------------------------------------------------------------------------- LDC table
# iso3, name, year included (UN DESA timeline), member_to (graduation date), source.
# member_from is the last day of the year of inclusion (the sources give the year only; a
# day inside it is the one reading this cannot tell; country_lists/README.md): historical
# trade judged in its own year is an LDC's from then. Longer notes are in LDC_NOTES below.
LdcEntry = tuple[str, str, int, str, str]

LDC_CURRENT: list[LdcEntry] = [
    # --- Africa (32)
    ("AGO", "Angola", 1994, "", UN_DESA_44),
    ("BEN", "Benin", 1971, "", UN_DESA_44),
    ("BFA", "Burkina Faso", 1971, "", UN_DESA_44),
    ("BDI", "Burundi", 1971, "", UN_DESA_44),
    ("CAF", "Central African Republic", 1975, "", UN_DESA_44),
    ("TCD", "Chad", 1971, "", UN_DESA_44),
    ("COM", "Comoros", 1977, "", UN_DESA_44),
    ("COD", "Democratic Republic of the Congo", 1991, "", UN_DESA_44),
    ("DJI", "Djibouti", 1982, "", UN_DESA_44),
    ("ERI", "Eritrea", 1994, "", UN_DESA_44),
    ("ETH", "Ethiopia", 1971, "", UN_DESA_44),
    ("GMB", "Gambia", 1975, "", UN_DESA_44),
    ("GIN", "Guinea", 1971, "", UN_DESA_44),
    ("GNB", "Guinea-Bissau", 1981, "", UN_DESA_44),
    ("LSO", "Lesotho", 1971, "", UN_DESA_44),
    ("LBR", "Liberia", 1990, "", UN_DESA_44),
    ("MDG", "Madagascar", 1991, "", UN_DESA_44),
    ("MWI", "Malawi", 1971, "", UN_DESA_44),
    ("MLI", "Mali", 1971, "", UN_DESA_44),
    ("MRT", "Mauritania", 1986, "", UN_DESA_44),
    ("MOZ", "Mozambique", 1988, "", UN_DESA_44),
    ("NER", "Niger", 1971, "", UN_DESA_44),
    ("RWA", "Rwanda", 1971, "", UN_DESA_44),
    ("SEN", "Senegal", 2001, "2029-12-19", SENENEWS_SEN_KHM),
    ("SLE", "Sierra Leone", 1982, "", UN_DESA_44),
    ("SOM", "Somalia", 1971, "", UN_DESA_44),
    ("SSD", "South Sudan", 2012, "", UN_DESA_44),
    ("SDN", "Sudan", 1971, "", UN_DESA_44),
    ("TGO", "Togo", 1982, "", UN_DESA_44),
    ("UGA", "Uganda", 1971, "", UN_DESA_44),
    ("TZA", "United Republic of Tanzania", 1971, "", UN_DESA_44),
    ("ZMB", "Zambia", 1991, "", UN_DESA_44),
    # --- Asia (8)
    ("AFG", "Afghanistan", 1971, "", UN_DESA_44),
    ("BGD", "Bangladesh", 1975, "2026-11-24", f"{TBS_BGD} ; {XINHUA_BGD_DEFER}"),
    ("KHM", "Cambodia", 1991, "2029-12-19", f"{SENENEWS_SEN_KHM} ; {JAPAN_CAMBODIA_KHM}"),
    ("LAO", "Lao People's Democratic Republic", 1971, "2026-11-24", NATION_LAO),
    ("MMR", "Myanmar", 1987, "", UN_DESA_44),
    ("NPL", "Nepal", 1971, "2026-11-24", CLICKMANDU_NPL),
    ("TLS", "Timor-Leste", 2003, "", UN_DESA_44),
    ("YEM", "Yemen", 1971, "", UN_DESA_44),
    # --- Pacific (3)
    ("KIR", "Kiribati", 1986, "", UN_DESA_44),
    ("SLB", "Solomon Islands", 1991, "2027-12-13", ISLANDS_BUSINESS_SLB),
    ("TUV", "Tuvalu", 1986, "", UN_DESA_44),
    # --- Caribbean (1)
    ("HTI", "Haiti", 1971, "", UN_DESA_44),
]

LDC_GRADUATED: list[LdcEntry] = [
    ("BWA", "Botswana", 1971, "1994-12-16", WTO_ILIBRARY),
    ("CPV", "Cabo Verde", 1977, "2007-12-20", WTO_ILIBRARY),
    ("MDV", "Maldives", 1971, "2011-01-01", WTO_ILIBRARY),
    ("WSM", "Samoa", 1971, "2014-01-01", WTO_ILIBRARY),
    ("GNQ", "Equatorial Guinea", 1982, "2017-06-04", WTO_ILIBRARY),
    ("VUT", "Vanuatu", 1985, "2020-12-04", UN_PRESS_VUT),
    ("BTN", "Bhutan", 1971, "2023-12-13", XINHUA_BTN),
    ("STP", "São Tomé and Príncipe", 1982, "2024-12-13", UN_DESA_44),
]

CDP_2027 = (
    "met graduation criteria for the first time in 2024; to be considered at the 2027 review "
    f"({OHRLLS_REVIEWS})"
)
SCHEDULED_2029 = (
    "scheduled: GA decision of 19 Dec 2024, graduation 19 Dec 2029 (five-year preparatory "
    "period); day as given in the source"
)
LDC_NOTES: dict[str, str] = {
    # --- members whose graduation is deferred or under consideration (no decided end)
    "AGO": f"graduation deferred 'to a later date' by the GA in Dec 2023 ({XINHUA_BTN})",
    "COM": f"graduation decision deferred to the 2027 triennial review ({OHRLLS_REVIEWS})",
    "MMR": f"graduation decision deferred to the 2027 triennial review ({OHRLLS_REVIEWS})",
    "DJI": f"graduation deferred by ECOSOC in 2024 ({OHRLLS_REVIEWS})",
    "KIR": f"graduation deferred by ECOSOC in 2024 ({OHRLLS_REVIEWS})",
    "TUV": f"graduation deferred by ECOSOC in 2024 ({OHRLLS_REVIEWS})",
    "RWA": CDP_2027,
    "UGA": CDP_2027,
    "TZA": CDP_2027,
    # --- scheduled graduations
    "BGD": (
        f"graduation decided by the GA for 24 Nov 2026 ({A_RES_76_8}, five-year preparatory "
        "period; same resolution and date as Lao PDR and Nepal); the TBS source says 23 Nov "
        "2026, read as an off-by-one. PENDING DEFERRAL: the CDP accepted (June 2026) "
        "Bangladesh's request to postpone graduation to 24 Nov 2029 (Xinhua); no GA endorsement "
        "found, so member_to keeps the GA-decided 2026-11-24. Change it to 2029-11-24 if the GA "
        "endorses the deferral"
    ),
    "LAO": f"scheduled: {A_RES_76_8}, five-year preparatory period; no deferral found",
    "NPL": (
        f"scheduled: {A_RES_76_8}, five-year preparatory period. The government sought a "
        "postponement (Nov 2025); outcome not found, so member_to keeps the GA-decided date"
    ),
    "SLB": (
        "graduation was due 13 Dec 2024; the GA (25 Aug 2023) extended the preparatory period "
        "by three years. 2027-12-13 is INFERRED (13 Dec 2024 + 3 years): the sources give only "
        "the year 2027, exact day not found"
    ),
    "KHM": SCHEDULED_2029,
    "SEN": SCHEDULED_2029,
    # --- graduated
    "BWA": (
        f"graduated 1994. CONFLICT: one secondary source says 1995 ({SCIREF}); 1994 kept because "
        f"UN sources give 1994 (UN DESA LDC timeline {UN_DESA_TIMELINE} ; UN-OHRLLS "
        f"{OHRLLS_GNQ}). The day (16 Dec) is the UN date given in the project brief; no "
        "retrieved source states the day"
    ),
    "CPV": (
        f"graduated Dec 2007 (UN-OHRLLS {OHRLLS_CPV}: 'at the end of last year'). The day "
        "(20 Dec) is the date given in the project brief, not stated in a retrieved source; one "
        f"secondary source says 'from 1 Jan' 2008 ({MACAUHUB_CPV})"
    ),
    "MDV": (
        "graduated 1 Jan 2011 (year per WTO iLibrary and the UN DESA timeline; day per a "
        f"secondary source, {LIQUISEARCH_MDV})"
    ),
    "WSM": (
        f"graduated 1 Jan 2014: UN DESA LDC factsheet ({UN_DESA_WSM}), transition extended "
        "until 1 January 2014 by A/RES/64/295"
    ),
    "GNQ": f"graduated 4 June 2017 (UN-OHRLLS {OHRLLS_GNQ})",
    "VUT": f"graduated 4 Dec 2020 (UN DESA {UN_DESA_VUT})",
    "BTN": "graduated 13 Dec 2023",
    "STP": "graduated 13 Dec 2024; still flagged LDC in the UNSD M49 file of 25 Sep 2024",
}

# --------------------------------------------------------------------------- SIDS tables
SIDS_UN_SOURCE = f"{ZARO_SIDS} ; {VERIFAVIA_SIDS}"
BAHRAIN = (
    "SIDS per UN-OHRLLS but not a member of AOSIS; omitted by the verifavia list; not flagged "
    "SIDS in the UNSD M49 file"
)

# iso3, name, region, source, note. 38 UN members (policy-facts 5.2).
SIDS_MEMBERS: list[tuple[str, str, str, str, str]] = [
    # --- Caribbean (16)
    ("ATG", "Antigua and Barbuda", "Caribbean", SIDS_UN_SOURCE, ""),
    ("BHS", "Bahamas", "Caribbean", SIDS_UN_SOURCE, ""),
    ("BRB", "Barbados", "Caribbean", SIDS_UN_SOURCE, ""),
    ("BLZ", "Belize", "Caribbean", SIDS_UN_SOURCE, ""),
    ("CUB", "Cuba", "Caribbean", SIDS_UN_SOURCE, ""),
    ("DMA", "Dominica", "Caribbean", SIDS_UN_SOURCE, ""),
    ("DOM", "Dominican Republic", "Caribbean", SIDS_UN_SOURCE, ""),
    ("GRD", "Grenada", "Caribbean", SIDS_UN_SOURCE, ""),
    ("GUY", "Guyana", "Caribbean", SIDS_UN_SOURCE, ""),
    ("HTI", "Haiti", "Caribbean", SIDS_UN_SOURCE, "also an LDC"),
    ("JAM", "Jamaica", "Caribbean", SIDS_UN_SOURCE, ""),
    ("KNA", "Saint Kitts and Nevis", "Caribbean", SIDS_UN_SOURCE, ""),
    ("LCA", "Saint Lucia", "Caribbean", SIDS_UN_SOURCE, ""),
    ("VCT", "Saint Vincent and the Grenadines", "Caribbean", SIDS_UN_SOURCE, ""),
    ("SUR", "Suriname", "Caribbean", SIDS_UN_SOURCE, ""),
    ("TTO", "Trinidad and Tobago", "Caribbean", SIDS_UN_SOURCE, ""),
    # --- Pacific (12)
    ("FJI", "Fiji", "Pacific", SIDS_UN_SOURCE, ""),
    ("KIR", "Kiribati", "Pacific", SIDS_UN_SOURCE, "also an LDC"),
    ("MHL", "Marshall Islands", "Pacific", SIDS_UN_SOURCE, ""),
    ("FSM", "Micronesia (Federated States of)", "Pacific", SIDS_UN_SOURCE, ""),
    ("NRU", "Nauru", "Pacific", SIDS_UN_SOURCE, ""),
    ("PLW", "Palau", "Pacific", SIDS_UN_SOURCE, ""),
    ("PNG", "Papua New Guinea", "Pacific", SIDS_UN_SOURCE, ""),
    ("WSM", "Samoa", "Pacific", SIDS_UN_SOURCE, "former LDC (graduated 2014-01-01)"),
    ("SLB", "Solomon Islands", "Pacific", SIDS_UN_SOURCE, "also an LDC (until 2027-12-13)"),
    ("TON", "Tonga", "Pacific", SIDS_UN_SOURCE, ""),
    ("TUV", "Tuvalu", "Pacific", SIDS_UN_SOURCE, "also an LDC"),
    ("VUT", "Vanuatu", "Pacific", SIDS_UN_SOURCE, "former LDC (graduated 2020-12-04)"),
    # --- Atlantic, Indian Ocean and South China Sea (AIS) (10)
    ("BHR", "Bahrain", "AIS", f"{UNOHRLLS_SIDS} ; {ZARO_SIDS}", BAHRAIN),
    ("CPV", "Cabo Verde", "AIS", SIDS_UN_SOURCE, "former LDC (graduated 2007-12-20)"),
    ("COM", "Comoros", "AIS", SIDS_UN_SOURCE, "also an LDC"),
    ("GNB", "Guinea-Bissau", "AIS", SIDS_UN_SOURCE, "also an LDC"),
    ("MDV", "Maldives", "AIS", SIDS_UN_SOURCE, "former LDC (graduated 2011-01-01)"),
    ("MUS", "Mauritius", "AIS", SIDS_UN_SOURCE, ""),
    ("STP", "São Tomé and Príncipe", "AIS", SIDS_UN_SOURCE, "former LDC (graduated 2024-12-13)"),
    ("SYC", "Seychelles", "AIS", SIDS_UN_SOURCE, ""),
    ("SGP", "Singapore", "AIS", SIDS_UN_SOURCE, ""),
    ("TLS", "Timor-Leste", "AIS", SIDS_UN_SOURCE, "also an LDC"),
]

SIDS_NON_UN_SOURCE = f"{ZARO_SIDS} ; {WPR_SIDS}"
EU_OUTERMOST = (
    "French overseas region, an EU outermost region inside the EU customs territory: its goods "
    "are not CBAM imports (policy-facts 5.2, marked there as unsourced general knowledge; verify)"
)
EU_OCT = (
    "EU overseas country or territory (OCT), outside the EU customs territory (policy-facts 5.2, "
    "marked there as unsourced general knowledge; verify)"
)
NOT_M49 = "not flagged SIDS in the UNSD M49 file"
NOT_UN = "not a UN member, but counted among the UN-member SIDS by some lists"
COOK = f"{NOT_UN} (verifavia's 39)"
NIUE = f"{NOT_UN} (zaro.info's 39 and verifavia's 39)"

# iso3, name, region, source, note. The 20 non-UN members / associate members of UN regional
# commissions commonly listed (policy-facts 5.2).
SIDS_NON_MEMBERS: list[tuple[str, str, str, str, str]] = [
    ("ASM", "American Samoa", "Pacific", SIDS_NON_UN_SOURCE, ""),
    ("AIA", "Anguilla", "Caribbean", SIDS_NON_UN_SOURCE, ""),
    ("ABW", "Aruba", "Caribbean", SIDS_NON_UN_SOURCE, EU_OCT),
    ("BMU", "Bermuda", "Caribbean", SIDS_NON_UN_SOURCE, NOT_M49),
    ("VGB", "British Virgin Islands", "Caribbean", SIDS_NON_UN_SOURCE, ""),
    ("CYM", "Cayman Islands", "Caribbean", SIDS_NON_UN_SOURCE, NOT_M49),
    ("MNP", "Northern Mariana Islands", "Pacific", SIDS_NON_UN_SOURCE, ""),
    ("COK", "Cook Islands", "Pacific", SIDS_NON_UN_SOURCE, COOK),
    ("CUW", "Curaçao", "Caribbean", SIDS_NON_UN_SOURCE, EU_OCT),
    ("PYF", "French Polynesia", "Pacific", SIDS_NON_UN_SOURCE, EU_OCT),
    ("GLP", "Guadeloupe", "Caribbean", SIDS_NON_UN_SOURCE, f"{EU_OUTERMOST}; {NOT_M49}"),
    ("GUM", "Guam", "Pacific", SIDS_NON_UN_SOURCE, ""),
    ("MTQ", "Martinique", "Caribbean", SIDS_NON_UN_SOURCE, f"{EU_OUTERMOST}; {NOT_M49}"),
    ("MSR", "Montserrat", "Caribbean", SIDS_NON_UN_SOURCE, ""),
    ("NCL", "New Caledonia", "Pacific", SIDS_NON_UN_SOURCE, EU_OCT),
    ("NIU", "Niue", "Pacific", SIDS_NON_UN_SOURCE, NIUE),
    ("PRI", "Puerto Rico", "Caribbean", SIDS_NON_UN_SOURCE, ""),
    ("SXM", "Sint Maarten (Dutch part)", "Caribbean", SIDS_NON_UN_SOURCE, EU_OCT),
    ("TCA", "Turks and Caicos Islands", "Caribbean", SIDS_NON_UN_SOURCE, NOT_M49),
    ("VIR", "United States Virgin Islands", "Caribbean", SIDS_NON_UN_SOURCE, ""),
]

# Listed as SIDS by one source each, deliberately NOT included (see country_lists/README.md).
SIDS_EXCLUDED: dict[str, str] = {
    "TKL": "Tokelau: listed by verifavia only",
    "WLF": "Wallis and Futuna: listed by zaro.info only",
}

# --------------------------------------------------------------------------- expectations
LDC_ON_2026 = 44
SIDS_MEMBER_COUNT = 38
SIDS_NON_MEMBER_COUNT = 20
LDC_AND_SIDS_2026 = frozenset({"COM", "GNB", "HTI", "KIR", "SLB", "TLS", "TUV"})  # facts 5.2
SANITY_MEMBER_TO = {"MOZ": "", "BTN": "2023-12-13", "STP": "2024-12-13"}
COUNT_DAYS = (dt.date(2026, 1, 1), dt.date(2027, 1, 1))


# --------------------------------------------------------------------------- helpers


# Where a source says more than the DESA timeline's year.
INCLUDED_NOTES = {
    "SEN": "included 2001 (added by the General Assembly in April 2001: UN News, "
    "https://news.un.org/en/story/2001/04/2422-senegal-added-un-list-least-developed-countries)",
}


def included_note(iso3: str, year: int) -> str:
    if iso3 in INCLUDED_NOTES:
        return INCLUDED_NOTES[iso3]
    if year == 1971:
        return f"included 1971 ({GA_1971})"
    return f"included {year} (UN DESA LDC timeline)"


def ldc_rows() -> list[Row]:
    rows = []
    for iso3, name, year, member_to, source in LDC_CURRENT + LDC_GRADUATED:
        note = LDC_NOTES.get(iso3, "")
        full_note = "; ".join(part for part in (included_note(iso3, year), note) if part)
        rows.append(Row(iso3, name, f"{year}-12-31", member_to, source, full_note))
    return sorted(rows)


def sids_rows(table: Iterable[tuple[str, str, str, str, str]]) -> list[Row]:
    rows = []
    for iso3, name, region, source, note in table:
        full_note = "; ".join(part for part in (f"region: {region}", note) if part)
        rows.append(Row(iso3, name, "", "", source, full_note))
    return sorted(rows)


def parse_day(value: str, where: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise DataError(f"{where}: bad date {value!r}") from exc


def members_on(rows: Iterable[Row], day: dt.date) -> frozenset[str]:
    """Same rule as cbam._countries.members_in_year: from <= day < to."""
    out = set()
    for row in rows:
        start = parse_day(row.member_from, row.iso3)
        end = parse_day(row.member_to, row.iso3)
        if (start is None or start <= day) and (end is None or end > day):
            out.add(row.iso3)
    return frozenset(out)


def check_table(label: str, rows: Sequence[Row], iso3_set: frozenset[str]) -> None:
    seen: set[str] = set()
    for row in rows:
        if row.iso3 not in iso3_set:
            raise DataError(f"{label}: {row.iso3} ({row.name}) is not in iso3166_1.csv")
        if row.iso3 in seen:
            raise DataError(f"{label}: {row.iso3} listed twice")
        seen.add(row.iso3)
        if not row.name or not row.source:
            raise DataError(f"{label}: {row.iso3} lacks a name or a source")
        start = parse_day(row.member_from, f"{label} {row.iso3}")
        end = parse_day(row.member_to, f"{label} {row.iso3}")
        if start is not None and end is not None and start >= end:
            raise DataError(f"{label}: {row.iso3} member_from {start} >= member_to {end}")


def read_csv(path: Path, *, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh))


def write_csv(path: Path, rows: Sequence[Row]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return len(rows)


def fmt(codes: Iterable[str]) -> str:
    items = sorted(codes)
    return ", ".join(items) if items else "(none)"


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    shared, out = parse_folders(__doc__, argv)

    iso3_set = frozenset(r["iso3"] for r in read_csv(REPO / "country_lists" / "iso3166_1.csv"))
    m49 = read_csv(shared / M49_FILE, encoding="utf-8-sig")  # the file has a BOM
    if not m49 or "ISO-alpha3 Code" not in m49[0]:
        raise DataError(f"{shared / M49_FILE}: unexpected header")
    m49_ldc = frozenset(r["ISO-alpha3 Code"] for r in m49 if r["Least Developed Countries (LDC)"])
    m49_sids = frozenset(
        r["ISO-alpha3 Code"] for r in m49 if r["Small Island Developing States (SIDS)"]
    )

    stray_notes = set(LDC_NOTES) - {e[0] for e in LDC_CURRENT + LDC_GRADUATED}
    if stray_notes:
        raise DataError(f"LDC_NOTES for codes not in the LDC tables: {fmt(stray_notes)}")
    ldc = ldc_rows()
    members = sids_rows(SIDS_MEMBERS)
    non_members = sids_rows(SIDS_NON_MEMBERS)
    for label, rows in (("un_ldc", ldc), ("un_sids_members", members)):
        check_table(label, rows, iso3_set)
    check_table("un_sids_non_members", non_members, iso3_set)
    for code in SIDS_EXCLUDED:
        if code not in iso3_set:
            raise DataError(f"SIDS_EXCLUDED: {code} is not in iso3166_1.csv")

    # ---- LDC checks
    by_code = {r.iso3: r for r in ldc}
    for code, expected in SANITY_MEMBER_TO.items():
        if code not in by_code or by_code[code].member_to != expected:
            raise DataError(f"un_ldc: {code} must have member_to {expected!r}")
    missing_from_ours = m49_ldc - set(by_code)
    if missing_from_ours:
        raise DataError(f"M49 LDC-flagged but not in un_ldc.csv: {fmt(missing_from_ours)}")
    ours_on_m49_day = members_on(ldc, M49_DATE)
    if ours_on_m49_day != m49_ldc:
        raise DataError(
            f"LDC members on {M49_DATE} differ from the M49 LDC flag: only ours "
            f"{fmt(ours_on_m49_day - m49_ldc)}; only M49 {fmt(m49_ldc - ours_on_m49_day)}"
        )
    on_2026 = members_on(ldc, dt.date(2026, 1, 1))
    if len(on_2026) != LDC_ON_2026:
        raise DataError(f"un_ldc: {len(on_2026)} members on 2026-01-01, expected {LDC_ON_2026}")
    if {r[0] for r in LDC_CURRENT} != on_2026:
        raise DataError("un_ldc: LDC_CURRENT is not the set of members on 2026-01-01")

    # ---- SIDS checks
    if len(members) != SIDS_MEMBER_COUNT or len(non_members) != SIDS_NON_MEMBER_COUNT:
        raise DataError(f"SIDS: {len(members)} members / {len(non_members)} non-members")
    member_codes = frozenset(r.iso3 for r in members)
    non_member_codes = frozenset(r.iso3 for r in non_members)
    if member_codes & non_member_codes:
        raise DataError(f"SIDS in both files: {fmt(member_codes & non_member_codes)}")
    if set(SIDS_EXCLUDED) & (member_codes | non_member_codes):
        raise DataError("an excluded SIDS is listed")
    both_2026 = on_2026 & member_codes
    if both_2026 != LDC_AND_SIDS_2026:
        raise DataError(f"LDC and SIDS on 2026-01-01: {fmt(both_2026)}")

    # ---- write
    lists = {
        "un_ldc.csv": ldc,
        "un_sids_members.csv": members,
        "un_sids_non_members.csv": non_members,
    }
    for filename, rows in lists.items():
        n = write_csv(out / "country_lists" / filename, rows)
        counts = ", ".join(f"{day}: {len(members_on(rows, day))}" for day in COUNT_DAYS)
        print(f"country_lists/{filename}: {n} rows; members on {counts}")

    # ---- report
    print(f"M49 ({M49_DATE}) LDC flag: {len(m49_ldc)}; ours on that day: {len(ours_on_m49_day)}")
    print(f"  flagged in M49 but graduated since: {fmt(m49_ldc - on_2026)}")
    for day in COUNT_DAYS:
        left = fmt(on_2026 - members_on(ldc, day)) if day != dt.date(2026, 1, 1) else "-"
        print(f"  LDC members on {day}: {len(members_on(ldc, day))}; left since 2026-01-01: {left}")
    scheduled = sorted((r.member_to, r.iso3) for r in ldc if r.iso3 in on_2026 and r.member_to)
    print("  scheduled graduations: " + ", ".join(f"{c} {d}" for d, c in scheduled))
    all_sids = member_codes | non_member_codes
    n_ours = f"{len(member_codes)} + {len(non_member_codes)}"
    print(f"M49 SIDS flag: {len(m49_sids)} codes; ours: {n_ours}")
    print(f"  UN members, not M49-flagged: {fmt(member_codes - m49_sids)}")
    print(f"  M49-flagged, in our non-member file: {fmt(m49_sids & non_member_codes)}")
    print(f"  non-members, not M49-flagged: {fmt(non_member_codes - m49_sids)}")
    print(f"  M49-flagged, in neither file: {fmt(m49_sids - all_sids)}")
    print(f"  excluded (one source only): {fmt(SIDS_EXCLUDED)}")
    print(f"LDC and SIDS (UN member) on 2026-01-01: {fmt(both_2026)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
