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

# Steering (policies, triggers, offline evaluation).
from ._batch import BatchHistory as BatchHistory
from ._control import PAPER_SCHEDULE as PAPER_SCHEDULE
from ._control import POLICY_SPECS as POLICY_SPECS
from ._control import SchedulePolicy as SchedulePolicy
from ._control import make_policy as make_policy
from ._utility import Constraint as Constraint
from ._utility import Utility as Utility

__all__ += [
    "BatchHistory", "Constraint", "PAPER_SCHEDULE", "POLICY_SPECS", "SchedulePolicy", "Utility", "make_policy",
]
from ._adaptive import BanditPolicy as BanditPolicy
from ._adaptive import MPCPolicy as MPCPolicy
from ._adaptive import PhasePolicy as PhasePolicy

__all__ += ["BanditPolicy", "MPCPolicy", "PhasePolicy"]
from ._triggers import ConvergenceRateAbove as ConvergenceRateAbove
from ._triggers import ObjectiveBelow as ObjectiveBelow
from ._triggers import ObjectiveDrop as ObjectiveDrop
from ._triggers import Triggered as Triggered
from ._triggers import default_triggers as default_triggers
from ._triggers import local_convergence_rate as local_convergence_rate
from ._triggers import make_triggers as make_triggers

__all__ += [
    "ConvergenceRateAbove", "ObjectiveBelow", "ObjectiveDrop", "Triggered", "default_triggers",
    "local_convergence_rate", "make_triggers",
]
