"""Shared test configuration: seeded randomness, headless plotting."""

from __future__ import annotations

import os

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator, so every test is deterministic."""
    return np.random.default_rng(20261126)


@pytest.fixture
def fake_openai():
    """Start fake OpenAI-compatible servers: ``server = fake_openai(latency=0.01)``.

    Each call returns a started :class:`tests.fake_openai.FakeOpenAIServer` on
    127.0.0.1 (see that module for latency and fault options); all stop at teardown.
    """
    from tests.fake_openai import FakeOpenAIServer

    servers: list[FakeOpenAIServer] = []

    def start(**options):
        server = FakeOpenAIServer(**options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
