"""cbam.sweep: price paths x designs, equal to running compute per scenario, here and on Dask."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

import cbam
from cbam._progress import progress

PATHS: list[Any] = [40, 80.5, {2026: 75, 2028: 130}, 0, 250]
EXEMPTIONS: list[Any] = [
    [],
    [{"group": "ldc"}],
    [{"group": "ldc", "fee_share_charged": {2026: 0.5}}],
]


@pytest.fixture(scope="module")
def panel() -> pl.DataFrame:
    # Origins with and without a carbon price paid abroad (GBR, CHN, ZAF), LDCs, Annex III.
    origins = ["GBR", "CHN", "ZAF", "BGD", "TZA", "TUR", "IND", "NOR", "UKR", "USA"]
    codes = ["72071111", "76011090", "25232900", "31021012", "28041000", "7208", "2523"]
    n = 600
    i = pl.int_range(n)
    return pl.select(
        year=(2026 + i % 4).cast(pl.Int32),
        origin=pl.lit(pl.Series(origins)).gather(i.hash(1) % len(origins)),
        cn_code=pl.lit(pl.Series(codes)).gather(i.hash(2) % len(codes)),
        quantity_t=(i.hash(3) % 5_000).cast(pl.Float64) / 7,
        quarter=(1 + i.hash(4) % 4).cast(pl.Int8),
    )


def whole_path(scenario: cbam.Scenario, price: Any) -> cbam.Scenario:
    """``scenario`` with ``price`` as its whole price path, as a sweep's path replaces it.

    (An override ``{"certificate_price_eur": {2028: 130}}`` adds 2028 to the cited path.)
    """
    return cbam.Scenario.model_validate({**scenario.model_dump(), "certificate_price_eur": price})


def reference(panel: pl.DataFrame, price: Any, exemptions: Any) -> pl.DataFrame:
    base = cbam.load_scenario("eu-cbam", overrides={"exemptions": exemptions})
    scenario = whole_path(base, price)
    return cbam.summarise(cbam.compute(panel, scenario), by=["origin"]).select("origin", "fee_eur")


def test_sweep_equals_compute_per_scenario_to_the_cent(panel: pl.DataFrame) -> None:
    result = cbam.sweep(
        panel,
        "eu-cbam",
        vary={"certificate_price_eur": PATHS, "exemptions": EXEMPTIONS},
        by=["origin"],
    )
    assert result.designs.height == 3 and result.paths.height == len(PATHS)
    # Some rows deduct a carbon price paid abroad, so the price enters non-linearly.
    fees = cbam.compute(panel, "eu-cbam")
    assert fees["deduction_t"].max() > 0
    for d, exemptions in enumerate(EXEMPTIONS):
        for p, price in enumerate(PATHS):
            expected = reference(panel, price, exemptions)
            got = result.totals.filter(design=d, path=p).join(
                expected, on="origin", how="full", suffix="_ref"
            )
            gap = (got["fee_eur"].fill_null(0.0) - got["fee_eur_ref"].fill_null(0.0)).abs()
            assert gap.max() < 0.005, (d, price)
    # Price 0 charges nothing; the LDC exemption lowers the total.
    totals = result.totals.group_by("design", "path").agg(pl.col("fee_eur").sum())
    assert totals.filter(path=3)["fee_eur"].to_list() == [0.0, 0.0, 0.0]
    by_design = totals.filter(path=1).sort("design")["fee_eur"].to_list()
    assert by_design[0] > by_design[2] > by_design[1] > 0


def test_percentiles_over_price_paths(panel: pl.DataFrame) -> None:
    prices = [float(p) for p in range(10, 210, 10)]  # 20 flat paths
    result = cbam.sweep(
        panel, "eu-cbam", vary={"certificate_price_eur": prices}, percentiles=(5, 50, 95)
    )
    values = result.totals.sort("fee_eur")["fee_eur"].to_list()
    row = result.percentiles.row(0, named=True)
    assert row["fee_eur_p50"] == pytest.approx((values[9] + values[10]) / 2)
    assert row["fee_eur_p5"] == pytest.approx(values[0] + 0.95 * (values[1] - values[0]))
    assert row["fee_eur_mean"] == pytest.approx(sum(values) / len(values))
    # The median path (EUR 100 or 110) brackets the median total.
    at_100 = reference(panel, 100, [])["fee_eur"].sum()
    at_110 = reference(panel, 110, [])["fee_eur"].sum()
    assert at_100 < row["fee_eur_p50"] < at_110


def test_partitions_give_the_same_totals(panel: pl.DataFrame) -> None:
    vary = {"certificate_price_eur": PATHS[:3], "exemptions": EXEMPTIONS[:2]}
    one = cbam.sweep(panel, "eu-cbam", vary=vary, by=["origin"])
    four = cbam.sweep(panel, "eu-cbam", vary=vary, by=["origin"], partitions=4)
    gap = one.totals.join(four.totals, on=["design", "path", "origin"], suffix="_4")
    assert gap.height == one.totals.height == four.totals.height
    assert (gap["fee_eur"] - gap["fee_eur_4"]).abs().max() < 0.005


@pytest.mark.parametrize(
    ("scenario", "exemptions"),
    [("eu-cbam", []), ("uk-cbam", []), ("eu-cbam", [{"group": "ldc", "max_import_share": 0.2}])],
    ids=["eu-de-minimis", "uk-value-threshold", "import-share"],
)
def test_partitions_keep_each_years_thresholds_whole(
    scenario: str, exemptions: list[dict[str, Any]]
) -> None:
    # Parts were slices of rows: an importer's three 30 t rows in three parts were three
    # importers under the EU's 50 t (EUR 8,720 became 0), the UK's GBP 50,000 was judged per
    # part, and an LDC's share of a code's imports was measured against part of the market.
    n = 48
    i = pl.int_range(n)
    rows = pl.select(
        year=(2027 + i % 3).cast(pl.Int32),
        origin=pl.lit(pl.Series(["TUR", "MOZ", "CHN", "BGD"])).gather(i % 4),
        cn_code=pl.lit("76011010"),
        quantity_t=pl.lit(30.0),
        value_eur=pl.lit(10_000.0),
        importer=pl.lit(pl.Series(["ACME", "SMALL"])).gather(i // 24),
    )
    chosen = cbam.load_scenario(scenario, overrides={"exemptions": exemptions})
    expected = cbam.summarise(cbam.compute(rows, chosen), by=["year"]).sort("year")
    for parts in (1, 2, 3, 5):
        swept = cbam.sweep(rows, chosen, by=["year"], partitions=parts).totals.sort("year")
        assert swept["fee_eur"].to_list() == pytest.approx(expected["fee_eur"].to_list(), abs=0.005)
    assert expected["fee_eur"].sum() > 0


def _local_and_dask(
    distributed: Any, rows: pl.DataFrame, scenario: str, vary: dict[str, Any]
) -> pl.DataFrame:
    """A sweep's totals by origin in one process beside those of a local Dask cluster."""
    local = cbam.sweep(rows, scenario, vary=vary, by=["origin"])
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        remote = cbam.sweep(
            rows,
            scenario,
            vary=vary,
            by=["origin"],
            partitions=3,
            scheduler=cluster.scheduler_address,
        )
    joined = local.totals.join(remote.totals, on=["design", "path", "origin"], suffix="_dask")
    assert joined.height == local.totals.height == remote.totals.height
    return joined


def test_dask_local_cluster_equals_single_process(panel: pl.DataFrame) -> None:
    distributed = pytest.importorskip("distributed")
    vary = {"certificate_price_eur": PATHS, "exemptions": EXEMPTIONS[:2]}
    joined = _local_and_dask(distributed, panel, "eu-cbam", vary)
    assert (joined["fee_eur"] - joined["fee_eur_dask"]).abs().max() < 0.005
    assert (joined["fee_eur"].round(2) == joined["fee_eur_dask"].round(2)).all()


def test_empty_price_list_is_refused(panel: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="empty"):
        cbam.sweep(panel, "eu-cbam", vary={"certificate_price_eur": []})


def test_progress_is_quiet_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert list(progress(range(5), desc="x")) == [0, 1, 2, 3, 4]
    assert capsys.readouterr().err == ""
    assert list(progress(range(2), desc="x", enabled=True)) == [0, 1]
    assert "x" in capsys.readouterr().err


# Design regimes: paths of the design's charge price in its own currency (GBP, USD), priced on
# the same shared sums; each compared with compute under the design whose price is the path.
DESIGN_PATHS: list[Any] = [None, 40, {0: 75.5, 2: 130}, 0]  # years from the first rules year


def design_paths(first_year: int) -> list[Any]:
    return [
        {first_year + k: v for k, v in p.items()} if isinstance(p, dict) else p
        for p in DESIGN_PATHS
    ]


REFERENCE = {"title": "test price path", "href": ""}


def design_reference(
    panel: pl.DataFrame, name: str, path: Any, exemptions: Any, first_year: int
) -> pl.DataFrame:
    overrides: dict[str, Any] = {"exemptions": exemptions}
    if path is not None:
        steps = path if isinstance(path, dict) else {first_year: path}
        overrides["charge.price.values"] = [
            {"from": f"{year}-01-01", "value": float(price), "reference": REFERENCE}
            for year, price in steps.items()
        ]
    scenario = cbam.load_scenario(name, overrides=overrides)
    return cbam.summarise(cbam.compute(panel, scenario), by=["origin"]).select("origin", "fee_eur")


@pytest.mark.parametrize("name", ["uk-cbam", "us-cca-2025", "us-fpf-2025"])
def test_design_sweeps_equal_compute_per_scenario_to_the_cent(
    panel: pl.DataFrame, name: str
) -> None:
    design = cbam.resolve(cbam.load_scenario(name)).design
    first = design.first_rules_year
    rows = panel.with_columns(pl.col("year") + (first - 2026), value_eur=pl.lit(5_000.0))
    exemptions = EXEMPTIONS[:2]
    paths = design_paths(first) if design.charge.price is not None else [None]
    result = cbam.sweep(
        rows, name, vary={"charge.price": paths, "exemptions": exemptions}, by=["origin"]
    )
    assert result.paths.columns == ["path", "charge.price"]
    charged = 0.0
    for d, exempt in enumerate(exemptions):
        for p, path in enumerate(paths):
            expected = design_reference(rows, name, path, exempt, first)
            got = result.totals.filter(design=d, path=p).join(
                expected, on="origin", how="full", suffix="_ref"
            )
            gap = (got["fee_eur"].fill_null(0.0) - got["fee_eur_ref"].fill_null(0.0)).abs()
            assert gap.max() < 0.005, (name, d, path)
            charged += float(expected["fee_eur"].sum())
    assert charged > 0
    if design.charge.price is None:  # ad valorem (us-fpf-2025): no price to vary
        with pytest.raises(cbam.ScenarioError, match="charges no price"):
            cbam.sweep(rows, name, vary={"charge.price": [40]})


def test_design_price_paths_are_checked(panel: pl.DataFrame) -> None:
    rows = panel.with_columns(pl.col("year") + 1)
    with pytest.raises(cbam.ScenarioError, match="not a price"):
        cbam.sweep(rows, "uk-cbam", vary={"charge.price": [-5]})
    with pytest.raises(cbam.ScenarioError, match="not a year"):
        cbam.sweep(rows, "uk-cbam", vary={"charge.price": [{"soon": 5}]})


def test_dask_design_sweep_equals_single_process(panel: pl.DataFrame) -> None:
    distributed = pytest.importorskip("distributed")
    rows = panel.with_columns(pl.col("year") + 1)
    vary = {"charge.price": design_paths(2027), "exemptions": EXEMPTIONS[:2]}
    joined = _local_and_dask(distributed, rows, "uk-cbam", vary)
    assert (joined["fee_eur"].round(2) == joined["fee_eur_dask"].round(2)).all()


# Prices paid abroad of 0 to 100 per row: many thresholds in each cell (rules year, quarter,
# origin), with paths priced below, between and above them, by quarter in some years only.
STEPPED_PATHS: list[Any] = [
    0,
    12.5,
    30,
    62.5,
    150,
    {0: {1: 20, 2: 50, 3: 70, 4: 100}, 1: 40, 3: {1: 10, 2: 10, 3: 90, 4: 90}},
    {0: 75, 2: 130},
]


def _dated(path: Any, first_year: int) -> list[dict[str, Any]]:
    """A design price path (years from ``first_year``) as the dated values of ``charge.price``."""
    steps = path if isinstance(path, dict) else {0: path}
    values = []
    for k, entry in steps.items():
        quarters = entry if isinstance(entry, dict) else {1: entry}
        for q, price in quarters.items():
            start = f"{first_year + k}-{3 * q - 2:02d}-01"
            values.append({"from": start, "value": float(price), "reference": REFERENCE})
    return values


@pytest.mark.parametrize("name", ["eu-cbam", "uk-cbam"])
def test_paths_across_many_thresholds_equal_totals_per_scenario(
    panel: pl.DataFrame, name: str
) -> None:
    first = cbam.resolve(cbam.load_scenario(name)).rules_years[0]
    rows = panel.with_columns(
        pl.col("year") + (first - 2026),
        carbon_price_paid_eur_per_t=(pl.int_range(pl.len()).hash(5) % 9).cast(pl.Float64) * 12.5,
    )
    paths = [
        {first + k: v for k, v in p.items()} if isinstance(p, dict) else p for p in STEPPED_PATHS
    ]
    key = "certificate_price_eur" if name == "eu-cbam" else "charge.price"
    exemptions = EXEMPTIONS[1:]
    result = cbam.sweep(rows, name, vary={key: paths, "exemptions": exemptions}, by=["origin"])
    for d, exempt in enumerate(exemptions):
        for p, path in enumerate(STEPPED_PATHS):
            overrides: dict[str, Any] = {"exemptions": exempt}
            if name != "eu-cbam":
                overrides["charge.price.values"] = _dated(path, first)
            scenario = cbam.load_scenario(name, overrides=overrides)
            if name == "eu-cbam":
                scenario = whole_path(scenario, paths[p])
            expected = cbam.totals(rows, scenario, by=["origin"]).select("origin", "fee_eur")
            got = result.totals.filter(design=d, path=p).join(
                expected, on="origin", how="full", suffix="_ref"
            )
            gap = (got["fee_eur"].fill_null(0.0) - got["fee_eur_ref"].fill_null(0.0)).abs()
            assert gap.max() < 0.005, (name, d, path)
    # The thresholds bite: the fee rises with the price, and not in proportion to it.
    flat = result.totals.filter(pl.col("path").is_in([1, 2, 3, 4]), design=0)
    fees = flat.group_by("path").agg(pl.col("fee_eur").sum()).sort("path")["fee_eur"].to_list()
    assert fees == sorted(fees) and fees[0] > 0
    assert fees[3] / fees[2] != pytest.approx(150 / 62.5)


@pytest.mark.parametrize(
    ("name", "key", "path"),
    [("eu-cbam", "certificate_price_eur", {2028: 90}), ("uk-cbam", "charge.price", {2028: 60})],
)
def test_a_path_without_a_price_for_a_year_of_the_imports_is_refused(
    panel: pl.DataFrame, name: str, key: str, path: dict[int, float]
) -> None:
    # A path is the whole price path: the first year of the panel has none. compute refuses
    # such rows ("the scenario gives no certificate price for this rules year"); the sweep
    # charged them EUR 0. An EU path is a scenario's own price path, refused as
    # ``load_scenario`` refuses one starting after the first rules year.
    rows = panel.with_columns(pl.col("year").clip(lower_bound=2027))
    late = f"no price for rules year {min(path) - 1}|starts in {min(path)}, after rules year"
    with pytest.raises(cbam.ScenarioError, match=late):
        cbam.sweep(rows, name, vary={key: [path]})


def test_an_invalid_price_path_after_valid_ones_is_refused(panel: pl.DataFrame) -> None:
    with pytest.raises(cbam.ScenarioError, match="invalid value in vary"):
        cbam.sweep(panel, "eu-cbam", vary={"certificate_price_eur": [80, 90, -5]})
    with pytest.raises(cbam.ScenarioError, match="give all four quarters"):
        cbam.sweep(panel, "eu-cbam", vary={"certificate_price_eur": [80, {2026: {1: 5}}]})


def test_groups_that_no_path_charges_are_listed_with_zero() -> None:
    # An Annex III origin and an exempt LDC were missing from the sweep's totals, which
    # summarise and compare list with 0: the group set depended on the design.
    rows = pl.DataFrame(
        {
            "year": [2027] * 3,
            "origin": ["TUR", "NOR", "MOZ"],
            "cn_code": ["72071111"] * 3,
            "quantity_t": [100.0] * 3,
        }
    )
    scenario = "eu-cbam-ldc-exempt"
    result = cbam.sweep(rows, scenario, vary={"certificate_price_eur": [80, 90]}, by=["origin"])
    fees = result.totals.filter(pl.col("origin") != "TUR")
    assert sorted(fees["origin"].unique()) == ["MOZ", "NOR"] and fees["fee_eur"].sum() == 0
    assert result.percentiles["origin"].sort().to_list() == ["MOZ", "NOR", "TUR"]
    summary = cbam.summarise(cbam.compute(rows, scenario), by=["origin"])
    assert sorted(summary["origin"]) == sorted(result.totals["origin"].unique())


@pytest.mark.parametrize(
    ("regime", "key"),
    [
        ("eu-cbam", "certificate_price_eur.2030"),
        ("eu-cbam", "charge.price.2030"),
        ("uk-cbam", "charge.price.2030"),
        ("uk-cbam", "design.charge.price.2030"),
    ],
)
def test_a_key_into_the_price_path_is_refused_not_dropped(regime: str, key: str) -> None:
    # Each design was priced on the base scenario's path: the varied price was dropped and
    # two 'designs' gave the same default-path total.
    rows = pl.DataFrame(
        {"year": [2030], "origin": ["CHN"], "cn_code": ["72081000"], "quantity_t": [1000.0]}
    )
    with pytest.raises(cbam.ScenarioError, match=r"changes part of the price.*whole paths"):
        cbam.sweep(rows, regime, vary={key: [50, 90]})


def test_design_charge_price_and_numpy_values_are_price_paths() -> None:
    # numpy prices were refused ('50 is not a price >= 0'); percentiles 50 and 50.0 were
    # two columns of one name (a raw DuplicateError).
    import numpy as np

    rows = pl.DataFrame(
        {"year": [2030], "origin": ["CHN"], "cn_code": ["72081000"], "quantity_t": [1000.0]}
    )
    prices = list(np.arange(50, 70, 10))
    result = cbam.sweep(
        rows, "uk-cbam", vary={"design.charge.price": prices}, percentiles=[50, 50.0]
    )
    for path, price in enumerate((50, 60)):
        scenario = cbam.load_scenario("uk-cbam", overrides={"charge.price": price})
        expected = cbam.compute(rows, scenario)["fee_eur"].sum()
        got = result.totals.filter(pl.col("path") == path)["fee_eur"].item()
        assert got == pytest.approx(expected, rel=1e-12)
    assert result.percentiles.columns == ["design", "fee_eur_mean", "fee_eur_p50"]


@pytest.mark.parametrize("by", [["quarter"], ["exemption_reason"], ["importer"]])
def test_a_group_whose_key_is_null_keeps_its_fee(by: list[str]) -> None:
    # A join matches no null key by default: the null group's fee was lost and read as 0.
    rows = pl.DataFrame(
        {
            "year": [2026, 2026],
            "origin": ["TUR", "TUR"],
            "cn_code": ["72071111"] * 2,
            "quantity_t": [100.0, 50.0],
            "quarter": [1, None],
            "importer": ["A", None],
        }
    )
    swept = cbam.sweep(rows, "eu-cbam", vary={"certificate_price_eur": [80]}, by=by).totals
    scenario = cbam.load_scenario("eu-cbam", overrides={"certificate_price_eur": 80})
    expected = cbam.summarise(cbam.compute(rows, scenario), by=by).sort(by, nulls_last=True)
    got = swept.sort(by, nulls_last=True)
    assert got["fee_eur"].to_list() == pytest.approx(expected["fee_eur"].to_list(), abs=0.005)
    assert got["fee_eur"].sum() == pytest.approx(14_533.2, abs=0.005)  # 100 t + 50 t at EUR 80


def test_phase_in_keeps_the_factor_of_a_null_group() -> None:
    rows = pl.DataFrame(
        {
            "year": [2026, 2026],
            "origin": ["TUR", "TUR"],
            "cn_code": ["72071111", "72071111"],
            "quantity_t": [1.0, 1.0],
            "importer": ["A", None],
        }
    )
    out = cbam.phase_in(rows, "eu-cbam", years=[2026], by=["importer"])
    assert out.sort("importer", nulls_last=True)["cbam_factor"].to_list() == [0.975, 0.975]
