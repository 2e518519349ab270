"""Engines and execution paths give the same results: in-memory, streaming, batched, keyed."""

from __future__ import annotations

import importlib.util

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import cbam
from cbam import _engine


@pytest.fixture(scope="module")
def panel() -> pl.DataFrame:
    # Codes as written in trade data (spaces, prefixes, a non-CBAM good), exempt origins,
    # origins with and without their own default values, quarters and years past 2026.
    origins = ["TUR", "chn", " IND", "NOR", "FRA", "BGD", "UKR", "GBR", "USA", "ZAF"]
    codes = [
        "7207 11 11",
        "72071111",
        "7601",
        "2523 29 00",
        "25231000",
        "31",
        "2804 10 00",
        "8471",
        "310210",
    ]
    n = 2_000
    i = pl.int_range(n)
    return pl.select(
        year=(2026 + i % 9).cast(pl.Int32),
        origin=pl.lit(pl.Series(origins)).gather(i.hash(11) % len(origins)),
        cn_code=pl.lit(pl.Series(codes)).gather(i.hash(12) % len(codes)),
        quantity_t=(i.hash(13) % 100_000).cast(pl.Float64) / 10,
        value_eur=(i.hash(14) % 1_000_000).cast(pl.Float64),
        quarter=(1 + i.hash(15) % 4).cast(pl.Int8),
    )


def joined(monkeypatch: pytest.MonkeyPatch, panel: pl.DataFrame, scenario: str) -> pl.DataFrame:
    with monkeypatch.context() as m:
        m.setattr(_engine, "keyed_path_applies", lambda *_: False)
        return cbam.compute(panel, scenario)


@pytest.mark.parametrize(
    "scenario", ["eu-cbam", "eu-cbam-rules-2026", "eu-cbam-ldc-exempt-grace-5y"]
)
def test_keyed_lookups_equal_row_joins(
    monkeypatch: pytest.MonkeyPatch, panel: pl.DataFrame, scenario: str
) -> None:
    assert _engine.keyed_path_applies(panel.schema, cbam.load_scenario(scenario))
    keyed = cbam.compute(panel, scenario)
    assert_frame_equal(keyed, joined(monkeypatch, panel, scenario), check_exact=True)
    assert keyed.filter(pl.col("cn_code") == "8471")["exemption_reason"].unique().to_list() == [
        "not a CBAM good"
    ]
    assert keyed["fee_eur"].sum() > 0


@pytest.mark.parametrize("scenario", ["uk-cbam", "us-cca-2025", "us-fpf-2025"])
def test_designs_take_the_keyed_path_too(
    monkeypatch: pytest.MonkeyPatch, panel: pl.DataFrame, scenario: str
) -> None:
    # One engine: a design's rows are gathered per key as the EU's are, with the same results.
    rows = panel.filter(pl.col("year") >= 2027)
    assert _engine.keyed_path_applies(rows.schema, cbam.load_scenario(scenario))
    keyed = cbam.compute(rows, scenario)
    assert_frame_equal(keyed, joined(monkeypatch, rows, scenario), check_exact=True)
    home = {"uk-cbam": "GBR"}.get(scenario, "USA")
    reasons = keyed.filter(pl.col("origin") == home, pl.col("cn_code") != "8471")
    assert reasons["exemption_reason"].unique().to_list() == [f"domestic ({scenario})"]
    assert keyed["fee_eur"].sum() > 0


def test_an_empty_route_column_changes_nothing(panel: pl.DataFrame) -> None:
    with_route = panel.with_columns(route=pl.lit(None, pl.String))
    assert_frame_equal(
        cbam.compute(with_route, "eu-cbam").drop("route"), cbam.compute(panel, "eu-cbam")
    )


_ROUTES = [None, "", " c ", "C", "D", "F", "A", "B", "K", "L", "Z"]


def _with_row_inputs(panel: pl.DataFrame) -> pl.DataFrame:
    """The panel with importers, routes (some unknown), actual values, clinker shares and
    prices paid on some rows."""
    i = pl.int_range(pl.len())
    actual = i % 5 == 0
    # Aggregates whose benchmarks at a row's route differ by origin, cement with variants.
    code = pl.col("cn_code")
    return panel.with_columns(
        cn_code=pl.when(i % 13 == 0)
        .then(pl.lit("2523"))
        .when(i % 17 == 0)
        .then(pl.lit("7208"))
        .otherwise(code),
        importer=pl.format("IMP{}", i.hash(21) % 7),
        route=pl.lit(pl.Series(_ROUTES, dtype=pl.String)).gather(i.hash(22) % len(_ROUTES)),
        see_direct=pl.when(actual).then(1.0 + (i % 3).cast(pl.Float64) * 0.5),
        see_indirect=pl.when(actual & (i % 2 == 0)).then(0.2),
        clinker_share=pl.when(pl.col("cn_code") == "2523 29 00").then(0.7),
        carbon_price_paid_eur_per_t=pl.when(i % 11 == 0).then(12.5),
    )


@pytest.mark.parametrize(
    ("scenario", "overrides"),
    [
        ("eu-cbam", {}),
        ("eu-cbam", {"exemptions": [{"group": "ldc", "max_import_share": 0.1}]}),
        ("eu-cbam", {"actual_values_route_from_default": True}),
        ("uk-cbam", {}),
        ("us-cca-2025", {}),
        ("us-fpf-2025", {}),
    ],
)
def test_row_inputs_and_thresholds_take_the_keyed_path_too(
    monkeypatch: pytest.MonkeyPatch,
    panel: pl.DataFrame,
    scenario: str,
    overrides: dict[str, object],
) -> None:
    # Actual values, clinker shares, prices paid and importers are the rows' own columns on
    # either path; only the lookups are gathered per key (a code's key includes the route).
    chosen = cbam.load_scenario(scenario, overrides=overrides)
    rows = _with_row_inputs(panel.filter(pl.col("year") >= 2027))
    assert _engine.keyed_path_applies(rows.schema, chosen)
    keyed = cbam.compute(rows, chosen, on_error="flag")
    with monkeypatch.context() as m:
        m.setattr(_engine, "keyed_path_applies", lambda *_: False)
        joined_rows = cbam.compute(rows, chosen, on_error="flag")
    assert_frame_equal(keyed, joined_rows, check_exact=True)
    assert keyed["input_error"].is_not_null().any()  # actual values the rules refuse
    assert keyed["fee_eur"].sum() > 0
    # The strict report names the same columns, values and rows on either path.
    with pytest.raises(cbam.CbamInputError) as on_keys:
        cbam.compute(rows, chosen)
    with monkeypatch.context() as m:
        m.setattr(_engine, "keyed_path_applies", lambda *_: False)
        with pytest.raises(cbam.CbamInputError) as on_rows:
            cbam.compute(rows, chosen)
    assert str(on_keys.value) == str(on_rows.value)


def test_in_memory_streaming_lazy_and_batched_agree(panel: pl.DataFrame) -> None:
    scenario = cbam.load_scenario("eu-cbam")
    in_memory = cbam.compute(panel, scenario, engine="in-memory")
    streaming = cbam.compute(panel, scenario, engine="streaming")
    lazy = cbam.compute(panel.lazy(), scenario, engine="streaming").collect(engine="streaming")
    batched = pl.concat(
        [cbam.compute(panel.slice(i, 300), scenario) for i in range(0, panel.height, 300)]
    )
    for other in (streaming, lazy, batched):
        assert_frame_equal(in_memory, other, check_exact=True)
    cents = [
        cbam.summarise(f, by=["origin"]).sort("origin")["fee_eur"].round(2)
        for f in (in_memory, streaming, lazy, batched)
    ]
    assert all((c == cents[0]).all() for c in cents)


def test_flag_mode_agrees_on_clean_rows(panel: pl.DataFrame) -> None:
    strict = cbam.compute(panel, "eu-cbam")
    flagged = cbam.compute(panel, "eu-cbam", on_error="flag")
    assert_frame_equal(strict, flagged)


def test_bad_key_on_keyed_path_is_named(panel: pl.DataFrame) -> None:
    bad = panel.with_columns(
        origin=pl.when(pl.int_range(pl.len()) == 7).then(pl.lit("XYZ")).otherwise("origin")
    )
    with pytest.raises(cbam.CbamInputError, match=r"origin.*unknown ISO 3166-1.*XYZ"):
        cbam.compute(bad, "eu-cbam")
    flagged = cbam.compute(bad, "eu-cbam", on_error="flag")
    assert flagged["input_error"].null_count() == panel.height - 1
    assert flagged.row(7, named=True)["fee_eur"] is None


def test_unknown_engine_is_refused(panel: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="engine must be"):
        cbam.compute(panel, "eu-cbam", engine="fast")  # type: ignore[arg-type]


@pytest.mark.skipif(
    importlib.util.find_spec("cudf_polars") is not None, reason="cudf-polars is installed"
)
def test_gpu_engine_without_cudf_polars_says_how_to_install(panel: pl.DataFrame) -> None:
    with pytest.raises(ImportError, match=r"cbam\[gpu\]"):
        cbam.compute(panel, "eu-cbam", engine="gpu")


@pytest.mark.skipif(importlib.util.find_spec("cudf_polars") is None, reason="no cudf-polars")
def test_gpu_engine_equals_cpu(panel: pl.DataFrame) -> None:  # pragma: no cover - GPU only
    cpu = cbam.compute(panel, "eu-cbam")
    gpu = cbam.compute(panel, "eu-cbam", engine="gpu")
    assert_frame_equal(cpu, gpu, check_exact=False, rel_tol=1e-12)


@pytest.mark.parametrize("engine", ["in-memory", "streaming", "lazy"])
def test_de_minimis_of_500_shipments_of_a_tenth_is_exempt_on_every_engine(engine: str) -> None:
    # Reg. 2023/956 Art. 2(3a): 500 x 0.1 t = 50 t does not exceed 50 t, so exempt. As floats
    # the sum is 50.00000000000044 in sequence and 49.99999999999997 pairwise (Polars), so
    # engines disagreed; in whole grams (rates/eu/exact_sums.yaml) it is 50,000,000 on all.
    panel = pl.DataFrame(
        {
            "year": [2026] * 500,
            "origin": ["TUR"] * 500,
            "cn_code": ["72071111"] * 500,
            "quantity_t": [0.1] * 500,
            "importer": ["A"] * 500,
        }
    )
    scenario = cbam.load_scenario("eu-cbam")
    if engine == "lazy":
        lazy = cbam.compute(panel.lazy(), scenario)
        assert isinstance(lazy, pl.LazyFrame)
        out = lazy.collect(engine="streaming")
    else:
        out = cbam.compute(panel, scenario, engine=engine)  # type: ignore[arg-type]
    assert out["importer_annual_t"].unique().to_list() == [50.0]
    assert set(out["de_minimis"].cast(pl.String)) == {"exempt (importer at or below threshold)"}
    assert out["fee_eur"].sum() == 0.0


def test_rows_with_routes_on_the_joined_path_keep_default_value_fees(
    panel: pl.DataFrame,
) -> None:
    # IR 2025/2621: with default values the default value's route decides the benchmark; a
    # row route differing from it changes nothing where the table names one (7207 11 11, 7601).
    named = panel.filter(pl.col("cn_code").is_in(["7207 11 11", "72071111", "7601"]))
    plain = cbam.compute(named, "eu-cbam")
    routed = cbam.compute(
        named.with_columns(
            route=pl.when(pl.col("cn_code") == "7601").then(pl.lit("L")).otherwise(pl.lit("E"))
        ),
        "eu-cbam",
    )
    assert_frame_equal(routed.drop("route"), plain, check_exact=True)


def test_an_importers_annual_total_is_the_same_on_every_engine() -> None:
    # 32,306,378 g was 32.306377999999995 t in memory (a constant divisor is multiplied by its
    # reciprocal there) and 32.306378 t streamed.
    rows = pl.DataFrame(
        {
            "year": [2030, 2030],
            "origin": ["IND", "TUR"],
            "cn_code": ["72071111", "76011090"],
            "quantity_t": [4.073607, 28.232771],
            "importer": ["imp0", "imp0"],
        }
    )
    for engine in ("in-memory", "streaming"):
        out = cbam.compute(rows, "eu-cbam", engine=engine)
        assert out["importer_annual_t"].to_list() == [32.306378, 32.306378]
