"""Objectives layer: static scorers that turn a response into objective scores.

``score_code`` parses Python once (never runs it) and scores security,
efficiency and functionality on 0-10 with explaining findings; objective sets
(``code`` built in) are looked up by name in a registry.
"""

from ._crosscheck import CrossCheck as CrossCheck
from ._crosscheck import cross_check as cross_check
from ._extract import extract_code as extract_code
from ._functionality import DEFAULT_EXPECTED_LINES as DEFAULT_EXPECTED_LINES
from ._parse import ParsedSource as ParsedSource
from ._parse import parse_source as parse_source
from ._registry import get_objective_set as get_objective_set
from ._registry import objective_set_names as objective_set_names
from ._registry import register_objective_set as register_objective_set
from ._registry import score_response as score_response
from ._rules import RULES as RULES
from ._rules import Rule as Rule
from ._rules import rule_table_markdown as rule_table_markdown
from ._score import CODE_OBJECTIVES as CODE_OBJECTIVES
from ._score import score_code as score_code
from ._score import score_parsed as score_parsed
from ._scorers import CodeScorer as CodeScorer
from ._scorers import code_scorers as code_scorers
from ._types import SCORE_RANGE as SCORE_RANGE
from ._types import ExtractedCode as ExtractedCode
from ._types import Finding as Finding
from ._types import ObjectiveSet as ObjectiveSet
from ._types import Score as Score
from ._types import Scorer as Scorer
from ._types import ScoreCard as ScoreCard
from ._types import TaskProfile as TaskProfile

__all__ = [
    "CODE_OBJECTIVES", "DEFAULT_EXPECTED_LINES", "RULES", "SCORE_RANGE", "CodeScorer", "CrossCheck", "ExtractedCode",
    "Finding", "cross_check",
    "ObjectiveSet", "ParsedSource", "Rule", "Score", "ScoreCard", "Scorer", "TaskProfile", "code_scorers",
    "extract_code", "get_objective_set", "objective_set_names", "parse_source", "register_objective_set",
    "rule_table_markdown", "score_code", "score_parsed", "score_response",
]
