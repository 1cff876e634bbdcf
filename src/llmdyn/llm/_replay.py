"""Replay a recorded corpus of chat sessions as if it were a live model.

The corpus layout (see the corpus README): ``tasks.tsv`` (task id TAB first
message), ``<task>/iter_00.py`` (answer to the task prompt) and
``<task>/<S>/iter_0k.py`` (the k-th answer under strategy S). The package ships
one as ``llmdyn/data/corpus/corpus.tar.gz``; a folder with the same layout works
too.

The replay backend reads a request like a model would: the task from the first
user message, the strategy from the latest user message, and the turn from the
conversation, then answers with the recorded program in a python fence.
"""

from __future__ import annotations

import hashlib
import re
import tarfile
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import BackendError, DataError
from ._protocol import ChatMessage, ChatRequest, ChatResponse

#: The strategy messages the corpus was recorded with.
CORPUS_STRATEGY_MESSAGES: dict[str, str] = {
    "EF": "Improve the performance and efficiency of this code. Return the complete updated code.",
    "SF": "Review this code for security issues and make it more secure. "
          "Return the complete updated code.",
    "FF": "Add new features and functionality to this code to make it more useful. "
          "Return the complete updated code.",
    "AI": "Improve this code, balancing security, efficiency and functionality. "
          "Return the complete updated code.",
}

_ITER = re.compile(r"^iter_(\d+)\.py$")
_FENCE = re.compile(r"```[ \t]*python[^\n]*\n(.*?)```", re.DOTALL)


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


@dataclass(frozen=True)
class Corpus:
    """Recorded sessions: task prompts and the program answered at each turn.

    ``files[(task, strategy, k)]`` is the k-th answer; the baseline (k = 0) is
    stored under every strategy's key as well as ``(task, None, 0)``.
    """

    tasks: dict[str, str]
    files: dict[tuple[str, str | None, int], str]
    strategies: tuple[str, ...]
    iterations: int
    _by_hash: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)

    @classmethod
    def from_files(cls, tasks_tsv: str, texts: dict[str, str], source: str) -> "Corpus":
        """Build from ``tasks.tsv`` text and ``relative path -> file text``."""
        tasks: dict[str, str] = {}
        for lineno, line in enumerate(tasks_tsv.splitlines(), 1):
            if not line.strip():
                continue
            parts = line.split("\t", 1)
            if len(parts) != 2 or not parts[1].strip():
                raise DataError(f"{source}: tasks.tsv line {lineno}: expected 'task id<TAB>prompt'")
            tasks[parts[0].strip()] = parts[1].strip()
        files: dict[tuple[str, str | None, int], str] = {}
        strategies: set[str] = set()
        iterations = 0
        for rel, text in texts.items():
            parts = Path(rel).parts
            match = _ITER.match(parts[-1])
            if match is None or parts[0] not in tasks:
                continue
            k = int(match.group(1))
            if len(parts) == 2 and k == 0:
                files[(parts[0], None, 0)] = text
            elif len(parts) == 3:
                files[(parts[0], parts[1], k)] = text
                strategies.add(parts[1])
                iterations = max(iterations, k)
        missing = [t for t in tasks if (t, None, 0) not in files]
        if missing:
            raise DataError(f"{source}: no iter_00.py for task(s) {', '.join(missing)}")
        for task in tasks:
            for s in strategies:
                files.setdefault((task, s, 0), files[(task, None, 0)])
        by_hash: dict[tuple[str, str], int] = {}
        for (task, _s, k), text in files.items():
            by_hash.setdefault((task, _digest(text)), k)
        return cls(tasks, files, tuple(sorted(strategies)), iterations, by_hash)

    @classmethod
    def from_dir(cls, folder: str | Path) -> "Corpus":
        """Load a corpus folder (``tasks.tsv`` and the task folders)."""
        root = Path(folder)
        tsv = root / "tasks.tsv"
        if not tsv.is_file():
            raise DataError(f"{root}: not a corpus folder (no tasks.tsv)")
        texts = {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
                 for p in root.rglob("iter_*.py")}
        return cls.from_files(tsv.read_text(encoding="utf-8"), texts, str(root))

    @classmethod
    def from_archive(cls, path: str | Path) -> "Corpus":
        """Load a corpus from a ``.tar.gz`` archive of a corpus folder."""
        texts: dict[str, str] = {}
        tsv = None
        with tarfile.open(path, "r:gz") as tar:
            for member in tar.getmembers():
                if not member.isfile():
                    continue
                name = member.name.removeprefix("./")
                handle = tar.extractfile(member)
                if handle is None:
                    continue
                data = handle.read().decode("utf-8")
                if name == "tasks.tsv":
                    tsv = data
                elif name.endswith(".py"):
                    texts[name] = data
        if tsv is None:
            raise DataError(f"{path}: archive has no tasks.tsv")
        return cls.from_files(tsv, texts, str(path))

    @classmethod
    def bundled(cls) -> "Corpus":
        """The corpus that ships with llmdyn."""
        ref = resources.files("llmdyn") / "data" / "corpus" / "corpus.tar.gz"
        with resources.as_file(ref) as path:
            return cls.from_archive(path)

    def task_of(self, first_user_message: str) -> str | None:
        """The task whose prompt the message is (or starts with)."""
        text = first_user_message.strip()
        for task, prompt in self.tasks.items():
            if text == prompt or text.startswith(prompt):
                return task
        return None

    def turn_of_code(self, task: str, code: str) -> int | None:
        """The turn at which ``code`` was answered in ``task``, if it is recorded."""
        return self._by_hash.get((task, _digest(code)))

    def answer(self, messages: tuple[ChatMessage, ...] | list[ChatMessage],
               strategy_messages: dict[str, str] | None = None) -> str:
        """The recorded answer to a conversation, as an assistant would write it.

        Raises :class:`BackendError` when the conversation is not in the corpus.
        """
        users = [m.content for m in messages if m.role == "user"]
        if not users:
            raise BackendError("replay: the conversation has no user message")
        task = self.task_of(users[0])
        if task is None:
            raise BackendError("replay: the first user message is not a recorded task prompt; "
                               f"recorded tasks: {', '.join(self.tasks)}")
        n_assistant = sum(1 for m in messages if m.role == "assistant")
        last = users[-1]
        if len(users) == 1:
            return _wrap(self.files[(task, None, 0)])
        strategy = _strategy_of(last, strategy_messages or CORPUS_STRATEGY_MESSAGES)
        if strategy is None:
            raise BackendError("replay: the latest user message starts with no known strategy "
                               f"message (known: {', '.join(CORPUS_STRATEGY_MESSAGES)})")
        if n_assistant:
            k = n_assistant
        else:
            fenced = _FENCE.findall(last)
            prev = self.turn_of_code(task, fenced[-1]) if fenced else None
            if prev is None:
                raise BackendError("replay: cannot tell the turn: the previous code in the "
                                   "latest message is not a recorded answer")
            k = prev + 1
        key = (task, strategy, k)
        if key not in self.files:
            raise BackendError(f"replay: no recorded answer for task {task}, strategy "
                               f"{strategy}, turn {k} (the corpus has turns 0..{self.iterations})")
        return _wrap(self.files[key])


def _strategy_of(message: str, strategy_messages: dict[str, str]) -> str | None:
    text = message.strip()
    for sid, msg in strategy_messages.items():
        if text.startswith(msg.strip()):
            return sid
    return None


def _wrap(code: str) -> str:
    return "Here is the complete code:\n\n```python\n" + code.rstrip("\n") + "\n```\n"


class ReplayBackend:
    """A chat backend that answers from a recorded :class:`Corpus`, offline."""

    name = "replay"

    def __init__(self, corpus: Corpus | None = None, model: str = "replay") -> None:
        self.corpus = corpus if corpus is not None else Corpus.bundled()
        self.model = model
        self.base_url = "replay://bundled" if corpus is None else "replay://corpus"

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Answer with the recorded program for this conversation's turn."""
        start = time.perf_counter()
        text = self.corpus.answer(request.messages)
        return ChatResponse(text=text, server_model=self.model, finish_reason="stop",
                            prompt_tokens=sum(len(m.content) // 4 for m in request.messages),
                            completion_tokens=len(text) // 4,
                            latency_s=time.perf_counter() - start)

    async def aclose(self) -> None:
        """Nothing to release."""
