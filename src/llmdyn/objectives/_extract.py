"""Taking the code out of a model response.

The largest fenced block tagged python, else the largest fenced block, else the
whole text.  The scan is line by line (no backtracking regular expression), so
it is linear in the response length.
"""

from __future__ import annotations

from ._rules import rule
from ._types import ExtractedCode, Finding

_PY_TAGS = frozenset({"python", "py", "python3", "py3", "pycon", "ipython"})


def _blocks(text: str) -> list[tuple[str, str]]:
    """(language tag, body) of every closed fenced block (``` or ~~~)."""
    blocks: list[tuple[str, str]] = []
    fence: str | None = None
    tag = ""
    body: list[str] = []
    for line in text.splitlines():
        s = line.strip()
        if fence is None:
            if s.startswith(("```", "~~~")):
                marker = s[:3]
                n = len(s) - len(s.lstrip(marker[0]))
                fence = marker[0] * n
                tag = s[n:].strip().split(" ", 1)[0].lower() if s[n:].strip() else ""
                body = []
        elif s.startswith(fence) and not s[len(fence):].strip():
            blocks.append((tag, "\n".join(body) + "\n"))
            fence = None
        else:
            body.append(line)
    if fence is not None and body:  # unclosed final block: a truncated response
        blocks.append((tag, "\n".join(body) + "\n"))
    return blocks


def extract_code(response_text: str) -> ExtractedCode:
    """Code to score from a model response (never raises).

    Returns the largest ```python block, else the largest fenced block, else the
    whole text, with an ``INP001`` finding when no fenced block was found and
    ``INP009`` when several blocks competed.
    """
    text = response_text if isinstance(response_text, str) else str(response_text)
    blocks = _blocks(text)
    findings: list[Finding] = []
    if not blocks:
        if text.strip() and not _looks_like_code(text):
            findings.append(rule("INP001").finding(None))
        return ExtractedCode(text, None, tuple(findings))
    py = [b for b in blocks if b[0] in _PY_TAGS]
    pool = py or blocks
    tag, code = max(pool, key=lambda b: len(b[1]))
    if len(pool) > 1:
        findings.append(rule("INP009").finding(None, f"{len(pool)} blocks"))
    return ExtractedCode(code, tag or None, tuple(findings))


def _looks_like_code(text: str) -> bool:
    """Cheap check: a good share of lines look like Python statements."""
    starts = ("def ", "class ", "import ", "from ", "if ", "for ", "while ", "return", "#", "@", "try:", "with ")
    lines = [ln.strip() for ln in text.splitlines()[:2000] if ln.strip()]
    if not lines:
        return False
    hits = sum(1 for ln in lines if ln.startswith(starts) or " = " in ln or ln.endswith((":", ")")))
    return hits >= 0.5 * len(lines)
