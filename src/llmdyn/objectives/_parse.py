"""Decode and parse scored code exactly once, safely.

The scored code is only ever given to :func:`ast.parse`: it is never compiled,
executed or imported.  Anything the parser can throw (syntax errors, NUL bytes,
nesting so deep that the parser runs out of stack or memory) becomes a finding.
"""

from __future__ import annotations

import ast
import codecs
import re
from dataclasses import dataclass

from ._rules import rule
from ._types import Finding

# Python 2 tell-tales, matched per line with anchored, backtracking-free patterns.
_PY2_PRINT = re.compile(r"\s*print\s+[\"'\w]")
_PY2_EXCEPT = re.compile(r"\s*except\s+[\w.]+\s*,\s*\w+\s*:")
MAX_SOURCE_BYTES = 2_500_000
"""Inputs larger than this are not parsed (parsing is linear but costs seconds per MB)."""
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


@dataclass(frozen=True)
class ParsedSource:
    """The decoded text, its tree (``None`` if it does not parse) and input findings."""

    text: str
    tree: ast.Module | None
    findings: tuple[Finding, ...]
    n_lines: int
    code_lines: int

    @property
    def ok(self) -> bool:
        """Whether the code parsed."""
        return self.tree is not None


def _decode(source: bytes) -> tuple[str, list[Finding]]:
    if source.startswith(codecs.BOM_UTF8):
        source = source[len(codecs.BOM_UTF8):]
    try:
        return source.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        bad_line = source.count(b"\n", 0, exc.start) + 1
    # honour a PEP 263 coding cookie in the first two lines
    for head in source.split(b"\n", 2)[:2]:
        m = _COOKIE.match(head)
        if m:
            try:
                return source.decode(m.group(1).decode("ascii")), []
            except (LookupError, UnicodeDecodeError):
                break
    text = source.decode("utf-8", errors="replace")
    return text, [rule("INP003").finding(bad_line)]


def _count_lines(text: str) -> tuple[int, int]:
    """Total lines and code lines (non-blank, not only a comment); linear time."""
    total = 0
    code = 0
    for line in text.splitlines():
        total += 1
        s = line.lstrip()
        if s and not s.startswith("#"):
            code += 1
    return total, code


def _looks_python2(text: str) -> bool:
    for i, line in enumerate(text.splitlines()):
        if i > 5000:
            break
        if _PY2_PRINT.match(line) or _PY2_EXCEPT.match(line):
            return True
    return False


def parse_source(source: str | bytes, *, max_bytes: int = MAX_SOURCE_BYTES) -> ParsedSource:
    """Decode ``source`` and parse it once; never raises for any input.

    Parameters
    ----------
    source
        Python code as text or raw bytes (decoded as UTF-8, honouring a coding
        cookie, replacing undecodable bytes with a finding).
    max_bytes
        Larger inputs are not parsed: they get baseline scores and an ``INP010``
        finding, which bounds the time spent on any one file.
    """
    findings: list[Finding] = []
    size = len(source.encode("utf-8", errors="replace")) if isinstance(source, str) and len(source) * 4 > max_bytes else len(source)
    if size > max_bytes:
        finding = rule("INP010").finding(None, f"{size} bytes > {max_bytes}")
        return ParsedSource("", None, (finding,), 0, 0)
    if isinstance(source, (bytes, bytearray, memoryview)):
        text, decode_findings = _decode(bytes(source))
        findings.extend(decode_findings)
    else:
        text = str(source)
    if "\x00" in text:
        findings.append(rule("INP004").finding(text.count("\n", 0, text.index("\x00")) + 1))
        text = text.replace("\x00", "")
    n_lines, code_lines = _count_lines(text)
    if not text.strip():
        findings.append(rule("INP006").finding(None))
        return ParsedSource(text, None, tuple(findings), n_lines, code_lines)
    tree: ast.Module | None = None
    try:
        tree = ast.parse(text, type_comments=False)
    except SyntaxError as exc:  # includes IndentationError, TabError
        msg = exc.msg or "syntax error"
        if "too many" in msg:
            findings.append(rule("INP005").finding(exc.lineno, msg))
        else:
            findings.append(rule("INP002").finding(exc.lineno, msg[:120]))
            if "Missing parentheses" in msg or _looks_python2(text):
                findings.append(rule("INP007").finding(exc.lineno))
    except (RecursionError, MemoryError) as exc:
        findings.append(rule("INP005").finding(None, type(exc).__name__))
    except (ValueError, TypeError, OverflowError) as exc:
        findings.append(rule("INP002").finding(None, type(exc).__name__))
    return ParsedSource(text, tree, tuple(findings), n_lines, code_lines)
