"""Record the golden outputs: every bundled scenario on the generated panel of ``panel.py``.

Run ``python tests/golden/record.py`` to (re)record. A deliberate change of behaviour re-records
and lists the rows it changes in its commit; a refactor must leave these files as they are
(``tests/test_golden_outputs.py`` compares numbers to 1e-9 relative and text exactly).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import polars as pl

import cbam

HERE = Path(__file__).resolve().parent


def _panel_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("golden_panel", HERE / "panel.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scenario_names() -> list[str]:
    """The bundled scenarios, a golden file each."""
    return sorted(p.stem for p in (HERE.parents[1] / "cbam/scenarios").glob("*.yaml"))


def outputs(name: str, panel: pl.DataFrame) -> pl.DataFrame:
    """The output columns ``compute`` gives for ``panel`` under scenario ``name``."""
    fees = cbam.compute(panel, cbam.load_scenario(name), on_error="flag")
    return fees.select(c for c in fees.columns if c not in panel.columns)


def main() -> None:
    panel = _panel_module().panel()
    for old in HERE.glob("*.parquet"):
        old.unlink()
    panel.write_parquet(HERE / "panel.parquet", compression="zstd", compression_level=19)
    # Scenarios that differ only in what follows the fees (recycling) share one file.
    files: dict[str, str] = {}
    written: list[tuple[str, pl.DataFrame]] = []
    for name in scenario_names():
        out = outputs(name, panel)
        same = next((f for f, frame in written if frame.equals(out)), None)
        if same is None:
            same = f"{name}.parquet"
            out.write_parquet(HERE / same, compression="zstd", compression_level=19)
            written.append((same, out))
        files[name] = same
        flagged = out["input_error"].is_not_null().sum()
        print(f"{name:45s} {out.height:,} rows, {flagged:,} flagged -> {same}", file=sys.stderr)
    (HERE / "scenarios.json").write_text(json.dumps(files, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
