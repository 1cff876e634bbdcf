"""Efficiency scorer: penalise what costs time, credit what saves it.

Plain complexity proxies (loop depth, cyclomatic complexity) do not tell a slow
program from a fast one, because fast code is often more elaborate; so the
weight sits on known slow patterns (quadratic string building, list membership
in loops, sorting in loops, unmemoised tree recursion...) and the paper's
complexity features are kept as their own low-weight findings.
``efficiency = 7 + min(credits, 3) - penalties``; code that does not parse gets 2.
"""

from __future__ import annotations

import ast

from ._facts import CallSite, Facts
from ._parse import ParsedSource
from ._rules import rule
from ._tally import Tally
from ._types import Score, TaskProfile

NAME = "efficiency"
BASE = 7.0
CREDIT_CAP = 3.0
UNPARSED = 2.0
MAX_NESTING = 4
MAX_COMPLEXITY = 10

_CACHE_DECORATORS = frozenset({"lru_cache", "cache", "cached", "cached_property", "memoize", "memoized"})
_C_BUILTINS = frozenset({"sum", "min", "max", "any", "all", "map", "filter", "sorted", "enumerate", "zip"})
_FAST_MODULES = ("collections.", "heapq.", "bisect.", "itertools.", "functools.reduce", "array.", "numpy.")
_CONNECT = frozenset({"sqlite3.connect", "psycopg2.connect", "pymysql.connect", "mysql.connector.connect",
                      "requests.Session", "httpx.Client", "socket.create_connection"})
_REQUESTS = frozenset({"requests.get", "requests.post", "requests.put", "requests.delete", "urllib.request.urlopen"})

_ANY_NAMES = _C_BUILTINS | {"len", "range", "deque", "Counter", "defaultdict", "shutil.copyfileobj"}
_ANY_ATTRS = frozenset({"count", "readlines", "join", "lru_cache", "cache", "executemany", "bulk_create",
                        "bulk_insert", "insert_many", "iter_content", "iter_lines", "readline", "read"})
_HEADS = frozenset({"collections", "heapq", "bisect", "itertools", "functools", "array", "numpy"})


def _per_item(c: CallSite) -> bool:
    """The sorted/copied object is the loop's own item (``sorted(row.items())``): not repeated work."""
    node = c.node
    subject = node.args[0] if node.args else (node.func.value if type(node.func) is ast.Attribute else None)
    for _ in range(8):
        if subject is None:
            return False
        t = type(subject)
        if t is ast.Name:
            return subject.id in c.targets
        if t is ast.Attribute:
            subject = subject.value
        elif t is ast.Call:
            f = subject.func
            subject = f.value if type(f) is ast.Attribute else (subject.args[0] if subject.args else None)
        elif t is ast.Subscript:
            subject = subject.value
        else:
            return False
    return False


def _is_read_call(node: ast.AST) -> bool:
    return type(node) is ast.Call and type(node.func) is ast.Attribute and node.func.attr == "read"


def _whole_file_lines(call: ast.Call) -> bool:
    """``len(f.readlines())``, ``len(f.read().splitlines())``, ``f.read().count('\\n')``."""
    if not call.args or type(call.args[0]) is not ast.Call:
        return False
    inner = call.args[0]
    f = inner.func
    if type(f) is not ast.Attribute:
        return False
    return f.attr == "readlines" or (f.attr in ("split", "splitlines") and _is_read_call(f.value))


def score_efficiency(parsed: ParsedSource, facts: Facts | None, task: TaskProfile | None = None) -> Score:
    """Efficiency score of parsed code (``facts`` from the shared walk; ``None`` if it did not parse)."""
    t = Tally(NAME)
    if facts is None:
        return t.score(UNPARSED, 0.0)
    for line in facts.str_concat_in_loop:
        t.hit("EFF001", line)
    for comp, line in facts.loop_membership:
        tc = type(comp)
        if (tc is ast.Name and comp.id in facts.list_names and comp.id not in facts.set_names) or tc is ast.ListComp:
            t.hit("EFF002", line)
        elif tc is ast.Call and type(comp.func) is ast.Attribute and comp.func.attr == "keys" and not comp.args:
            t.hit("EFF016", line)
    for line in facts.slice_copy_in_loop:
        t.hit("EFF004", line, "x[:]")
    for line in facts.while_calls:
        t.hit("EFF005", line)
    for line in facts.same_data_loops:
        t.hit("EFF009", line)
    for line in facts.list_concat_in_loop:
        t.hit("EFF011", line)
    for line in facts.loop_regex:
        t.hit("EFF012", line, "compile")
    containers = facts.list_names | facts.set_names
    for c in facts.calls:
        name, attr = c.name, c.attr
        if not c.loop and name not in _ANY_NAMES and attr not in _ANY_ATTRS and name.partition(".")[0] not in _HEADS:
            continue  # concerns no rule: the common case, kept cheap
        node, line = c.node, c.node.lineno
        if c.loop:
            if name == "sorted" or (attr == "sort" and "." in name):
                if not _per_item(c):
                    t.hit("EFF003", line)
            elif name in ("copy.copy", "copy.deepcopy") or (attr == "copy" and "." in name and not node.args):
                if not _per_item(c):
                    t.hit("EFF004", line, name)
            elif name in ("list", "dict", "set") and len(node.args) == 1 and type(node.args[0]) is ast.Name and node.args[0].id in containers:
                t.hit("EFF004", line, name)
            elif attr == "pop" and node.args and type(node.args[0]) is ast.Constant and node.args[0].value == 0:
                t.hit("EFF010", line, "pop(0)")
            elif attr == "insert" and node.args and type(node.args[0]) is ast.Constant and node.args[0].value == 0:
                t.hit("EFF010", line, "insert(0, ...)")
            elif name in _CONNECT:
                t.hit("EFF012", line, name)
            elif name in ("time.sleep", "asyncio.sleep"):
                t.hit("EFF015", line)
            elif (attr == "execute" and "." in name) or name in _REQUESTS:
                t.hit("EFF017", line, name)
        if name == "len" and _whole_file_lines(node):
            t.hit("EFF008", line)
        elif attr == "count" and _is_read_call(getattr(node.func, "value", None)):
            t.hit("EFF008", line)
        elif attr == "readlines" and "." in name:
            t.hit("EFF013", line)
        elif name == "range" and len(node.args) == 1 and type(node.args[0]) is ast.Call and getattr(node.args[0].func, "id", "") == "len":
            t.hit("EFF014", line)
        # credits
        if name in _C_BUILTINS or (attr == "join" and name.startswith("?")):
            t.hit("EFF105", line)
        if name.startswith(_FAST_MODULES) or name in ("deque", "Counter", "defaultdict"):
            t.hit("EFF106", line)
        if name.endswith(("lru_cache", "functools.cache")):
            t.hit("EFF104", line)
        if attr in ("executemany", "bulk_create", "bulk_insert", "insert_many"):
            t.hit("EFF108", line)
        if attr in ("iter_content", "iter_lines", "readline") or name == "shutil.copyfileobj" or (
            attr == "read" and node.args and "." in name
        ):
            t.hit("EFF110", line)
    for fn in facts.functions:
        cached = any(d.rpartition(".")[2] in _CACHE_DECORATORS for d in fn.decorators) or fn.memo_param
        if cached:
            t.hit("EFF104", fn.line, fn.name)
        elif fn.shrinking_calls >= 2:
            t.hit("EFF006", fn.line, fn.name)
        elif fn.self_calls >= 1:
            t.hit("EFF007", fn.line, fn.name)
        if fn.complexity > MAX_COMPLEXITY:
            t.hit("EFF051", fn.line, f"{fn.name}: {fn.complexity}")
    if facts.max_block > MAX_NESTING:
        t.hit("EFF050", facts.max_block_line, f"depth {facts.max_block}")
    for line in facts.nested_loops:
        t.hit("EFF052", line)
    t.hits("EFF101", facts.comprehensions)
    t.hits("EFF102", facts.generators)
    t.hits("EFF103", facts.set_membership + len(facts.set_names))
    t.hits("EFF107", facts.module_regex)
    t.hits("EFF109", facts.early_exits)
    t.hits("EFF111", facts.slots + facts.records)
    max_cc = max((fn.complexity for fn in facts.functions), default=1)
    t.info(rule("EFF053").finding(None, f"loops={facts.loops} nested_loops={len(facts.nested_loops)} "
                                        f"max_nesting={facts.max_block} max_cyclomatic={max_cc} "
                                        f"functions={len(facts.functions)}"))
    return t.score(BASE, CREDIT_CAP)
