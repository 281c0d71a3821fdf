"""A third game family written only here: a fair coin, one market, one draw a minute.

It runs through the worker, the scoreboard, the backtest command and the API
with nothing changed outside this module: the proof that a new game is a new
module.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import math
from dataclasses import dataclass, field

import pytest

from clock import FakeClock
from lottery import games
from lottery.commands import backtest as backtest_command
from lottery.games.base import Game, Market, brier_micro, log_loss_micro
from lottery.games.schedule import PeriodSchedule
from lottery.predictors.base import PredictorSet
from lottery.worker import Worker, build_source

CODE = "Coin_1M"
SIDES = ("H", "T")


@dataclass
class CoinCall:
    predictor: str
    side: str
    p: float | None = None

    def to_dict(self) -> dict:
        out = {"predictor": self.predictor, "side": self.side}
        if self.p is not None:
            out["p"] = self.p
        return out


class AlwaysHeads:
    name, probabilistic = "heads", False

    def update(self, outcome):
        pass

    def predict(self):
        return CoinCall(self.name, "H")


class Follow:
    """Calls the last side again, with a made-up probability (scored by log loss)."""

    name, probabilistic = "follow", True

    def __init__(self):
        self.last = "H"

    def update(self, outcome):
        self.last = outcome

    def predict(self):
        return CoinCall(self.name, self.last, 0.6)


def build(seed=0, names=None, share_members=False):
    made = {"heads": AlwaysHeads, "follow": Follow}
    return [made[n]() for n in (names or made)]


PREDICTORS = PredictorSet(names=("heads", "follow"), build=build, report_predictor="follow")


class CoinReport:
    window = 10

    def result_of(self, game, outcome):
        return {"side": outcome}

    def on_resolved(self, r, game, prediction, outcome):
        r.hincrby("toy:coin:resolved", "n", 1)

    def build(self, r, game, *, next_issue, now, prediction, outcomes, ai_enabled, commitment):
        return {"game": game.code, "next_issue": next_issue, "call": prediction.side,
                "recent": list(outcomes)[-5:], "fairness": {"commitment": commitment}}


REPORT = CoinReport()


def audit(game, outcomes):
    heads = sum(1 for o in outcomes if o == "H")
    return {"heads": {"n": len(outcomes), "share": heads / len(outcomes) if outcomes else None}}


@dataclass(frozen=True, eq=False)
class Coin(Game):
    code: str = CODE
    schedule: PeriodSchedule = field(default_factory=lambda: PeriodSchedule(60, "90001"))
    family = "coin"
    label = "Coin"
    outcomes = SIDES
    markets = (Market("side", "Side", 0.5, 1 / 1.9, (math.log(2), 0.25)),)
    bets = SIDES
    outcome_fields = ("side",)
    predictors_path = f"{__name__}:PREDICTORS"
    report_path = f"{__name__}:REPORT"
    audit_path = f"{__name__}:audit"

    def parse_outcome(self, raw):
        if isinstance(raw, dict):
            raw = raw.get("side")
        if raw not in SIDES:
            raise ValueError(f"a coin lands H or T, not {raw!r}")
        return raw

    def encode_outcome(self, outcome):
        return {"side": outcome}

    def decode_outcome(self, record):
        return record["side"]

    def describe(self, outcome):
        return {"side": outcome, "name": "heads" if outcome == "H" else "tails"}

    def fair_outcome(self, seed, issue):
        mac = hmac.new(seed, f"{self.code}:{issue}".encode(), hashlib.sha256).digest()
        return SIDES[mac[0] & 1]

    def fair_formula(self):
        return "side = 'HT'[HMAC_SHA256(seed, f'{game}:{issue}')[0] & 1]"

    def normalise_prediction(self, prediction):
        raw = prediction.to_dict() if hasattr(prediction, "to_dict") else dict(prediction)
        if raw.get("side") not in SIDES:
            raise ValueError("a coin call is H or T")
        return {k: raw[k] for k in ("side", "p") if k in raw}

    def markets_of(self, prediction):
        return ("side",)

    def score(self, prediction, outcome):
        hit = prediction["side"] == outcome
        p = prediction.get("p")
        if p is None:
            return {"side": (int(hit), None, None)}
        p_actual = p if hit else 1 - p
        return {"side": (int(hit), log_loss_micro(p_actual), brier_micro((1 - p_actual) ** 2))}

    def settle(self, bet, stake, outcome):
        return 1.9 * stake if bet == outcome else 0.0

    def expected_return(self, bet):
        return 0.95


@pytest.fixture
def coin(settings):
    games.register(Coin())
    yield settings.with_(games=(CODE,))
    games.GAMES.pop(CODE)


def test_the_toy_family_runs_through_worker_scoreboard_and_api(coin, r):
    from lottery.web import close_app, create_app

    worker = Worker(coin, r, build_source(coin, r), clock=FakeClock())
    worker.run(max_iterations=12)
    app = create_app(coin, r)
    try:
        client = app.test_client()
        report = client.get(f"/api/prediction?game={CODE}")
        assert report.status_code == 200 and report.json["call"] in SIDES
        history = client.get(f"/api/history?game={CODE}&per_page=5").json
        assert history["total"] == 50 + 11 and history["items"][0]["name"] in ("heads", "tails")
        board = client.get(f"/api/accuracy?game={CODE}").json
        rows = {row["predictor"]: row for row in board["rows"]}
        assert set(rows) == {"heads", "follow"} and rows["heads"]["n"] == 11
        assert rows["heads"]["chance"] == 0.5 and rows["follow"]["baseline_log_loss"] == math.log(2)
        assert rows["heads"]["verdict"] == "too few draws to judge"
        assert client.get(f"/api/audit?game={CODE}").json["tests"]["heads"]["n"] == 61
        settled = history["items"][0]["issue"]
        proof = client.get(f"/api/fairness/{settled}?game={CODE}").json
        assert proof["verified"] and proof["side"] == proof["recomputed_side"]
        assert client.get("/api/prediction?game=WinGo_1M").status_code == 404  # not followed
    finally:
        assert close_app(app)
    assert int(r.hget("toy:coin:resolved", "n")) == 11


def test_the_toy_family_backtests_from_a_csv(coin, tmp_path, capsys):
    game = games.get_game(CODE)
    issue, lines = "20250101900010001", ["issue,side"]
    for k in range(200):
        lines.append(f"{issue},{'H' if k % 3 else 'T'}")
        issue = game.next_issue(issue)
    path = tmp_path / "coin.csv"
    path.write_text("\n".join(lines) + "\n")
    parser = argparse.ArgumentParser()
    backtest_command.add_arguments(parser)
    args = parser.parse_args(["--game", CODE, "--csv", str(path), "--json", "--jobs", "1"])
    assert backtest_command.run(args, coin) == 0
    board = json.loads(capsys.readouterr().out)
    rows = {row["predictor"]: row for row in board["rows"]}
    assert rows["heads"]["n"] == 200 and rows["heads"]["hits"] == 133
    assert rows["follow"]["prob_n"] == 200
