"""Regenerate the docs' figure and table from notebook 01, as the code runs today.

Runs ``notebooks/01_eu_cbam_who_pays.ipynb`` top to bottom (figures to a temporary folder),
copies its fees-by-origin chart to ``docs/notebook01_fees_by_origin.png`` and prints the
by-sector table the notebook prints, for pasting into docs/notebooks/index.md ("From notebook 1";
the site's home page shows the figure too).

    .venv/bin/python scripts/make_readme_figure.py
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "01_eu_cbam_who_pays.ipynb"
FIGURE = "01_fees_by_origin.png"
TARGET = REPO / "docs" / "notebook01_fees_by_origin.png"
MARKER = "Total fee, 2026 rules on 2025 imports"


def main() -> int:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CBAM_FIGURES_DIR"] = tmp
        NotebookClient(
            notebook, timeout=300, resources={"metadata": {"path": str(NOTEBOOK.parent)}}
        ).execute()
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(tmp) / FIGURE, TARGET)
    printed = [
        output["text"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("output_type") == "stream" and MARKER in output.get("text", "")
    ]
    if not printed:
        print(f"no output of notebook 01 contains {MARKER!r}", file=sys.stderr)
        return 1
    print(f"wrote {TARGET.relative_to(REPO)}")
    print(printed[0].rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
