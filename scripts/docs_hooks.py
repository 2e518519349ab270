"""MkDocs hook (see mkdocs.yml): lists generated from rates/ inside hand-written pages.

A line ``<!-- assumptions: FILE [FILE ...] -->`` in a page becomes the list of every value
those rule files mark ``assumption: true``, with its dates and source, so a regime's page
cannot drift from its data. ``<!-- notes: FILE -->`` becomes the regime file's ``notes:``
(what every run prints about its assumptions).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import docs_pages  # a sibling script, not an installed module

_MARKER = re.compile(r"^<!-- assumptions: (.+?) -->$", re.MULTILINE)
_NOTES = re.compile(r"^<!-- notes: (\S+) -->$", re.MULTILINE)


def on_page_markdown(markdown: str, *, page: Any, **kwargs: Any) -> str:
    """Replace each assumptions marker with the generated list."""

    def expand(match: re.Match[str]) -> str:
        files = match.group(1).split()
        return docs_pages.assumption_list(files, page.file.src_uri)

    def notes(match: re.Match[str]) -> str:
        document = yaml.safe_load((docs_pages.REPO / match.group(1)).read_text("utf-8"))
        return "".join(f"- {docs_pages.cell(note)}\n" for note in document.get("notes", []))

    return _NOTES.sub(notes, _MARKER.sub(expand, markdown))
