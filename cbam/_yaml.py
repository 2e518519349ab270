"""Safe YAML reading with errors that name the file and line."""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from cbam._errors import ScenarioError, shorten


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate mapping keys instead of keeping the last one."""


def spelled_as(key: Any) -> Any:
    """A mapping key as the rules read it: 2030, '2030' and 2030-01-01 are one year's key.

    Example:
        >>> import datetime as dt
        >>> spelled_as(2030) == spelled_as(" 2030") == spelled_as(dt.date(2030, 1, 1))
        True
        >>> spelled_as(dt.date(2030, 7, 1))
        '2030-07-01'

    """
    if isinstance(key, bool) or key is None:
        return key
    if isinstance(key, dt.date):
        return str(key.year) if (key.month, key.day) == (1, 1) else key.isoformat()
    if isinstance(key, int | str):
        return str(key).strip()
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return key


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    # Keys written in this mapping must be unique; keys brought in by a merge (<<: *anchor)
    # may be overridden by written ones, as YAML's merge-key convention says.
    seen: set[Any] = set()
    for key_node in [k for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"]:
        key = loader.construct_object(key_node)
        mark = key_node.start_mark
        if not isinstance(key, str | int | float | bool | dt.date | None):
            msg = f"a key must be a plain value, not {type(key).__name__}"
            raise yaml.constructor.ConstructorError(None, None, msg, mark)
        # Equal keys (2030 and 2030.0, true and 1) or one key spelt two ways ('2030').
        if key in seen or (same := spelled_as(key)) in seen:
            where = f"line {mark.line + 1}, column {mark.column + 1}"
            shown = key.isoformat() if isinstance(key, dt.date) else repr(key)
            msg = f"duplicate key {shorten(shown, 80)} at {where} (one key, however spelt)"
            raise yaml.constructor.ConstructorError(None, None, msg, mark)
        seen.update((key, same))
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        try:
            mapping[key] = loader.construct_object(value_node)
        except yaml.constructor.ConstructorError as exc:
            if exc.context is not None:  # already names its (innermost) key
                raise
            where = f"key '{shorten(key, 80)}'"
            raise yaml.constructor.ConstructorError(
                where, key_node.start_mark, exc.problem, exc.problem_mark
            ) from None
    return mapping


def _construct_timestamp(loader: _UniqueKeyLoader, node: yaml.ScalarNode) -> Any:
    # PyYAML reads 2026-02-30 as a date and fails with a bare ValueError: say which value.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        msg = f"'{shorten(node.value, 80)}' is not a valid date ({exc})"
        raise yaml.constructor.ConstructorError(None, None, msg, node.start_mark) from None


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Read a YAML file that must hold one mapping, with a safe loader.

    Raises:
        ScenarioError: naming the file (and line, where YAML gives one) when the file is missing,
            is not valid YAML, or does not hold a mapping.

    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read file: {exc}") from exc
    try:
        loaded = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        context = f"{exc.context}: " if exc.context else ""
        raise ScenarioError(f"{path}: malformed YAML{where}: {context}{exc.problem}") from exc
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise ScenarioError(f"{path}: malformed YAML: {shorten(exc, 400)}") from exc
    if not isinstance(loaded, dict):
        kind = type(loaded).__name__
        raise ScenarioError(f"{path}: expected a YAML mapping at the top level, found {kind}")
    if (size := _expanded_size(loaded, {})) > _MOST_VALUES:
        # Aliases share their values: a few lines can stand for a billion (an alias bomb),
        # which any reader walking the tree would take hours over.
        raise ScenarioError(
            f"{path}: its aliases (*name) expand to {size:,} values, more than a rule file "
            f"holds ({_MOST_VALUES:,}); write the values out, or use fewer aliases"
        )
    return loaded


_MOST_VALUES = 1_000_000


def _expanded_size(node: Any, seen: dict[int, int]) -> int:
    """The number of values ``node`` holds once every alias is expanded (each shared part once)."""
    if not isinstance(node, dict | list):
        return 1
    if id(node) not in seen:
        seen[id(node)] = 0  # a cycle counts once (PyYAML builds none for a safe loader)
        items = list(node.values()) if isinstance(node, dict) else node
        seen[id(node)] = 1 + sum(_expanded_size(item, seen) for item in items)
    return seen[id(node)]


_COUNTRY_CODE = re.compile(r"[A-Z]{3}")


def matching_key(node: dict[Any, Any], part: Any) -> Any:
    """The key of ``node`` that ``part`` names, matched by text (YAML years are ints).

    Failing that, for a country code (three letters), the one key of the same code in another
    case or spacing (an origin ``tur`` that a scenario reads as ``TUR``): a change must reach
    it, not add a second key. Other names match as written (a misspelt ``Rules_Year`` stays
    an unknown key).

    Example:
        >>> matching_key({2030: 1}, "2030"), matching_key({"TUR": 1}, " tur")
        (2030, 'TUR')
        >>> matching_key({"rules_year": 1}, "Rules_Year")
        'Rules_Year'

    """
    exact = next((k for k in node if str(k) == str(part)), None)
    if exact is not None:
        return exact
    code = str(part).strip().upper()
    if not _COUNTRY_CODE.fullmatch(code):
        return part
    folded = [k for k in node if isinstance(k, str) and k.strip().upper() == code]
    return folded[0] if len(folded) == 1 else part


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``: mappings merge key by key (``matching_key``), others replace.

    Example:
        >>> deep_merge({"a": {"x": 1, "y": 2}, "b": 1}, {"a": {"y": 3}, "b": [2]})
        {'a': {'x': 1, 'y': 3}, 'b': [2]}

    """
    merged = copy.deepcopy(base)
    for given, value in extra.items():
        key = matching_key(merged, given)
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
