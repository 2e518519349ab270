"""Command line: ``cbam run``, ``cbam compare``, ``cbam check``, ``cbam scenarios``.

``cbam run`` computes fees for an import file (CSV or Parquet; the bundled EU import data by
default) and prints totals by the chosen columns; ``--out`` writes every row's result.
``cbam compare`` puts several scenarios (regimes) side by side in one currency.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import polars as pl

from cbam import __version__
from cbam._compare import compare
from cbam._design import list_regimes
from cbam._errors import CbamInputError, ScenarioError
from cbam._pipeline import compute
from cbam._progress import Stages
from cbam._recycling import recycle
from cbam._resources import bundled_imports
from cbam._scenario import Scenario, list_scenarios, load_scenario
from cbam._summary import summarise

_BIG = 1_000_000  # rows from which `cbam run` shows a progress bar on a terminal
_TEXT_COLUMNS = {
    "origin": pl.String,
    "cn_code": pl.String,
    "importer": pl.String,
    "route": pl.String,
}


def read_imports(path: Path) -> pl.DataFrame:
    """Read an import file; CN codes and other identifiers stay text (no lost leading zeros)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path)
        if suffix in (".csv", ".txt"):
            return pl.read_csv(path, schema_overrides=_TEXT_COLUMNS, infer_schema_length=10_000)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ScenarioError(f"{path}: cannot read import file: {exc}") from exc
    raise ScenarioError(f"{path}: unsupported file type '{suffix}' (use .csv or .parquet)")


def _write(frame: pl.DataFrame, path: Path) -> None:
    if path.suffix.lower() == ".parquet":
        frame.write_parquet(path)
    else:
        frame.write_csv(path)


def _print_table(frame: pl.DataFrame) -> None:
    # Years and quarters are labels, not quantities: no thousands separator.
    frame = frame.with_columns(
        pl.col(c).cast(pl.String) for c in ("year", "rules_year", "quarter") if c in frame.columns
    )
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_width_chars=200,
        thousands_separator=",",
        float_precision=2,
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        tbl_formatting="ASCII_MARKDOWN",
        fmt_str_lengths=70,
    ):
        print(frame)


def _run(args: argparse.Namespace) -> int:
    overrides = {"rules_year": args.rules_year} if args.rules_year else None
    scenario: Scenario = load_scenario(args.scenario, overrides=overrides)
    if not args.imports and scenario.rules_year is None:
        # The bundled data are 2019-2025 trade, before the first rules year: apply that year's
        # rules to every row rather than fail (the header says so).
        first = scenario.rules_years[0]
        scenario = load_scenario(args.scenario, overrides={"rules_year": first})
        print(
            f"note: the bundled imports predate the rules; applying the {first} rules "
            "(pass --rules-year to choose another year)"
        )
    path = Path(args.imports) if args.imports else bundled_imports()
    imports = read_imports(path)
    # Keep each row's position in the file so that errors name file lines after filtering.
    positions = pl.Series(range(imports.height))
    if args.year:
        keep = imports["year"].is_in([int(y) for y in args.year.split(",")])
        imports, positions = imports.filter(keep), positions.filter(keep)
    try:
        # A progress bar on a terminal for large files; nothing when output is piped.
        show = None if imports.height >= _BIG else False
        with Stages(["compute"], desc="cbam run", enabled=show):
            fees = compute(imports, scenario, on_error=args.on_error)
    except CbamInputError as exc:
        csv = path.suffix.lower() != ".parquet"
        problems = [replace(p, rows=tuple(int(positions[r]) for r in p.rows)) for p in exc.problems]
        raise CbamInputError(
            problems,
            source=str(path),
            row_offset=2 if csv else 0,
            row_label="line" if csv else "row",
            hint="pass --on-error flag",
        ) from None
    by = [c for c in args.by.split(",") if c] if args.by else []
    unknown = [c for c in by if c not in fees.columns]
    if unknown:
        raise ScenarioError(f"--by: unknown columns {unknown} (available: {fees.columns})")

    rules = (
        f"the {scenario.rules_year} rules applied to every row (rules_year)"
        if scenario.rules_year
        else "each row under its own year's rules"
    )
    years = fees["year"].unique().sort().to_list()
    print(f"cbam {__version__}: scenario '{scenario.name}': {scenario.description}")
    print(
        f"imports: {path.name}, {fees.height:,} rows, years {years[0]}-{years[-1]}"
        if years
        else f"imports: {path.name}, no rows"
    )
    print(f"rules: {rules}")
    design = scenario.resolved_design()
    if design is not None:
        print(f"regime: {design.name} ({design.reference.title}), charged in {design.currency}")
        for note in design.notes:
            print(f"assumed: {note}")
    prices = fees.group_by("certificate_price_period", "certificate_price_eur").len().sort("len")
    for period, price, n in prices.iter_rows():
        if price is not None:
            print(f"certificate price: EUR {price:,.2f} ({period}, {n:,} rows)")
    summary = summarise(fees, by=by)
    shown = summary.head(args.top) if args.top else summary
    columns = [
        *by,
        "quantity_t",
        "embedded_t",
        "free_allocation_t",
        "deduction_t",
        "deduction_eur",
        "certificates",
        "fee_eur",
        "ave",
        "exempt_rows",
    ]
    if args.top and summary.height > args.top:
        print(f"\nFees by {', '.join(by)}: top {args.top} of {summary.height} (EUR, t CO2e)")
    elif by:
        print(f"\nFees by {', '.join(by)} (EUR, t CO2e)")
    _print_table(shown.select(columns))
    total = summarise(fees, by=[]).row(0, named=True)
    print(
        f"\nTotal fee: EUR {total['fee_eur']:,.2f} on {total['quantity_t']:,.0f} t "
        f"({total['embedded_t']:,.0f} t CO2e embedded, {total['certificates']:,.0f} certificates)"
    )
    print(
        f"Rows: {total['rows'] - total['flagged_rows']:,} computed, "
        f"{total['exempt_rows']:,} exempt, {total['flagged_rows']:,} flagged (left out of totals)"
    )
    sources = (
        fees.filter(pl.col("intensity_source").is_not_null())
        .group_by("intensity_source")
        .agg(pl.len().alias("rows"), pl.col("embedded_t").sum())
        .sort("intensity_source")
    )
    layers = ", ".join(f"{s}: {r:,} rows" for s, r, _ in sources.iter_rows())
    print(f"Intensity from: {layers}")
    _print_forgone(fees)
    de_minimis = fees.filter(pl.col("de_minimis").is_not_null()).group_by("de_minimis").len()
    print(
        "De minimis: "
        + ", ".join(f"{s} ({n:,} rows)" for s, n in de_minimis.sort("de_minimis").iter_rows())
    )
    reasons = (
        fees.filter(pl.col("exempt"))
        .group_by("exemption_reason")
        .len()
        .sort("len", descending=True)
    )
    if reasons.height:
        print("Exempt: " + ", ".join(f"{r} ({n:,} rows)" for r, n in reasons.iter_rows()))
    if args.recycling is not None:
        _print_recycling(fees, scenario, args.recycling or None, args.top)
    if args.out:
        _write(fees, Path(args.out))
        print(f"Row-level results written to {args.out}")
    return 0


def _print_recycling(fees: pl.DataFrame, scenario: Scenario, plan: str | None, top: int) -> None:
    """Where the revenue goes under the scenario's (or the named) recycling plan."""
    result = recycle(fees, scenario, plan=plan)
    p = result.plan
    print(
        f"\nRevenue recycling: plan '{p.name}' ({p.status})"
        + (f": {p.description}" if p.description else "")
        + "\n"
        f"Revenue: EUR {result.total_eur:,.2f}, allocated to the cent"
    )
    _print_table(result.pools.select("allocation", "pool", "rule", "recipients", "amount_eur"))
    for title, frame, columns in (
        (
            "Flows",
            result.flows.sort("amount_eur", descending=True),
            ["pool", "recipient", "amount_eur"],
        ),
        (
            "Balance by country (net = received - paid)",
            result.balance,
            ["origin", "paid_eur", "received_eur", "net_eur"],
        ),
    ):
        shown = f"top {top} of {frame.height}" if top and frame.height > top else "all"
        print(f"\n{title} (EUR; {shown})")
        _print_table((frame.head(top) if top else frame).select(columns))


def _print_forgone(fees: pl.DataFrame) -> None:
    """Revenue forgone by each exemption rule: the would-be fee less the fee charged."""
    forgone = (
        fees.filter(pl.col("exemption_reason").is_not_null())
        .group_by("exemption_reason")
        .agg(
            pl.len().alias("rows"),
            pl.col("fee_before_exemptions_eur").sum(),
            pl.col("fee_eur").sum(),
        )
        .with_columns(
            (pl.col("fee_before_exemptions_eur") - pl.col("fee_eur")).alias("forgone_eur")
        )
        .filter(pl.col("forgone_eur") > 0)
        .sort("forgone_eur", descending=True)
    )
    if forgone.height:
        total = forgone["forgone_eur"].sum()
        print(f"\nRevenue forgone by exemption rule (EUR; total {total:,.2f})")
        _print_table(forgone)


def _check(args: argparse.Namespace) -> int:
    try:
        from cbam.testing import check_scenario
    except ImportError:
        raise ScenarioError("cbam check needs hypothesis: pip install 'cbam[testing]'") from None
    if args.examples < 1:
        raise ScenarioError("--examples must be at least 1")
    report = check_scenario(args.scenario, max_examples=args.examples)
    print(
        f"cbam check: scenario '{report.scenario}', {args.examples} generated panels per property"
    )
    for result in report.results:
        mark = "holds" if result.holds else "FAILS"
        print(f"  {mark:5s}  {result.name}: {result.why}")
        if not result.holds:
            if result.error:
                print(f"         error: {result.error}")
            if result.counterexample is not None:
                print("         smallest counterexample:")
                with pl.Config(tbl_hide_dataframe_shape=True, tbl_width_chars=120):
                    for line in str(result.counterexample).splitlines():
                        print(f"         {line}")
    held = sum(r.holds for r in report.results)
    print(f"{held} of {len(report.results)} properties hold")
    return 0 if report.all_hold else 1


def _compare(args: argparse.Namespace) -> int:
    overrides = {"rules_year": args.rules_year} if args.rules_year else None
    scenarios = [load_scenario(name, overrides=overrides) for name in args.scenarios]
    if not args.imports:
        # The bundled imports predate the rules: each scenario applies its own first year,
        # unless --rules-year says otherwise.
        scenarios = [
            s
            if s.rules_year is not None
            else load_scenario(name, overrides={"rules_year": s.rules_years[0]})
            for name, s in zip(args.scenarios, scenarios, strict=True)
        ]
    path = Path(args.imports) if args.imports else bundled_imports()
    imports = read_imports(path)
    if args.year:
        imports = imports.filter(imports["year"].is_in([int(y) for y in args.year.split(",")]))
    by = [c for c in args.by.split(",") if c]
    try:
        table = compare(imports, scenarios, by=by, currency=args.currency)
    except CbamInputError as exc:
        csv = path.suffix.lower() != ".parquet"
        raise CbamInputError(
            exc.problems,
            source=str(path),
            row_offset=2 if csv else 0,
            row_label="line" if csv else "row",
            hint="check the file with cbam run --on-error flag",
        ) from None
    print(f"cbam {__version__}: {len(scenarios)} scenarios on {path.name}, {imports.height:,} rows")
    for s in scenarios:
        rules = f"{s.rules_year} rules" if s.rules_year else "each row's own year"
        print(f"  {s.name}: {s.description} [{rules}]")
        design = s.resolved_design()
        for note in design.notes if design is not None else []:
            print(f"    assumed: {note}")
    shown = table.head(args.top) if args.top and table.height > args.top else table
    scope = f"top {args.top} of {table.height}" if shown.height < table.height else "all"
    base = scenarios[0].name
    print(f"\nFees by {', '.join(by)} ({args.currency}; {scope}; differences from {base})")
    _print_table(shown)
    totals = table.select(pl.exclude(by).sum())
    print(f"\nTotals ({args.currency})")
    _print_table(totals)
    return 0


def _scenarios(_: argparse.Namespace) -> int:
    scenarios, regimes = list_scenarios(), list_regimes()
    width = max(len(name) for name in [*scenarios, *regimes]) + 2
    for name, description in scenarios.items():
        print(f"{name:{width}s}{description}")
    print("\nRegimes (a scenario's regime:, or a design file of your own):")
    for name, description in regimes.items():
        print(f"{name:{width}s}{description}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cbam`` command."""
    parser = argparse.ArgumentParser(prog="cbam", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"cbam {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="compute fees for an import file and print totals")
    run.add_argument("--scenario", default="eu-cbam", help="bundled name or YAML path")
    run.add_argument("--imports", help="CSV or Parquet file (default: bundled EU imports)")
    run.add_argument("--out", help="write row-level results to this .csv or .parquet file")
    run.add_argument("--by", default="origin,sector", help="grouping columns, comma-separated")
    run.add_argument("--rules-year", type=int, help="apply this year's rules to every row")
    run.add_argument("--year", help="keep only these import years, comma-separated")
    run.add_argument("--top", type=int, default=0, help="print only the N largest groups")
    run.add_argument(
        "--on-error",
        choices=["raise", "flag"],
        default="raise",
        help="raise on bad rows (default) or keep and flag them",
    )
    run.add_argument(
        "--recycling",
        nargs="?",
        const="",
        metavar="PLAN",
        help="print where the revenue goes: the scenario's recycling plan, or the bundled plan "
        "or plan file PLAN",
    )
    run.set_defaults(handler=_run)
    check = sub.add_parser("check", help="run the invariant catalogue against a scenario")
    check.add_argument("scenario", help="bundled name or YAML path")
    check.add_argument("--examples", type=int, default=25, help="generated panels per property")
    check.set_defaults(handler=_check)
    comp = sub.add_parser("compare", help="several scenarios side by side in one currency")
    comp.add_argument("scenarios", nargs="+", help="two or more bundled names or YAML paths")
    comp.add_argument("--imports", help="CSV or Parquet file (default: bundled EU imports)")
    comp.add_argument("--by", default="origin", help="grouping columns, comma-separated")
    comp.add_argument("--currency", default="EUR", help="currency of every amount (default EUR)")
    comp.add_argument("--rules-year", type=int, help="apply this year's rules to every row")
    comp.add_argument("--year", help="keep only these import years, comma-separated")
    comp.add_argument("--top", type=int, default=0, help="print only the N largest groups")
    comp.set_defaults(handler=_compare)
    scenarios = sub.add_parser("scenarios", help="list the bundled scenarios and regimes")
    scenarios.set_defaults(handler=_scenarios)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cbam`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.handler(args)
    except (CbamInputError, ScenarioError) as exc:
        print(f"cbam: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
