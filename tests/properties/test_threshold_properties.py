"""Thresholds are decided exactly: panels whose totals sit on a threshold, permuted and split.

Sums that decide a threshold are taken in whole units (grams, pence, millionths of a share;
``rates/eu/exact_sums.yaml``), so an importer at exactly the threshold stays exempt in every
row order, however its shipments are split and on every engine, and one unit more is liable.
Thresholds: EU de minimis, 50 t per importer and year "not exceeded" (Reg. (EU) 2023/956
Art. 2(3a), inserted by Reg. (EU) 2025/2083); the UK's GBP 50,000 per importer and year
(``rates/regimes/uk-cbam.yaml``); an exemption's ``max_import_share`` ("below" the share).
"""

from __future__ import annotations

import itertools

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

import cbam

EU = cbam.load_scenario("eu-cbam")
SHARE = cbam.load_scenario(
    "eu-cbam", overrides={"exemptions": [{"group": "ldc", "max_import_share": 0.1}]}
)
GBP = 1.17741  # EUR per GBP in 2027 (rates/carbon_prices/fx.csv), as tests/test_regimes.py
EXEMPT = {"exempt (importer at or below threshold)"}
LIABLE = {"liable (importer above threshold)"}


@st.composite
def parts(draw: st.DrawFn, total: int, step: int, max_parts: int = 40) -> list[int]:
    """``total`` units cut into 1..max_parts whole parts, each a multiple of ``step``."""
    n = draw(st.integers(1, max_parts))
    cuts = sorted(draw(st.lists(st.integers(0, total // step), min_size=n - 1, max_size=n - 1)))
    bounds = [0, *(c * step for c in cuts), total]
    return [b - a for a, b in itertools.pairwise(bounds)]


def _split(units: list[int], pieces: int) -> list[int]:
    """Every part cut into ``pieces`` near-equal whole parts (more, smaller shipments)."""
    return [u // pieces + (1 if i < u % pieces else 0) for u in units for i in range(pieces)]


def _statuses(panel: pl.DataFrame, scenario: cbam.Scenario, engine: str) -> set[str]:
    if engine == "lazy":
        lazy = cbam.compute(panel.lazy(), scenario)
        assert isinstance(lazy, pl.LazyFrame)
        out = lazy.collect(engine="streaming")
    else:
        out = cbam.compute(panel, scenario, engine=engine)  # type: ignore[arg-type]
    return set(out["de_minimis"].cast(pl.String).drop_nulls())


ENGINES = st.sampled_from(["in-memory", "streaming", "lazy"])


def _steel(masses: list[float], year: int = 2026, **extra: list[object]) -> pl.DataFrame:
    n = len(masses)
    return pl.DataFrame(
        {
            "year": [year] * n,
            "origin": ["TUR"] * n,
            "cn_code": ["72071111"] * n,
            "quantity_t": masses,
            "importer": ["A"] * n,
            **extra,
        }
    )


@given(grams=parts(50_000_000, 1_000), data=st.data(), engine=ENGINES)
def test_de_minimis_at_exactly_50_t_in_any_order_and_split(
    grams: list[int], data: st.DataObject, engine: str
) -> None:
    """50.000 t in kilogram shipments: exempt however ordered or split; 1 g more: liable."""
    pieces = data.draw(st.integers(1, 5))
    shipped = data.draw(st.permutations(_split(grams, pieces)))
    panel = _steel([g / 1e6 for g in shipped])
    assert _statuses(panel, EU, engine) == EXEMPT
    over = _steel([(g + (1 if i == 0 else 0)) / 1e6 for i, g in enumerate(shipped)])
    assert _statuses(over, EU, engine) == LIABLE


@given(pence=parts(5_000_000, 10), data=st.data(), engine=ENGINES)
def test_uk_value_threshold_at_exactly_gbp_50000_in_any_order_and_split(
    pence: list[int], data: st.DataObject, engine: str
) -> None:
    """GBP 50,000.00 in shipments of whole tenths of a pound: exempt; a penny more: liable."""
    pieces = data.draw(st.integers(1, 3))
    shipped = data.draw(st.permutations(_split(pence, pieces)))
    values = [p / 100 * GBP for p in shipped]
    panel = _steel([1.0] * len(values), 2027, value_eur=values)
    assert _statuses(panel, cbam.load_scenario("uk-cbam"), engine) == EXEMPT
    more = [(p + (1 if i == 0 else 0)) / 100 * GBP for i, p in enumerate(shipped)]
    over = _steel([1.0] * len(values), 2027, value_eur=more)
    assert _statuses(over, cbam.load_scenario("uk-cbam"), engine) == LIABLE


@given(moz=parts(3_000_000, 1_000, 20), chn=parts(27_000_000, 1_000, 20), data=st.data())
def test_import_share_exactly_at_the_limit_in_any_order_and_split(
    moz: list[int], chn: list[int], data: st.DataObject
) -> None:
    """Mozambique's 3 t of 30 t is a share of 0.1, not below 0.1: never exempt; 1 g less is."""

    def panel(moz_grams: list[int]) -> pl.DataFrame:
        rows = [("MOZ", g) for g in moz_grams] + [("CHN", g) for g in chn]
        rows = data.draw(st.permutations(rows))
        return pl.DataFrame(
            {
                "year": [2026] * len(rows),
                "origin": [o for o, _ in rows],
                "cn_code": ["76011010"] * len(rows),
                "quantity_t": [g / 1e6 for _, g in rows],
            }
        )

    at = cbam.compute(panel(moz), SHARE).filter(pl.col("origin") == "MOZ")
    assert not at["exempt"].any()
    largest = moz.index(max(moz))
    less = [g - 1 if i == largest else g for i, g in enumerate(moz)]
    below = cbam.compute(panel(less), SHARE)
    assert below.filter(pl.col("origin") == "MOZ")["exempt"].all()
