"""What the build scripts share: where the repository and the team's shared material are."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared"


def parse_folders(doc: str | None, argv: Sequence[str] | None) -> tuple[Path, Path]:
    """Parse ``--shared`` (the shared material) and ``--out`` (the repository root to write)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        help=f"path to the shared material (default {DEFAULT_SHARED})",
    )
    parser.add_argument("--out", type=Path, default=REPO, help="repository root to write into")
    args = parser.parse_args(argv)
    shared: Path = args.shared.resolve()
    if not shared.is_dir():
        raise SystemExit(f"shared folder not found: {shared}")
    out: Path = args.out.resolve()
    return shared, out
