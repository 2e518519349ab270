"""CN8 trade weights for aggregate codes (HS2, CN4, CN6): the scenario's ``aggregation_weights``.

Without weights an aggregate code takes the simple mean over the Annex I CN8 codes below it
(``rates/eu/aggregation.yaml``). A weights file (CSV or Parquet) has the columns ``cn_code``
(CN8) and ``weight``, optionally ``origin`` (ISO3; empty: every origin). For an aggregate of an
origin, the origin's own weights under the prefix win over the every-origin weights; a CN8
below the prefix without a weight then counts 0; weights are normalised per prefix (they need
not sum to 1). A prefix whose weights sum to 0 keeps the simple mean. Bundled weights live in
``rates/eu/aggregation_weights/`` (their README gives each file's source).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from cbam._countries import failing_lines, file_lines, iso3_codes, upper_ascii
from cbam._errors import ScenarioError, first_line, shorten
from cbam._eu.reference import cn_successors, covered_cn8
from cbam._files import FileCache, noted
from cbam._resources import data_dir


@dataclass(frozen=True)
class AggregationWeights:
    """Validated CN8 weights.

    Attributes:
        name: What the output names them by (the file's stem).
        table: ``origin`` ('' for every origin), ``cn8``, ``weight`` (finite, >= 0).

    """

    name: str
    table: pl.DataFrame


def weights_dir() -> Path:
    """The folder of bundled weights, ``rates/eu/aggregation_weights/``."""
    return data_dir("rates") / "eu" / "aggregation_weights"


def bundled_weights() -> list[str]:
    """Names of the bundled weights files (usable as ``aggregation_weights: NAME``)."""
    return sorted(p.stem for p in weights_dir().glob("*.csv"))


def weights_path(text: str, relative_to: Path | None) -> Path:
    """A bundled weights name, or a CSV/Parquet path taken relative to ``relative_to``.

    Raises:
        ScenarioError: an unknown bundled name, listing the known ones.

    """
    if text.lower().endswith((".csv", ".parquet")) or "/" in text or "\\" in text:
        path = Path(text)
        return path if path.is_absolute() or relative_to is None else relative_to / path
    bundled = weights_dir() / f"{text}.csv"
    if not bundled.is_file():
        raise ScenarioError(
            f"aggregation_weights: unknown bundled weights {shorten(text, 60)!r} "
            f"(bundled: {', '.join(bundled_weights()) or 'none'}; or give a .csv/.parquet path)"
        )
    return bundled


_WEIGHTS: FileCache[AggregationWeights] = FileCache(64)


def load_weights(path_text: str) -> AggregationWeights:
    """Read and validate a weights file (kept per path while the file is unchanged).

    Raises:
        ScenarioError: an unreadable file, a missing column, or a bad code, origin or weight,
            naming the file, its lines and the values.

    """
    return _WEIGHTS.get(path_text, lambda: _read_weights(Path(path_text)))


def _read_weights(path: Path) -> AggregationWeights:
    noted(path)
    where = f"aggregation_weights {path}"
    if not path.is_file():
        raise ScenarioError(f"{where}: no such file")
    try:
        if path.suffix.lower() == ".parquet":
            raw = pl.read_parquet(path, glob=False).select(pl.all().cast(pl.String))
            place: Callable[[int], str] = lambda r: f"row {r + 1}"  # noqa: E731
        else:
            raw = pl.read_csv(path, infer_schema=False, glob=False)
            place = file_lines(path, raw.height)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ScenarioError(f"{where}: cannot read: {shorten(first_line(exc), 200)}") from None
    names = {c.strip().lower(): c for c in raw.columns}
    missing = [c for c in ("cn_code", "weight") if c not in names]
    if missing:
        raise ScenarioError(
            f"{where}: no column {' or '.join(missing)} (columns found: "
            f"{shorten(', '.join(raw.columns), 200)}; give cn_code, weight and optionally origin)"
        )
    origin = (
        upper_ascii(pl.col(names["origin"]).fill_null("").str.strip_chars())
        if "origin" in names
        else pl.lit("")
    )
    frame = raw.select(
        pl.col(names["cn_code"]).fill_null("").str.replace_all(" ", "").alias("cn8"),
        origin.alias("origin"),
        pl.col(names["weight"]).alias("weight_text"),
        # A blank line holds no weight (as an import file's holds no row).
        pl.all_horizontal(
            pl.col(c).fill_null("").str.strip_chars() == "" for c in raw.columns
        ).alias("_blank"),
    ).with_columns(
        pl.col("weight_text").str.strip_chars().cast(pl.Float64, strict=False).alias("weight")
    )
    annex = covered_cn8()["cn8"].to_list()
    successors = cn_successors()
    # A code the CN in force splits is read through its successors only: its weight would
    # weigh nothing.
    split = ", ".join(
        f"{retired}: {', '.join(group['successor'].sort())}"
        for (retired,), group in successors.group_by("retired", maintain_order=True)
    )
    checks = [
        ("cn8", ~pl.col("cn8").is_in(annex), "cn_code is not an Annex I CN8 code"),
        (
            "cn8",
            pl.col("cn8").is_in(successors["retired"].implode()),
            f"cn_code is split by the CN in force; weigh its successors instead ({split})",
        ),
        (
            "origin",
            (pl.col("origin") != "") & ~pl.col("origin").is_in(sorted(iso3_codes())),
            "origin is not an ISO3 code (leave it empty for every origin)",
        ),
        (
            "weight_text",
            pl.col("weight").is_null() | ~pl.col("weight").is_finite() | (pl.col("weight") < 0),
            "weight is not a finite number >= 0",
        ),
        (
            "cn8",
            pl.struct("origin", "cn8").is_duplicated(),
            "the same cn_code and origin given twice",
        ),
    ]
    for column, bad, message in checks:
        bad = bad.fill_null(True) & ~pl.col("_blank")
        if frame.select(bad.any()).item():
            raise ScenarioError(f"{where}: {message}: {failing_lines(frame, bad, column, place)}")
    kept = frame.filter(~pl.col("_blank"))
    return AggregationWeights(path.stem, kept.select("origin", "cn8", "weight"))
