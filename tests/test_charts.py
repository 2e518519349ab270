"""cbam.charts renders static PNGs without a display or a browser."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import cbam
from cbam import charts

PNG = b"\x89PNG\r\n\x1a\n"
S80 = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
ROWS = pl.DataFrame(
    {
        "year": [2026, 2026, 2026, 2026],
        "origin": ["TUR", "TUR", "CHN", "MOZ"],
        "cn_code": ["72071111", "76011090", "25232900", "76011090"],
        "quantity_t": [100.0, 10.0, 1_000.0, 500.0],
        "value_eur": [55_000.0, 25_000.0, 70_000.0, 1_200_000.0],
    }
)


def _is_png(path: Path) -> bool:
    return path.read_bytes()[:8] == PNG and path.stat().st_size > 5_000


def test_fees_by_origin_stacks_sectors_and_orders_by_fee(tmp_path: Path) -> None:
    fees = cbam.compute(ROWS, S80)
    fig = charts.fees_by_origin(fees, top=2, path=tmp_path / "sub" / "fees.png", source="test")
    assert _is_png(tmp_path / "sub" / "fees.png")
    ax = fig.axes[0]
    order = fees.group_by("origin").agg(pl.col("fee_eur").sum()).sort("fee_eur", descending=True)
    assert [t.get_text() for t in ax.get_yticklabels()] == order["origin"].head(2).to_list()
    # Stacked by the sectors present among the top two: one bar container per sector.
    assert {t.get_text() for t in ax.get_legend().get_texts()} <= {
        "aluminium",
        "cement",
        "iron_steel",
    }
    widths = sum(p.get_width() for p in ax.patches)
    assert widths == pytest.approx(order["fee_eur"].head(2).sum())


def test_phase_in_trajectory_plots_every_year(tmp_path: Path) -> None:
    path = cbam.phase_in(ROWS.with_columns(pl.lit(2025).alias("year")), S80, by=["sector"])
    fig = charts.phase_in_trajectory(path, stack_by="sector", path=tmp_path / "phase.png")
    assert _is_png(tmp_path / "phase.png")
    ax, twin = fig.axes
    heights = sum(p.get_height() for p in ax.patches)
    assert heights == pytest.approx(path["fee_eur"].sum())
    assert list(twin.lines[0].get_ydata()) == [
        0.975,
        0.95,
        0.9,
        0.775,
        0.515,
        0.39,
        0.265,
        0.14,
        0.0,
    ]


def test_scenario_comparison(tmp_path: Path) -> None:
    ldc = cbam.load_scenario("eu-cbam-ldc-exempt", overrides={"certificate_price_eur": 80})
    runs = {"law": cbam.compute(ROWS, S80), "LDCs exempt": cbam.compute(ROWS, ldc)}
    fig = charts.scenario_comparison(runs, by="origin", path=tmp_path / "compare.png")
    assert _is_png(tmp_path / "compare.png")
    assert len(fig.axes[0].patches) == 2 * 3  # two scenarios x three origins
    with pytest.raises(ValueError, match="at least one"):
        charts.scenario_comparison({})


def test_recycling_flows(tmp_path: Path) -> None:
    s = cbam.load_scenario("eu-cbam-ldc-return", overrides={"certificate_price_eur": 80})
    fees = cbam.compute(ROWS, s)
    fig = charts.recycling_flows(cbam.recycle(fees, s), path=tmp_path / "flows.png")
    assert _is_png(tmp_path / "flows.png")
    pools, balance = fig.axes[:2]
    assert [t.get_text() for t in pools.get_yticklabels()] == [
        "Return to LDCs",
        "Member States' budgets",
    ]
    # Mozambique gets back what it paid: net zero; Turkey and China are net payers.
    nets = dict(
        zip(
            [t.get_text() for t in balance.get_yticklabels()],
            [p.get_width() for p in balance.patches],
            strict=True,
        )
    )
    assert nets["MOZ"] == pytest.approx(0.0, abs=0.01)
    assert nets["TUR"] < 0 and nets["CHN"] < 0


def test_charts_take_the_pandas_frames_the_reports_return() -> None:
    # fees_by_origin(pandas) raised a TypeError; phase_in of pandas returns pandas, which
    # phase_in_trajectory could not read.
    fees = cbam.compute(ROWS, S80)
    fig = charts.fees_by_origin(fees.to_pandas(), top=2)
    order = fees.group_by("origin").agg(pl.col("fee_eur").sum()).sort("fee_eur", descending=True)
    assert sum(p.get_width() for p in fig.axes[0].patches) == pytest.approx(
        order["fee_eur"].head(2).sum()
    )
    trajectory = cbam.phase_in(ROWS.with_columns(pl.lit(2025).alias("year")).to_pandas(), S80)
    assert len(charts.phase_in_trajectory(trajectory).axes[0].patches) == 9  # 2026-2034


def test_import_cbam_does_not_import_matplotlib() -> None:
    code = "import sys, cbam; assert 'matplotlib' not in sys.modules; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_origins_spelled_loosely_are_one_bar() -> None:
    # 'tur ' and 'TUR' are one origin to the rules, so one bar (it was a bar each).
    loose = ROWS.with_columns(origin=pl.Series(["TUR", "tur ", "CHN", " moz"]))
    shown = charts.fees_by_origin(cbam.compute(loose, S80)).axes[0].get_yticklabels()
    expected = charts.fees_by_origin(cbam.compute(ROWS, S80)).axes[0].get_yticklabels()
    labels = [t.get_text() for t in shown]
    assert labels == [t.get_text() for t in expected] and sorted(labels) == ["CHN", "MOZ", "TUR"]
    runs = {"a": cbam.compute(loose, S80)}
    assert len(charts.scenario_comparison(runs, by="origin").axes[0].patches) == 3


def test_axes_are_scaled_to_their_values_and_name_the_columns_unit() -> None:
    # Ticks in millions read 0 on a fee of EUR 9,000; a sum of tonnes is no EUR.
    rows = pl.DataFrame(
        {"year": [2026], "origin": ["TUR"], "cn_code": ["72071111"], "quantity_t": [100.0]}
    )
    fees = cbam.compute(rows, "eu-cbam")
    figure = charts.fees_by_origin(fees)
    figure.canvas.draw()
    axis = figure.axes[0]
    assert axis.get_xlabel() == "fee, EUR thousand"
    ticks = [t.get_text() for t in axis.get_xticklabels()]
    assert len(set(ticks)) == len(ticks) and "-0" not in ticks
    for column, label in (("quantity_t", "quantity, t"), ("certificates", "certificates")):
        shown = charts.scenario_comparison({"a": fees}, column=column).axes[0].get_xlabel()
        assert shown == label
    empty = charts.fees_by_origin(fees.head(0))
    empty.canvas.draw()
    assert not any(t.get_text().startswith("-0") for t in empty.axes[0].get_xticklabels())


@pytest.mark.parametrize("top", [0.3, 0.05, 0.009, 9_000.0])
def test_tick_labels_of_small_values_are_told_apart(top: float) -> None:
    from matplotlib.figure import Figure

    from cbam.charts import _scaled

    figure = Figure()
    axis = figure.subplots()
    axis.barh([0, 1], [top, top / 3])
    _scaled(axis, "fee", "EUR")
    figure.canvas.draw()
    labels = [t.get_text() for t in axis.get_xticklabels()]
    assert len(set(labels)) == len(labels), labels
