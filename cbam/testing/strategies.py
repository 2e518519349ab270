"""Hypothesis strategies for valid import panels and scenarios, from the bundled tables.

Every panel these strategies build is *valid*: ``cbam.compute(panel, "eu-cbam")`` must not
raise. Codes that legitimately raise are kept out (see ``NEEDS_ACTUAL_VALUES`` and
``SPANS_SECTORS``); ``actual_value_panels`` lets the electricity codes back in, since verified
actual values make them computable. Columns are generated with ``polars.testing.parametric``.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache, partial
from typing import Any

import polars as pl
from hypothesis import strategies as st
from polars.testing.parametric import column, dataframes

from cbam._countries import iso3_codes as known_iso3_codes
from cbam._eu import config as eu_config
from cbam._eu.reference import goods
from cbam._resolve import load_scenario
from cbam._schema import INTEGER_COLUMNS, NUMERIC_COLUMNS, REQUIRED_COLUMNS

# Origins every panel should be able to hit: countries with their own default values (CHN, TUR,
# IND, UKR), a country that falls back to 'Other countries' (MOZ, USA), Annex III origins (NOR,
# CHE) and an EU origin (DEU).
FEATURED_ORIGINS = (
    *("CHN", "TUR", "IND", "UKR", "MOZ", "NOR", "CHE", "DEU", "USA"),
    # LDC, graduated LDC, graduating in 2026, SIDS: the exemption scenarios bite on these.
    *("BGD", "BTN", "LAO", "TTO", "FJI"),
)
EXEMPT_ORIGINS = ("NOR", "CHE", "DEU")

# No default value: such rows need see_direct (electricity).
NEEDS_ACTUAL_VALUES = frozenset({"27", "2716", "271600", "27160000"})
# Prefixes that span two CBAM sectors (hydrogen and fertilisers under chapter 28).
SPANS_SECTORS = frozenset({"28"})
# Codes outside CBAM Annex I: computed, exempt with 'not a CBAM good'.
NON_CBAM_CODES = ("0101", "8703 23", "870323", "0402 10 11", "22", "9403")
# Clinker-based cement CN8 headings: the only ones that take a clinker_share.
CLINKER_HEADINGS = ("25231000", "25232100", "25232900", "25239000")
# Of those, the headings whose share is fixed (clinker itself): a row may give only that share.
FIXED_CLINKER = {code: s.value for code, s in eu_config.clinker_shares().fixed().items()}
INDIRECT_SECTORS = frozenset({"cement", "fertilisers"})


@cache
def iso3_codes() -> tuple[str, ...]:
    """Every ISO 3166-1 alpha-3 code of ``country_lists/iso3166_1.csv``, in order."""
    return tuple(sorted(known_iso3_codes()))


@cache
def cn8_sectors() -> dict[str, str]:
    """Annex I CN8 code -> sector, from ``rates/eu/goods.csv``."""
    return dict(goods().select("cn_code", "sector").iter_rows())


@cache
def code_sectors() -> dict[str, frozenset[str]]:
    """Every CN8 code and every HS2/CN4/CN6 prefix of one -> the sectors below it."""
    result: dict[str, set[str]] = {}
    for cn8, sector in cn8_sectors().items():
        for n in (2, 4, 6, 8):
            result.setdefault(cn8[:n], set()).add(sector)
    return {code: frozenset(sectors) for code, sectors in result.items()}


@cache
def default_value_codes() -> tuple[str, ...]:
    """CBAM codes (CN8 and prefixes) that compute from default values alone."""
    return tuple(sorted(c for c in code_sectors() if c not in NEEDS_ACTUAL_VALUES | SPANS_SECTORS))


@cache
def actual_value_codes() -> tuple[str, ...]:
    """CBAM codes that compute once the row gives verified actual values."""
    return tuple(sorted(c for c in code_sectors() if c not in SPANS_SECTORS))


@cache
def _indirect_codes() -> frozenset[str]:
    """Annex I codes outside Annex II in a direct-only sector (``rates/eu/sectors.yaml``)."""
    also = [rules.indirect_also for rules in eu_config.sectors().sectors.values()]
    return frozenset(code for codes in also if codes is not None for code in codes.codes)


def counts_indirect(code: str) -> bool:
    """Whether indirect emissions count for a CBAM code: cement, fertilisers, 2601 12 00.

    Reg. 2023/956 Art. 7 and Annex II; a prefix counts them when every CN8 below it does.
    """
    digits = code.replace(" ", "")
    if code_sectors().get(digits, frozenset()) & INDIRECT_SECTORS:
        return True
    below = [c for c in cn8_sectors() if c.startswith(digits)]
    return bool(below) and all(c in _indirect_codes() for c in below)


@cache
def sector_routes() -> dict[str, tuple[str, ...]]:
    """Sector -> its production-route markers (``rates/eu/sectors.yaml``), preferred first."""
    return {
        name: tuple(dict.fromkeys([*rules.route_preference, *rules.routes]))
        for name, rules in eu_config.sectors().sectors.items()
        if rules.routes
    }


def routes_of(code: str) -> tuple[str, ...]:
    """The route markers valid for a CBAM code (its sector's), or () for goods without routes."""
    found = code_sectors().get(code.replace(" ", ""), frozenset())
    return sector_routes().get(next(iter(found)), ()) if len(found) == 1 else ()


def spaced(code: str) -> str:
    """Write a CN code the way customs documents do: '7207 11 11', '7207 11', '7207'."""
    if not code.isdigit():
        return code
    return " ".join([code[:4]] + [code[i : i + 2] for i in range(4, len(code), 2)])


def origins() -> st.SearchStrategy[str]:
    """ISO3 origins: often one of ``FEATURED_ORIGINS``, otherwise any listed code."""
    return st.one_of(st.sampled_from(FEATURED_ORIGINS), st.sampled_from(iso3_codes()))


def cn_codes(codes: tuple[str, ...] | None = None) -> st.SearchStrategy[str]:
    """CN codes: CBAM codes (CN8 or a prefix), sometimes spaced, and a few non-CBAM codes."""
    cbam_codes = st.sampled_from(codes if codes is not None else default_value_codes())
    written = st.one_of(cbam_codes, cbam_codes.map(spaced))
    return st.one_of(written, written, written, st.sampled_from(NON_CBAM_CODES))


def years(first: int = 2026, last: int = 2034) -> st.SearchStrategy[int]:
    """Calendar years covered by the panels (the EU definitive period's first nine)."""
    return st.integers(first, last)


def quantities() -> st.SearchStrategy[float]:
    """Net mass in tonnes, 0 to a million (no tiny values that would underflow when scaled)."""
    return st.one_of(st.sampled_from([0.0, 1.0, 1000.0]), st.floats(1e-6, 1e6))


def values_eur() -> st.SearchStrategy[float]:
    """Positive customs values in EUR."""
    return st.floats(1.0, 1e9)


def quarters() -> st.SearchStrategy[int]:
    """Quarters of the year."""
    return st.integers(1, 4)


_ACTUALS = ("see_direct", "see_indirect", "clinker_share", "route")
_SCHEMA: dict[str, pl.DataType] = {
    c: pl.Int64() if c in INTEGER_COLUMNS else pl.Float64() if c in NUMERIC_COLUMNS else pl.String()
    for c in (*REQUIRED_COLUMNS, "value_eur", "quarter", "importer", *_ACTUALS)
}
_frames = partial(dataframes, allow_chunks=False, allow_masked_out=False)


def to_frame(rows: list[dict[str, object]], columns: list[str]) -> pl.DataFrame:
    """Build a DataFrame with the panel schema from row dicts (missing keys are null)."""
    schema = {c: _SCHEMA[c] for c in columns}
    return pl.DataFrame({c: [row.get(c) for row in rows] for c in columns}, schema=schema)


def _column(name: str, strategy: st.SearchStrategy[Any], allow_null: bool = False) -> column:
    """A ``polars.testing.parametric`` column of the panel schema."""
    return column(name, dtype=_SCHEMA[name], strategy=strategy, allow_null=allow_null)


def import_panels(
    min_rows: int = 1,
    max_rows: int = 25,
    optional: bool = True,
    *,
    first_year: int = 2026,
    last_year: int | None = None,
    with_values: bool = False,
) -> st.SearchStrategy[pl.DataFrame]:
    """A valid import panel: required columns, plus (optionally) value_eur, quarter, importer.

    Optional columns, when present, hold nulls on some rows (a missing quarter or value is
    valid input); the required ones never do. The years run from ``first_year`` (a regime's
    first rules year) for nine years, or to ``last_year`` (its last) if sooner; ``with_values``
    gives every row a customs value (ad valorem designs).

    Example:
        >>> from hypothesis import given, settings
        >>> import cbam
        >>> @settings(max_examples=5, deadline=None)
        ... @given(import_panels(max_rows=5))
        ... def fee_is_never_negative(panel):
        ...     assert (cbam.compute(panel, "eu-cbam")["fee_eur"] >= 0).all()
        >>> fee_is_never_negative()

    """
    last = first_year + 8 if last_year is None else min(first_year + 8, last_year)
    strategies = (years(first_year, last), origins(), cn_codes(), quantities())
    required = [_column(c, s) for c, s in zip(REQUIRED_COLUMNS, strategies, strict=True)]
    value = [_column("value_eur", values_eur(), allow_null=not with_values)]
    importers = st.sampled_from(["imp-1", "imp-2", "imp-3"])
    extra = [_column("quarter", quarters(), allow_null=True), _column("importer", importers)]
    required, extra = (required + value, extra) if with_values else (required, value + extra)

    @st.composite
    def build(draw: st.DrawFn) -> pl.DataFrame:
        chosen = [c for c in extra if optional and draw(st.booleans())]
        return draw(_frames([*required, *chosen], min_size=min_rows, max_size=max_rows))

    return build()


@st.composite
def actual_value_panels(draw: st.DrawFn, min_rows: int = 1, max_rows: int = 20) -> pl.DataFrame:
    """A valid panel whose CBAM rows (mostly) carry verified actual values.

    ``see_direct`` is set on most rows (null on some, which then take default values).
    ``see_indirect`` is given wherever ``see_direct`` is and the sector counts indirect emissions
    (cement, fertilisers), and sometimes elsewhere (where it is ignored). Clinker-based cement
    headings sometimes carry their own ``clinker_share``. Electricity and urea codes appear
    here, always with actual values (urea 3102 10 10 does not: it has no benchmark). Goods of
    a sector with production routes (steel, aluminium, cement) carry a route of their sector:
    with actual values the benchmark is the route's (a row without one is an input error where
    the benchmarks differ by route), with default values it is the default value's.
    """
    intensity = st.floats(0.0, 25.0, allow_subnormal=False)
    sources = (actual_value_codes(), CLINKER_HEADINGS, NON_CBAM_CODES)
    codes = st.one_of(*map(st.sampled_from, sources))
    rows = []
    for _ in range(draw(st.integers(min_rows, max_rows))):
        code = draw(codes)
        direct = draw(intensity if code in NEEDS_ACTUAL_VALUES else st.none() | intensity)
        counted = direct is not None and (counts_indirect(code) or draw(st.booleans()))
        indirect = draw(intensity) if counted else None
        own_clinker = code in CLINKER_HEADINGS and draw(st.booleans())
        clinker = FIXED_CLINKER.get(code, draw(st.floats(0.01, 1.0))) if own_clinker else None
        required = (years(), origins(), st.sampled_from([code, spaced(code)]), quantities())
        row = dict(zip(REQUIRED_COLUMNS, map(draw, required), strict=True))
        routes = routes_of(code)
        route = draw(st.sampled_from(routes)) if routes else None
        rows.append(row | dict(zip(_ACTUALS, (direct, indirect, clinker, route), strict=True)))
    return to_frame(rows, [*REQUIRED_COLUMNS, *_ACTUALS])


def with_row_id(frame: pl.DataFrame) -> pl.DataFrame:
    """Add a ``row_id`` column (an extra input column, which compute must carry through)."""
    return frame.with_row_index("row_id")


# Recycling: payers and recipients: large exporters, LDCs (BGD, MOZ; BTN graduated in 2023,
# LAO in 2026), SIDS (FJI, TTO), an Annex III origin (NOR).
ORIGINS = ("CHN", "TUR", "IND", "UKR", "USA", "BGD", "MOZ", "BTN", "LAO", "FJI", "TTO", "NOR")
RECIPIENTS = ("BGD", "MOZ", "KEN", "FJI", "TTO", "HTI", "SEN", "VNM")
PRICE_PATH_ORIGINS = ("GBR", "CHN", "IND", "KOR", "ZAF", "TUR", "USA")  # own carbon prices

fee_values = st.one_of(
    st.just(0.0),
    st.integers(0, 10**8).map(lambda c: c / 100),  # whole cents
    st.floats(0, 1e9),
    st.sampled_from([0.125, 0.375, 0.005, 0.015, 1e-9]),  # exact half cents and dust
)


@st.composite
def fee_tables(draw: st.DrawFn) -> pl.DataFrame:
    """Synthetic ``compute`` results (origin, year, fee_eur) for fast recycling properties."""
    row = st.tuples(st.sampled_from(ORIGINS), st.integers(2026, 2030), fee_values)
    rows = draw(st.lists(row, min_size=1, max_size=30))
    schema = {"origin": pl.String, "year": pl.Int32, "fee_eur": pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row")


@st.composite
def recycling_pools(draw: st.DrawFn, final: bool) -> dict[str, Any]:
    """A pool's rule and recipients (the last pool never relies on carrying its money on)."""
    rules = ["domestic", "proportional_to_paid", "proportional_to_index", "equal_per_country"]
    rule = draw(st.sampled_from(rules))
    entry: dict[str, Any] = {"rule": rule}
    recipients = st.lists(st.sampled_from(RECIPIENTS), min_size=1, max_size=6, unique=True)
    if rule == "domestic":
        entry["recipient"] = draw(st.sampled_from(["EU budget", "Member States", "fund"]))
    elif rule == "proportional_to_paid" and not final and draw(st.booleans()):
        entry |= {"group": draw(st.sampled_from(["ldc", "sids", ["ldc", "sids"]]))}
        entry["if_no_recipient"] = "carry"
    elif rule == "proportional_to_index":
        keys = draw(recipients)
        values = draw(st.lists(st.floats(0, 1e8), min_size=len(keys), max_size=len(keys)))
        values[0] = max(values[0], 1.0)  # at least one positive value
        entry["index"] = dict(zip(keys, values, strict=True))
    elif rule == "equal_per_country":
        entry["countries"] = draw(recipients)
    return entry


@st.composite
def recycling_plans(draw: st.DrawFn) -> dict[str, Any]:
    """A recycling plan that loads (a mapping for ``cbam.recycle(..., plan=...)``).

    Applied to a fee table it may still be refused, as any plan may be: a fixed amount above
    the table's revenue, or a share with money and no eligible recipient.

    Shares of the total within what remains, shares of the remainder, fixed amounts and returns
    to payers, closed by a share of 1 of the remainder when needed.
    """
    count = draw(st.integers(1, 5))
    allocations: list[dict[str, Any]] = []
    alpha = Fraction(1)  # share of the total not yet allocated
    pending = False  # a data-dependent amount was taken: only a remainder of 1 closes the plan
    for number in range(count):
        last = number == count - 1
        kind = "close" if last else draw(st.sampled_from(["total", "remainder", "fixed", "paid"]))
        entry: dict[str, Any] = {"pool": f"pool {number + 1}"}
        if kind == "close":
            carries = any(a.get("if_no_recipient") == "carry" for a in allocations)
            if pending or carries or alpha == 1 or draw(st.booleans()):
                entry |= {"share": 1, "of": "remainder"}
            else:
                entry |= {"share": f"{alpha.numerator}/{alpha.denominator}"}
        elif kind == "total":
            share = alpha * Fraction(draw(st.integers(0, 100)), 100)
            entry |= {"share": f"{share.numerator}/{share.denominator}"}
            alpha -= share
        elif kind == "remainder":
            share_pct = draw(st.integers(0, 99))
            entry |= {"share": share_pct / 100, "of": "remainder"}
            alpha *= 1 - Fraction(share_pct, 100)
        elif kind == "fixed":
            entry |= {"amount_eur": draw(st.integers(0, 500)) / 100}
        else:
            entry |= {"share": draw(st.sampled_from([1, 0.5])), "of": "paid_by_recipients"}
            entry |= {"rule": "proportional_to_paid"}
        pending |= kind in ("fixed", "paid")
        if "rule" not in entry:
            entry |= draw(recycling_pools(final=last))
        elif not last and draw(st.booleans()):
            entry |= {"group": "ldc", "if_no_recipient": "carry"}
        allocations.append(entry)
    return {"name": "random", "allocations": allocations}


@st.composite
def carbon_price_paths(draw: st.DrawFn) -> dict[str, Any]:
    """A scenario's ``carbon_price_abroad`` section: table or none, plus own price paths."""
    origins_drawn = draw(st.lists(st.sampled_from(PRICE_PATH_ORIGINS), max_size=3, unique=True))
    values = st.dictionaries(st.integers(2026, 2034), st.floats(0, 300), min_size=1, max_size=3)
    currencies = st.sampled_from(["EUR", "USD", "GBP"])
    path = {o: {"currency": draw(currencies), "values": draw(values)} for o in origins_drawn}
    return {"source": draw(st.sampled_from(["table", "none"])), "path": path}


@st.composite
def scenario_overrides(draw: st.DrawFn) -> dict[str, Any]:
    """Overrides of ``eu-cbam`` with every parameter within its legal or plausible range."""
    overrides: dict[str, Any] = {}

    def maybe(key: str, strategy: st.SearchStrategy[Any]) -> None:
        if draw(st.booleans()):
            overrides[key] = draw(strategy)

    prices = st.dictionaries(st.integers(2026, 2034), st.floats(0, 300), min_size=1)
    from_2026 = prices.map(lambda d: {2026: d.pop(2026, 75.0), **d})
    maybe("certificate_price_eur", st.one_of(st.floats(0, 300), from_2026))
    maybe("rules_year", st.integers(2026, 2034))
    maybe("cross_sectoral_correction_factor", st.floats(0.5, 1.0))
    if draw(st.booleans()):
        overrides["clinker_share"] = {
            heading: draw(st.floats(0.3, 1.0)) for heading in CLINKER_HEADINGS[1:]
        }
    if draw(st.booleans()):
        groups = draw(st.lists(st.sampled_from(["ldc", "sids"]), unique=True))
        status = st.sampled_from(["start_of_year", "any_day_of_year"])
        overrides["exemptions"] = [
            {"group": g, "grace_years": draw(st.integers(0, 10)), "status_on": draw(status)}
            for g in groups
        ]
    overrides["de_minimis"] = draw(st.booleans())
    overrides["actual_values_benchmark"] = draw(st.sampled_from(["A", "B"]))
    overrides["actual_values_route_from_default"] = draw(st.booleans())
    maybe("carbon_price_abroad", carbon_price_paths())
    year, path = overrides.get("rules_year"), overrides.get("certificate_price_eur")
    if year is not None and isinstance(path, dict):
        # Under a fixed rules year only the price in force in it applies: a later one, or an
        # earlier one that another replaces by then, would never apply (refused as overrides).
        overrides["certificate_price_eur"] = {year: path[max(y for y in path if y <= year)]}
    return overrides


def scenarios() -> st.SearchStrategy[Any]:
    """Valid ``Scenario`` objects: ``eu-cbam`` with generated parameter overrides.

    Example:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=3, deadline=None)
        ... @given(scenarios())
        ... def loads(scenario):
        ...     assert scenario.name == "eu-cbam"
        >>> loads()

    """
    return scenario_overrides().map(lambda o: load_scenario("eu-cbam", overrides=o))


# One bad cell per corruption: (column, bad value, dtype the column is cast to for it).
CORRUPTIONS: tuple[tuple[str, Any, Any], ...] = (
    *(("quantity_t", bad, pl.Float64) for bad in (None, -1.0, float("nan"), float("inf"))),
    ("quantity_t", "ten", pl.String),
    *(("origin", bad, pl.String) for bad in ("XYZ", "\u0422UR", None)),
    *(("cn_code", bad, pl.String) for bad in ("72a8", "720", "7700", None)),
    *(("year", bad, pl.Int64) for bad in (None, 2019)),
    ("year", "2026.5", pl.String),
)


@st.composite
def corrupted_panels(draw: st.DrawFn) -> tuple[pl.DataFrame, str, int]:
    """A valid panel with one cell made invalid: (panel, column, row index of the bad cell)."""
    panel: pl.DataFrame = draw(import_panels(max_rows=10))
    column, bad, dtype = draw(st.sampled_from(CORRUPTIONS))
    row = draw(st.integers(0, panel.height - 1))
    values = panel[column].cast(dtype).to_list()
    values[row] = bad
    return panel.with_columns(pl.Series(column, values, dtype=dtype)), column, row
