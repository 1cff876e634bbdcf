"""The bundled corpus and the replay backend."""

from __future__ import annotations

import asyncio
import tarfile

import pytest

from llmdyn.errors import BackendError
from llmdyn.experiment import BUILTIN_STRATEGIES, build_conversation, bundled_tasks, get_task
from llmdyn.llm import ChatMessage, ChatRequest, Corpus, ReplayBackend


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus.bundled()


def test_bundled_corpus_layout(corpus):
    assert len(corpus.tasks) == 8
    assert corpus.strategies == ("AI", "EF", "FF", "SF")
    assert corpus.iterations == 6
    # 8 baselines + 8 tasks x 4 strategies x 6 turns, plus the baseline under every strategy
    assert sum(1 for k in corpus.files if k[1] is not None and k[2] > 0) == 8 * 4 * 6


def test_bundled_tasks_carry_the_corpus_prompts_verbatim(corpus):
    ours = {t.id: t.prompt for t in bundled_tasks()}
    for task_id, prompt in corpus.tasks.items():
        assert ours[task_id] == prompt


def test_directory_and_archive_load_the_same(corpus, tmp_path):
    from importlib import resources

    ref = resources.files("llmdyn") / "data" / "corpus" / "corpus.tar.gz"
    with resources.as_file(ref) as path, tarfile.open(path) as tar:
        tar.extractall(tmp_path, filter="data")
    other = Corpus.from_dir(tmp_path)
    assert other.tasks == corpus.tasks
    assert other.files == corpus.files


def _conversation(corpus: Corpus, task: str, strategy: str, k: int, history: str):
    strat = BUILTIN_STRATEGIES[strategy]
    responses, codes = [], []
    for j in range(k):
        key = (task, None, 0) if j == 0 else (task, strategy, j)
        codes.append(corpus.files[key])
        responses.append("```python\n" + corpus.files[key] + "\n```")
    return build_conversation(get_task(task).prompt, responses, codes, [strat] * k, history)


@pytest.mark.parametrize("history", ["full", "last"])
def test_answers_each_turn_with_the_recorded_program(corpus, history):
    for k in (0, 1, 4, 6):
        messages = _conversation(corpus, "zip_import", "SF", k, history)
        text = corpus.answer(messages)
        expected = corpus.files[("zip_import", None if k == 0 else "SF", k)]
        assert text.count("```python") == 1
        assert expected.strip() in text


def test_unknown_conversations_are_backend_errors(corpus):
    with pytest.raises(BackendError, match="not a recorded task prompt"):
        corpus.answer([ChatMessage("user", "Write me a poem.")])
    with pytest.raises(BackendError, match="no recorded answer"):
        corpus.answer(_conversation(corpus, "zip_import", "EF", 7, "full"))
    messages = _conversation(corpus, "zip_import", "EF", 1, "full")[:-1] + (
        ChatMessage("user", "Make it faster please.\n\n```python\npass\n```"),)
    with pytest.raises(BackendError, match="strategy"):
        corpus.answer(messages)


def test_replay_backend_reports_usage(corpus):
    backend = ReplayBackend(corpus)
    request = ChatRequest("replay", _conversation(corpus, "user_search", "AI", 2, "full"))
    response = asyncio.run(backend.complete(request))
    assert corpus.files[("user_search", "AI", 2)].strip() in response.text
    assert response.completion_tokens and response.completion_tokens > 0
    assert response.server_model == "replay"
