"""Every notebook in notebooks/ runs top to bottom on the bundled data, and its plots render.

The notebooks are stored without outputs; each reads the folder for its figures from
``CBAM_FIGURES_DIR`` (a temporary folder here) and writes at least one PNG there. They read
only bundled files (no network).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
PNG = b"\x89PNG\r\n\x1a\n"


def test_there_are_notebooks() -> None:
    assert len(PATHS) >= 5


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_stored_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    assert all(not c.outputs and c.execution_count is None for c in code), (
        f"{path.name} is stored with outputs: clear them before committing"
    )


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_runs_top_to_bottom_and_renders_its_plots(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures = tmp_path / "figures"
    monkeypatch.setenv("CBAM_FIGURES_DIR", str(figures))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    errors = [
        o
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors
    pngs = sorted(figures.glob("*.png"))
    assert pngs, f"{path.name} wrote no PNG to CBAM_FIGURES_DIR"
    for png in pngs:
        assert png.read_bytes()[:8] == PNG and png.stat().st_size > 5_000, png.name
