"""WinGo rules: colour, size, payouts and issue arithmetic."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from lottery.games import GAMES, get_game

WINGO_CODES = sorted(c for c, g in GAMES.items() if g.family == "wingo")  # period-clock games
from lottery.games import wingo


def test_size_and_colour_tables():
    assert [wingo.size(d) for d in range(10)] == ["Small"] * 5 + ["Big"] * 5
    assert wingo.colors(0) == ("Red", "Violet")
    assert wingo.colors(5) == ("Green", "Violet")
    assert [wingo.primary_color(d) for d in (1, 3, 7, 9)] == ["Green"] * 4
    assert [wingo.primary_color(d) for d in (2, 4, 6, 8)] == ["Red"] * 4


@pytest.mark.parametrize("bet,expected", [
    ("Big", 0.98), ("Small", 0.98), ("Green", 0.931), ("Red", 0.931),
    ("Violet", 0.882), ("0", 0.882), ("7", 0.882)])
def test_expected_return_matches_spec(bet, expected):
    assert wingo.expected_return(bet) == pytest.approx(expected, abs=1e-12)


def test_payouts_per_digit():
    assert wingo.settle("Green", 100, 5) == pytest.approx(147.0)
    assert wingo.settle("Green", 100, 3) == pytest.approx(196.0)
    assert wingo.settle("Red", 100, 0) == pytest.approx(147.0)
    assert wingo.settle("Violet", 10, 0) == pytest.approx(44.1)
    assert wingo.settle("7", 10, 7) == pytest.approx(88.2)
    assert wingo.settle("7", 10, 6) == 0
    assert wingo.break_even_rate("Big") == pytest.approx(1 / 1.96)
    with pytest.raises(ValueError):
        wingo.settle("Blue", 1, 1)
    with pytest.raises(ValueError):
        wingo.size(10)


def test_upstream_issue_shape_and_midnight_rollover():
    g = get_game("WinGo_1M")
    assert g.parse_issue("20250828100010296")[1] == 296
    assert g.next_issue("20250828100011440") == "20250829100010001"
    assert g.previous_issue("20250829100010001") == "20250828100011440"
    assert g.issue_at(datetime(2025, 8, 28, 4, 55, 30, tzinfo=timezone.utc)) == "20250828100010296"


@given(code=st.sampled_from(WINGO_CODES),
       when=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1),
                         timezones=st.just(timezone.utc)))
def test_clock_and_successor_agree(code, when):
    g = GAMES[code]
    issue = g.issue_at(when)
    assert g.period_start(issue) <= when < g.draw_time(issue)
    nxt = g.next_issue(issue)
    assert g.issue_at(g.draw_time(issue)) == nxt
    assert g.previous_issue(nxt) == issue
    assert g.issue_ordinal(nxt) == g.issue_ordinal(issue) + 1
    assert g.parse_issue(nxt)[0] >= g.parse_issue(issue)[0]
    later = when + timedelta(seconds=g.period_seconds)
    assert g.issue_at(later) == nxt


@given(st.text(max_size=20))
def test_parse_issue_rejects_or_round_trips(text):
    g = GAMES["WinGo_1M"]
    try:
        day, seq = g.parse_issue(text)
    except ValueError:
        return
    assert g.issue_from_ordinal(g.issue_ordinal(text))[-4:] == f"{seq:04d}"


@given(st.text(alphabet=st.characters(categories=["Nd"]), min_size=10, max_size=20))
def test_a_parsed_issue_is_17_ascii_digits_one_spelling_per_period(text):
    g = GAMES["WinGo_1M"]
    try:
        g.parse_issue(text)
    except ValueError:
        return
    # Accepted: ASCII digits, canonical length, and the canonical string of its own period
    # once the game code is ours (so no second spelling can name the same period).
    assert text.isascii() and len(text) == 17
    canonical = g.issue_from_ordinal(g.issue_ordinal(text))
    assert canonical[:8] + canonical[-4:] == text[:8] + text[-4:]
