"""cbam: carbon border adjustment fees for trade-policy modelling, as Polars pipelines.

Public API:

* ``load_scenario(name_or_path, overrides=None)``, ``list_scenarios()``, ``Scenario``
* ``compute(imports, scenario="eu-cbam", on_error="raise")``
* ``summarise(fees, by=("origin", "sector"))``
* ``totals(imports, scenario, by=("origin", "sector"))``: ``summarise(compute(...))`` over
  whole panels, summed per rule key before pricing (``cbam._totals``).
* ``sweep(imports, scenario, vary={...})``, ``SweepResult``: many price paths and designs on
  one panel, with percentiles; on Dask with ``scheduler=`` (``pip install 'cbam[dask]'``).
* ``compare(imports, scenarios, by=("origin",), currency="EUR")``: scenarios (regimes) side by
  side; ``list_regimes()``, ``Design``: regimes as data (``rates/regimes/``), and
  ``cbam.blocks``, the rule building blocks they are assembled from.
* ``recycle(fees, scenario, plan=None)``, ``Recycling``, ``RecyclingPlan``,
  ``list_recycling_plans()``: where the revenue goes, to the cent.
* ``ad_valorem_equivalents``, ``fee_per_tonne``, ``exposure``, ``break_even_carbon_price``,
  ``actual_value_threshold``, ``phase_in``: indicators on a fee table (``cbam._indicators``).
* ``read_trade(source, format=...)``: BACI, Comtrade, Comext and wide trade panels in the
  input contract (``cbam._trade_formats``).
* ``trade_response(fees, elasticity)``: a light import-demand response to the fee (a model).
* ``cbam.charts``: matplotlib figures (``pip install 'cbam[charts]'``); ``compute`` also takes
  and returns pandas DataFrames and PyArrow Tables (through narwhals).
* ``CbamInputError``, ``ScenarioError``
* ``INPUT_COLUMNS``, ``OUTPUT_COLUMNS``: the column contract, with a line on each;
  ``OUTPUT_SCHEMA``: each output column's Polars type (the same for every regime) and line.
"""

import importlib
from typing import Any

from cbam import blocks
from cbam._api import recycle
from cbam._compare import compare
from cbam._design import Design, list_regimes
from cbam._errors import CbamInputError, InputProblem, ScenarioError
from cbam._indicators import (
    actual_value_threshold,
    ad_valorem_equivalents,
    break_even_carbon_price,
    exposure,
    fee_per_tonne,
    phase_in,
)
from cbam._pipeline import compute
from cbam._recycling import Recycling, RecyclingPlan, list_recycling_plans
from cbam._resolve import Resolved, load_scenario, resolve
from cbam._scenario import Scenario, list_scenarios
from cbam._schema import OPTIONAL_COLUMNS, OUTPUT_COLUMNS, OUTPUT_SCHEMA, REQUIRED_COLUMNS
from cbam._summary import summarise
from cbam._sweep import SweepResult, sweep
from cbam._totals import totals
from cbam._trade_formats import read_trade
from cbam._trade_response import trade_response

INPUT_COLUMNS = {**REQUIRED_COLUMNS, **OPTIONAL_COLUMNS}

__all__ = [
    "INPUT_COLUMNS",
    "OUTPUT_COLUMNS",
    "OUTPUT_SCHEMA",
    "CbamInputError",
    "Design",
    "InputProblem",
    "Recycling",
    "RecyclingPlan",
    "Resolved",
    "Scenario",
    "ScenarioError",
    "SweepResult",
    "actual_value_threshold",
    "ad_valorem_equivalents",
    "blocks",
    "break_even_carbon_price",
    "compare",
    "compute",
    "exposure",
    "fee_per_tonne",
    "list_recycling_plans",
    "list_regimes",
    "list_scenarios",
    "load_scenario",
    "phase_in",
    "read_trade",
    "recycle",
    "resolve",
    "summarise",
    "sweep",
    "totals",
    "trade_response",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``cbam.charts`` on first use: it needs matplotlib (``pip install 'cbam[charts]'``)."""
    if name == "charts":
        return importlib.import_module("cbam.charts")
    raise AttributeError(f"module 'cbam' has no attribute {name!r}")
