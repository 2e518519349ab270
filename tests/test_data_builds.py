"""The build scripts reproduce the committed ``rates/`` and ``country_lists/`` exactly.

Each script rebuilds its files from the team's sources (``../shared``, not needed at run
time) into a temporary folder; every file it writes must equal the committed one byte for
byte, so a hand edit of a data file cannot be undone by the next documented rebuild. Skipped
where the sources are not beside the checkout (a wheel's user, a bare CI checkout).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SCRIPTS = (
    "build_reference_data",
    "build_trade_codes",
    "build_aggregation_weights",
    "build_country_groups",
    "build_carbon_prices",
)


@pytest.mark.skipif(not SHARED.is_dir(), reason="the team's sources (../shared) are not here")
def test_a_rebuild_writes_the_committed_files(tmp_path: Path) -> None:
    # In order, into one folder: a later script reads what an earlier one wrote there (the
    # trade-code tables read country_lists/iso3166_1.csv).
    for script in SCRIPTS:
        run = subprocess.run(
            [sys.executable, str(REPO / "scripts" / f"{script}.py"), "--out", str(tmp_path)],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=False,
        )
        assert run.returncode == 0, f"{script}: {run.stderr[-2000:]}"
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert len(written) >= 20  # the tables of every script
    differ = [
        str(p.relative_to(tmp_path))
        for p in written
        if p.read_bytes() != (REPO / p.relative_to(tmp_path)).read_bytes()
    ]
    assert differ == []
