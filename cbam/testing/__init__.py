"""Property-tested rule checks as a feature: strategies, the invariant catalogue, check_scenario.

Needs hypothesis (``pip install 'cbam[testing]'``).

* ``strategies``: hypothesis strategies for valid import panels built from the bundled tables.
* ``CATALOGUE``: the invariants every scenario must satisfy, each with why.
* ``check_scenario(scenario)``: runs the catalogue and reports each property as holding or with
  the smallest counterexample hypothesis found (``cbam check SCENARIO`` on the command line).
"""

from importlib.util import find_spec

if find_spec("hypothesis") is None:  # said once, here, rather than deep in a submodule
    raise ModuleNotFoundError(
        "cbam.testing needs hypothesis: pip install 'cbam[testing]'", name="hypothesis"
    )

from cbam.testing._catalogue import CATALOGUE, Property
from cbam.testing._check import CheckReport, PropertyResult, check_scenario

__all__ = ["CATALOGUE", "CheckReport", "Property", "PropertyResult", "check_scenario"]
