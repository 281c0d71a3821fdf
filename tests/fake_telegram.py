"""A fake Telegram Bot API on 127.0.0.1 for tests (built on httpfake.FakeServer).

The real python-telegram-bot Application is pointed at it with
TELEGRAM_API_BASE_URL = fake.base_url. It answers getMe, getUpdates (queued
updates, or [] after a short event-driven wait), sendMessage, getChatMember,
answerCallbackQuery, editMessageReplyMarkup and anything else with `true`.
Scripted replies per chat (403, 429 with retry_after, 5xx, timeouts) are
consumed in order by that chat's next sendMessage calls.
"""
from __future__ import annotations

import asyncio
import itertools
import threading
import time
from dataclasses import dataclass

from httpfake import FakeServer, Reply, Request

BOT_USER = {"id": 999000, "is_bot": True, "first_name": "Lottery", "username": "lottery_test_bot"}
TOKEN = "123456:TEST-secret-token"


@dataclass
class Sent:
    chat_id: int
    text: str
    params: dict
    at: float  # time.monotonic() when the request arrived


def error(status: int, description: str, **parameters) -> Reply:
    """Return a Bot API error reply."""
    body = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Reply(status, body)


FORBIDDEN = error(403, "Forbidden: bot was blocked by the user")


def too_many(retry_after: int) -> Reply:
    """Return a 429 reply asking to retry after some seconds."""
    return error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


class FakeTelegram:
    """The fake Bot API server and what it saw."""

    def __init__(self, token: str = TOKEN, poll_wait: float = 0.2):
        self.token = token
        self.poll_wait = poll_wait
        self.sent: list[Sent] = []
        self.calls: list[tuple[str, dict]] = []
        self.scripted: dict[int, list[Reply]] = {}
        self.admins: set[tuple[int, int]] = set()  # (chat_id, user_id) group administrators
        self.hold_after: int | None = None  # sendMessage beyond this many waits for release
        self.release = threading.Event()
        self._updates: list[dict] = []
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._cond = threading.Condition()
        self.server = FakeServer(self._handle)

    # -- lifecycle ------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.server.url + "/bot"

    def __enter__(self) -> "FakeTelegram":
        self.server.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.stop()

    # -- scripting --------------------------------------------------------------
    def command(self, chat_id: int, text: str, user_id: int | None = None,
                chat_type: str | None = None) -> None:
        """Queue a message update carrying a command (e.g. "/game WinGo_30S")."""
        chat_type = chat_type or ("private" if chat_id > 0 else "group")
        user_id = user_id if user_id is not None else abs(chat_id)
        chat = ({"id": chat_id, "type": "private", "first_name": "U"} if chat_type == "private"
                else {"id": chat_id, "type": chat_type, "title": "g"})
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                   "from": {"id": user_id, "is_bot": False, "first_name": "U"}, "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
        self._push({"message": message})

    def button(self, chat_id: int, data: str, user_id: int | None = None) -> None:
        """Queue a callback query from an inline keyboard button."""
        user = {"id": user_id if user_id is not None else abs(chat_id), "is_bot": False,
                "first_name": "U"}
        self._push({"callback_query": {
            "id": str(next(self._ids)), "from": user, "chat_instance": "ci", "data": data,
            "message": {"message_id": 1, "date": int(time.time()), "from": BOT_USER,
                        "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                        "text": "schedule"}}})

    def _push(self, update: dict) -> None:
        with self._cond:
            self._updates.append({"update_id": next(self._ids), **update})
            self._cond.notify_all()

    # -- observations -------------------------------------------------------------
    def texts(self, chat_id: int) -> list[str]:
        """Return the texts sent to a chat, in order."""
        with self._cond:
            return [s.text for s in self.sent if s.chat_id == chat_id]

    def sends_per_chat(self) -> dict[int, int]:
        """Return how many sendMessage requests each chat got."""
        out: dict[int, int] = {}
        with self._cond:
            for s in self.sent:
                out[s.chat_id] = out.get(s.chat_id, 0) + 1
        return out

    def wait_for(self, predicate, timeout: float = 10.0) -> None:
        """Block until predicate(self) holds (re-checked on every request)."""
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self), timeout):
                raise TimeoutError(f"fake Telegram: condition not met in {timeout}s; "
                                   f"sent={[(s.chat_id, s.text[:40]) for s in self.sent]}")

    async def until(self, predicate, timeout: float = 10.0) -> None:
        """Await predicate(self) without blocking the event loop."""
        await asyncio.to_thread(self.wait_for, predicate, timeout)

    async def reply_to(self, chat_id: int, count: int = 1, timeout: float = 10.0) -> list[str]:
        """Await until a chat has at least `count` messages; return its texts."""
        await self.until(lambda f: len(f.texts(chat_id)) >= count, timeout)
        return self.texts(chat_id)

    # -- the API ---------------------------------------------------------------------
    def _handle(self, req: Request) -> Reply:
        _, prefix, method = (req.path.split("/") + ["", ""])[:3]
        if prefix != "bot" + self.token:
            return error(401, "Unauthorized")
        params = req.form()
        with self._cond:
            self.calls.append((method, params))
            self._cond.notify_all()
        handler = getattr(self, "_" + method, None)
        return handler(params) if handler else Reply(200, {"ok": True, "result": True})

    def _getMe(self, params) -> Reply:  # noqa: N802 (Bot API method names)
        return Reply(200, {"ok": True, "result": {**BOT_USER, "can_join_groups": True,
                                                  "can_read_all_group_messages": False,
                                                  "supports_inline_queries": False}})

    def _getUpdates(self, params) -> Reply:  # noqa: N802
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), self.poll_wait)
        with self._cond:
            self._cond.wait_for(lambda: any(u["update_id"] >= offset for u in self._updates),
                                wait)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            return Reply(200, {"ok": True, "result": list(self._updates)})

    def _sendMessage(self, params) -> Reply:  # noqa: N802
        chat_id = int(params["chat_id"])
        with self._cond:
            self.sent.append(Sent(chat_id, params.get("text", ""), params, time.monotonic()))
            count = len(self.sent)
            self._cond.notify_all()
            scripted = self.scripted.get(chat_id)
            reply = scripted.pop(0) if scripted else None
        if self.hold_after is not None and count > self.hold_after:
            self.release.wait(10)
        if reply is not None:
            return reply
        return Reply(200, {"ok": True, "result": {
            "message_id": next(self._message_ids), "date": int(time.time()), "from": BOT_USER,
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "text": params.get("text", "")}})

    def _getChatMember(self, params) -> Reply:  # noqa: N802
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        user = {"id": user_id, "is_bot": False, "first_name": "U"}
        if (chat_id, user_id) in self.admins:
            return Reply(200, {"ok": True, "result": {"status": "creator", "user": user,
                                                      "is_anonymous": False}})
        return Reply(200, {"ok": True, "result": {"status": "member", "user": user}})

    def _editMessageReplyMarkup(self, params) -> Reply:  # noqa: N802
        return Reply(200, {"ok": True, "result": {
            "message_id": 1, "date": int(time.time()), "from": BOT_USER,
            "chat": {"id": int(params["chat_id"]), "type": "private"}, "text": "schedule"}})
