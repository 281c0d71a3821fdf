"""The bot's background work: live deliveries, schedules, heartbeat.

- Deliveries: on a `prediction` event (Redis pub/sub) the latest report of the
  game goes to every subscribed chat at most once. Per issue, each chat's
  delivery moves through queued -> on the wire (owned by this process) ->
  delivered (Telegram accepted it) or not delivered (logged with the reason),
  see chats._PREPARE. A chat is marked as on the wire only when the rate
  limiter lets its request go, so a restart or another replica sends every
  queued chat a killed process had not sent. A request that was on the wire
  when its process died may have arrived: it is not resent, but logged and
  recorded as `x:unknown`. A newer issue supersedes an unfinished one.
- Pub/sub is only a wake-up: after every (re)subscription, and on every
  housekeeping tick, the latest stored report is checked and delivered.
- Alerts (lottery.alerts): on a `prediction` event of a game with an alert rule
  the rule runs here too (alerts are published once, whoever runs it); every new
  alert on the alerts stream goes to the chats following that game's alerts,
  claimed per alert so replicas never both send it. At most once per chat: an
  alert is news for minutes, and a duplicate is worse than a gap.
- Sessions: when a chat is sent issue N and was sent N-1 in its session, the
  N-1 hit/miss (Big/Small) is counted; the win target ends the session.
- Blocking Redis calls run in worker threads so the event loop stays free.
"""
from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
from datetime import datetime, timezone
from typing import Callable

import redis

from lottery import alerts, keys
from lottery.bot import chats, schedule, sender, texts
from lottery.config import Settings
from lottery.events import Listener
from lottery.games import get_game
from lottery.loop import process_token
from lottery.store import heartbeat, predictions

HEARTBEAT_TTL = 90
SCHEDULE_MARKER_TTL = 2 * 86400


def utc_now() -> datetime:
    """Return the current aware UTC time."""
    return datetime.now(timezone.utc)


class BotService:
    """Deliver predictions, run schedules and keep the heartbeat of one bot process."""

    def __init__(self, settings: Settings, r, bot, *, clock: Callable[[], datetime] = utc_now,
                 chunk: int = 30, tick_seconds: float = 20.0,
                 send_retries: int = 3, send_backoff: float = 0.5, stop_grace: float = 10.0,
                 owner_ttl: float | None = None):
        self.settings = settings
        self.r = r
        self.bot = bot
        self.clock = clock
        self._pubsub_client = None  # the events listener's client, made in start()
        self.chunk = chunk
        self.tick_seconds = tick_seconds
        self.send_retries = send_retries
        self.send_backoff = send_backoff
        self.stop_grace = stop_grace
        self.log = logging.getLogger("lottery.bot")
        self.stopping = False
        self._wanted: dict[str, str] = {}  # game -> newest issue to deliver
        self._delivered: dict[str, str] = {}  # game -> newest issue fully delivered here
        self._locks: dict[str, asyncio.Lock] = {}
        self._loops: list[asyncio.Task] = []
        self._deliveries: set[asyncio.Task] = set()
        self._seen = (0, 0)  # the newest event (stream id) this process has handled
        self._progress = asyncio.Event()  # set whenever an event or a delivery is done
        self._id = process_token()
        # How long this process counts as alive after its last renewal (each tick and chunk).
        self.owner_ttl = owner_ttl if owner_ttl is not None else max(30.0, 3 * tick_seconds)
        self._owner = "w:" + self._id  # the delivery state of a request this process has out
        self._alert_lock = asyncio.Lock()  # one pass over the alerts stream at a time

    # -- helpers -----------------------------------------------------------
    async def call(self, fn, *args, **kwargs):
        """Run a blocking store function with this service's Redis client in a thread."""
        return await asyncio.to_thread(fn, self.r, *args, **kwargs)

    async def keep_alive(self) -> None:
        """Renew this process's liveness key (its on-the-wire deliveries are its own)."""
        await self.call(lambda r: r.set(keys.bot_process(self._id), "1",
                                        px=int(self.owner_ttl * 1000)))

    async def send(self, chat_id: int, text: str, **kwargs) -> sender.SendResult:
        """Send one message and act on a blocked or migrated chat."""
        result = await sender.send_text(self.bot, chat_id, text, retries=self.send_retries,
                                        backoff=self.send_backoff, **kwargs)
        if result.status == sender.GONE:
            await self.call(chats.forget_chat, chat_id)
            self.log.info("chat %s blocked the bot or is gone: unsubscribed", chat_id)
        elif result.status == sender.MIGRATED:
            await self.call(chats.migrate_chat, chat_id, result.new_chat_id)
        return result

    async def latest_report(self, game_code: str) -> dict | None:
        """Return the latest stored report of a game, or None."""
        raw = await self.call(predictions.read_report, game_code)
        return json.loads(raw) if raw else None

    def is_stale(self, game_code: str, issue: str) -> bool:
        """Return True once an issue is drawn: its prediction is no use any more."""
        return get_game(game_code).draw_time(issue) <= self.clock()

    def _sent_ttl(self, game_code: str) -> int:
        # Long enough for the next issue's delivery to see who got this one.
        game = get_game(game_code)
        open_issue = game.issue_at(self.clock())
        interval = game.interval_before(open_issue) if open_issue else None
        return round(3 * (interval or 60)) + 600

    # -- deliveries --------------------------------------------------------
    def request_delivery(self, game_code: str) -> None:
        """Start delivering the game's latest report in the background."""
        if self.stopping:
            return
        task = asyncio.create_task(self.deliver_latest(game_code), name=f"deliver:{game_code}")
        self._deliveries.add(task)
        task.add_done_callback(self._delivery_done)

    def _delivery_done(self, task: asyncio.Task) -> None:
        self._deliveries.discard(task)
        self._progress.set()
        if not task.cancelled() and task.exception() is not None:
            sender.log_failure("*", task.exception(), self.settings.telegram_bot_token, "delivery")

    async def deliver_latest(self, game_code: str) -> int:
        """Deliver the latest report of a game to its subscribers; return messages sent."""
        report = await self.latest_report(game_code)
        if not report or not report.get("next_issue"):
            return 0
        return await self.deliver(report)

    async def deliver(self, report: dict) -> int:
        """Send a report's prediction to every subscribed chat of its game not yet sent it."""
        game = get_game(report["game"])
        issue = report["next_issue"]
        wanted = self._wanted.get(game.code)
        if wanted is None or game.issue_ordinal(issue) > game.issue_ordinal(wanted):
            self._wanted[game.code] = issue
        lock = self._locks.setdefault(game.code, asyncio.Lock())
        async with lock:
            if (self._wanted[game.code] != issue or self._delivered.get(game.code) == issue
                    or self.is_stale(game.code, issue)):
                return 0
            subs = await self.call(chats.subscribed_chats, game.code)
            previous_issue = game.previous_issue(issue)
            previous = await self.call(predictions.get_prediction, game.code, previous_issue)
            sent, elsewhere, failed = 0, 0, []
            for start in range(0, len(subs), self.chunk):
                if (self.stopping or self._wanted[game.code] != issue
                        or self.is_stale(game.code, issue)):
                    self.log.info("%s %s: delivery stopped after %d messages", game.code, issue,
                                  sent)
                    return sent
                await self.keep_alive()
                n, busy, bad = await self._deliver_chunk(report, subs[start:start + self.chunk],
                                                         previous_issue, previous)
                sent, elsewhere, failed = sent + n, elsewhere + busy, failed + bad
            if not elsewhere:  # else a live process still has requests out: look again later
                self._delivered[game.code] = issue
            if sent:
                self.log.info("%s %s: prediction sent to %d chats", game.code, issue, sent)
            if failed:
                self.log.warning("%s %s: could not deliver to %d chats: %s", game.code, issue,
                                 len(failed), ", ".join(str(c) for c in failed))
            return sent

    async def _deliver_chunk(self, report: dict, subs: list[chats.ChatState],
                             previous_issue: str, previous: dict | None
                             ) -> tuple[int, int, list[int]]:
        """Send one chunk; return (messages sent, chats out with a live process, failed)."""
        game = get_game(report["game"])
        issue = report["next_issue"]
        by_id = {s.chat_id: s for s in subs}
        prepared = await self.call(chats.prepare_deliveries, game.code, issue, previous_issue,
                                   list(by_id), self._sent_ttl(game.code))
        elsewhere = await self._settle_abandoned(game.code, issue, prepared)
        queued = [(chat_id, code) for chat_id, code, _ in prepared if code >= 0]
        family = texts.family_texts(game.code)
        done = family.settled(previous)
        now = self.clock()
        outcomes = []
        if done is not None:
            hit = bool(done[1][family.SESSION_MARKET])
            for chat_id, code in queued:
                # 11: queued here and sent the previous issue; count its outcome once.
                if code == 11 and _in_session(game, by_id[chat_id], previous_issue):
                    outcomes.append((chat_id, hit, schedule.local_day(now, by_id[chat_id].tz)))
        counted = await self.call(chats.record_outcomes, outcomes) if outcomes else {}
        messages = []
        for chat_id, _ in queued:
            state = by_id[chat_id]  # read after any earlier process counted its outcome
            wins, losses, ended = counted.get(
                chat_id, (state.session_wins, state.session_losses, False))
            if ended:
                text = family.target_reached_text(game.code, previous, wins, losses)
            else:
                text = family.prediction_text(report, previous, (wins, losses, state.win_limit),
                                              now=now, tz=state.tz)
            # The target message goes to a chat the count has just unsubscribed.
            messages.append(self._send_delivery(game.code, issue, chat_id, text,
                                                subscribed_only=not ended))
        results = await asyncio.gather(*messages)
        failed = [res.chat_id for res in results if res.status == sender.FAILED]
        return (sum(1 for res in results if res.status in (sender.SENT, sender.MIGRATED)),
                elsewhere, failed)

    async def _send_delivery(self, game_code: str, issue: str, chat_id: int, text: str,
                             subscribed_only: bool = True) -> sender.SendResult:
        """Send one queued delivery; mark it on the wire first, and record how it ended."""

        async def before_send() -> None:
            if not await self.call(chats.on_wire, game_code, issue, chat_id, self._owner,
                                   subscribed_only):
                raise sender.NotOurs()

        result = await self.send(chat_id, text, before_send=before_send)
        if result.status != sender.SKIPPED:
            outcome = "d" if result.status in (sender.SENT, sender.MIGRATED) else \
                f"x:{result.status}"
            await self.call(chats.finish_delivery, game_code, issue, chat_id, outcome,
                            self._sent_ttl(game_code))
        return result

    async def _settle_abandoned(self, game_code: str, issue: str, prepared) -> int:
        """Log requests left on the wire by dead processes (not resent); count live ones."""
        out = [(chat_id, value) for chat_id, code, value in prepared
               if code == -2 and value != self._owner]
        alive = await self.call(chats.processes_alive, sorted({v[2:] for _, v in out}))
        unknown = []
        for chat_id, value in out:
            if not alive[value[2:]] and await self.call(
                    chats.set_delivery_if, game_code, issue, chat_id, value, "x:unknown"):
                unknown.append(chat_id)
        if unknown:
            self.log.warning("%s %s: not resent to %d chats whose send was cut off by a stopped "
                             "process (it may or may not have arrived): %s", game_code, issue,
                             len(unknown), ", ".join(str(c) for c in unknown))
        return sum(1 for _, value in out if alive[value[2:]])

    async def deliver_to(self, chat_id: int, game_code: str) -> bool:
        """Send a chat the open issue's prediction now, unless it already has it."""
        report = await self.latest_report(game_code)
        if not report or self.is_stale(game_code, report["next_issue"]):
            return False
        game = get_game(game_code)
        issue = report["next_issue"]
        prepared = await self.call(chats.prepare_deliveries, game_code, issue,
                                   game.previous_issue(issue), [chat_id],
                                   self._sent_ttl(game_code))
        if not prepared or prepared[0][1] < 0:
            return False
        previous = await self.call(predictions.get_prediction, game_code,
                                   game.previous_issue(issue))
        state = await self.call(chats.get_chat, chat_id)
        now = self.clock()
        text = texts.family_texts(game_code).prediction_text(
            report, previous, (state.session_wins, state.session_losses, state.win_limit),
            now=now, tz=state.tz)
        result = await self._send_delivery(game_code, issue, chat_id, text)
        return result.status in (sender.SENT, sender.MIGRATED)

    async def broadcast_text(self, text: str) -> dict[str, int]:
        """Send an announcement to every subscribed chat; return counts by outcome."""
        subs = await self.call(chats.subscribed_chats)
        counts = {sender.SENT: 0, sender.GONE: 0, sender.FAILED: 0}
        for start in range(0, len(subs), self.chunk):
            results = await asyncio.gather(*(self.send(s.chat_id, text)
                                             for s in subs[start:start + self.chunk]))
            for res in results:
                status = sender.SENT if res.status == sender.MIGRATED else res.status
                counts[status] += 1
        return counts

    # -- alerts ------------------------------------------------------------
    @property
    def alert_games(self) -> list[str]:
        """Return the configured games with an alert rule."""
        return alerts.alert_games(self.settings)

    def request_alerts(self, game_code: str | None = None) -> None:
        """In the background: run a game's alert rule (when given), then deliver new alerts."""
        if self.stopping:
            return
        task = asyncio.create_task(self.check_and_deliver_alerts(game_code), name="alerts")
        self._deliveries.add(task)
        task.add_done_callback(self._delivery_done)

    async def check_and_deliver_alerts(self, game_code: str | None = None) -> int:
        """Run the rule of a game (any process may: alerts are published once), then deliver."""
        if game_code is not None:
            await self.call(alerts.check, self.settings, game_code)
        return await self.deliver_alerts()

    async def deliver_alerts(self) -> int:
        """Send every alert not yet handled here to the chats following its game."""
        sent = 0
        async with self._alert_lock:
            batch = await self.call(alerts.pending, "telegram")
            while batch and not self.stopping:
                sent += await self._send_alerts(batch)
                batch = await self.call(alerts.pending, "telegram")
        return sent

    async def _send_alerts(self, batch: list[alerts.Alert]) -> int:
        """Send each alert of a batch this process claims; mark every one handled."""
        sent = 0
        for alert in batch:
            if self.stopping:
                break
            if await self.call(alerts.claim, "telegram", alert.id):
                chat_ids = await self.call(chats.alert_chat_ids, alert.game)
                n = 0
                for start in range(0, len(chat_ids), self.chunk):
                    results = await asyncio.gather(*(
                        self.send(chat_id, alert.text)
                        for chat_id in chat_ids[start:start + self.chunk]))
                    n += sum(1 for res in results if res.status in (sender.SENT, sender.MIGRATED))
                if chat_ids:
                    self.log.info("%s %s alert sent to %d of %d chats", alert.game, alert.kind,
                                  n, len(chat_ids))
                sent += n
            await self.call(alerts.done, "telegram", alert.id)
        return sent

    # -- sessions and schedules --------------------------------------------
    async def start_session(self, chat_id: int, game_code: str) -> None:
        """Subscribe a chat and start a fresh session counted from the open issue."""
        now = self.clock()
        await self.call(chats.subscribe, chat_id, game_code,
                        get_game(game_code).issue_at(now), now.isoformat(timespec="seconds"))

    async def run_schedules(self, now: datetime | None = None) -> int:
        """Fire the reminders and session starts due now; return how many fired here."""
        now = now or self.clock()
        fired = 0
        for state in await self.call(chats.scheduled_chats):
            if not state.schedules:
                await self.call(chats.drop_from_schedule_index, state.chat_id)
                continue
            for item in schedule.due(state.schedules, state.tz, now):
                marker = keys.telegram_schedule_done(state.chat_id, item.local_day, item.hhmm,
                                                     item.kind)
                if not await self.call(chats.once, marker, SCHEDULE_MARKER_TTL):
                    continue
                fired += 1
                await self._fire(state, item, now)
        return fired

    async def _fire(self, state: chats.ChatState, item: schedule.Due, now: datetime) -> None:
        game = state.game if state.game in self.settings.games else self.settings.games[0]
        if item.kind == "remind":
            minutes = max(1, math.ceil((item.starts_at - now).total_seconds() / 60))
            await self.send(state.chat_id, f"Reminder: your daily {game} session starts at "
                            f"{item.hhmm} ({state.tz}), in {minutes} min.")
            return
        if state.subscribed:
            await self.send(state.chat_id, f"Daily start {item.hhmm}: your session is already "
                            "running.")
            return
        if state.target_day == item.local_day:
            # The chat reached its win target today: a schedule must not undo that stop.
            await self.send(state.chat_id, f"Daily start {item.hhmm} skipped: your win target "
                            "was reached today and that session ended. /start begins a new "
                            "one if you want it.")
            return
        await self.start_session(state.chat_id, game)
        await self.send(state.chat_id, f"Daily session started ({item.hhmm} {state.tz}) for "
                        f"{game}. /stop ends it.")
        await self.deliver_to(state.chat_id, game)

    # -- loops -------------------------------------------------------------
    async def start(self) -> None:
        """Start the event listener and the housekeeping loop."""
        from lottery.store.connection import pubsub_client

        self._pubsub_client = pubsub_client(self.settings.redis_url)
        self.stopping = False
        self.first_tick = asyncio.Event()  # set after the first housekeeping pass
        self._loops = [asyncio.create_task(self.listen(), name="bot:listen"),
                       asyncio.create_task(self.housekeeping(), name="bot:housekeeping")]

    def background(self, coro, name: str) -> None:
        """Run a coroutine alongside the loops (cancelled with them on stop)."""
        self._loops.append(asyncio.create_task(coro, name=name))

    async def stop(self) -> None:
        """Finish the current delivery chunk (bounded by stop_grace), then stop everything."""
        self.stopping = True
        for task in self._loops:
            task.cancel()
        pending = list(self._deliveries) + self._loops
        if pending:
            _, still = await asyncio.wait(pending, timeout=self.stop_grace)
            for task in still:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._loops = []
        try:
            await self._clear_heartbeat()
        finally:
            if self._pubsub_client is not None:
                self._pubsub_client.close()
                self._pubsub_client = None

    async def catch_up(self) -> None:
        """Deliver each game's latest report if this process has not delivered it yet."""
        tail = await self._stream_tail()
        for code in self.settings.games:
            report = await self.latest_report(code)
            if report and report.get("next_issue") and \
                    self._delivered.get(code) != report["next_issue"]:
                self.request_delivery(code)
        for code in self.alert_games:
            self.request_alerts(code)
        self._saw(tail)

    async def idle(self, timeout: float = 10.0) -> None:
        """Return once every event published so far is handled and no delivery is under way."""
        target = await self._stream_tail()
        async with asyncio.timeout(timeout):
            while self._seen < target or self._deliveries:
                self._progress.clear()
                await self._progress.wait()

    async def _stream_tail(self) -> tuple[int, int]:
        tail = await self.call(lambda r: r.xrevrange(keys.EVENTS_STREAM, count=1))
        return _event_key(tail[0][0]) if tail else (0, 0)

    def _saw(self, key: tuple[int, int]) -> None:
        self._seen = max(self._seen, key)
        self._progress.set()

    def on_message(self, channel: str, raw) -> None:
        """Route one pub/sub message: an alert wakes the alert delivery, an event its handler."""
        if channel == keys.ALERTS_CHANNEL:
            self.request_alerts()
        else:
            self.on_event(raw)

    def on_event(self, raw) -> None:
        """Handle one pub/sub message: a new prediction wakes a delivery."""
        try:
            event = json.loads(raw)
            key = _event_key(event["id"])
        except (TypeError, ValueError, KeyError, AttributeError):
            self.log.warning("ignoring a malformed event")
            return
        if (event.get("type") == "prediction" and event.get("game") in self.settings.games
                and not (event.get("data") or {}).get("patched")):
            self.request_delivery(event["game"])
            if event["game"] in self.alert_games:
                self.request_alerts(event["game"])
        self._saw(key)

    async def listen(self) -> None:
        """Follow the events channel (the shared listener, in a thread); catch up after each gap."""
        loop = asyncio.get_running_loop()
        halt = threading.Event()

        def connected() -> None:
            # Subscribed first, then caught up: nothing published in between is lost. Not
            # waited for: the loop may be stopping, and deliveries are requested once anyway.
            if not loop.is_closed():
                asyncio.run_coroutine_threadsafe(self.catch_up(), loop).add_done_callback(failed)

        def failed(future) -> None:
            if not future.cancelled() and future.exception() is not None:
                self.log.warning("catch-up after subscribing failed (%s); the next event or "
                                 "housekeeping pass delivers", type(future.exception()).__name__)

        listener = Listener(lambda: self._pubsub_client, (keys.EVENTS_CHANNEL, keys.ALERTS_CHANNEL),
                            lambda channel, data: loop.call_soon_threadsafe(
                                self.on_message, channel, data),
                            stop=halt, on_connected=connected, poll=1.0, backoff=(0.5, 30.0),
                            log=self.log)
        try:
            await asyncio.to_thread(listener.run)
        finally:
            halt.set()  # a cancelled task leaves the thread running until it sees this

    async def housekeeping(self) -> None:
        """Every tick: heartbeat, schedules, and a catch-up in case a wake-up was missed."""
        while not self.stopping:
            try:
                await self.call(_beat, self._id)
                await self.keep_alive()
                await self.run_schedules()
                await self.catch_up()
            except (redis.RedisError, OSError) as exc:
                self.log.warning("housekeeping skipped: Redis unavailable (%s)",
                                 type(exc).__name__)
            except Exception:  # keep the loop alive; the next tick retries
                self.log.exception("housekeeping failed")
            self.first_tick.set()
            await asyncio.sleep(self.tick_seconds)

    async def _clear_heartbeat(self) -> None:
        try:
            await self.call(heartbeat.clear, "bot", self._id)
            await self.call(lambda r: r.delete(keys.bot_process(self._id)))
        except (redis.RedisError, OSError):
            pass


def _in_session(game, state: chats.ChatState, issue: str) -> bool:
    """Return True when `issue` belongs to the chat's current session."""
    try:
        return game.issue_ordinal(issue) >= game.issue_ordinal(state.session_start)
    except ValueError:
        return False


def _beat(r, process_id: str) -> None:
    heartbeat.beat(r, "bot", process_id, HEARTBEAT_TTL)


def _event_key(event_id) -> tuple[int, int]:
    """Return a stream id ("1700000000000-0") as a comparable pair."""
    ms, _, seq = (event_id.decode() if isinstance(event_id, bytes) else event_id).partition("-")
    return int(ms), int(seq or 0)
