"""A griffe extension for the API reference: read ``Example:`` sections as doctest examples.

The package's Google docstrings title their doctests ``Example:``, which the Google parser
reads as a free-text admonition (so ``>>>`` lines would render as Markdown block quotes and
``[...]`` outputs as links). ``Examples:`` is the parser's examples section, rendered as
Python console code. The docstrings themselves are left as they are.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:[ \t]*$", re.MULTILINE)


class DoctestExamples(griffe.Extension):
    """Rename each ``Example:`` section header of a docstring to ``Examples:``."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite the docstring of every object griffe loads."""
        if obj.docstring is not None:
            obj.docstring.value = _EXAMPLE.sub(r"\1Examples:", obj.docstring.value)
