"""Chat backends: the protocol, an OpenAI-compatible client, replay of a
recorded corpus, and an on-disk response cache.
"""

from ._cache import CachedBackend as CachedBackend
from ._cache import ResponseCache as ResponseCache
from ._openai import OpenAIBackend as OpenAIBackend
from ._openai import parse_retry_after as parse_retry_after
from ._protocol import ChatBackend as ChatBackend
from ._protocol import ChatMessage as ChatMessage
from ._protocol import ChatRequest as ChatRequest
from ._protocol import ChatResponse as ChatResponse
from ._protocol import TransientBackendError as TransientBackendError
from ._replay import CORPUS_STRATEGY_MESSAGES as CORPUS_STRATEGY_MESSAGES
from ._replay import Corpus as Corpus
from ._replay import ReplayBackend as ReplayBackend

__all__ = [
    "CORPUS_STRATEGY_MESSAGES", "CachedBackend", "ChatBackend", "ChatMessage", "ChatRequest",
    "ChatResponse", "Corpus", "OpenAIBackend", "ReplayBackend", "ResponseCache",
    "TransientBackendError", "parse_retry_after",
]
