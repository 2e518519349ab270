"""Build rates/carbon_prices/ (exporter carbon prices for the CBAM Article 9 deduction).

Run ``python scripts/build_carbon_prices.py [--shared PATH]`` from anywhere. The library never
reads ../shared at run time; it reads only what this script writes.

Outputs (UTF-8, comma-separated, header row, LF line endings) in rates/carbon_prices/:

* instruments.csv  one row per carbon-pricing instrument (national, reference, sub-national)
* no_price.csv     jurisdictions checked for which no carbon price applies to CBAM goods
* prices.csv       one nominal price per instrument and year (local currency)
* fx.csv           EUR per unit of currency, per year
* coverage.csv     per instrument and CBAM sector: covered, coverage share, free/rebated share

Licences: the ICAP-derived and WCPD files in ../shared are CC BY-NC-SA compilations. They are
not copied. This script derives only the figures the engine needs (annual means, one value per
instrument and year) and cites each figure to its original publisher: the ICAP Allowance Price
Explorer, the World Bank Carbon Pricing Dashboard (CC BY 4.0), or the law or government page
named in the hand-entered tables below. The WCPD file is only used to cross-check.

The effective price the engine applies (rates/carbon_prices/README.md):
``nominal × coverage_share × (1 − free_or_rebated_share) × eur_per_unit``, summed over the
attributed instruments of the exporter's jurisdiction. The sanity table printed at the end
applies this rule.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from _common import parse_folders

OUT_DIR = Path("rates") / "carbon_prices"  # under --out, the repository root by default

YEARS = tuple(range(2019, 2026))
FX_YEARS = (*YEARS, 2026)
SECTORS = ("cement", "fertilisers", "iron_steel", "aluminium", "hydrogen", "electricity")

ICAP = "ICAP Allowance Price Explorer"
ICAP_URL = "https://allowancepriceexplorer.icapcarbonaction.com"
WB = "World Bank Carbon Pricing Dashboard (CC BY 4.0), 2024 edition"
WB_URL = "https://carbonpricingdashboard.worldbank.org/compliance/price"
FACTS = "policy-facts.md §6"

ICAP_FILE = "data/carbon_prices/icap_allowance_prices_tidy_2005_2026.csv"
WB_PRICES_FILE = "data/carbon_prices/worldbank_cpd_2024ed_instrument_prices.csv"
WB_INSTR_FILE = "data/carbon_prices/worldbank_cpd_2024ed_instruments.csv"
WCPD_FILE = "data/carbon_prices/wcpd_v2025_cbam_relevant_sectors_2015_2024.csv"
EU_JSON_FILE = "data/carbon_prices/eu_ets_quarterly_and_cbam_certificate_price.json"
FACTS_FILE = "facts/policy-facts.md"

# --------------------------------------------------------------------------------------------
# Instruments (hand-entered; status vocabulary explained in README.md)
# --------------------------------------------------------------------------------------------

NATIONAL = "national_in_force"
SUBNAT = "sub_national_not_attributed_by_default"


@dataclass(frozen=True)
class Instrument:
    instrument_id: str
    jurisdiction: str
    name: str
    type: str
    currency: str
    status: str
    source: str


INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument(
        "EU_ETS",
        "EUU",
        "EU Emissions Trading System",
        "ets",
        "EUR",
        "reference_eu_not_an_origin",
        f"{ICAP} ({ICAP_URL}); https://icapcarbonaction.com/en/compare/43/47",
    ),
    Instrument(
        "UK_ETS",
        "GBR",
        "UK Emissions Trading Scheme (from 2021)",
        "ets",
        "GBP",
        NATIONAL,
        f"{ICAP} ({ICAP_URL}); basis of the UK CBAM rate, Finance Act 2026 s.149",
    ),
    Instrument(
        "UK_CPS",
        "GBR",
        "UK Carbon Price Support (electricity generation fuels)",
        "tax",
        "GBP",
        NATIONAL,
        f"{WB} ({WB_URL}): 'UK Carbon Price Support' £18",
    ),
    Instrument(
        "CHN_ETS",
        "CHN",
        "China national ETS",
        "ets",
        "CNY",
        NATIONAL,
        f"{ICAP} ({ICAP_URL}); https://icapcarbonaction.com/en/ets/china-national-ets",
    ),
    Instrument(
        "KOR_ETS",
        "KOR",
        "Korea Emissions Trading Scheme (K-ETS)",
        "ets",
        "KRW",
        NATIONAL,
        f"{ICAP} ({ICAP_URL}); https://icapcarbonaction.com/ets_system/47",
    ),
    Instrument(
        "KAZ_ETS",
        "KAZ",
        "Kazakhstan ETS",
        "ets",
        "KZT",
        NATIONAL,
        f"{WB} ({WB_URL}); https://ccx.kz/en?p=3996 ; "
        "https://admin.iea.org/policies/13429-emissions-trading-scheme",
    ),
    Instrument("NZL_ETS", "NZL", "New Zealand ETS", "ets", "NZD", NATIONAL, f"{ICAP} ({ICAP_URL})"),
    Instrument(
        "CHE_ETS",
        "CHE",
        "Swiss ETS (linked to EU ETS since 2020)",
        "ets",
        "EUR",
        "national_in_force_excluded_from_eu_cbam",
        f"{ICAP} ({ICAP_URL}); https://icapcarbonaction.com/en/compare/64 ; "
        "auctions priced in CHF until 2019 and in EUR from 2020",
    ),
    Instrument(
        "ZAF_TAX",
        "ZAF",
        "South Africa carbon tax",
        "tax",
        "ZAR",
        NATIONAL,
        "https://climatepolicydatabase.org/policies/carbon-tax ; "
        "https://www.anthesisgroup.com/za/news/updates-to-the-south-african-carbon-tax-2025",
    ),
    Instrument(
        "UKR_TAX",
        "UKR",
        "Ukraine environmental tax on CO2 emissions",
        "tax",
        "UAH",
        NATIONAL,
        "https://ecopolitic.com.ua/en/photo/rozmir-podatku-na-vikidi-vuglecju-v-ukraini-ta-ies-2-2/",
    ),
    Instrument(
        "JPN_TAX",
        "JPN",
        "Japan tax for climate change mitigation",
        "tax",
        "JPY",
        NATIONAL,
        f"{WB} ({WB_URL}): 'Japan carbon tax' JPY289; GX-ETS (mandatory from Apr 2026) "
        "price not found",
    ),
    Instrument(
        "MEX_TAX",
        "MEX",
        "Mexico federal carbon tax (fossil fuels except natural gas)",
        "tax",
        "MXN",
        NATIONAL,
        f"{WB} ({WB_URL}): 'Mexico carbon tax' MXN71.33; https://prod.iea.org/policies/16937-carbon-tax",
    ),
    Instrument(
        "CAN_OBPS",
        "CAN",
        "Canada federal output-based pricing system (industrial price)",
        "ets",
        "CAD",
        "national_in_force_industrial_only",
        "https://canadagazette.gc.ca/rp-pr/p2/2025/2025-03-15-x2/html/sor-dors107-eng.html "
        "(consumer fuel charge set to zero from 1 Apr 2025; industrial pricing retained; "
        "federal OBPS is the backstop, provinces run equivalent systems); "
        f"{WB} ({WB_URL}): 'Canada federal OBPS' CAN$80",
    ),
    Instrument(
        "TUR_ETS_PILOT",
        "TUR",
        "Türkiye ETS pilot phase 2026-2027",
        "ets",
        "TRY",
        "pilot_no_price_full_free_allocation",
        "https://iklim.gov.tr/en/draft-regulation-on-the-emissions-trading-system-of-turkiye-released-announcement-26",
    ),
    # Sub-national: listed, priced from ICAP, never attributed to the country's exports by default.
    Instrument(
        "USA_CA_CAT",
        "USA",
        "California Cap-and-Trade Program",
        "ets",
        "USD",
        SUBNAT,
        f"{ICAP} ({ICAP_URL})",
    ),
    Instrument(
        "USA_RGGI",
        "USA",
        "Regional Greenhouse Gas Initiative (power only)",
        "ets",
        "USD",
        SUBNAT,
        f"{ICAP} ({ICAP_URL})",
    ),
    Instrument(
        "USA_WA_CCA",
        "USA",
        "Washington Cap-and-Invest Program",
        "ets",
        "USD",
        SUBNAT,
        f"{ICAP} ({ICAP_URL})",
    ),
    Instrument(
        "CAN_QC_CAT",
        "CAN",
        "Québec Cap-and-Trade System",
        "ets",
        "CAD",
        SUBNAT,
        f"{ICAP} ({ICAP_URL})",
    ),
    *(
        Instrument(
            f"CHN_{code}_PILOT",
            "CHN",
            f"{name} pilot ETS",
            "ets",
            "CNY",
            SUBNAT,
            f"{ICAP} ({ICAP_URL})",
        )
        for code, name in (
            ("BJ", "Beijing"),
            ("CQ", "Chongqing"),
            ("FJ", "Fujian"),
            ("GD", "Guangdong"),
            ("HB", "Hubei"),
            ("SH", "Shanghai"),
            ("SZ", "Shenzhen"),
            ("TJ", "Tianjin"),
        )
    ),
)

# ICAP system name -> (instrument_id, price column used for the annual mean)
PRIMARY = "primary_market_price_lcu"
SECONDARY = "secondary_market_price_lcu"
ICAP_SYSTEMS: dict[str, tuple[str, str]] = {
    "European Union Emissions Trading System": ("EU_ETS", PRIMARY),
    "United Kingdom Emissions Trading Scheme": ("UK_ETS", PRIMARY),
    "China National Emissions Trading System": ("CHN_ETS", SECONDARY),
    "Korean Emissions Trading System": ("KOR_ETS", SECONDARY),
    "New Zealand Emissions Trading System": ("NZL_ETS", SECONDARY),
    "Switzerland Emissions Trading System": ("CHE_ETS", PRIMARY),
    "California Cap-and-Trade Program": ("USA_CA_CAT", PRIMARY),
    "Regional Greenhouse Gas Initiative": ("USA_RGGI", PRIMARY),
    "Washington Cap-and-Invest Program": ("USA_WA_CCA", PRIMARY),
    "Québec Cap-and-Trade System": ("CAN_QC_CAT", PRIMARY),
    "Beijing (Pilot) Emissions Trading System": ("CHN_BJ_PILOT", SECONDARY),
    "Chongqing (Pilot) Emissions Trading System": ("CHN_CQ_PILOT", SECONDARY),
    "Fujian (Pilot) Emissions Trading System": ("CHN_FJ_PILOT", SECONDARY),
    "Guangdong (Pilot) Emissions Trading System": ("CHN_GD_PILOT", SECONDARY),
    "Hubei (Pilot) Emissions Trading System": ("CHN_HB_PILOT", SECONDARY),
    "Shanghai (Pilot) Emissions Trading System": ("CHN_SH_PILOT", SECONDARY),
    "Shenzhen (Pilot) Emissions Trading System": ("CHN_SZ_PILOT", SECONDARY),
    "Tianjin (Pilot) Emissions Trading System": ("CHN_TJ_PILOT", SECONDARY),
}
BASIS_TEXT = {
    PRIMARY: "annual mean of auction clearing prices",
    SECONDARY: "annual mean of secondary-market prices",
}

# --------------------------------------------------------------------------------------------
# Hand-entered prices (statutory rates and single quotes); every row cites its publisher
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    instrument_id: str
    year: int
    price_lcu: float
    currency: str
    basis: str
    source: str
    source_url: str
    provisional: bool = False


ZAF_CPD = "https://climatepolicydatabase.org/policies/carbon-tax"
ZAF_IOL = (
    "https://iol.co.za/business-report/budget/"
    "2023-02-22-budget-2023-sa-remains-committed-to-decarbonisation/"
)
ZAF_GAZ = "https://southafricanewsgazette.com/carbon-tax-rate-to-increase-to-r144"
ZAF_ANT = "https://www.anthesisgroup.com/za/news/updates-to-the-south-african-carbon-tax-2025"
ZAF_CAT = "https://catalystsolutions.co.za/2025-budget-speech-highlights/"
UKR_URL = (
    "https://ecopolitic.com.ua/en/photo/rozmir-podatku-na-vikidi-vuglecju-v-ukraini-ta-ies-2-2/"
)
GGPPA = "https://laws-lois.justice.gc.ca/eng/acts/g-11.55/"
STAT = "statutory headline rate"

HAND_PRICES: tuple[Price, ...] = (
    # South Africa carbon tax (Carbon Tax Act 15 of 2019; rate per tCO2e before allowances).
    Price(
        "ZAF_TAX",
        2019,
        120,
        "ZAR",
        f"{STAT} (from 1 Jun 2019)",
        "Climate Policy Database: initial rate R120/tCO2e",
        ZAF_CPD,
    ),
    Price(
        "ZAF_TAX",
        2020,
        127,
        "ZAR",
        STAT,
        "Carbon Tax Act s.5 CPI+2% adjustment; World Bank CPD 2020 US$7.06 consistent",
        WB_URL,
    ),
    Price(
        "ZAF_TAX",
        2021,
        134,
        "ZAR",
        STAT,
        "SA Government News Agency: 'increase from R134 to R144' (2022 budget)",
        ZAF_GAZ,
    ),
    Price(
        "ZAF_TAX",
        2022,
        144,
        "ZAR",
        STAT,
        "SA Government News Agency: R144 from 1 Jan 2022",
        ZAF_GAZ,
    ),
    Price(
        "ZAF_TAX",
        2023,
        159,
        "ZAR",
        STAT,
        "Budget Review 2023 via IOL: R159 from 1 Jan 2023",
        ZAF_IOL,
    ),
    Price(
        "ZAF_TAX",
        2024,
        190,
        "ZAR",
        STAT,
        "Rates and Monetary Amendment Act 2024 via CPD: R190",
        ZAF_CPD,
    ),
    Price(
        "ZAF_TAX",
        2025,
        236,
        "ZAR",
        STAT,
        "National Treasury 2025 budget: R190 -> R236 from 1 Jan 2025 (Anthesis; Catalyst)",
        ZAF_ANT,
    ),
    Price(
        "ZAF_TAX",
        2026,
        308,
        "ZAR",
        "signalled price path (Phase 2 discussion paper)",
        "Anthesis 30 Jan 2026: legislated price path signals R308 in 2026",
        ZAF_ANT,
        True,
    ),
    # Ukraine: Tax Code art. 243 rate on CO2 from stationary sources.
    *(
        Price(
            "UKR_TAX",
            y,
            10,
            "UAH",
            STAT,
            f"Tax Code of Ukraine art. 243 (UAH 10/t until 2021); World Bank CPD {y} US$ "
            "price consistent",
            WB_URL,
        )
        for y in (2019, 2020, 2021)
    ),
    *(
        Price(
            "UKR_TAX", y, 30, "UAH", STAT, "UAH 30/tCO2 since 1 Jan 2022 (policy-facts §6)", UKR_URL
        )
        for y in (2022, 2023, 2024, 2025)
    ),
    # Japan: ¥289/tCO2 unchanged since 2016.
    *(
        Price(
            "JPN_TAX",
            y,
            289,
            "JPY",
            STAT,
            "World Bank CPD 'Japan carbon tax' JPY289 (policy-facts §6: ¥289/tCO2)",
            WB_URL,
        )
        for y in YEARS
    ),
    # Mexico: the only LCU figure found is the World Bank 1 April 2024 label.
    Price(
        "MEX_TAX",
        2024,
        71.33,
        "MXN",
        "headline rate on 1 Apr 2024 (fuel-specific; natural gas exempt)",
        "World Bank CPD label 'MXN71.33 (US$4.31)'",
        WB_URL,
    ),
    # Canada: federal benchmark / OBPS excess-emission charge (GGPPA Schedule 4).
    *(
        Price(
            "CAN_OBPS",
            y,
            p,
            "CAD",
            "statutory federal benchmark price (OBPS excess-emission charge)",
            "Greenhouse Gas Pollution Pricing Act Sch. 4; World Bank CPD CAN$80 (2024)",
            GGPPA,
        )
        for y, p in ((2019, 20), (2020, 30), (2021, 40), (2022, 50), (2023, 65), (2024, 80))
    ),
    # UK Carbon Price Support (electricity generation), £18/t since 2016.
    *(
        Price("UK_CPS", y, 18, "GBP", STAT, "World Bank CPD 'UK Carbon Price Support' £18", WB_URL)
        for y in (2019, 2020, 2021, 2022, 2023, 2024)
    ),
    # Kazakhstan: KZT figures only for 2024 (World Bank label) and one 2025 exchange quote.
    Price(
        "KAZ_ETS",
        2024,
        473,
        "KZT",
        "price on 1 Apr 2024",
        "World Bank CPD label 'KZT473 (US$1.06)'",
        WB_URL,
    ),
    Price(
        "KAZ_ETS",
        2025,
        502.93,
        "KZT",
        "single exchange quote, 31 Aug 2025 (not an annual mean)",
        "ccx.kz via policy-facts §6",
        "https://ccx.kz/en?p=3996",
        True,
    ),
    # 2026 figures found in policy-facts (provisional).
    Price(
        "EU_ETS",
        2026,
        75.36,
        "EUR",
        "CBAM certificate price 2026-Q1 (quarterly auction average), not an annual mean",
        "European Commission, published 2026-04-07 (policy-facts §1.5, §6.1)",
        "https://taxation-customs.ec.europa.eu/carbon-border-adjustment-mechanism/"
        "price-cbam-certificates_en",
        True,
    ),
    Price(
        "UK_ETS",
        2026,
        67.25,
        "GBP",
        "Dec-26 futures quote, Jan 2026 (not an annual mean)",
        "CemNet via policy-facts §6",
        "https://www.cemnet.com/News/story/180646/"
        "cbam-enters-into-force-market-started-the-year-higher-with-little-news.html",
        True,
    ),
)

# World Bank USD series turned into LCU prices (no LCU figure shipped for those years).
WB_USD_PRICES: dict[str, tuple[str, tuple[int, ...]]] = {
    "KAZ_ETS": ("Kazakhstan ETS", (2020, 2021, 2022, 2023)),
}

# --------------------------------------------------------------------------------------------
# FX: World Bank 1-April USD price / statutory LCU rate = USD per LCU (then x ICAP EUR per USD)
# --------------------------------------------------------------------------------------------

WB_FX_ANCHORS: dict[str, tuple[str, dict[int, float]]] = {
    "JPY": ("Japan carbon tax", {y: 289.0 for y in range(2019, 2025)}),
    "ZAR": (
        "South Africa carbon tax",
        {2020: 127.0, 2021: 134.0, 2022: 144.0, 2023: 159.0, 2024: 190.0},
    ),
    "UAH": (
        "Ukraine carbon tax",
        {2019: 10.0, 2020: 10.0, 2021: 10.0, 2022: 30.0, 2023: 30.0, 2024: 30.0},
    ),
    "CHF": (
        "Switzerland carbon tax",
        {2019: 96.0, 2020: 96.0, 2021: 96.0, 2022: 120.0, 2023: 120.0, 2024: 120.0},
    ),
    "GBP": ("UK Carbon Price Support", {y: 18.0 for y in range(2019, 2025)}),
    "KZT": ("Kazakhstan ETS", {2024: 473.0}),
}
# Where the World Bank series is empty, the rounded label (LCU, USD) of 1 Apr 2024 is used.
WB_FX_LABELS: dict[str, tuple[str, float, float]] = {
    "MXN": ("Mexico carbon tax", 71.33, 4.31),
}
FX_CURRENCIES = (
    "EUR",
    "USD",
    "GBP",
    "CNY",
    "KRW",
    "KZT",
    "NZD",
    "CHF",
    "ZAR",
    "UAH",
    "JPY",
    "MXN",
    "CAD",
)

# --------------------------------------------------------------------------------------------
# Coverage by CBAM sector. (covered, coverage_share, free_or_rebated_share, from_year,
# assumption, source). Later from_year rows supersede earlier ones for the same pair.
# --------------------------------------------------------------------------------------------

CovRow = tuple[str, str, bool, float, float, int, bool, str]
INDUSTRY = ("cement", "fertilisers", "iron_steel", "aluminium", "hydrogen")

UK_FA = (
    "ASSUMPTION: UK ETS gives carbon-leakage sectors free allocation at 100 % of "
    "benchmark (ICAP UK ETS factsheet); benchmark = top-10 % installations, so a typical "
    "installation receives roughly 90 % of its emissions free; no per-sector UK figure found "
    "(UK Free Allocation Review, gov.uk, 26 Nov 2025: CBAM-sector phase-out only from 2027)"
)
CH_FA = (
    "ASSUMPTION: Swiss ETS allocates free at EU benchmarks (linked system, "
    "https://icapcarbonaction.com/en/compare/64); ~90 % of emissions free as for the EU/UK"
)
NZ_FA = (
    "ASSUMPTION: NZ ETS industrial allocation for highly emissions-intensive activities "
    "(steel, aluminium, clinker, urea/ammonia) is 90 % of a baseline, phasing down from 2021; "
    "0.9 used for all years (no per-year figure in the sources)"
)
KOR_FA = (
    "ASSUMPTION: K-ETS gives 100 % free allocation to trade-exposed sectors (steel, cement, "
    "non-ferrous, chemicals); ≥10 % auctioned only in other eligible sectors "
    "(https://icapcarbonaction.com/ets_system/47); 5 % of emissions assumed bought as "
    "shortfall"
)
KAZ_FA = (
    "ASSUMPTION: KZ ETS allowances are allocated free ('mostly free', "
    "https://admin.iea.org/policies/13429-emissions-trading-scheme); 5 % assumed bought"
)
ZAF_FA = (
    "ASSUMPTION: phase-1 allowances (basic 60 %/70 % process, trade exposure ≤10 %, "
    "performance ≤5 %, carbon budget 5 %, offsets 5-10 %) capped at 95 %; effective rate "
    "R6-R48 at R120 headline (= 60-95 % relief, climatepolicydatabase.org); trade-exposed, "
    "process-heavy CBAM sectors put at 90 %; Phase 2 from 2026 keeps the basic allowance "
    "to 2030 (catalystsolutions.co.za)"
)
ZAF_EL = (
    "ASSUMPTION: electricity price neutrality in phase 1 (generation levy and renewable "
    "premium credits offset the tax, catalystsolutions.co.za); maximum 95 % relief used"
)
ZAF_COV = (
    "coverage 1: tax covers combustion, process and fugitive emissions of entities above "
    "the 10 MW threshold (https://climatepolicydatabase.org/policies/carbon-tax)"
)
CHN_PWR = (
    "power sector covered since 2021 (ICAP China national ETS); ASSUMPTION: allowances "
    "all free (intensity-based), 5 % assumed bought as shortfall"
)
CHN_NEW = (
    "steel, cement, aluminium covered from the 2025 compliance year, direct emissions "
    "only; 2025 allocation = verified 2024 emissions, no net cost (S&P Global 26 Mar 2025; "
    "transitionasia.org; policy-facts §6)"
)
CHN_OLD = "not covered before the 2025 compliance year: national ETS covered power only"
CAN_FA = (
    "ASSUMPTION: OBPS charges only emissions above an output-based standard set at 80-95 % "
    "of sector average intensity (ECCC); 0.9 used for heavy industry; federal OBPS is the "
    "backstop and provincial systems (Alberta TIER, Ontario EPS, Québec CaT) differ"
)
CAN_EL = (
    "ASSUMPTION: OBPS electricity standards (gas-fired ~370 t/GWh) leave coal and "
    "inefficient gas units paying; 0.6 free share assumed for fossil generation"
)
UKR_COV = (
    "ASSUMPTION: tax applies to CO2 from stationary sources above 500 t/yr; full coverage "
    "of CBAM producers assumed (WCPD records it for combustion codes only); no rebates"
)
JPN_NOTE = (
    "ASSUMPTION: upstream tax on fossil fuels only (no process emissions); coal for "
    "iron/steel, coke and cement manufacture and feedstock naphtha are exempt; share "
    "of sector emissions taxed is a judgement"
)
MEX_NOTE = (
    "ASSUMPTION: tax on fossil fuels except natural gas, no process emissions; coal and "
    "petcoke taxed (cement kilns), gas-based DRI steel, ammonia and hydrogen exempt; "
    "share of sector emissions taxed is a judgement (https://prod.iea.org/policies/16937-carbon-tax)"
)
TUR_NOTE = (
    "pilot 2026-2027 covers CBAM sectors >50 kt CO2 with 100 % free allocation "
    "(iklim.gov.tr draft regulation; ICAP); no price"
)
EU_NOTE = (
    "reference only (gross price); EU free allocation to EU producers is handled by the "
    "CBAM factor in rates/eu, not here"
)


def _industry(
    iid: str,
    free: float,
    year: int,
    note: str,
    cov: float = 1.0,
    sectors: tuple[str, ...] = INDUSTRY,
) -> list[CovRow]:
    return [(iid, s, True, cov, free, year, True, note) for s in sectors]


COVERAGE: tuple[CovRow, ...] = (
    *[("EU_ETS", s, True, 1.0, 0.0, 2005, False, EU_NOTE) for s in SECTORS],
    *_industry("UK_ETS", 0.9, 2021, UK_FA),
    (
        "UK_ETS",
        "electricity",
        True,
        1.0,
        0.0,
        2021,
        False,
        "no free allocation to electricity generation (https://icapcarbonaction.com/en/ets/"
        "uk-emissions-trading-scheme)",
    ),
    *[
        (
            "UK_CPS",
            s,
            False,
            0.0,
            0.0,
            2013,
            False,
            "CPS applies to fuels for electricity generation only",
        )
        for s in INDUSTRY
    ],
    (
        "UK_CPS",
        "electricity",
        True,
        1.0,
        0.0,
        2013,
        True,
        "ASSUMPTION: CPS applies to fossil fuels used for generation in Great Britain; Northern "
        "Ireland exempt; no rebate",
    ),
    ("CHN_ETS", "electricity", True, 1.0, 0.95, 2021, True, CHN_PWR),
    *[
        ("CHN_ETS", s, False, 0.0, 0.0, 2021, False, CHN_OLD)
        for s in ("cement", "iron_steel", "aluminium")
    ],
    *[
        ("CHN_ETS", s, True, 1.0, 1.0, 2025, False, CHN_NEW)
        for s in ("cement", "iron_steel", "aluminium")
    ],
    *[
        (
            "CHN_ETS",
            s,
            False,
            0.0,
            0.0,
            2021,
            False,
            "chemicals (ammonia, hydrogen) not covered by the national ETS",
        )
        for s in ("fertilisers", "hydrogen")
    ],
    *_industry("KOR_ETS", 0.95, 2015, KOR_FA),
    (
        "KOR_ETS",
        "electricity",
        True,
        1.0,
        0.9,
        2015,
        True,
        "power sector: ≥10 % auctioned (https://icapcarbonaction.com/ets_system/47); 90 % free "
        "used (ASSUMPTION: upper bound of free share)",
    ),
    *_industry("KAZ_ETS", 0.95, 2013, KAZ_FA),
    ("KAZ_ETS", "electricity", True, 1.0, 0.95, 2013, True, KAZ_FA),
    *_industry("NZL_ETS", 0.9, 2008, NZ_FA),
    (
        "NZL_ETS",
        "electricity",
        True,
        1.0,
        0.0,
        2008,
        True,
        "ASSUMPTION: no free allocation to electricity generation in the NZ ETS",
    ),
    *_industry("CHE_ETS", 0.9, 2013, CH_FA),
    (
        "CHE_ETS",
        "electricity",
        True,
        1.0,
        0.0,
        2020,
        True,
        "ASSUMPTION: fossil power plants in the Swiss ETS since 2020 receive no free allocation",
    ),
    *_industry("ZAF_TAX", 0.9, 2019, f"{ZAF_COV}; {ZAF_FA}"),
    ("ZAF_TAX", "electricity", True, 1.0, 0.95, 2019, True, f"{ZAF_COV}; {ZAF_EL}"),
    *[("UKR_TAX", s, True, 1.0, 0.0, 2011, True, UKR_COV) for s in SECTORS],
    ("JPN_TAX", "iron_steel", True, 0.1, 0.0, 2012, True, JPN_NOTE),
    ("JPN_TAX", "cement", True, 0.1, 0.0, 2012, True, JPN_NOTE),
    ("JPN_TAX", "aluminium", True, 0.5, 0.0, 2012, True, JPN_NOTE),
    ("JPN_TAX", "fertilisers", True, 0.3, 0.0, 2012, True, JPN_NOTE),
    ("JPN_TAX", "hydrogen", True, 0.5, 0.0, 2012, True, JPN_NOTE),
    ("JPN_TAX", "electricity", True, 1.0, 0.0, 2012, True, JPN_NOTE),
    ("MEX_TAX", "iron_steel", True, 0.3, 0.0, 2014, True, MEX_NOTE),
    ("MEX_TAX", "cement", True, 0.4, 0.0, 2014, True, MEX_NOTE),
    ("MEX_TAX", "aluminium", True, 0.1, 0.0, 2014, True, MEX_NOTE),
    ("MEX_TAX", "fertilisers", False, 0.0, 0.0, 2014, True, MEX_NOTE),
    ("MEX_TAX", "hydrogen", False, 0.0, 0.0, 2014, True, MEX_NOTE),
    ("MEX_TAX", "electricity", True, 0.4, 0.0, 2014, True, MEX_NOTE),
    *_industry("CAN_OBPS", 0.9, 2019, CAN_FA),
    ("CAN_OBPS", "electricity", True, 1.0, 0.6, 2019, True, CAN_EL),
    *[("TUR_ETS_PILOT", s, True, 1.0, 1.0, 2026, False, TUR_NOTE) for s in SECTORS],
)

# --------------------------------------------------------------------------------------------
# Jurisdictions with no carbon price on CBAM goods
# --------------------------------------------------------------------------------------------

NO_PRICE: tuple[tuple[str, str, str], ...] = (
    (
        "TUR",
        "ets_pilot_2026_2027_no_price_100pct_free_allocation; period 1 2028-2035",
        "https://iklim.gov.tr/en/draft-regulation-on-the-emissions-trading-system-of-turkiye-released-announcement-26"
        " ; https://icapcarbonaction.com/en/news/turkiye-adopts-landmark-climate-law-paving-way-national-ets",
    ),
    (
        "IND",
        "ccts_intensity_baseline_and_credit_no_market_price_yet (compliance 2025-26, 2026-27)",
        "https://www.business-standard.com/amp/india-news/govt-notifies-ghg-emission-intensity-targets-for-four-industries-126012201311_1.html",
    ),
    (
        "BRA",
        "sbce_law_15042_2024_not_operating",
        "https://demarest.com.br/en/lei-que-regula-o-mercado-de-carbono-no-brasil-e-sancionada",
    ),
    ("EGY", "no_instrument_found (not proof of absence)", "policy-facts §6: not found"),
    ("DZA", "no_instrument_found (not proof of absence)", "policy-facts §6: not found"),
    (
        "VNM",
        "pilot_ets_2025_2028_free_allocation_no_price; auctions from 2029",
        "https://eec.vn/en/approval-of-total-greenhouse-gas-emission-allowances-for-the-2025-2026-pilot-period",
    ),
    (
        "IDN",
        "power_sector_ets_only; allowance price not found for CBAM goods (World Bank reports "
        "IDR 9,754/t for power 2023-2024)",
        "https://bursa.ro/indonesia-launches-co2-emissions-trading-exchange-00898050 ; " + WB_URL,
    ),
    (
        "RUS",
        "sakhalin_regional_experiment_only_no_national_price",
        "https://sustainablefutures.linklaters.com/post/102hj8q/russian-taxonomy-first-experiment-at-sakhalin",
    ),
    (
        "USA",
        "no_federal_price; state systems listed in instruments.csv as sub-national",
        "https://ccx.kz/en?p=3996 ; policy-facts §6",
    ),
)

# Cross-checks (values quoted in SOURCES.md §3 and policy-facts §6.1); the build fails if off.
EU_AUCTION_MEANS = {2022: 80.18, 2023: 83.60, 2024: 64.76, 2025: 73.45}
UBA_AUCTION_MEANS = {2020: 24.61, 2021: 52.50, 2022: 80.32, 2023: 83.66, 2024: 65.00}


# --------------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------------


def need(shared: Path, rel: str) -> Path:
    path = shared / rel
    if not path.is_file():
        raise SystemExit(f"missing source file: {path} (check --shared)")
    return path


def load_icap(shared: Path) -> pl.DataFrame:
    df = pl.read_csv(need(shared, ICAP_FILE), try_parse_dates=True, infer_schema_length=100_000)
    missing = set(ICAP_SYSTEMS) - set(df["system"].unique().to_list())
    if missing:
        raise SystemExit(f"ICAP file lacks systems: {sorted(missing)}")
    # ICAP labels the Swiss system CHF throughout, but from 2020 the prices are in EUR
    # (fx_lcu_to_eur == 1 and fx_lcu_to_usd == EUR/USD). Use the real currency per date.
    swiss = pl.col("system") == "Switzerland Emissions Trading System"
    return df.with_columns(
        pl.when(swiss & (pl.col("fx_lcu_to_eur") == 1.0))
        .then(pl.lit("EUR"))
        .otherwise(pl.col("market_currency"))
        .alias("currency"),
        pl.col("date").dt.year().alias("year"),
    )


def icap_prices(icap: pl.DataFrame) -> pl.DataFrame:
    rows: list[dict[str, object]] = []
    for system, (iid, col) in ICAP_SYSTEMS.items():
        sub = icap.filter(
            pl.col("system") == system, pl.col(col).is_not_null(), pl.col("year").is_in(YEARS)
        )
        agg = (
            sub.group_by("year", "currency")
            .agg(
                pl.col(col).mean().alias("p"),
                pl.len().alias("n"),
                pl.col("date").min().alias("d0"),
                pl.col("date").max().alias("d1"),
            )
            .sort("year")
        )
        for r in agg.iter_rows(named=True):
            rows.append(
                {
                    "instrument_id": iid,
                    "year": r["year"],
                    "price_lcu": round(r["p"], 4),
                    "currency": r["currency"],
                    "basis": f"{BASIS_TEXT[col]} ({r['n']} dates {r['d0']}..{r['d1']})",
                    "source": f"{ICAP}, system '{system}'",
                    "source_url": ICAP_URL,
                    "provisional": False,
                }
            )
    return pl.DataFrame(rows)


def wb_series(shared: Path) -> pl.DataFrame:
    df = pl.read_csv(need(shared, WB_PRICES_FILE), infer_schema_length=0)
    need(shared, WB_INSTR_FILE)
    return df.select(
        "instrument_name",
        pl.col("year").cast(pl.Int32),
        pl.col("price_usd_per_tco2e").cast(pl.Float64),
    ).drop_nulls()


def wb_value(wb: pl.DataFrame, name: str, year: int) -> float | None:
    hit = wb.filter(pl.col("instrument_name") == name, pl.col("year") == year)
    return None if hit.is_empty() else float(hit["price_usd_per_tco2e"][0])


def icap_fx(icap: pl.DataFrame) -> dict[tuple[str, int], tuple[float, int]]:
    """EUR per unit: annual mean over the distinct dates a currency's fx appears in ICAP."""
    u = (
        icap.filter(pl.col("year").is_in(FX_YEARS))
        .select("date", "year", "currency", "fx_lcu_to_eur")
        .unique()
    )
    agg = u.group_by("currency", "year").agg(
        pl.col("fx_lcu_to_eur").mean().alias("fx"), pl.len().alias("n")
    )
    return {(r["currency"], r["year"]): (r["fx"], r["n"]) for r in agg.iter_rows(named=True)}


def build_fx(icap: pl.DataFrame, wb: pl.DataFrame) -> pl.DataFrame:
    ic = icap_fx(icap)
    out: dict[tuple[str, int], tuple[float, str]] = {}
    for cur in FX_CURRENCIES:
        for y in FX_YEARS if cur == "EUR" else YEARS:
            if cur == "EUR":
                out[cur, y] = (1.0, "identity")
            elif (cur, y) in ic:
                fx, n = ic[cur, y]
                out[cur, y] = (fx, f"{ICAP} fx_lcu_to_eur: mean of {n} dates in {y} (derived)")
    usd_eur = {y: out["USD", y][0] for y in YEARS}
    for cur, (name, rates) in WB_FX_ANCHORS.items():
        for y, lcu in rates.items():
            if (cur, y) in out:
                continue
            usd = wb_value(wb, name, y)
            if usd is None:
                raise SystemExit(f"World Bank series lacks {name} {y}")
            out[cur, y] = (
                usd / lcu * usd_eur[y],
                f"{WB}: '{name}' US${usd:.4f} on 1 Apr {y} / statutory {lcu:g} {cur} "
                f"= USD per {cur}, x ICAP annual mean EUR per USD; 1-April rate, "
                "not an annual average",
            )
    for cur, (name, lcu, usd) in WB_FX_LABELS.items():
        out[cur, 2024] = (
            usd / lcu * usd_eur[2024],
            f"{WB}: label '{name}' {cur}{lcu} (US${usd}) on 1 Apr 2024, x ICAP "
            "annual mean EUR per USD; rounded label, 1-April rate",
        )
    rows: list[dict[str, object]] = []
    for cur in FX_CURRENCIES:
        have = sorted(y for (c, y) in out if c == cur)
        if not have:
            raise SystemExit(f"no fx figure at all for {cur}")
        for y in FX_YEARS:
            if (cur, y) in out:
                fx, src = out[cur, y]
            else:
                near = min(have, key=lambda h: (abs(h - y), -h))
                fx = out[cur, near][0]
                tag = "PROVISIONAL" if y == 2026 else "ASSUMPTION"
                src = (
                    f"{tag}: no figure for {y} in the sources; carried from {near} "
                    f"({out[cur, near][1].split(':')[0]})"
                )
            rows.append(
                {"currency": cur, "year": y, "eur_per_unit": float(f"{fx:.6g}"), "source": src}
            )
    return pl.DataFrame(rows)


def build_prices(icap: pl.DataFrame, wb: pl.DataFrame) -> pl.DataFrame:
    frames = [icap_prices(icap)]
    hand = [p.__dict__ for p in HAND_PRICES]
    for iid, (name, years) in WB_USD_PRICES.items():
        for y in years:
            usd = wb_value(wb, name, y)
            if usd is None:
                raise SystemExit(f"World Bank series lacks {name} {y}")
            hand.append(
                {
                    "instrument_id": iid,
                    "year": y,
                    "price_lcu": round(usd, 4),
                    "currency": "USD",
                    "basis": "price on 1 Apr in USD (no local-currency figure shipped)",
                    "source": f"{WB}, '{name}'",
                    "source_url": WB_URL,
                    "provisional": False,
                }
            )
    frames.append(
        pl.DataFrame(hand).with_columns(
            pl.col("year").cast(pl.Int32), pl.col("price_lcu").cast(pl.Float64)
        )
    )
    df = pl.concat([f.with_columns(pl.col("year").cast(pl.Int32)) for f in frames])
    dup = df.group_by("instrument_id", "year").len().filter(pl.col("len") > 1)
    if not dup.is_empty():
        raise SystemExit(f"duplicate prices: {dup}")
    known = {i.instrument_id for i in INSTRUMENTS}
    unknown = set(df["instrument_id"].to_list()) - known
    if unknown:
        raise SystemExit(f"prices for unknown instruments: {unknown}")
    return df.sort("instrument_id", "year")


def build_coverage() -> pl.DataFrame:
    cols = [
        "instrument_id",
        "cbam_sector",
        "covered",
        "coverage_share",
        "free_or_rebated_share",
        "from_year",
        "assumption",
        "source",
    ]
    df = pl.DataFrame([dict(zip(cols, r, strict=True)) for r in COVERAGE])
    bad = df.filter(
        ~pl.col("cbam_sector").is_in(SECTORS)
        | ~pl.col("coverage_share").is_between(0, 1)
        | ~pl.col("free_or_rebated_share").is_between(0, 1)
    )
    if not bad.is_empty():
        raise SystemExit(f"bad coverage rows: {bad}")
    return df.select(
        "instrument_id",
        "cbam_sector",
        "covered",
        "coverage_share",
        "free_or_rebated_share",
        "from_year",
        "source",
        "assumption",
    ).sort("instrument_id", "cbam_sector", "from_year")


def cross_check(shared: Path, prices: pl.DataFrame) -> None:
    need(shared, EU_JSON_FILE)
    need(shared, FACTS_FILE)
    eu = {
        r["year"]: r["price_lcu"]
        for r in prices.filter(pl.col("instrument_id") == "EU_ETS").iter_rows(named=True)
    }
    for y, v in EU_AUCTION_MEANS.items():
        if abs(eu[y] - v) > 0.01:
            raise SystemExit(f"EU ETS {y} auction mean {eu[y]} != SOURCES.md {v}")
    print("EU ETS annual auction mean (ICAP) vs German auction mean (UBA, policy-facts §6.1):")
    for y, v in UBA_AUCTION_MEANS.items():
        print(f"  {y}: ICAP {eu[y]:7.2f}  UBA {v:7.2f}  diff {eu[y] - v:+.2f}")
    wcpd = pl.read_csv(need(shared, WCPD_FILE), infer_schema_length=0, null_values=["NA"])
    k = (
        wcpd.filter(pl.col("jurisdiction") == "Korea, Rep.", pl.col("ets_price").is_not_null())
        .select(pl.col("year").cast(pl.Int32), pl.col("ets_price").cast(pl.Float64))
        .unique()
    )
    kor = prices.filter(pl.col("instrument_id") == "KOR_ETS")
    j = kor.join(k, on="year")
    worst = float((j["price_lcu"] - j["ets_price"]).abs().max() or 0.0)  # type: ignore[arg-type]
    if worst > 0.01:
        raise SystemExit(f"K-ETS annual means differ from WCPD v2025 by {worst}")
    print(f"K-ETS secondary means vs WCPD v2025 (internal check only): max |diff| = {worst:.4f}")


def effective_eur(
    prices: pl.DataFrame,
    fx: pl.DataFrame,
    cov: pl.DataFrame,
    instruments: pl.DataFrame,
    iso3: str,
    sector: str,
    year: int,
) -> float | None:
    attributed = instruments.filter(
        pl.col("jurisdiction") == iso3,
        pl.col("status").str.starts_with("national_in_force")
        | pl.col("status").str.starts_with("pilot"),
    )["instrument_id"].to_list()
    total: float | None = None
    for iid in attributed:
        c = (
            cov.filter(
                pl.col("instrument_id") == iid,
                pl.col("cbam_sector") == sector,
                pl.col("from_year") <= year,
            )
            .sort("from_year")
            .tail(1)
        )
        p = prices.filter(pl.col("instrument_id") == iid, pl.col("year") == year)
        if c.is_empty() or p.is_empty():
            continue
        rate = fx.filter(pl.col("currency") == p["currency"][0], pl.col("year") == year)
        eur = float(p["price_lcu"][0]) * float(rate["eur_per_unit"][0])
        share = (
            float(c["coverage_share"][0]) * (1 - float(c["free_or_rebated_share"][0]))
            if c["covered"][0]
            else 0.0
        )
        total = (total or 0.0) + eur * share
    return total


def sanity(
    prices: pl.DataFrame, fx: pl.DataFrame, cov: pl.DataFrame, instruments: pl.DataFrame
) -> None:
    eu = {
        r["year"]: r["price_lcu"]
        for r in prices.filter(pl.col("instrument_id") == "EU_ETS").iter_rows(named=True)
    }
    print("\nEffective carbon price paid, EUR/tCO2e (nominal x coverage x (1 - free) x fx):")
    head = "headline (covering instruments, EUR) 2024 / 2025"
    print(f"  {'origin':6} {'sector':11} {'2024':>8} {'2025':>8}   {head}")
    for iso3, sector in (
        ("GBR", "iron_steel"),
        ("GBR", "cement"),
        ("CHN", "iron_steel"),
        ("KOR", "iron_steel"),
        ("ZAF", "iron_steel"),
        ("CHE", "aluminium"),
    ):
        vals, heads = [], []
        for y in (2024, 2025):
            v = effective_eur(prices, fx, cov, instruments, iso3, sector, y)
            vals.append("n/a" if v is None else f"{v:.2f}")
            full = cov.with_columns(
                pl.lit(1.0).alias("coverage_share"),
                pl.lit(0.0).alias("free_or_rebated_share"),
            )
            h = effective_eur(prices, fx, full, instruments, iso3, sector, y)
            heads.append("n/a" if h is None else f"{h:.2f}")
        print(f"  {iso3:6} {sector:11} {vals[0]:>8} {vals[1]:>8}   {heads[0]} / {heads[1]}")
    print(f"  {'EU ETS':6} {'(all)':11} {eu[2024]:>8.2f} {eu[2025]:>8.2f}   annual auction mean")


def write(df: pl.DataFrame, folder: Path, name: str) -> None:
    path = folder / name
    df.write_csv(path, line_terminator="\n")
    print(f"wrote {path}: {df.height} rows")


def main(argv: list[str] | None = None) -> int:
    shared, root = parse_folders(__doc__, argv)
    folder = root / OUT_DIR
    folder.mkdir(parents=True, exist_ok=True)

    icap = load_icap(shared)
    wb = wb_series(shared)
    instruments = pl.DataFrame([i.__dict__ for i in INSTRUMENTS])
    prices = build_prices(icap, wb)
    fx = build_fx(icap, wb)
    cov = build_coverage()
    missing_fx = set(prices["currency"].unique().to_list()) - set(fx["currency"].to_list())
    if missing_fx:
        raise SystemExit(f"prices in currencies without fx: {missing_fx}")
    no_price = pl.DataFrame(NO_PRICE, schema=["jurisdiction", "status", "source"], orient="row")

    cross_check(shared, prices)
    write(instruments, folder, "instruments.csv")
    write(no_price, folder, "no_price.csv")
    write(prices, folder, "prices.csv")
    write(fx, folder, "fx.csv")
    write(cov, folder, "coverage.csv")
    sanity(prices, fx, cov, instruments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
