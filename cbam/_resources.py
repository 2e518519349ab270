"""Where the reference data lives: inside the installed package, or beside it in a checkout."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

from cbam._errors import ScenarioError

DataKind = Literal["rates", "country_lists", "data"]

_PACKAGE = Path(__file__).resolve().parent


def data_dir(kind: DataKind) -> Path:
    """Return the folder holding ``rates/``, ``country_lists/`` or ``data/``.

    A wheel carries them under ``cbam/_data/``; an editable install or a checkout reads the
    repository's top-level folders.
    """
    for candidate in (_PACKAGE / "_data" / kind, _PACKAGE.parent / kind):
        if candidate.is_dir():
            return candidate
    msg = f"cbam reference data folder '{kind}' not found (looked in {_PACKAGE / '_data'})"
    raise FileNotFoundError(msg)


def scenarios_dir() -> Path:
    """Return the folder of bundled scenario files."""
    return _PACKAGE / "scenarios"


def bundled_imports() -> Path:
    """Return the bundled EU import data set used by ``cbam run`` by default."""
    return data_dir("data") / "eu27_comext_cbam_imports_2019_2025.csv"


def is_path(text: str) -> bool:
    """Whether a name is a file path (a .yaml/.yml/.csv ending or a slash), not a bundled name."""
    return text.endswith((".yaml", ".yml", ".csv")) or "/" in text or "\\" in text


def bundled_or_path(
    text: str, folder: Path, relative_to: Path | None, kind: str, known: Callable[[], Iterable[str]]
) -> Path:
    """A YAML file named by a bundled name (a file in ``folder``) or by a path.

    A path (it ends in .yaml/.yml or holds a slash) is taken relative to ``relative_to``.

    Raises:
        ScenarioError: an unknown bundled name, listing the known ones.

    """
    if text.endswith((".yaml", ".yml")) or "/" in text or "\\" in text:
        path = Path(text)
        return path if path.is_absolute() or relative_to is None else relative_to / path
    bundled = folder / f"{text}.yaml"
    if not bundled.is_file():
        names = ", ".join(sorted(known()))
        raise ScenarioError(f"unknown {kind} '{text}' (bundled: {names}; or give a YAML path)")
    return bundled


def installed_copy(text: str) -> Path | None:
    """The copy shipped with cbam of a relative ``rates/``, ``country_lists/`` or ``data/`` path.

    None where ``text`` names a file here, or none that cbam ships: a command of the docs
    (``--imports data/samples/baci_sample.csv``) then runs outside a checkout too.
    """
    path = Path(text)
    if path.is_absolute() or path.exists() or not path.parts:
        return None
    kinds: dict[str, DataKind] = {
        "rates": "rates",
        "country_lists": "country_lists",
        "data": "data",
    }
    kind = kinds.get(path.parts[0])
    if kind is None:
        return None
    try:
        copy = data_dir(kind).joinpath(*path.parts[1:])
    except FileNotFoundError:
        return None
    return copy if copy.is_file() else None
