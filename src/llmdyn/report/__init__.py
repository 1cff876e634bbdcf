"""Report layer: the paper's tables, figures and a self-contained HTML report.

Everything is built from the plain dict of ``llmdyn.dynamics.analyze(...).to_dict()``
(the object ``llmdyn fit --format json`` prints), so a report's numbers are
those of ``llmdyn fit``.
"""

from ._figures import eigenvalue_figure as eigenvalue_figure
from ._figures import interference_figure as interference_figure
from ._figures import pareto_figure as pareto_figure
from ._figures import phase_portrait_figure as phase_portrait_figure
from ._figures import trajectory_figure as trajectory_figure
from ._html import ReportFiles as ReportFiles
from ._html import render_html as render_html
from ._html import render_markdown as render_markdown
from ._html import write_report as write_report
from ._tables import diagnostic_tables as diagnostic_tables
from ._tables import drift_tables as drift_tables
from ._tables import interference_tables as interference_tables
from ._render import render_tables as render_tables
from ._steering import SteeringSummary as SteeringSummary
from ._steering import SteeringTable as SteeringTable
from ._steering import load_decisions as load_decisions
from ._steering import steering_summary as steering_summary
from ._tables import strategy_table as strategy_table

__all__ = [
    "ReportFiles",
    "SteeringSummary",
    "SteeringTable",
    "diagnostic_tables",
    "drift_tables",
    "eigenvalue_figure",
    "interference_figure",
    "interference_tables",
    "load_decisions",
    "pareto_figure",
    "phase_portrait_figure",
    "render_html",
    "render_markdown",
    "render_tables",
    "steering_summary",
    "strategy_table",
    "trajectory_figure",
    "write_report",
]
