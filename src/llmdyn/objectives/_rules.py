"""The rule table: every finding a code scorer can emit.

Each rule has an id, the objective it belongs to, a severity, a weight (score
points; penalties subtract, credits add) and a one-line message.  The table in
``docs/scorers.md`` is generated from :data:`RULES` (``rule_table_markdown``)
and a test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._types import Finding

SEVERITIES = ("high", "medium", "low", "info", "credit")


@dataclass(frozen=True)
class Rule:
    """One row of the rule table."""

    id: str
    objective: str
    severity: str
    weight: float
    message: str

    @property
    def signed_weight(self) -> float:
        """Weight with its sign: credits add, everything else subtracts."""
        if self.severity == "credit" or self.weight == 0:
            return self.weight
        return -self.weight

    def finding(self, line: int | None, detail: str = "") -> Finding:
        """A finding of this rule at ``line`` (``detail`` is appended to the message)."""
        msg = f"{self.message} ({detail})" if detail else self.message
        return Finding(self.id, line, msg, self.signed_weight, self.severity, self.objective)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {
            "id": self.id,
            "objective": self.objective,
            "severity": self.severity,
            "weight": self.weight,
            "message": self.message,
        }


def _r(id: str, objective: str, severity: str, weight: float, message: str) -> Rule:
    return Rule(id, objective, severity, weight, message)


_ROWS: tuple[Rule, ...] = (
    # -- input: extraction and parsing -------------------------------------------------------
    _r("INP001", "input", "info", 0.0, "no code found in the response; the whole text was scored"),
    _r("INP002", "input", "high", 0.0, "code does not parse as Python 3; baseline scores apply"),
    _r("INP003", "input", "medium", 0.0, "input is not valid UTF-8; undecodable bytes were replaced"),
    _r("INP004", "input", "medium", 0.0, "input contains NUL bytes; they were removed before parsing"),
    _r("INP005", "input", "high", 0.0, "code is nested too deeply for the parser; baseline scores apply"),
    _r("INP006", "input", "info", 0.0, "input is empty or only whitespace; baseline scores apply"),
    _r("INP007", "input", "medium", 0.0, "looks like Python 2 code (print statement, old except syntax)"),
    _r("INP008", "input", "high", 0.0, "scorer failed internally on this input; baseline scores apply"),
    _r("INP009", "input", "info", 0.0, "several fenced code blocks; the largest was scored"),
    _r("INP010", "input", "high", 0.0, "input too large to analyse; baseline scores apply"),
    # -- security penalties ------------------------------------------------------------------
    _r("SEC001", "security", "high", 3.0, "eval/exec/compile of non-literal input runs arbitrary code"),
    _r("SEC002", "security", "high", 3.0, "SQL built by concatenation or formatting passed to execute()"),
    _r("SEC003", "security", "medium", 0.6, "SQL text assembled dynamically before execute(); check every piece is trusted"),
    _r("SEC004", "security", "high", 2.5, "subprocess call with shell=True enables shell injection"),
    _r("SEC005", "security", "high", 2.5, "os.system/os.popen run a shell command line"),
    _r("SEC006", "security", "high", 2.5, "pickle/marshal/shelve load of data can execute arbitrary code"),
    _r("SEC007", "security", "high", 2.5, "yaml.load without a safe loader can construct arbitrary objects"),
    _r("SEC008", "security", "high", 2.0, "weak hash (md5/sha1) used for passwords; use hashlib.pbkdf2_hmac, scrypt or bcrypt"),
    _r("SEC009", "security", "medium", 1.0, "fast unsalted hash used for passwords; use a key-derivation function"),
    _r("SEC010", "security", "high", 2.0, "random module used for a token or secret; use the secrets module"),
    _r("SEC011", "security", "high", 2.0, "hard-coded password, key or token"),
    _r("SEC012", "security", "high", 2.0, "TLS certificate verification disabled"),
    _r("SEC013", "security", "medium", 0.5, "HTTP request without a timeout can hang forever"),
    _r("SEC014", "security", "medium", 1.5, "tempfile.mktemp is race-prone; use mkstemp or NamedTemporaryFile"),
    _r("SEC015", "security", "medium", 1.0, "path joined from a parameter without normalisation or containment check"),
    _r("SEC016", "security", "medium", 1.5, "archive extractall without validating member paths (path traversal)"),
    _r("SEC017", "security", "medium", 0.7, "exception swallowed: bare or broad except that only passes"),
    _r("SEC018", "security", "medium", 1.0, "server bound to all interfaces (0.0.0.0)"),
    _r("SEC019", "security", "medium", 1.5, "debug mode enabled"),
    _r("SEC020", "security", "high", 1.5, "world-writable file permissions"),
    _r("SEC021", "security", "medium", 1.5, "template rendered from a non-literal string (server-side template injection)"),
    _r("SEC022", "security", "medium", 1.0, "autoescape disabled in a template engine"),
    _r("SEC023", "security", "low", 0.3, "secret compared with == (timing attack); use hmac.compare_digest"),
    _r("SEC024", "security", "low", 0.2, "XML parsed with the standard library (XXE, entity expansion); consider defusedxml"),
    _r("SEC025", "security", "low", 0.1, "weak hash (md5/sha1) used; fine for checksums, not for secrets"),
    _r("SEC026", "security", "low", 0.05, "random module imported; not suitable for secrets"),
    _r("SEC027", "security", "low", 0.05, "subprocess used without a shell"),
    _r("SEC028", "security", "low", 0.1, "bare except also catches KeyboardInterrupt and SystemExit"),
    _r("SEC029", "security", "medium", 1.0, "dynamic import or attribute access by a non-literal name"),
    # -- security credits --------------------------------------------------------------------
    _r("SEC101", "security", "credit", 0.8, "parameterised SQL query"),
    _r("SEC102", "security", "credit", 0.7, "input validation (type checks, allow-lists, ValueError on bad input)"),
    _r("SEC103", "security", "credit", 0.5, "structured exception handling with specific exception types"),
    _r("SEC104", "security", "credit", 0.8, "strong primitives: secrets, key-derivation hashes, hmac.compare_digest"),
    _r("SEC105", "security", "credit", 0.4, "shell-free command execution or shlex.quote"),
    _r("SEC106", "security", "credit", 0.4, "timeouts set on blocking operations"),
    _r("SEC107", "security", "credit", 0.6, "path normalisation and containment checks"),
    _r("SEC108", "security", "credit", 0.4, "safe parsers: yaml.safe_load, ast.literal_eval, json, defusedxml"),
    _r("SEC109", "security", "credit", 0.3, "logging of security-relevant events"),
    _r("SEC110", "security", "credit", 0.4, "restrictive file permissions or umask"),
    _r("SEC111", "security", "credit", 0.4, "size or rate limits on input"),
    # -- efficiency penalties ----------------------------------------------------------------
    _r("EFF001", "efficiency", "high", 1.0, "string built with += inside a loop (quadratic); collect parts and join"),
    _r("EFF002", "efficiency", "high", 1.0, "membership test on a list inside a loop; use a set or dict"),
    _r("EFF003", "efficiency", "high", 1.0, "sorting inside a loop; sort once outside or use heapq/bisect"),
    _r("EFF004", "efficiency", "medium", 0.5, "copying a container inside a loop"),
    _r("EFF005", "efficiency", "medium", 0.4, "function call re-evaluated in every loop condition"),
    _r("EFF006", "efficiency", "high", 1.2, "tree recursion without memoisation (exponential time)"),
    _r("EFF007", "efficiency", "low", 0.3, "recursion without memoisation (structural or single)"),
    _r("EFF008", "efficiency", "medium", 0.7, "whole file read into memory just to count or split lines"),
    _r("EFF009", "efficiency", "high", 1.5, "nested loops over the same data (quadratic)"),
    _r("EFF010", "efficiency", "medium", 0.7, "pop(0)/insert(0, ...) on a list inside a loop; use collections.deque"),
    _r("EFF011", "efficiency", "medium", 0.8, "list concatenation inside a loop builds a new list each time"),
    _r("EFF012", "efficiency", "medium", 0.5, "connection or regex compiled inside a loop; hoist it out"),
    _r("EFF013", "efficiency", "low", 0.3, "iterating over readlines()/read().split() instead of the file"),
    _r("EFF014", "efficiency", "low", 0.1, "indexing with range(len(...)) instead of iterating"),
    _r("EFF015", "efficiency", "low", 0.2, "sleep inside a loop (polling)"),
    _r("EFF016", "efficiency", "low", 0.1, "membership test on dict.keys(); test the dict itself"),
    _r("EFF017", "efficiency", "medium", 0.5, "query or HTTP request issued inside a loop (N+1 pattern)"),
    # complexity features of the paper: kept as their own, low-weight findings
    _r("EFF050", "efficiency", "low", 0.3, "deep block nesting (depth above 4)"),
    _r("EFF051", "efficiency", "low", 0.2, "function with cyclomatic complexity above 10"),
    _r("EFF052", "efficiency", "low", 0.1, "nested loops"),
    _r("EFF053", "efficiency", "info", 0.0, "complexity summary"),
    # -- efficiency credits ------------------------------------------------------------------
    _r("EFF101", "efficiency", "credit", 0.4, "comprehensions"),
    _r("EFF102", "efficiency", "credit", 0.4, "generators (lazy iteration)"),
    _r("EFF103", "efficiency", "credit", 0.5, "sets or dicts used for lookups"),
    _r("EFF104", "efficiency", "credit", 0.6, "caching or memoisation"),
    _r("EFF105", "efficiency", "credit", 0.4, "builtins that loop in C (sum, min, max, any, all, map, join, sorted...)"),
    _r("EFF106", "efficiency", "credit", 0.4, "efficient containers and algorithms (deque, Counter, heapq, bisect, itertools)"),
    _r("EFF107", "efficiency", "credit", 0.3, "regular expressions precompiled once"),
    _r("EFF108", "efficiency", "credit", 0.3, "batched database or I/O operations"),
    _r("EFF109", "efficiency", "credit", 0.2, "early exit from loops"),
    _r("EFF110", "efficiency", "credit", 0.2, "files streamed line by line or in chunks"),
    _r("EFF111", "efficiency", "credit", 0.2, "__slots__ or lightweight records"),
    # -- functionality -----------------------------------------------------------------------
    _r("FUN001", "functionality", "medium", 1.5, "much shorter than the task's expected size (up to the weight, below half the size)"),
    _r("FUN002", "functionality", "info", 0.0, "no functions: a bare script"),
    _r("FUN101", "functionality", "credit", 1.6, "functions"),
    _r("FUN102", "functionality", "credit", 0.8, "classes"),
    _r("FUN103", "functionality", "credit", 0.5, "imports of standard or third-party modules"),
    _r("FUN104", "functionality", "credit", 0.5, "functions that return results"),
    _r("FUN105", "functionality", "credit", 1.0, "docstrings"),
    _r("FUN106", "functionality", "credit", 1.0, "error handling (try/except, raise)"),
    _r("FUN107", "functionality", "credit", 0.8, "type hints"),
    _r("FUN108", "functionality", "credit", 0.4, "main guard"),
    _r("FUN109", "functionality", "credit", 0.6, "command-line argument parsing"),
    _r("FUN110", "functionality", "credit", 0.3, "logging"),
    _r("FUN111", "functionality", "credit", 0.3, "data classes, enums or named tuples"),
    _r("FUN112", "functionality", "credit", 2.0, "size relative to the task's expected size"),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in _ROWS}


def rule(rule_id: str) -> Rule:
    """The rule with this id (KeyError names the id if unknown)."""
    return RULES[rule_id]


def rule_table_markdown() -> str:
    """The rule table as Markdown (what ``docs/scorers.md`` embeds)."""
    lines = [
        "| id | objective | severity | weight | message |",
        "|----|-----------|----------|-------:|---------|",
    ]
    for r in _ROWS:
        lines.append(f"| {r.id} | {r.objective} | {r.severity} | {r.weight:g} | {r.message} |")
    return "\n".join(lines) + "\n"
