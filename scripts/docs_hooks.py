"""MkDocs hook (see mkdocs.yml): lists generated from rates/ inside hand-written pages.

A line ``<!-- assumptions: FILE [FILE ...] -->`` in a page becomes the list of every value
those rule files mark ``assumption: true``, with its dates and source, so a regime's page
cannot drift from its data. ``<!-- notes: FILE -->`` becomes the regime file's ``notes:``
(what every run prints about its assumptions). A code span naming a rule file
(`` `rates/eu/cbam_factor.yaml` ``) outside code blocks links to its explorer page.
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
_RULE_FILES = set(docs_pages.rule_files())
_CODE_SPAN = re.compile(r"(?<![\[`])`((?:rates|country_lists)/[\w./-]+\.(?:yaml|csv))`(?![\]`])")
_FENCE = re.compile(r"(^```.*?^```)", re.MULTILINE | re.DOTALL)


def _link_rule_files(markdown: str, page_uri: str) -> str:
    """Link each code span that names a rule file to its page (not inside fenced code)."""
    up = "../" * (len(Path(page_uri).parts) - 1)

    def link(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in _RULE_FILES:
            return match.group(0)
        return f"[`{name}`]({up}{docs_pages.page_path(name)})"

    parts = _FENCE.split(markdown)
    return "".join(p if i % 2 else _CODE_SPAN.sub(link, p) for i, p in enumerate(parts))


def on_page_markdown(markdown: str, *, page: Any, **kwargs: Any) -> str:
    """Replace each assumptions marker with the generated list."""

    def expand(match: re.Match[str]) -> str:
        files = match.group(1).split()
        return docs_pages.assumption_list(files, page.file.src_uri)

    def notes(match: re.Match[str]) -> str:
        document = yaml.safe_load((docs_pages.REPO / match.group(1)).read_text("utf-8"))
        return "".join(f"- {docs_pages.cell(note)}\n" for note in document.get("notes", []))

    markdown = _NOTES.sub(notes, _MARKER.sub(expand, markdown))
    if page.file.src_uri.startswith("parameters/"):
        return markdown  # the explorer's own pages name their file in their header
    return _link_rule_files(markdown, page.file.src_uri)


# nbconvert's notebook template adds a Mermaid loader that imports from a CDN when a page has a
# diagram (ours have none) and an empty MathJax script tag; the site loads nothing remote.
_MERMAID = re.compile(
    r'<script type="module">(?:(?!</script>).)*?mermaid(?:(?!</script>).)*</script>', re.S
)
_EMPTY_SCRIPT = re.compile(r'<script src="">\s*</script>')


def on_post_page(output: str, *, page: Any, **kwargs: Any) -> str:
    """Strip the remote Mermaid loader and the empty MathJax tag from notebook pages."""
    if not page.file.src_uri.endswith(".ipynb"):
        return output
    return _EMPTY_SCRIPT.sub("", _MERMAID.sub("", output))
