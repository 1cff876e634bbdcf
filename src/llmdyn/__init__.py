"""llmdyn: iterative LLM interactions as stochastic dynamical systems.

Layers (see DESIGN): ``objectives`` (scorers), ``llm`` (chat backends),
``experiment`` (tasks, strategies, runner), ``store`` (SQLite), ``dynamics``
(trajectories, fit, simulate, control), ``report`` (tables, plots, HTML).
"""

from importlib.metadata import PackageNotFoundError, version

from .errors import LlmdynError as LlmdynError

try:
    __version__ = version("llmdyn")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["LlmdynError", "__version__"]
