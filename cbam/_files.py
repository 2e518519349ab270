"""Values read from a user's files, kept while those files stay as they are.

A long notebook session edits the files a scenario reads (a country group, a design, a weights
table) and runs again: a cache keyed by a scenario's text or a file's path would give the old
answer. ``FileCache`` keeps each value with the digests of the files read to make it, noted by
``noted`` while it was made, and makes it again once any of them changed. Digests are kept per
file by modification time and size, except for a file changed in the last seconds, which is
read again each time: two writes within one tick of the file system's clock share a time.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")
Digests = tuple[tuple[str, str], ...]

_READING: ContextVar[set[Path] | None] = ContextVar("cbam files read", default=None)
_SETTLED_NS = 3_000_000_000  # a file older than this cannot change unseen within its time
_DIGESTS: dict[tuple[str, int, int, int], str] = {}


def noted(path: Path) -> Path:
    """Note that ``path`` is read while a ``FileCache`` value is made; return it."""
    seen = _READING.get()
    if seen is not None:  # as named, links unresolved: a link pointed elsewhere reads anew
        seen.add(path.absolute())
    return path


def digest(path: Path) -> str:
    """The file's content digest ('missing' where it cannot be read).

    Example:
        >>> digest(Path("/no/such/file"))
        'missing'

    """
    try:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)
        found = _DIGESTS.get(key)
        if found is None or time.time_ns() - stat.st_mtime_ns < _SETTLED_NS:
            found = _DIGESTS[key] = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    except OSError:
        return "missing"
    return found


@contextmanager
def reading() -> Iterator[set[Path]]:
    """Collect the files noted inside; they count as read by an enclosing collection too.

    ``cbam run`` collects those a run reads, so that ``--out`` overwrites none of them.
    """
    outer = _READING.get()
    files: set[Path] = set()
    token = _READING.set(files)
    try:
        yield files
    finally:
        _READING.reset(token)
        if outer is not None:
            outer |= files


class FileCache(Generic[T]):
    """Values by key, each made again when a file read to make it has changed.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "n.txt"
        >>> _ = path.write_text("1")
        >>> kept: FileCache[str] = FileCache()
        >>> kept.get("n", lambda: noted(path).read_text())
        '1'
        >>> _ = path.write_text("2")
        >>> kept.get("n", lambda: noted(path).read_text())
        '2'

    """

    def __init__(self, most: int = 512) -> None:
        self._kept: dict[Hashable, tuple[Digests, T]] = {}
        self._most = most

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value kept for ``key`` while its files are unchanged, else ``make()``'s."""
        kept = self._kept.get(key)
        if kept is not None and all(digest(Path(p)) == d for p, d in kept[0]):
            for name, _ in kept[0]:  # read again by whoever collects now
                noted(Path(name))
            return kept[1]
        with reading() as files:
            value = make()
        if len(self._kept) >= self._most:
            self._kept.pop(next(iter(self._kept)))
        self._kept[key] = (tuple((str(p), digest(p)) for p in sorted(files)), value)
        return value

    def digests(self, key: Hashable) -> Digests:
        """The files read for ``key``'s value and their digests (none where nothing is kept)."""
        kept = self._kept.get(key)
        return kept[0] if kept is not None else ()
