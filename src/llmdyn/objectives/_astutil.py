"""Small, bounded helpers over AST nodes shared by the code scorers.

Every helper is iterative and bounded, so no input (long literals, deep chains)
makes them recurse or go quadratic.
"""

from __future__ import annotations

import ast
import re

_MAX_DOTTED = 8


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain; a call result in the chain reads ``?`` (bounded)."""
    parts: list[str] = []
    for _ in range(_MAX_DOTTED):
        t = type(node)
        if t is ast.Attribute:
            parts.append(node.attr)  # type: ignore[attr-defined]
            node = node.value  # type: ignore[attr-defined]
        elif t is ast.Name:
            parts.append(node.id)  # type: ignore[attr-defined]
            return ".".join(reversed(parts))
        elif t is ast.Call:
            parts.append("?")
            return ".".join(reversed(parts))
        else:
            if not parts:
                return None
            parts.append("?")
            return ".".join(reversed(parts))
    return None


def is_str_const(node: ast.AST | None) -> bool:
    """Whether ``node`` is a string literal."""
    return type(node) is ast.Constant and isinstance(node.value, str)  # type: ignore[union-attr]


_PLACEHOLDER_NAME = re.compile(r"(?i)placeholder|qmark|marks\Z")


def trusted_piece(node: ast.AST, trusted: frozenset[str] | set[str] = frozenset()) -> bool:
    """A piece interpolated into a string that cannot carry outside input.

    Literals, UPPER_CASE constants, placeholder lists (``",".join("?" * n)``)
    and names that say they are placeholders.
    """
    t = type(node)
    if t is ast.Constant:
        return True
    if t is ast.FormattedValue:
        spec = node.format_spec  # type: ignore[attr-defined]
        if spec is not None and type(spec) is ast.JoinedStr and any(
            type(v) is ast.Constant and str(v.value)[-1:] in ("d", "f", "x", "e") for v in spec.values
        ):
            return True  # a numeric format spec cannot carry SQL
        return trusted_piece(node.value, trusted)  # type: ignore[attr-defined]
    if t is ast.Name:
        n = node.id  # type: ignore[attr-defined]
        return n.isupper() or n in trusted or bool(_PLACEHOLDER_NAME.search(n))
    if t is ast.Attribute:
        return node.attr.isupper()  # type: ignore[attr-defined]
    if t is ast.Call:
        f = node.func  # type: ignore[attr-defined]
        if type(f) is ast.Attribute and f.attr == "join" and is_str_const(f.value) and node.args:  # type: ignore[attr-defined]
            a = node.args[0]  # type: ignore[attr-defined]
            return any(type(x) is ast.Constant and x.value in ("?", "%s") for x in small_walk(a))
    return False


def small_walk(node: ast.AST, budget: int = 50) -> list[ast.AST]:
    out: list[ast.AST] = []
    stack = [node]
    while stack and len(out) < budget:
        n = stack.pop()
        out.append(n)
        stack.extend(ast.iter_child_nodes(n))
    return out


def flatten_add(node: ast.AST) -> list[ast.AST]:
    """Operands of a chain ``a + b + c`` in source order."""
    out: list[ast.AST] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is ast.BinOp and type(n.op) is ast.Add:  # type: ignore[attr-defined]
            stack.append(n.right)  # type: ignore[attr-defined]
            stack.append(n.left)  # type: ignore[attr-defined]
        else:
            out.append(n)
    return out


def is_dynamic_str(node: ast.AST | None, trusted: frozenset[str] | set[str] = frozenset()) -> bool:
    """A string assembled at run time from untrusted pieces.

    f-strings with fields, ``+``/``%`` with a literal, ``.format()``; pieces that
    are literals, UPPER_CASE constants or placeholder lists do not count.
    """
    t = type(node)
    if t is ast.JoinedStr:
        return any(type(v) is ast.FormattedValue and not trusted_piece(v, trusted) for v in node.values)  # type: ignore[union-attr]
    if t is ast.BinOp and type(node.op) is ast.Mod:  # type: ignore[union-attr]
        left = node.left  # type: ignore[union-attr]
        return (is_str_const(left) or type(left) is ast.JoinedStr) and not trusted_piece(node.right, trusted)  # type: ignore[union-attr]
    if t is ast.BinOp and type(node.op) is ast.Add:  # type: ignore[union-attr]
        parts = flatten_add(node)  # iterative: long chains cost linear time, no recursion
        if not any(is_str_const(p) or type(p) is ast.JoinedStr for p in parts):
            return False
        return any(is_dynamic_str(p, trusted) if type(p) is ast.JoinedStr else not trusted_piece(p, trusted) for p in parts)
    if t is ast.Call:
        f = node.func  # type: ignore[union-attr]
        return (type(f) is ast.Attribute and f.attr == "format" and is_str_const(f.value)
                and not all(trusted_piece(a, trusted) for a in node.args))  # type: ignore[union-attr]
    return False


_NON_DATA = frozenset({"range", "len", "enumerate", "zip", "sorted", "reversed", "list", "tuple", "set", "dict", "self", "cls"})


def iter_names(node: ast.AST) -> frozenset[str]:
    """Data names a loop iterates over (callee names and index helpers excluded)."""
    names: set[str] = set()
    stack = [node]
    budget = 200
    while stack and budget:
        budget -= 1
        n = stack.pop()
        t = type(n)
        if t is ast.Name:
            if n.id not in _NON_DATA:  # type: ignore[attr-defined]
                names.add(n.id)  # type: ignore[attr-defined]
        elif t is ast.Call:
            stack.extend(n.args)  # type: ignore[attr-defined]
            f = n.func  # type: ignore[attr-defined]
            if type(f) is ast.Attribute:
                stack.append(f.value)
        elif t is ast.Attribute:
            d = dotted(n)
            if d and "?" not in d:
                names.add(d)
        elif t is ast.Subscript:
            stack.append(n.value)  # type: ignore[attr-defined]
        elif t in (ast.BinOp, ast.Tuple, ast.List):
            stack.extend(ast.iter_child_nodes(n))
    return frozenset(names)


def constant_source(node: ast.AST) -> bool:
    """An iterable of constants: an UPPER_CASE name (or its .items()), a literal of literals."""
    t = type(node)
    if t is ast.Call and type(node.func) is ast.Attribute and node.func.attr in ("items", "keys", "values"):  # type: ignore[attr-defined]
        node = node.func.value  # type: ignore[attr-defined]
        t = type(node)
    if t is ast.Name:
        return node.id.isupper()  # type: ignore[attr-defined]
    if t is ast.Attribute:
        return node.attr.isupper()  # type: ignore[attr-defined]
    if t in (ast.Tuple, ast.List, ast.Set) and len(node.elts) <= 64:  # type: ignore[attr-defined]
        return all(all(type(x) in (ast.Constant, ast.Tuple) for x in small_walk(e, 16)) for e in node.elts)  # type: ignore[attr-defined]
    return False


def assigned_name(target: ast.AST) -> str | None:
    t = type(target)
    if t is ast.Name:
        return target.id  # type: ignore[attr-defined]
    if t is ast.Attribute:
        return target.attr  # type: ignore[attr-defined]
    return None


def shrinks(arg: ast.AST, params: frozenset[str]) -> bool:
    """``n - 1``, ``n // 2``, ``xs[1:]``: a recursive call on a smaller version of a parameter."""
    t = type(arg)
    if t is ast.BinOp:
        return any(type(x) is ast.Name and x.id in params for x in (arg.left, arg.right))  # type: ignore[attr-defined]
    if t is ast.Subscript:
        v = arg.value  # type: ignore[attr-defined]
        return type(v) is ast.Name and v.id in params and type(arg.slice) is ast.Slice  # type: ignore[attr-defined]
    return False


def target_names(target: ast.AST) -> frozenset[str]:
    """Names a loop target binds (``x``, ``k, v``, ``(a, (b, c))``), bounded."""
    return frozenset(n.id for n in small_walk(target, 32) if type(n) is ast.Name)


def small(node: ast.AST) -> bool:
    return getattr(node, "end_lineno", 0) - getattr(node, "lineno", 0) < 20


def is_main_guard(test: ast.AST) -> bool:
    if type(test) is not ast.Compare or len(test.comparators) != 1:
        return False
    sides = (test.left, test.comparators[0])
    return any(type(s) is ast.Name and s.id == "__name__" for s in sides) and any(
        type(s) is ast.Constant and s.value == "__main__" for s in sides
    )
