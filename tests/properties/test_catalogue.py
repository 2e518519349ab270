"""The invariant catalogue of ``cbam.testing`` against every bundled scenario, every run.

Examples per property follow the hypothesis profile (``CBAM_HYPOTHESIS_PROFILE=thorough`` for a
long run).
"""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import settings

import cbam
import cbam.testing._catalogue as catalogue
from cbam.cli import main
from cbam.testing import CATALOGUE, check_scenario

EXAMPLES = max(3, settings().max_examples // 6)


@pytest.mark.parametrize("name", sorted(cbam.list_scenarios()))
def test_every_property_holds_for_every_bundled_scenario(name: str) -> None:
    report = check_scenario(name, max_examples=EXAMPLES, max_rows=8)
    failed = [(r.name, r.error, r.counterexample) for r in report.results if not r.holds]
    assert failed == []
    assert len(report.results) == len(CATALOGUE) >= 15


def test_a_broken_rule_is_caught_with_the_smallest_counterexample(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = catalogue.compute

    def broken(panel: pl.DataFrame, scenario: cbam.Scenario) -> pl.DataFrame:
        # A deliberately wrong rule: charges a negative fee on Türkiye's rows.
        out = real(panel, scenario)
        return out.with_columns(
            pl.when(pl.col("origin") == "TUR")
            .then(-1.0)
            .otherwise(pl.col("fee_eur"))
            .alias("fee_eur")
        )

    monkeypatch.setattr(catalogue, "compute", broken)
    report = check_scenario("eu-cbam", max_examples=50, properties=["fee_non_negative"])
    result = next(r for r in report.results if r.name == "fee_non_negative")
    assert result.holds is False
    assert result.counterexample is not None
    assert result.counterexample.height == 1  # shrunk to one row
    assert result.counterexample["origin"].to_list() == ["TUR"]


def test_cbam_check_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "eu-cbam", "--examples", "3"]) == 0
    out = capsys.readouterr().out
    assert "17 of 17 properties hold" in out
    assert "holds  fee_non_negative" in out
