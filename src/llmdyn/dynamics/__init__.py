"""Dynamics: trajectory data, drift fit, spectrum, interference, Pareto,
simulation and steering. Imports none of ``llm``, ``experiment`` or
``objectives``.
"""

from ._model import DriftModel as DriftModel
from ._policy import Decision as Decision
from ._policy import FixedPolicy as FixedPolicy
from ._policy import History as History
from ._policy import Policy as Policy
from ._policy import TriggerEvent as TriggerEvent

__all__ = ["Decision", "DriftModel", "FixedPolicy", "History", "Policy", "TriggerEvent"]
