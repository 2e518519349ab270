"""Progress bars for long work: shown on a terminal, silent when output is not one."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def showing(enabled: bool | None = None) -> bool:
    """Whether to show a bar: as asked, else only when standard error is a terminal.

    Example:
        >>> showing(False)
        False

    """
    return sys.stderr.isatty() if enabled is None else enabled


def progress(
    items: Iterable[T], *, total: int | None = None, desc: str = "", enabled: bool | None = None
) -> Iterator[T]:
    """Yield ``items``, with a tqdm bar on standard error when ``showing(enabled)``.

    Args:
        items: What to iterate over.
        total: How many items there are, when ``items`` has no length.
        desc: The bar's label.
        enabled: True or False to force the bar on or off; None (default) shows it on a
            terminal only, so logs and pipes stay clean.

    Example:
        >>> list(progress(range(3), enabled=False))
        [0, 1, 2]

    """
    if not showing(enabled):
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=desc, file=sys.stderr, leave=False)


class Stages:
    """A bar over named stages of one job, naming the first (``cbam run``'s compute).

    Example:
        >>> with Stages(["compute"], enabled=False) as bar:
        ...     pass

    """

    def __init__(self, names: list[str], *, desc: str = "cbam", enabled: bool | None = None):
        self._bar = None
        if showing(enabled):
            from tqdm import tqdm

            self._bar = tqdm(total=len(names), desc=desc, file=sys.stderr, leave=False)
            self._bar.set_postfix_str(names[0] if names else "")

    def __enter__(self) -> Stages:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()
