"""One pass over the tree that collects every fact the three code scorers need.

The walk is iterative (an explicit stack, never Python recursion), so a tree
1,000 levels deep is fine, and it visits each node once: the scorers then work on
the collected facts, not on the tree, which keeps scoring within a small factor
of :func:`ast.parse` itself.  Import aliases are resolved here
(``import subprocess as sp``, ``from os import system as s``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from ._astutil import (
    assigned_name,
    constant_source,
    dotted,
    is_main_guard,
    shrinks,
    small,
    target_names,
    is_dynamic_str,
    is_str_const,
    iter_names,
    small_walk,
    trusted_piece,
)

_SKIP_FIELDS = frozenset({"ctx", "op", "ops", "type_ignores", "type_comment"})
_FIELDS_CACHE: dict[type, tuple[str, ...]] = {}
SECRET_NAME = re.compile(
    r"(?:^|_)(?:pass(?:word|wd|phrase)?|pwd|secret|api_?key|apikey|access_?key|private_?key|"
    r"secret_?key|auth_?token|token|credential|salt|nonce|otp|csrf|session_?id|signature|digest)(?:$|_|s$)",
    re.IGNORECASE,
)

# calls whose value does not change unless the loop changes their input: re-evaluating them in a
# ``while`` condition is waste (``while i < len(xs)``); ``while f.read(n)`` is the loop's work itself
_INVARIANT_CALLS = frozenset({"len", "sum", "max", "min", "sorted", "list", "set", "tuple", "dict", "any", "all",
                              "count", "index", "keys", "values", "items", "copy", "lower", "upper", "strip",
                              "split", "abs", "range"})
_LIMIT_NAME = re.compile(r"(?i)(?:^|_)(?:max|limit|maximum)(?:$|_)")


# Nodes with nothing below them that any scorer reads: never pushed (they are most of a tree).
_LEAVES = frozenset({ast.Name, ast.Constant, ast.Load, ast.Store, ast.Del, ast.Pass, ast.Continue, ast.Global,
                     ast.Nonlocal, ast.alias})


def _fields(cls: type) -> tuple[str, ...]:
    """Child-bearing field names of a node class, reversed (the stack is LIFO)."""
    f = _FIELDS_CACHE.get(cls)
    if f is None:
        f = tuple(reversed([n for n in getattr(cls, "_fields", ()) if n not in _SKIP_FIELDS]))
        _FIELDS_CACHE[cls] = f
    return f


@dataclass(eq=False)
class FuncInfo:
    """A function definition and what happened inside it."""

    name: str
    line: int
    params: frozenset[str]
    decorators: tuple[str, ...]
    has_docstring: bool
    annotated: bool
    self_calls: int = 0
    shrinking_calls: int = 0
    complexity: int = 1
    returns: bool = False
    raises: int = 0
    memo_param: bool = False


class Ctx:
    """Where a node sits: loop depth, control-block depth, enclosing function, enclosing loops' data.

    Treated as immutable; a plain slotted class because one is made per block.
    """

    __slots__ = ("loop", "block", "func", "loop_iters", "targets")

    def __init__(self, loop: int = 0, block: int = 0, func: FuncInfo | None = None,
                 loop_iters: tuple[frozenset[str], ...] = (), targets: frozenset[str] = frozenset()) -> None:
        self.loop = loop
        self.block = block
        self.func = func
        self.loop_iters = loop_iters
        self.targets = targets  # names bound by the enclosing loops: per-item data


class CallSite:
    """A call with its resolved name (aliases expanded), method name and context."""

    __slots__ = ("name", "attr", "node", "loop", "func", "targets")

    def __init__(self, name: str, node: ast.Call, loop: int, func: FuncInfo | None,
                 targets: frozenset[str] = frozenset()) -> None:
        self.name = name
        self.attr = name.rpartition(".")[2]
        self.node = node
        self.loop = loop
        self.func = func
        self.targets = targets

    def __repr__(self) -> str:
        return f"CallSite({self.name!r}, line={self.node.lineno}, loop={self.loop})"

    @property
    def line(self) -> int:
        """Line of the call."""
        return self.node.lineno

    def kw(self, name: str) -> ast.keyword | None:
        """The keyword argument ``name`` or ``None``."""
        for k in self.node.keywords:
            if k.arg == name:
                return k
        return None


@dataclass(eq=False)
class Facts:
    """Everything the scorers read (filled by :func:`collect_facts`)."""

    aliases: dict[str, str] = field(default_factory=dict)
    modules: set[str] = field(default_factory=set)
    calls: list[CallSite] = field(default_factory=list)
    functions: list[FuncInfo] = field(default_factory=list)
    classes: int = 0
    class_docstrings: int = 0
    records: int = 0
    slots: int = 0
    module_docstring: bool = False
    main_guard: bool = False
    loops: int = 0
    nested_loops: list[int] = field(default_factory=list)
    same_data_loops: list[int] = field(default_factory=list)
    max_block: int = 0
    max_block_line: int | None = None
    comprehensions: int = 0
    generators: int = 0
    early_exits: int = 0
    raises: int = 0
    try_blocks: int = 0
    handlers: list[tuple[ast.ExceptHandler, Ctx]] = field(default_factory=list)
    loop_membership: list[tuple[ast.AST, int]] = field(default_factory=list)
    set_membership: int = 0
    secret_compares: list[int] = field(default_factory=list)
    limit_checks: int = 0
    str_concat_in_loop: list[int] = field(default_factory=list)
    list_concat_in_loop: list[int] = field(default_factory=list)
    slice_copy_in_loop: list[int] = field(default_factory=list)
    while_calls: list[int] = field(default_factory=list)
    dyn_strings: dict[tuple[int, str], int] = field(default_factory=dict)
    str_names: set[str] = field(default_factory=set)
    const_names: set[str] = field(default_factory=set)
    list_names: set[str] = field(default_factory=set)
    set_names: set[str] = field(default_factory=set)
    secret_literals: list[tuple[str, str, int]] = field(default_factory=list)
    debug_assign: list[int] = field(default_factory=list)
    hostname_off: list[int] = field(default_factory=list)
    annotated_assigns: int = 0
    module_regex: int = 0
    loop_regex: list[int] = field(default_factory=list)

    def resolve(self, name: str) -> str:
        """Expand an import alias at the head of a dotted name."""
        head, dot, rest = name.partition(".")
        full = self.aliases.get(head)
        if full is None:
            return name
        return f"{full}{dot}{rest}" if dot else full


_SET_FACTORIES = frozenset({"set", "frozenset", "dict", "defaultdict", "Counter", "OrderedDict", "collections.defaultdict", "collections.Counter"})
class _Walker:
    """Fills a :class:`Facts` in one iterative pass."""

    def __init__(self) -> None:
        self.f = Facts()
        self.stack: list[tuple[ast.AST, Ctx]] = []
        self.handlers: dict[type, Any] = {
            ast.Import: self._import, ast.ImportFrom: self._import_from,
            ast.FunctionDef: self._function, ast.AsyncFunctionDef: self._function,
            ast.ClassDef: self._class, ast.For: self._for, ast.AsyncFor: self._for,
            ast.While: self._while, ast.If: self._if, ast.With: self._with, ast.AsyncWith: self._with,
            ast.Try: self._try, ast.ExceptHandler: self._except, ast.Call: self._call,
            ast.Compare: self._compare, ast.AugAssign: self._augassign, ast.Assign: self._assign,
            ast.AnnAssign: self._assign, ast.Return: self._return, ast.Yield: self._yield,
            ast.YieldFrom: self._yield, ast.Break: self._break, ast.ListComp: self._comp,
            ast.SetComp: self._comp, ast.DictComp: self._comp, ast.GeneratorExp: self._comp,
            ast.BoolOp: self._boolop, ast.IfExp: self._branch, ast.Assert: self._branch,
            ast.Raise: self._raise, ast.Subscript: self._subscript,
        }
        if hasattr(ast, "TryStar"):
            self.handlers[ast.TryStar] = self._try
        if hasattr(ast, "Match"):
            self.handlers[ast.Match] = self._match

    # -- traversal ---------------------------------------------------------------------------
    def run(self, tree: ast.Module) -> Facts:
        self.f.module_docstring = ast.get_docstring(tree, clean=False) is not None
        stack = self.stack
        push = stack.append
        pop = stack.pop
        handlers = self.handlers
        leaves = _LEAVES
        node_type = ast.AST
        self._push_all(tree.body, Ctx())
        attribute = ast.Attribute
        while stack:
            node, ctx = pop()
            cls = node.__class__
            if cls is attribute:  # the commonest inner node: only its value can hold more
                v = node.value
                if v.__class__ not in leaves:
                    push((v, ctx))
                continue
            h = handlers.get(cls)
            if h is not None and h(node, ctx):
                continue
            for name in _FIELDS_CACHE.get(cls) or _fields(cls):
                v = getattr(node, name, None)
                if v.__class__ is list:
                    for x in reversed(v):
                        if x.__class__ not in leaves and isinstance(x, node_type):
                            push((x, ctx))
                elif v is not None and v.__class__ not in leaves and isinstance(v, node_type):
                    push((v, ctx))
        return self.f

    def _push_all(self, nodes: list[Any], ctx: Ctx) -> None:
        """Push so that ``nodes`` are visited in source order (the stack is LIFO)."""
        push = self.stack.append
        leaves = _LEAVES
        expr = ast.Expr
        for x in reversed(nodes):
            if x.__class__ is expr:  # expression statement: its value is what matters
                x = x.value
            if x.__class__ not in leaves and isinstance(x, ast.AST):
                push((x, ctx))

    def _block(self, ctx: Ctx, line: int, loop: frozenset[str] | None = None,
               targets: frozenset[str] | None = None) -> Ctx:
        depth = ctx.block + 1
        if depth > self.f.max_block:
            self.f.max_block = depth
            self.f.max_block_line = line
        if loop is None:
            return Ctx(ctx.loop, depth, ctx.func, ctx.loop_iters, ctx.targets)
        return Ctx(ctx.loop + 1, depth, ctx.func, ctx.loop_iters + (loop,), ctx.targets | (targets or frozenset()))

    def _complex(self, ctx: Ctx, n: int = 1) -> None:
        if ctx.func is not None:
            ctx.func.complexity += n

    # -- handlers (return True when children were pushed here) --------------------------------
    def _import(self, node: ast.Import, ctx: Ctx) -> bool:
        for a in node.names:
            self.f.modules.add(a.name)
            if a.asname:
                self.f.aliases[a.asname] = a.name
            else:
                head = a.name.partition(".")[0]
                self.f.aliases.setdefault(head, head)
        return True

    def _import_from(self, node: ast.ImportFrom, ctx: Ctx) -> bool:
        mod = node.module or ""
        if mod:
            self.f.modules.add(mod)
        for a in node.names:
            if a.name == "*":
                continue
            full = f"{mod}.{a.name}" if mod else a.name
            self.f.aliases[a.asname or a.name] = full
        return True

    def _function(self, node: Any, ctx: Ctx) -> bool:
        args = node.args
        all_args = args.posonlyargs + args.args + args.kwonlyargs
        if args.vararg:
            all_args.append(args.vararg)
        if args.kwarg:
            all_args.append(args.kwarg)
        params = frozenset(a.arg for a in all_args)
        annotated = node.returns is not None or any(a.annotation is not None for a in all_args if a.arg not in ("self", "cls"))
        decorators = tuple(d for d in (dotted(x.func if type(x) is ast.Call else x) for x in node.decorator_list) if d)
        memo = any(p in ("memo", "cache", "_cache", "memo_dict", "seen") for p in params)
        info = FuncInfo(node.name, node.lineno, params, decorators, ast.get_docstring(node, clean=False) is not None,
                        annotated, memo_param=memo)
        self.f.functions.append(info)
        self._push_all(node.body, Ctx(0, 0, info, ()))
        self._push_all(node.decorator_list + args.defaults + [d for d in args.kw_defaults if d is not None], ctx)
        return True

    def _class(self, node: ast.ClassDef, ctx: Ctx) -> bool:
        f = self.f
        f.classes += 1
        if ast.get_docstring(node, clean=False) is not None:
            f.class_docstrings += 1
        names = [dotted(x.func if type(x) is ast.Call else x) or "" for x in node.decorator_list + node.bases]
        if any(n.rpartition(".")[2] in ("dataclass", "Enum", "IntEnum", "StrEnum", "NamedTuple", "TypedDict", "attrs", "define", "frozen", "BaseModel") for n in names):
            f.records += 1
        for stmt in node.body:
            if type(stmt) is ast.Assign and any(assigned_name(t) == "__slots__" for t in stmt.targets):
                f.slots += 1
        self._push_all(node.body, ctx)
        self._push_all(node.decorator_list + node.bases + node.keywords, ctx)
        return True

    def _for(self, node: Any, ctx: Ctx) -> bool:
        f = self.f
        f.loops += 1
        self._complex(ctx)
        names = iter_names(node.iter)
        if constant_source(node.iter):
            for n in small_walk(node.target):
                if type(n) is ast.Name:
                    f.const_names.add(n.id)
        if ctx.loop > 0:
            f.nested_loops.append(node.lineno)
            if names and any(names & outer for outer in ctx.loop_iters):
                f.same_data_loops.append(node.lineno)
        self._push_all(node.orelse, self._block(ctx, node.lineno))
        self._push_all(node.body, self._block(ctx, node.lineno, names, target_names(node.target)))
        self._push_all([node.iter, node.target], ctx)
        return True

    def _while(self, node: ast.While, ctx: Ctx) -> bool:
        f = self.f
        f.loops += 1
        self._complex(ctx)
        if ctx.loop > 0:
            f.nested_loops.append(node.lineno)
        for n in ast.walk(node.test) if small(node.test) else ():
            if type(n) is ast.Call and (dotted(n.func) or "").rpartition(".")[2] in _INVARIANT_CALLS:
                f.while_calls.append(node.lineno)
                break
        inner = self._block(ctx, node.lineno, frozenset())
        self._push_all(node.orelse, self._block(ctx, node.lineno))
        self._push_all(node.body, inner)
        self.stack.append((node.test, inner))
        return True

    def _if(self, node: ast.If, ctx: Ctx) -> bool:
        self._complex(ctx)
        if ctx.func is None and ctx.block == 0 and is_main_guard(node.test):
            self.f.main_guard = True
        inner = self._block(ctx, node.lineno)
        if len(node.orelse) == 1 and type(node.orelse[0]) is ast.If:
            self.stack.append((node.orelse[0], ctx))  # elif: same depth
        else:
            self._push_all(node.orelse, inner)
        self._push_all(node.body, inner)
        self.stack.append((node.test, ctx))
        return True

    def _with(self, node: Any, ctx: Ctx) -> bool:
        self._push_all(node.body, self._block(ctx, node.lineno))
        self._push_all(node.items, ctx)
        return True

    def _try(self, node: Any, ctx: Ctx) -> bool:
        self.f.try_blocks += 1
        inner = self._block(ctx, node.lineno)
        self._push_all(node.finalbody, inner)
        self._push_all(node.orelse, inner)
        self._push_all(node.handlers, ctx)
        self._push_all(node.body, inner)
        return True

    def _except(self, node: ast.ExceptHandler, ctx: Ctx) -> bool:
        self._complex(ctx)
        self.f.handlers.append((node, ctx))
        self._push_all(node.body, self._block(ctx, node.lineno))
        if node.type is not None:
            self.stack.append((node.type, ctx))
        return True

    def _call(self, node: ast.Call, ctx: Ctx) -> bool:
        func = node.func
        push = self.stack.append
        leaves = _LEAVES
        # children pushed here, skipping what holds nothing more: a plain callee name
        # (``f``, ``obj.m``) and the keyword wrappers (their values are pushed directly)
        for k in reversed(node.keywords):
            v = k.value
            if v.__class__ not in leaves:
                push((v, ctx))
        for a in reversed(node.args):
            if a.__class__ not in leaves:
                push((a, ctx))
        if func.__class__ is ast.Name:
            raw: str | None = func.id
        elif func.__class__ is ast.Attribute and func.value.__class__ is ast.Name:
            raw = f"{func.value.id}.{func.attr}"
        else:
            raw = dotted(func)
            push((func, ctx))
        if raw is not None:
            self.f.calls.append(CallSite(raw, node, ctx.loop, ctx.func, ctx.targets))
            fn = ctx.func
            if fn is not None and (raw == fn.name or raw == "self." + fn.name or raw == "cls." + fn.name):
                fn.self_calls += 1
                if any(shrinks(a, fn.params) for a in node.args):
                    fn.shrinking_calls += 1
            tail = raw.rpartition(".")[2]
            if tail == "compile" and raw != "compile":
                if ctx.loop > 0:
                    self.f.loop_regex.append(node.lineno)
                elif ctx.func is None:
                    self.f.module_regex += 1
        return True

    def _compare(self, node: ast.Compare, ctx: Ctx) -> bool:
        f = self.f
        if len(node.ops) == 1 and type(node.ops[0]) in (ast.Gt, ast.GtE, ast.Lt, ast.LtE):
            for side in (node.left, node.comparators[0]):
                n = assigned_name(side)
                if n and _LIMIT_NAME.search(n):
                    f.limit_checks += 1
                    break
        for op, comp in zip(node.ops, node.comparators):
            t = type(op)
            if t is ast.In or t is ast.NotIn:
                if type(comp) in (ast.Set, ast.Dict, ast.SetComp, ast.DictComp) or (type(comp) is ast.Name and comp.id in f.set_names):
                    f.set_membership += 1
                if ctx.loop > 0:
                    f.loop_membership.append((comp, node.lineno))
            elif t is ast.Eq or t is ast.NotEq:
                for side in (node.left, comp):
                    n = assigned_name(side)
                    if n and SECRET_NAME.search(n) and not n.isupper():
                        f.secret_compares.append(node.lineno)
                        break
        return False

    def _note_string(self, name: str, value: ast.AST | None, ctx: Ctx, line: int) -> None:
        f = self.f
        t = type(value)
        if t is ast.Constant:
            v = value.value  # type: ignore[union-attr]
            if isinstance(v, str):
                f.str_names.add(name)
                if len(v) >= 4 and SECRET_NAME.search(name) and not v.startswith(("{", "%", "$")):
                    f.secret_literals.append((name, v[:80], line))
            elif v is True and name.upper() == "DEBUG":
                f.debug_assign.append(line)
            elif v is False and name == "check_hostname":
                f.hostname_off.append(line)
        elif t is ast.JoinedStr:
            f.str_names.add(name)
        elif t in (ast.List, ast.ListComp):
            f.list_names.add(name)
        elif t in (ast.Set, ast.SetComp, ast.Dict, ast.DictComp):
            f.set_names.add(name)
        elif t is ast.Call:
            callee = dotted(value.func)  # type: ignore[union-attr]
            if callee == "list":
                f.list_names.add(name)
            elif callee in _SET_FACTORIES or (callee or "").endswith(("defaultdict", "Counter")):
                f.set_names.add(name)
        if is_dynamic_str(value, f.const_names):
            f.dyn_strings[(id(ctx.func), name)] = line

    def _assign(self, node: Any, ctx: Ctx) -> bool:
        targets = node.targets if type(node) is ast.Assign else [node.target]
        if type(node) is ast.AnnAssign:
            self.f.annotated_assigns += 1
        value = node.value
        for target in targets:
            name = assigned_name(target)
            if name is None:
                continue
            self._note_string(name, value, ctx, node.lineno)
            if ctx.loop > 0 and type(value) is ast.BinOp and type(value.op) is ast.Add and assigned_name(value.left) == name:
                if type(value.right) in (ast.List, ast.ListComp) or name in self.f.list_names:
                    self.f.list_concat_in_loop.append(node.lineno)
                elif name in self.f.str_names or is_str_const(value.right) or type(value.right) is ast.JoinedStr:
                    self.f.str_concat_in_loop.append(node.lineno)
        return False

    def _augassign(self, node: ast.AugAssign, ctx: Ctx) -> bool:
        name = assigned_name(node.target)
        if name is None or type(node.op) is not ast.Add:
            return False
        value = node.value
        if ctx.loop > 0:
            if name in self.f.list_names and type(value) in (ast.List, ast.ListComp):
                pass  # lst += [x] extends in place: fine
            elif name in self.f.str_names or is_str_const(value) or type(value) is ast.JoinedStr or is_dynamic_str(value):
                self.f.str_concat_in_loop.append(node.lineno)
        if not is_str_const(value) and is_dynamic_str(value, self.f.const_names) or (
            name in self.f.str_names and type(value) not in (ast.Constant, ast.JoinedStr)
            and not trusted_piece(value, self.f.const_names)
        ):
            key = (id(ctx.func), name)
            if type(value) is not ast.Constant:
                self.f.dyn_strings[key] = node.lineno
        return False

    def _return(self, node: ast.Return, ctx: Ctx) -> bool:
        if node.value is not None and ctx.func is not None:
            ctx.func.returns = True
        if ctx.loop > 0:
            self.f.early_exits += 1
        return False

    def _yield(self, node: Any, ctx: Ctx) -> bool:
        self.f.generators += 1
        if ctx.func is not None:
            ctx.func.returns = True
        return False

    def _break(self, node: ast.Break, ctx: Ctx) -> bool:
        self.f.early_exits += 1
        return True

    def _comp(self, node: Any, ctx: Ctx) -> bool:
        if type(node) is ast.GeneratorExp:
            self.f.generators += 1
        else:
            self.f.comprehensions += 1
        bound = frozenset().union(*(target_names(g.target) for g in node.generators))
        inner = Ctx(ctx.loop + 1, ctx.block, ctx.func, ctx.loop_iters, ctx.targets | bound)
        push = self.stack.append
        if type(node) is ast.DictComp:
            push((node.value, inner))
            push((node.key, inner))
        else:
            push((node.elt, inner))
        for i in range(len(node.generators) - 1, -1, -1):
            gen = node.generators[i]
            self._complex(ctx, 1 + len(gen.ifs))
            self._push_all(gen.ifs, inner)
            push((gen.target, inner))
            push((gen.iter, ctx if i == 0 else inner))
        return True

    def _boolop(self, node: ast.BoolOp, ctx: Ctx) -> bool:
        self._complex(ctx, len(node.values) - 1)
        return False

    def _branch(self, node: ast.AST, ctx: Ctx) -> bool:
        self._complex(ctx)
        return False

    def _match(self, node: Any, ctx: Ctx) -> bool:
        self._complex(ctx, len(node.cases))
        return False

    def _raise(self, node: ast.Raise, ctx: Ctx) -> bool:
        self.f.raises += 1
        if ctx.func is not None:
            ctx.func.raises += 1
        return False

    def _subscript(self, node: ast.Subscript, ctx: Ctx) -> bool:
        s = node.slice
        if ctx.loop > 0 and type(s) is ast.Slice and s.lower is None and s.upper is None and s.step is None and type(node.ctx) is ast.Load:
            self.f.slice_copy_in_loop.append(node.lineno)
        return False


def collect_facts(tree: ast.Module) -> Facts:
    """Walk ``tree`` once and return the :class:`Facts`, with call names alias-resolved."""
    facts = _Walker().run(tree)
    aliases = facts.aliases
    for c in facts.calls:
        head = c.name.partition(".")[0]
        if head in aliases and aliases[head] != head:
            c.name = facts.resolve(c.name)
            c.attr = c.name.rpartition(".")[2]
    return facts
