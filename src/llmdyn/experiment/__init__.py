"""Experiments: tasks, strategies (prompt templates), the TOML config, the
asynchronous session runner and the offline demo.
"""

from ._config import ExperimentConfig as ExperimentConfig
from ._config import load_config as load_config
from ._demo import DemoResult as DemoResult
from ._determinism import DeterminismProbe as DeterminismProbe
from ._determinism import DeterminismReport as DeterminismReport
from ._determinism import measure_determinism as measure_determinism
from ._determinism import probe_determinism as probe_determinism
from ._demo import run_demo as run_demo
from ._runner import Runner as Runner
from ._runner import RunSummary as RunSummary
from ._runner import SessionPlan as SessionPlan
from ._runner import backoff_wait as backoff_wait
from ._runner import build_policy as build_policy
from ._runner import make_backend as make_backend
from ._runner import plan_sessions as plan_sessions
from ._runner import run_experiment as run_experiment
from ._strategies import BUILTIN_STRATEGIES as BUILTIN_STRATEGIES
from ._strategies import Strategy as Strategy
from ._strategies import build_conversation as build_conversation
from ._strategies import get_strategy as get_strategy
from ._tasks import Task as Task
from ._tasks import bundled_tasks as bundled_tasks
from ._tasks import corpus_task_ids as corpus_task_ids
from ._tasks import get_task as get_task

__all__ = [
    "BUILTIN_STRATEGIES", "DemoResult", "DeterminismProbe", "DeterminismReport", "ExperimentConfig", "RunSummary", "Runner", "SessionPlan", "Strategy",
    "Task", "backoff_wait", "build_conversation", "build_policy", "bundled_tasks",
    "corpus_task_ids", "get_strategy", "get_task", "load_config", "make_backend", "measure_determinism",
    "plan_sessions", "probe_determinism", "run_demo", "run_experiment",
]
