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

# Steering: policies, utilities, intervention triggers, offline evaluation.
from ._adaptive import BanditPolicy as BanditPolicy
from ._adaptive import MPCPolicy as MPCPolicy
from ._adaptive import PhasePolicy as PhasePolicy
from ._batch import BatchHistory as BatchHistory
from ._control import PAPER_SCHEDULE as PAPER_SCHEDULE
from ._control import POLICY_SPECS as POLICY_SPECS
from ._control import SchedulePolicy as SchedulePolicy
from ._control import make_policy as make_policy
from ._policy_eval import PolicyEvaluation as PolicyEvaluation
from ._policy_eval import PolicyResult as PolicyResult
from ._policy_eval import evaluate_policies as evaluate_policies
from ._triggers import ConvergenceRateAbove as ConvergenceRateAbove
from ._triggers import ObjectiveBelow as ObjectiveBelow
from ._triggers import ObjectiveDrop as ObjectiveDrop
from ._triggers import Triggered as Triggered
from ._triggers import default_triggers as default_triggers
from ._triggers import local_convergence_rate as local_convergence_rate
from ._triggers import make_triggers as make_triggers
from ._utility import Constraint as Constraint
from ._utility import Utility as Utility

__all__ += [
    "BanditPolicy", "BatchHistory", "Constraint", "ConvergenceRateAbove", "MPCPolicy", "ObjectiveBelow",
    "ObjectiveDrop", "PAPER_SCHEDULE", "POLICY_SPECS", "PhasePolicy", "PolicyEvaluation", "PolicyResult",
    "SchedulePolicy", "Triggered", "Utility", "default_triggers", "evaluate_policies", "local_convergence_rate",
    "make_policy", "make_triggers",
]

# Trajectory data, drift fit, bootstrap, spectrum, interference, Pareto, analysis.
from ._analysis import Analysis as Analysis
from ._analysis import analyze as analyze
from ._analysis import infer_bounds as infer_bounds
from ._bootstrap import BootstrapResult as BootstrapResult
from ._bootstrap import Interval as Interval
from ._bootstrap import bootstrap_fits as bootstrap_fits
from ._fit import R2 as R2
from ._fit import DriftFit as DriftFit
from ._fit import fit_drift as fit_drift
from ._fit import fit_models as fit_models
from ._fit import StrategyModels as StrategyModels
from ._interference import InterferenceMatrix as InterferenceMatrix
from ._interference import LjungBox as LjungBox
from ._interference import interference_matrix as interference_matrix
from ._interference import ljung_box as ljung_box
from ._interference import residual_correlation as residual_correlation
from ._pareto import ParetoSummary as ParetoSummary
from ._pareto import StrategyPareto as StrategyPareto
from ._pareto import hypervolume as hypervolume
from ._pareto import nondominated_mask as nondominated_mask
from ._pareto import pareto_summary as pareto_summary
from ._spectrum import Equilibrium as Equilibrium
from ._spectrum import Regime as Regime
from ._spectrum import Spectrum as Spectrum
from ._spectrum import classify_regime as classify_regime
from ._spectrum import equilibrium_of as equilibrium_of
from ._spectrum import spectrum_of as spectrum_of
from ._trajectories import SessionPath as SessionPath
from ._trajectories import Trajectories as Trajectories
from ._trajectories import Transitions as Transitions
from ._trajectories import as_trajectories as as_trajectories
from ._trajectories import load_trajectories as load_trajectories

__all__ += [
    "Analysis", "BootstrapResult", "DriftFit", "Equilibrium", "InterferenceMatrix", "Interval", "LjungBox",
    "ParetoSummary", "R2", "Regime", "SessionPath", "Spectrum", "StrategyPareto", "Trajectories", "Transitions",
    "analyze", "as_trajectories", "bootstrap_fits", "classify_regime", "equilibrium_of", "StrategyModels", "fit_drift", "fit_models", "hypervolume", "infer_bounds",
    "interference_matrix", "ljung_box", "load_trajectories", "nondominated_mask", "pareto_summary",
    "residual_correlation", "spectrum_of",
]

# Simulation, linear-SDE moments, forecasts.
from ._moments import Moments as Moments
from ._moments import StationaryComparison as StationaryComparison
from ._moments import compare_stationary as compare_stationary
from ._moments import continuous_moments as continuous_moments
from ._moments import discrete_moments as discrete_moments
from ._moments import stationary_covariance as stationary_covariance
from ._simulate import BOUNDARIES as BOUNDARIES
from ._simulate import Forecast as Forecast
from ._simulate import PathSummary as PathSummary
from ._simulate import euler_maruyama as euler_maruyama
from ._simulate import forecast_model as forecast_model
from ._simulate import simulate_model as simulate_model

__all__ += [
    "BOUNDARIES", "Forecast", "Moments", "PathSummary", "StationaryComparison", "compare_stationary",
    "continuous_moments", "discrete_moments", "euler_maruyama", "forecast_model", "simulate_model",
    "stationary_covariance",
]
from ._holdout import HoldoutCoverage as HoldoutCoverage
from ._holdout import StrategyCoverage as StrategyCoverage
from ._holdout import holdout_coverage as holdout_coverage

__all__ += ["HoldoutCoverage", "StrategyCoverage", "holdout_coverage"]
