"""Pages made at build time (run by the mkdocs-gen-files plugin, see mkdocs.yml).

* the parameter explorer, one page per rule file (``scripts/docs_pages.py``);
* the five notebooks, executed here on the bundled data so the site shows their outputs and
  figures (they are stored without outputs); a failing cell fails the build.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import mkdocs_gen_files
import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
import docs_pages  # a sibling script, not an installed module

for path, text in docs_pages.build_pages().items():
    with mkdocs_gen_files.open(path, "w") as handle:
        handle.write(text)

NOTEBOOKS = docs_pages.REPO / "notebooks"
with tempfile.TemporaryDirectory() as figures:
    os.environ["CBAM_FIGURES_DIR"] = figures  # the kernels inherit it; figures show inline
    for notebook_path in sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = nbformat.read(notebook_path, as_version=4)
        NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOKS)}},
        ).execute()  # raises CellExecutionError, naming the cell
        with mkdocs_gen_files.open(f"notebooks/{notebook_path.name}", "w") as handle:
            nbformat.write(notebook, handle)

with mkdocs_gen_files.open("reference/columns.md", "w") as handle:
    handle.write(docs_pages.columns_page())
