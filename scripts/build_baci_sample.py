"""Write data/samples/baci_sample.csv: a small, SYNTHETIC panel in CEPII BACI's layout.

Reproducible: run ``python scripts/build_baci_sample.py [--out PATH]``; the output is the same
on every run (a seeded generator, no input files). It reads nothing from ../shared.

**The figures are invented.** They are not BACI data (BACI is CEPII's, under its own licence)
and not a forecast of any trade flow. The file only has BACI's shape, so that the "bring your
own trade data" notebook and the README's examples run without a download:

* columns ``t,i,j,k,v,q`` (year, exporter, importer, HS6 product, value in thousand USD,
  quantity in metric tonnes), as in BACI's yearly files;
* exporters and importers in BACI's own codes, including those that differ from ISO 3166-1
  numeric (France 251, Italy 381, India 699, USA 842, Switzerland 757, 'Other Asia, nes' 490);
* importers inside and outside the regimes' territories: EU members, the United Kingdom, the
  United States, and Japan and Switzerland, which none of the bundled regimes covers;
* years 2022-2024 (BACI's latest years), six HS6 codes of CBAM goods, unit values of the right
  order of magnitude for each good (USD per tonne).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = Path("data") / "samples" / "baci_sample.csv"
SEED = 18  # issue 18

EXPORTERS = {  # BACI code: label (for the reader of this script only)
    "156": "China",
    "699": "India",
    "792": "Turkiye",
    "842": "USA",
    "490": "Other Asia, nes (Taiwan)",
    "410": "Korea",
    "804": "Ukraine",
    "818": "Egypt",
    "508": "Mozambique",
}
IMPORTERS = {
    "276": "Germany",
    "251": "France",
    "381": "Italy",
    "528": "Netherlands",
    "616": "Poland",
    "826": "United Kingdom",
    "842": "USA",
    "392": "Japan",
    "757": "Switzerland",
}
PRODUCTS = {  # HS6: (good, unit value in USD per tonne, typical shipment in tonnes)
    "720851": ("hot-rolled flat steel", 700.0, 20_000.0),
    "721049": ("galvanised flat steel", 900.0, 8_000.0),
    "760110": ("unwrought aluminium", 2_400.0, 5_000.0),
    "252329": ("Portland cement", 80.0, 30_000.0),
    "310210": ("urea", 400.0, 15_000.0),
    "280410": ("hydrogen", 3_000.0, 5.0),
}
YEARS = (2022, 2023, 2024)
TRADE_SHARE = 0.45  # share of (exporter, importer, product) triples that trade at all


def rows() -> list[dict[str, str]]:
    rng = random.Random(SEED)
    out: list[dict[str, str]] = []
    for exporter in EXPORTERS:
        for importer in IMPORTERS:
            if exporter == importer:
                continue
            for product, (_, unit_value, shipment) in PRODUCTS.items():
                if rng.random() > TRADE_SHARE:
                    continue
                base = shipment * rng.lognormvariate(0.0, 0.8)
                for year in YEARS:
                    quantity = round(base * rng.uniform(0.8, 1.2), 3)
                    value = round(quantity * unit_value * rng.uniform(0.85, 1.15) / 1_000, 3)
                    out.append(
                        {
                            "t": str(year),
                            "i": exporter,
                            "j": importer,
                            "k": product,
                            "v": f"{value:.3f}",
                            "q": f"{quantity:.3f}",
                        }
                    )
    out.sort(key=lambda r: (r["t"], int(r["i"]), int(r["j"]), r["k"]))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=REPO, help="repository root to write into")
    args = parser.parse_args(argv)
    path: Path = args.out / OUT
    path.parent.mkdir(parents=True, exist_ok=True)
    table = rows()
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["t", "i", "j", "k", "v", "q"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
    tonnes = sum(float(r["q"]) for r in table)
    print(f"{OUT}: {len(table)} rows, {tonnes:,.0f} t over {len(YEARS)} years (synthetic)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
