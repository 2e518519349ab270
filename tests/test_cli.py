"""The command line as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from cbam.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_run_prints_fees_by_origin_and_sector_on_bundled_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", "--scenario", "eu-cbam-rules-2026", "--year", "2025", "--top", "5"]) == 0
    out = capsys.readouterr().out
    assert "scenario 'eu-cbam-rules-2026'" in out
    assert "the 2026 rules applied to every row" in out
    assert "Fees by origin, sector: top 5 of" in out
    assert "Total fee: EUR" in out
    assert "Annex III origin" in out  # Norway, Switzerland, Iceland rows are exempt, not dropped


def test_run_writes_row_level_results(tmp_path: Path) -> None:
    imports = tmp_path / "imports.csv"
    pl.DataFrame(
        {
            "year": [2026, 2026],
            "origin": ["TUR", "NOR"],
            "cn_code": ["7207 11 11", "72071111"],
            "quantity_t": [100.0, 5.0],
        }
    ).write_csv(imports)
    out = tmp_path / "fees.parquet"
    assert main(["run", "--imports", str(imports), "--out", str(out), "--by", "origin"]) == 0
    fees = pl.read_parquet(out)
    assert fees.height == 2 and fees["exempt"].to_list() == [False, True]


def test_bad_rows_are_reported_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    imports = tmp_path / "bad.csv"
    imports.write_text(
        "year,origin,cn_code,quantity_t\n2026,TUR,72071111,1\n2026,XYZ,72071111,-4\n",
        encoding="utf-8",
    )
    assert main(["run", "--imports", str(imports)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err
    assert "column 'origin': unknown ISO 3166-1 alpha-3 code: line 3 (XYZ)" in err
    assert "column 'quantity_t': negative: line 3 (-4)" in err


def test_scenarios_lists_bundled_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    assert "eu-cbam " in capsys.readouterr().out


@pytest.mark.slow
def test_installed_wheel_is_complete_without_the_checkout(tmp_path: Path) -> None:
    """Principle 6: a wheel carries rates/, country_lists/ and data/; no ../shared needed."""
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(REPO),
        ],
        check=True,
    )
    wheel = next(dist.glob("cbam-*.whl"))
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    code = (
        "import cbam, polars as pl;"
        "print(cbam.compute(pl.DataFrame({'year':[2026],'origin':['TUR'],"
        "'cn_code':['72071111'],'quantity_t':[100.0]}),"
        "cbam.load_scenario('eu-cbam', overrides={'certificate_price_eur': 80}))"
        "['fee_eur'].round(2).item());"
        "print(cbam.__file__)"
    )
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    fee, location = result.stdout.split()
    assert fee == "9688.8"
    assert location.startswith(str(target))
    cli = subprocess.run(
        [sys.executable, "-m", "cbam", "run", "--rules-year", "2026", "--top", "3"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Total fee: EUR" in cli.stdout


def test_plain_run_on_bundled_history_applies_the_first_rules_year(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", "--top", "2", "--by", "origin,year"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("note: the bundled imports predate the rules; applying the 2026 rules")
    assert "| 2019 " in out and "2,019" not in out  # years print as labels


def test_flagged_rows_stay_out_of_totals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    imports = tmp_path / "mixed.csv"
    imports.write_text(
        "year,origin,cn_code,quantity_t\n2026,TUR,72071111,100\n2026,TUR,72071111,-4\n", "utf-8"
    )
    assert main(["run", "--imports", str(imports), "--on-error", "flag", "--by", "origin"]) == 0
    out = capsys.readouterr().out
    assert "on 100 t" in out
    assert "Rows: 1 computed, 0 exempt, 1 flagged (left out of totals)" in out


def test_shell_users_get_the_flag_spelling_in_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    imports = tmp_path / "bad.csv"
    imports.write_text("year,origin,cn_code,quantity_t\n2026,TUR,72071111,-1\n", "utf-8")
    assert main(["run", "--imports", str(imports)]) == 2
    assert "pass --on-error flag to keep and flag such rows" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["run", "compare"])
def test_weights_survive_the_first_rules_year_on_bundled_data(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The bundled imports predate the rules, so the scenario is reloaded under the first rules
    # year; --weights must come with it (it once was dropped there).
    import cbam.cli as cli

    seen: list[object] = []
    compute, compare = cli.compute, cli.compare_counted

    def spy_compute(imports: pl.DataFrame, scenario: object, **kw: object) -> pl.DataFrame:
        seen.append(scenario)
        return compute(imports, scenario, **kw)  # type: ignore[arg-type]

    def spy_compare(imports: pl.DataFrame, scenarios: list[object], **kw: object) -> object:
        seen.extend(scenarios)
        return compare(imports, scenarios, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "compute", spy_compute)
    monkeypatch.setattr(cli, "compare_counted", spy_compare)
    weights = "eu_imports_from_usa_cn8_2022_2025"  # rates/eu/aggregation_weights/
    names = ["eu-cbam"] if command == "run" else ["eu-cbam", "eu-cbam-ldc-exempt"]
    argv = [command, *(["--scenario", *names] if command == "run" else names), "--top", "1"]
    assert main([*argv, "--weights", weights]) == 0
    assert seen and all(s.aggregation_weights == weights for s in seen)  # type: ignore[attr-defined]
    assert all(s.rules_year == 2026 for s in seen)  # type: ignore[attr-defined]


def test_an_excel_writer_failure_is_said_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import xlsxwriter  # type: ignore[import-untyped]

    def fail(*args: object, **kwargs: object) -> None:
        raise xlsxwriter.exceptions.XlsxWriterException("sheet too wide")

    monkeypatch.setattr(pl.DataFrame, "write_excel", fail)
    out = tmp_path / "fees.xlsx"
    assert main(["run", "--top", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("cannot write") == 1 and "sheet too wide" in err


def test_columns_cbam_does_not_read_are_carried_as_given(tmp_path: Path) -> None:
    # An identifier column lost its leading zeros ('00042' became 42, partner '036' 36) in
    # --out files: every column but the contract's had its type guessed.
    imports = tmp_path / "imports.csv"
    imports.write_text(
        "year,origin,cn_code,quantity_t,partner_num,hs6,declarant_id\n"
        "2026,TUR,72071111,100,036,010121,00042\n"
    )
    for suffix in ("csv", "parquet"):
        out = tmp_path / f"fees.{suffix}"
        assert main(["run", "--imports", str(imports), "--out", str(out)]) == 0
        fees = pl.read_csv(out, infer_schema=False) if suffix == "csv" else pl.read_parquet(out)
        assert fees.select("partner_num", "hs6", "declarant_id").row(0) == (
            "036",
            "010121",
            "00042",
        )


def test_a_shipped_file_named_as_in_the_docs_runs_outside_a_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # From an empty folder (an installed wheel) the docs' `--imports data/samples/...` said
    # 'no such trade file': the copy installed with cbam is read, and a note says so.
    monkeypatch.chdir(tmp_path)
    args = ["run", "--imports", "data/samples/baci_sample.csv", "--format", "baci"]
    assert main([*args, "--rules-year", "2027", "--by", "origin", "--top", "3"]) == 0
    err = capsys.readouterr().err
    assert "note: no data/samples/baci_sample.csv here; reading the copy installed with cbam" in err
    assert main(["run", "--imports", "data/nothing.csv"]) == 2  # not shipped: as before
    assert "data/nothing.csv" in capsys.readouterr().err


def test_check_takes_the_scenario_as_run_spells_it(capsys: pytest.CaptureFixture[str]) -> None:
    # 'cbam check --scenario f.yaml' was 'unrecognized arguments'.
    assert main(["check", "--scenario", "us-fpf-2025", "--examples", "2"]) == 0
    assert "properties hold" in capsys.readouterr().out
    assert main(["check"]) == 2
    assert "name one scenario" in capsys.readouterr().err


def test_a_very_long_scenario_name_is_shortened_where_it_is_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(f"extends: eu-cbam\nname: {'n' * 100_000}\ndescription: {'d' * 100_000}\n")
    assert main(["run", "--scenario", str(path), "--year", "2025", "--top", "1"]) == 0
    assert max(len(line) for line in capsys.readouterr().out.splitlines()) < 1_000


def test_shipped_plan_and_weights_named_as_in_the_docs_run_outside_a_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # --recycling and --weights with the docs' checkout paths said 'no such file' from an
    # installed wheel, where --imports and --scenario read the installed copy.
    monkeypatch.chdir(tmp_path)
    plan = "rates/recycling/eu-own-resources.yaml"
    weights = "rates/eu/aggregation_weights/eu_imports_from_usa_cn8_2022_2025.csv"
    args = ["run", "--year", "2025", "--top", "1", "--recycling", plan, "--weights", weights]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert f"note: no {plan} here" in err and f"note: no {weights} here" in err


def test_a_line_with_fewer_fields_than_the_header_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Read with its last field null, the cut-off line lost its importer: de minimis was not
    # applied to it and importer A's other 30 t became exempt, without a word.
    path = tmp_path / "short.csv"
    path.write_text(
        "year,origin,cn_code,quantity_t,value_eur,importer\n"
        "2026,TUR,7207 11 11,30,55000,A\n2026,TUR,7207 11 11,30,55000\n"
    )
    for mode in ("raise", "flag"):
        assert main(["run", "--imports", str(path), "--on-error", mode]) == 2
        err = capsys.readouterr().err
        assert "short.csv: cannot read import file; line 3 has 5 fields, the header 6" in err
    # A quoted separator or line break is no missing field; an empty value with its comma reads.
    path.write_text(
        'year,origin,cn_code,quantity_t,note\n2026,TUR,72071111,30,"a,b"\n'
        '2026,TUR,72071111,30,"two\nlines"\n2026,TUR,72071111,30,\n'
    )
    assert main(["run", "--imports", str(path)]) == 0
    assert "Rows: 3 computed" in capsys.readouterr().out


def test_a_result_file_read_back_as_imports_is_named_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.parquet"
    assert main(["run", "--year", "2025", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["run", "--imports", str(out), "--year", "2025"]) == 2
    err = capsys.readouterr().err
    assert "x.parquet: looks like a cbam result file" in err
    assert len(err) < 600  # one short paragraph, not every output column
    both = tmp_path / "both.csv"
    both.write_text(
        "year,origin,cn_code,quantity_t,sector,source_sector\n2026,TUR,72071111,1,a,b\n"
    )
    assert main(["run", "--imports", str(both)]) == 2
    assert "has both 'sector' and 'source_sector'" in capsys.readouterr().err


def test_a_quoted_comma_does_not_hide_a_short_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Counted with the quoted comma, line 3 looked whole and lost its customs value.
    path = tmp_path / "q.csv"
    path.write_text(
        "year,origin,cn_code,quantity_t,importer,value_eur\n"
        '2026,CHN,72081000,100,"Acme, Inc.",50000\n2026,CHN,72081000,100,"Acme, Inc."\n'
    )
    assert main(["run", "--imports", str(path)]) == 2
    assert "line 3 has 5 fields, the header 6" in capsys.readouterr().err
