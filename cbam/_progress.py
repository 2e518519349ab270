"""Progress bars for long work: shown on a terminal, silent when output is not one."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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


@contextmanager
def stage(name: str, *, desc: str = "cbam", enabled: bool | None = None) -> Iterator[None]:
    """A bar naming the one stage of a job that runs inside it (``cbam run``'s compute).

    Example:
        >>> with stage("compute", enabled=False):
        ...     pass

    """
    if not showing(enabled):
        yield
        return
    from tqdm import tqdm

    with tqdm(total=1, desc=desc, file=sys.stderr, leave=False, postfix=name):
        yield
