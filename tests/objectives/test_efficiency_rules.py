"""Every efficiency rule fires on its slow snippet and not on the fast variant."""

from __future__ import annotations

import pytest

from llmdyn.objectives import RULES

from ._helpers import card, fired

CASES: dict[str, tuple[str, str]] = {
    "EFF001": ("def f(xs):\n    s = ''\n    for x in xs:\n        s += str(x)\n    return s\n",
               "def f(xs):\n    return ''.join(str(x) for x in xs)\n"),
    "EFF002": ("def f(xs, ys):\n    seen = []\n    out = []\n    for x in xs:\n        if x in seen:\n            out.append(x)\n"
               "        seen.append(x)\n    return out\n",
               "def f(xs, ys):\n    seen = set()\n    out = []\n    for x in xs:\n        if x in seen:\n            out.append(x)\n"
               "        seen.add(x)\n    return out\n"),
    "EFF003": ("def f(xs):\n    top = []\n    for x in xs:\n        top.append(x)\n        top.sort()\n    return top\n",
               "def f(xs):\n    top = []\n    for x in xs:\n        top.append(x)\n    top.sort()\n    return top\n"),
    "EFF004": ("import copy\ndef f(xs, state):\n    for x in xs:\n        snap = copy.deepcopy(state)\n    return snap\n",
               "import copy\ndef f(xs, state):\n    snap = copy.deepcopy(state)\n    for x in xs:\n        pass\n    return snap\n"),
    "EFF005": ("def f(q):\n    while len(q) > 0:\n        q.pop()\n",
               "def f(q):\n    while q:\n        q.pop()\n"),
    "EFF006": ("def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
               "from functools import lru_cache\n@lru_cache(maxsize=None)\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"),
    "EFF007": ("def fact(n):\n    return 1 if n < 2 else n * fact(n - 1)\n",
               "import math\ndef fact(n):\n    return math.factorial(n)\n"),
    "EFF008": ("def count(path):\n    with open(path) as f:\n        return len(f.readlines())\n",
               "def count(path):\n    with open(path) as f:\n        return sum(1 for _ in f)\n"),
    "EFF009": ("def dups(items):\n    out = []\n    for a in items:\n        for b in items:\n            if a == b:\n                out.append(a)\n"
               "    return out\n",
               "def pairs(items, other):\n    out = []\n    for a in items:\n        for b in other:\n            out.append((a, b))\n"
               "    return out\n"),
    "EFF010": ("def drain(q):\n    out = []\n    while q:\n        out.append(q.pop(0))\n    return out\n",
               "from collections import deque\ndef drain(q):\n    d = deque(q)\n    out = []\n    while d:\n        out.append(d.popleft())\n"
               "    return out\n"),
    "EFF011": ("def f(xs):\n    acc = []\n    for x in xs:\n        acc = acc + [x]\n    return acc\n",
               "def f(xs):\n    acc = []\n    for x in xs:\n        acc.append(x)\n    return acc\n"),
    "EFF012": ("import re\ndef f(lines):\n    for line in lines:\n        if re.compile(r'\\d+').match(line):\n            yield line\n",
               "import re\nNUM = re.compile(r'\\d+')\ndef f(lines):\n    for line in lines:\n        if NUM.match(line):\n            yield line\n"),
    "EFF013": ("def f(fh):\n    for line in fh.readlines():\n        print(line)\n",
               "def f(fh):\n    for line in fh:\n        print(line)\n"),
    "EFF014": ("def f(xs):\n    for i in range(len(xs)):\n        print(xs[i])\n",
               "def f(xs):\n    for x in xs:\n        print(x)\n"),
    "EFF015": ("import time\ndef wait(done):\n    while not done():\n        time.sleep(0.1)\n",
               "import threading\ndef wait(event):\n    event.wait()\n"),
    "EFF016": ("def f(xs, d):\n    return [x for x in xs if x in d.keys()]\n",
               "def f(xs, d):\n    return [x for x in xs if x in d]\n"),
    "EFF017": ("def save(conn, rows):\n    for r in rows:\n        conn.execute('INSERT INTO t VALUES (?)', (r,))\n",
               "def save(conn, rows):\n    conn.executemany('INSERT INTO t VALUES (?)', [(r,) for r in rows])\n"),
    "EFF050": ("def f(a):\n    if a:\n        for x in a:\n            while x:\n                with open(x) as fh:\n                    if fh:\n"
               "                        x = 0\n",
               "def f(a):\n    if a:\n        for x in a:\n            print(x)\n"),
    "EFF051": ("def f(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(12)) + "    return -1\n",
               "TABLE = {i: i for i in range(12)}\ndef f(x):\n    return TABLE.get(x, -1)\n"),
    "EFF052": ("def f(a, b):\n    for x in a:\n        for y in b:\n            print(x, y)\n",
               "import itertools\ndef f(a, b):\n    for x, y in itertools.product(a, b):\n        print(x, y)\n"),
}

CREDITS: dict[str, str] = {
    "EFF101": "def f(xs):\n    return [x * 2 for x in xs]\n",
    "EFF102": "def f(xs):\n    for x in xs:\n        yield x\n",
    "EFF103": "def f(xs):\n    allowed = {1, 2}\n    return [x for x in xs if x in allowed]\n",
    "EFF104": "import functools\n@functools.lru_cache(maxsize=128)\ndef f(x):\n    return x\n",
    "EFF105": "def f(xs):\n    return sum(xs)\n",
    "EFF106": "from collections import Counter\ndef f(xs):\n    return Counter(xs)\n",
    "EFF107": "import re\nWORD = re.compile(r'\\w+')\n",
    "EFF108": "def f(conn, rows):\n    conn.executemany('INSERT INTO t VALUES (?)', rows)\n",
    "EFF109": "def f(xs):\n    for x in xs:\n        if x:\n            return x\n",
    "EFF110": "import shutil\ndef f(a, b):\n    shutil.copyfileobj(a, b)\n",
    "EFF111": "class P:\n    __slots__ = ('x', 'y')\n",
}


def test_every_efficiency_rule_has_a_case() -> None:
    ids = {r for r in RULES if r.startswith("EFF")} - {"EFF053"}
    assert ids == set(CASES) | set(CREDITS)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires_on_slow_and_not_on_fast(rule_id: str) -> None:
    slow, fast = CASES[rule_id]
    assert rule_id in fired(slow)
    assert rule_id not in fired(fast)
    assert card(fast).values["efficiency"] > card(slow).values["efficiency"]


@pytest.mark.parametrize("rule_id", sorted(CREDITS))
def test_credit_rules_fire(rule_id: str) -> None:
    hit = [f for f in card(CREDITS[rule_id]).findings if f.rule == rule_id]
    assert hit and all(f.weight > 0 for f in hit)


def test_complexity_summary_is_always_reported() -> None:
    (f,) = [f for f in card("def f(a):\n    for x in a:\n        for y in a:\n            pass\n").findings
            if f.rule == "EFF053"]
    assert "loops=2" in f.message and "nested_loops=1" in f.message and f.weight == 0


def test_sort_of_loop_iterable_is_not_in_the_loop() -> None:
    assert "EFF003" not in fired("def f(xs):\n    for x in sorted(xs):\n        print(x)\n")


def test_unparseable_code_gets_low_baseline() -> None:
    c = card("def f(:\n    pass\n")
    assert c.values["efficiency"] <= 2.0
    assert any(f.rule == "INP002" for f in c.findings)


def test_sorting_each_item_is_not_repeated_work() -> None:
    src = "def f(groups):\n    for name, g in groups.items():\n        print(name, sorted(g.items()))\n"
    assert "EFF003" not in fired(src)


def test_reading_in_a_while_condition_is_the_loop_itself() -> None:
    assert "EFF005" not in fired("def f(fh, out):\n    while chunk := fh.read(65536):\n        out.write(chunk)\n")


def test_structural_recursion_is_not_exponential() -> None:
    src = ("def walk(node):\n    total = node.value\n    for child in node.children:\n        total += walk(child)\n"
           "    return total + walk(node.left) + walk(node.right)\n")
    rules = fired(src)
    assert "EFF006" not in rules and "EFF007" in rules
