"""A scripted OpenAI-compatible chat-completions server for the AI tests (built on httpfake)."""
from __future__ import annotations

import threading
from typing import Callable

from httpfake import FakeServer, Reply, Request


def chat_reply(content, status: int = 200, **reply_options) -> Reply:
    """Return a chat-completions reply whose first choice says `content`."""
    return Reply(status, {"id": "cmpl-test", "object": "chat.completion", "model": "sonar",
                          "choices": [{"index": 0, "finish_reason": "stop",
                                       "message": {"role": "assistant", "content": content}}]},
                 **reply_options)


class Script:
    """A handler answering with its replies in order, then repeating the last one.

    A reply may be a function of the request (e.g. to answer per API key).
    """

    def __init__(self, *replies: Reply | Callable[[Request], Reply]):
        self.replies = list(replies)
        self._lock = threading.Lock()

    def __call__(self, req: Request) -> Reply:
        with self._lock:
            reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        return reply(req) if callable(reply) else reply


def bearer(req: Request) -> str:
    """Return the API key a request was sent with."""
    return req.headers.get("authorization", "").removeprefix("Bearer ")


def fake_provider(*replies) -> FakeServer:
    """Return a fake provider (a context manager) answering with `replies` (see Script)."""
    return FakeServer(Script(*replies))
