"""Properties of revenue recycling over random plans and fee tables: every cent accounted for.

The fee tables are synthetic ``compute`` results (origin, year, fee), so that these properties
stay fast; one property runs the real pipeline on generated import panels.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import polars as pl
from hypothesis import assume, given
from hypothesis import strategies as st

import cbam
from cbam._recycling import apportion
from cbam.testing.strategies import (
    fee_tables,
    import_panels,
)
from cbam.testing.strategies import recycling_plans as plans


def recycle_or_reject(fees: pl.DataFrame, plan: dict[str, Any]) -> cbam.Recycling:
    """Recycle; a fixed amount or return larger than what remains is a valid refusal."""
    try:
        return cbam.recycle(fees, "eu-cbam", plan=plan)
    except cbam.ScenarioError as exc:
        assume("but only" not in str(exc))
        raise


@given(fees=fee_tables(), plan=plans())
def test_every_cent_is_allocated_and_none_is_negative(
    fees: pl.DataFrame, plan: dict[str, Any]
) -> None:
    r = recycle_or_reject(fees, plan)
    # Total revenue: the sum of fee_eur rounded to the cent.
    exact = math.fsum(fees["fee_eur"].to_list()) * 100
    assert abs(r.total_cents - exact) <= 0.5 + 1e-6 * max(1.0, exact)
    assert r.pools["amount_cents"].sum() == r.total_cents
    assert r.flows["amount_cents"].sum() == r.total_cents
    assert r.balance["paid_cents"].sum() == r.total_cents
    domestic = r.flows.filter(pl.col("rule") == "domestic")["amount_cents"].sum()
    assert r.balance["received_cents"].sum() + domestic == r.total_cents
    for allocation, cents in r.pools.select("allocation", "amount_cents").iter_rows():
        assert r.flows.filter(pl.col("allocation") == allocation)["amount_cents"].sum() == cents
    for frame, column in ((r.pools, "amount_cents"), (r.flows, "amount_cents")):
        assert (frame[column] >= 0).all()
    assert (r.balance["paid_cents"] >= 0).all() and (r.balance["received_cents"] >= 0).all()
    assert (r.balance["net_cents"] == r.balance["received_cents"] - r.balance["paid_cents"]).all()
    # Each amount in EUR is its cents / 100.
    assert (r.flows["amount_eur"] * 100).round(0).cast(pl.Int64).equals(r.flows["amount_cents"])


@given(fees=fee_tables(), plan=plans())
def test_splits_are_proportional_within_one_cent(fees: pl.DataFrame, plan: dict[str, Any]) -> None:
    r = recycle_or_reject(fees, plan)
    paid = dict(zip(r.balance["origin"], r.balance["paid_cents"], strict=True))
    # The paying origins' shares of the total are within a cent of what they paid.
    by_origin = fees.group_by("origin").agg(pl.col("fee_eur").sum())
    for origin, fee in by_origin.iter_rows():
        assert abs(paid[origin] - fee * 100) <= 1 + 1e-6 * max(1.0, fee * 100)
    for number, entry in enumerate(plan["allocations"], start=1):
        pool = r.pools.filter(pl.col("allocation") == number).row(0, named=True)
        flows = r.flows.filter(pl.col("allocation") == number)
        got = dict(zip(flows["recipient"], flows["amount_cents"], strict=True))
        if entry.get("of", "total") == "total" and "share" in entry and pool["amount_cents"]:
            assert abs(pool["amount_cents"] - Fraction(entry["share"]) * r.total_cents) < 1
        if entry["rule"] == "proportional_to_paid":
            weights = {k: Fraction(paid[k]) for k in got}
        elif entry["rule"] == "proportional_to_index":
            weights = {k: Fraction(v) for k, v in entry["index"].items() if v > 0}
        elif entry["rule"] == "equal_per_country":
            weights = {k: Fraction(1) for k in entry["countries"]}
        else:
            continue
        if pool["carried"] or not pool["amount_cents"]:
            continue
        assert set(got) == set(weights)
        whole = sum(weights.values())
        for recipient, cents in got.items():
            assert abs(cents - pool["amount_cents"] * weights[recipient] / whole) < 1


@given(fees=fee_tables(), plan=plans(), seed=st.randoms(use_true_random=False))
def test_row_order_does_not_matter(fees: pl.DataFrame, plan: dict[str, Any], seed: Any) -> None:
    r = recycle_or_reject(fees, plan)
    shuffled = fees.sample(fraction=1.0, shuffle=True, seed=seed.randint(0, 2**32 - 1))
    s = cbam.recycle(shuffled, "eu-cbam", plan=plan)
    assert r.flows.equals(s.flows) and r.balance.equals(s.balance)


@given(
    total=st.integers(0, 10**15),
    weights=st.lists(
        st.one_of(st.integers(0, 10**12), st.floats(0, 1e12, allow_nan=False)),
        min_size=1,
        max_size=40,
    ),
)
def test_largest_remainder_sums_exactly_and_stays_within_a_cent(
    total: int, weights: list[float]
) -> None:
    exact = [Fraction(w) for w in weights]
    assume(sum(exact) > 0)
    parts = apportion(total, exact)
    assert sum(parts) == total
    whole = sum(exact)
    for part, weight in zip(parts, exact, strict=True):
        assert part >= 0 and abs(part - total * weight / whole) < 1
    for i, wi in enumerate(exact):  # a larger weight never gets fewer cents
        for j, wj in enumerate(exact):
            if wi > wj:
                assert parts[i] >= parts[j]


LDC_RETURN = cbam.load_scenario("eu-cbam-ldc-return", overrides={"certificate_price_eur": 80})


@given(panel=import_panels())
def test_ldc_return_gives_each_ldc_back_what_it_paid(panel: pl.DataFrame) -> None:
    """On real ``compute`` results: every LDC nets zero, and the rest goes to the Member States."""
    out = cbam.compute(panel, LDC_RETURN)
    r = cbam.recycle(out, LDC_RETURN)
    ldc = r.flows.filter(pl.col("allocation") == 1)["recipient"].to_list()
    returned = r.balance.filter(pl.col("origin").is_in(ldc))
    assert (returned["net_cents"] == 0).all()
    assert r.flows["amount_cents"].sum() == r.total_cents
