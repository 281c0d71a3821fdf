"""The draw worker with the `http` source against a fake platform on 127.0.0.1."""
from clock import FakeClock
from httpfake import FakeServer, Reply

from lottery import keys
from lottery.games import get_game
from lottery.sources.http_source import HttpSource
from lottery.sources.simulated import SimulatedSource
from lottery.store import draws, predictions
from lottery.worker import Worker

GAME = get_game("WinGo_1M")


class Platform:
    """Serves the upstream history shape: the 10 newest settled issues by its clock."""

    def __init__(self, clock):
        self.clock = clock
        self.sim = SimulatedSource("platform")
        self.skip = set()  # issues the platform never publishes
        self.script = []  # replies to send before the normal ones

    def __call__(self, req):
        if self.script:
            return self.script.pop(0)
        issue = GAME.last_settled_issue(self.clock.now())
        items = []
        for _ in range(10):
            if issue not in self.skip:
                items.append({"issueNumber": issue, "number": str(self.sim.draw(GAME, issue).outcome),
                              "colour": "ignored"})
            issue = GAME.previous_issue(issue)
        return Reply(200, {"code": 0, "data": {"list": items}})


def test_worker_follows_a_platform_records_gaps_and_survives_bad_pages(settings, r):
    clock = FakeClock()
    platform = Platform(clock)
    with FakeServer(platform) as srv:
        s = settings.with_(source="http", source_url=srv.url + "/history?game={game}",
                           source_retries=2, source_timeout=2)
        source = HttpSource(s, sleep=lambda _: None)
        worker = Worker(s, r, source, clock=clock)
        worker.run(max_iterations=3)  # the first page: 10 draws, then one per period
        assert draws.count(r, "WinGo_1M") == 12
        assert srv.requests[0].query["game"] == ["WinGo_1M"]

        # A period the platform never publishes is recorded as missing, not invented.
        gap = GAME.next_issue(GAME.last_settled_issue(clock.now()))
        platform.skip.add(gap)
        # A malformed page, then a burst of 500s past the retry budget: the worker carries on.
        platform.script = [Reply(200, "<html>maintenance</html>"), Reply(500, "down"),
                           Reply(500, "down")]
        worker.run(max_iterations=12)  # bad pages are retried within the period
        assert draws.get_draw(r, "WinGo_1M", gap) is None
        assert draws.missing_issues(r, "WinGo_1M") == [gap]
        stored = sorted(GAME.issue_ordinal(rec["issue"]) for rec in draws.recent_draws(r, "WinGo_1M", 100))
        assert stored == [o for o in range(stored[0], stored[-1] + 1) if o != GAME.issue_ordinal(gap)]
        assert GAME.issue_ordinal(GAME.last_settled_issue(clock.now())) - stored[-1] <= 1
        # Every draw that was stored came from the platform, digit for digit.
        for rec in draws.recent_draws(r, "WinGo_1M", 50):
            assert rec["source"] == "http"
            assert rec["number"] == platform.sim.draw(GAME, rec["issue"]).outcome
        # Predictions kept coming for each open issue and were scored against the platform.
        preds = predictions.recent_predictions(r, "WinGo_1M", 20)
        assert len(preds) >= 5 and any("result" in p for p in preds)
        assert r.hget(keys.commitments("WinGo_1M"), preds[0]["issue"]) is None  # no seeds: not simulated
