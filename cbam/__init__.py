"""cbam: carbon border adjustment fees for trade-policy modelling, as Polars pipelines.

Public API:

* ``load_scenario(name_or_path, overrides=None)``, ``list_scenarios()``, ``Scenario``
* ``compute(imports, scenario="eu-cbam", on_error="raise")``
* ``summarise(fees, by=("origin", "sector"))``
* ``recycle(fees, scenario, plan=None)``, ``Recycling``, ``RecyclingPlan``,
  ``list_recycling_plans()``: where the revenue goes, to the cent.
* ``CbamInputError``, ``ScenarioError``
* ``INPUT_COLUMNS``, ``OUTPUT_COLUMNS``: the column contract, with a line on each.
"""

from cbam._errors import CbamInputError, InputProblem, ScenarioError
from cbam._pipeline import compute
from cbam._recycling import Recycling, RecyclingPlan, list_recycling_plans, recycle
from cbam._scenario import Scenario, list_scenarios, load_scenario
from cbam._schema import OPTIONAL_COLUMNS, OUTPUT_COLUMNS, REQUIRED_COLUMNS
from cbam._summary import summarise

INPUT_COLUMNS = {**REQUIRED_COLUMNS, **OPTIONAL_COLUMNS}

__all__ = [
    "INPUT_COLUMNS",
    "OUTPUT_COLUMNS",
    "CbamInputError",
    "InputProblem",
    "Recycling",
    "RecyclingPlan",
    "Scenario",
    "ScenarioError",
    "compute",
    "list_recycling_plans",
    "list_scenarios",
    "load_scenario",
    "recycle",
    "summarise",
]
__version__ = "0.1.0"
