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
from tests.properties.strategies import import_panels

# Payers and recipients: large exporters, LDCs (BGD, MOZ; BTN graduated in 2023, LAO in 2026),
# SIDS (FJI, TTO), an Annex III origin (NOR).
ORIGINS = ("CHN", "TUR", "IND", "UKR", "USA", "BGD", "MOZ", "BTN", "LAO", "FJI", "TTO", "NOR")
RECIPIENTS = ("BGD", "MOZ", "KEN", "FJI", "TTO", "HTI", "SEN", "VNM")

fee_values = st.one_of(
    st.just(0.0),
    st.integers(0, 10**8).map(lambda c: c / 100),  # whole cents
    st.floats(0, 1e9, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.125, 0.375, 0.005, 0.015, 1e-9]),  # exact half cents and dust
)


@st.composite
def fee_tables(draw: st.DrawFn) -> pl.DataFrame:
    rows = draw(
        st.lists(
            st.tuples(st.sampled_from(ORIGINS), st.integers(2026, 2030), fee_values),
            min_size=1,
            max_size=30,
        )
    )
    return pl.DataFrame(
        rows, schema={"origin": pl.String, "year": pl.Int32, "fee_eur": pl.Float64}, orient="row"
    )


@st.composite
def pools(draw: st.DrawFn, final: bool) -> dict[str, Any]:
    """A pool's rule and recipients (the last pool never relies on carrying its money on)."""
    rule = draw(
        st.sampled_from(
            ["domestic", "proportional_to_paid", "proportional_to_index", "equal_per_country"]
        )
    )
    entry: dict[str, Any] = {"rule": rule}
    if rule == "domestic":
        entry["recipient"] = draw(st.sampled_from(["EU budget", "Member States", "fund"]))
    elif rule == "proportional_to_paid":
        if not final and draw(st.booleans()):
            entry |= {"group": draw(st.sampled_from(["ldc", "sids", ["ldc", "sids"]]))}
            entry["if_no_recipient"] = "carry"
    elif rule == "proportional_to_index":
        keys = draw(st.lists(st.sampled_from(RECIPIENTS), min_size=1, max_size=6, unique=True))
        values = draw(
            st.lists(st.floats(0, 1e8, allow_nan=False), min_size=len(keys), max_size=len(keys))
        )
        values[0] = max(values[0], 1.0)  # at least one positive value
        entry["index"] = dict(zip(keys, values, strict=True))
    else:
        entry["countries"] = draw(
            st.lists(st.sampled_from(RECIPIENTS), min_size=1, max_size=6, unique=True)
        )
    return entry


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    """A valid plan: shares of the total within what remains, shares of the remainder, fixed
    amounts and returns to payers, closed by a share of 1 of the remainder when needed."""
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
            alpha, pending = Fraction(0), False
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
            pending = True
        else:
            entry |= {"share": draw(st.sampled_from([1, 0.5])), "of": "paid_by_recipients"}
            entry |= {"rule": "proportional_to_paid"}
            pending = True
        if "rule" not in entry:
            entry |= draw(pools(final=last))
        elif not last and draw(st.booleans()):
            entry |= {"group": "ldc", "if_no_recipient": "carry"}
        allocations.append(entry)
    return {"name": "random", "allocations": allocations}


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
