"""The AI answer parser and the prompt (pure units)."""
import json

import pytest
from hypothesis import given, strategies as st

from lottery.ai import wingo_prompt as prompt
from lottery.ai.wingo_parse import Answer, InvalidAnswer, parse_answer
from lottery.games import get_game, wingo

GOOD = '{"number": 7, "size": "Big", "color": "Green", "confidence": 0.12}'


@pytest.mark.parametrize("text", [
    GOOD,
    f"```json\n{GOOD}\n```",
    f"```\n{GOOD}\n```",
    f"Sure! Based on the history, here is my answer:\n{GOOD}\nGood luck.",
    '{"Number": "7", "SIZE": "big", "colour": "green", "Confidence": "0.12"}',
    '{"number": 7.0, "size": "Big", "color": "Green", "confidence": 0.12}',
])
def test_json_answers_in_several_formats(text):
    assert parse_answer(text) == Answer(7, "Big", "Green", 0.12, "Green")


@pytest.mark.parametrize("text,digit", [("7", 7), (" 3.\n", 3), ('"4"', 4), ("Answer: 0", 0),
                                        ("The next number is 9", 9), ("**5**", 5)])
def test_bare_digit_takes_size_and_colour_from_the_rules(text, digit):
    ans = parse_answer(text)
    assert (ans.number, ans.size, ans.color, ans.confidence) == (
        digit, wingo.size(digit), wingo.primary_color(digit), None)


def test_fields_left_out_come_from_the_digit_and_violet_is_scored_on_the_primary_colour():
    assert parse_answer('{"number": 2}') == Answer(2, "Small", "Red", None, None)
    ans = parse_answer('{"number": 5, "size": "Small", "color": "Violet", "confidence": 1}')
    assert (ans.size, ans.color, ans.color_said) == ("Small", "Green", "Violet")
    assert ans.confidence == 1.0


def test_a_json_object_after_a_decoy_brace_is_found():
    assert parse_answer('I considered {maybe} then: {"number": 1}').number == 1


@pytest.mark.parametrize("text,reason", [
    ("", "empty"),
    ("   ", "empty"),
    (None, "empty"),
    ("I cannot predict random draws.", "no JSON object or single digit"),
    ("12", "no JSON object or single digit"),
    ("maybe 3 or 7", "no JSON object or single digit"),
    ('{"number": 12}', "number must be a digit 0-9, got 12"),
    ('{"number": -1}', "number must be a digit 0-9"),
    ('{"number": "seven"}', "number must be a digit 0-9"),
    ('{"number": true}', "number must be a digit 0-9"),
    ('{"number": 7.5}', "number must be a digit 0-9"),
    ('{"size": "Big"}', "no 'number'"),
    ('{"number": 7, "size": "Huge"}', "size must be one of Big, Small"),
    ('{"number": 7, "color": "Blue"}', "color must be one of Red, Green, Violet"),
    ('{"number": 7, "confidence": 1.5}', "confidence must be a number 0-1, got 1.5"),
    ('{"number": 7, "confidence": 75}', "confidence must be a number 0-1"),
    ('{"number": 7, "confidence": -0.1}', "confidence must be a number 0-1"),
    ('{"number": 7, "confidence": "high"}', "confidence must be a number 0-1"),
    ('{"number": 7, "confidence": NaN}', "confidence must be a number 0-1"),
    ('{"number": 7, "confidence": false}', "confidence must be a number 0-1"),
])
def test_invalid_answers_are_rejected_with_the_reason(text, reason):
    with pytest.raises(InvalidAnswer, match=reason.replace("(", r"\(")):
        parse_answer(text)


@given(digit=st.integers(0, 9), size=st.sampled_from(wingo.SIZES),
       color=st.sampled_from(wingo.COLORS), conf=st.floats(0, 1),
       wrap=st.sampled_from(["{}", "```json\n{}\n```", "Here you go: {} -- done", "\n\n{}\n"]))
def test_any_valid_answer_round_trips(digit, size, color, conf, wrap):
    body = json.dumps({"number": digit, "size": size, "color": color, "confidence": conf})
    ans = parse_answer(wrap.replace("{}", body))
    primary = color if color != "Violet" else wingo.primary_color(digit)
    assert ans == Answer(digit, size, primary, conf, color)


@given(st.text(max_size=200))
def test_any_text_gives_a_valid_answer_or_a_reason(text):
    try:
        ans = parse_answer(text)
    except InvalidAnswer as exc:
        assert str(exc)
        return
    assert 0 <= ans.number <= 9 and ans.size in wingo.SIZES
    assert ans.color in (wingo.RED, wingo.GREEN)
    assert ans.confidence is None or 0 <= ans.confidence <= 1


def test_prompt_has_rules_from_the_rules_module_and_recent_digits_only():
    rules = prompt.rules_text()
    assert "0-4 Small, 5-9 Big" in rules
    assert "1,3,7,9 Green" in rules and "2,4,6,8 Red" in rules
    assert "0 Red+Violet" in rules and "5 Green+Violet" in rules
    game = get_game("WinGo_30S")
    digits = [i % 10 for i in range(80)]
    system, user = prompt.build_messages(game, "20260101100050001", digits)
    assert system["role"] == "system" and "JSON" in system["content"]
    assert user["role"] == "user" and "issue 20260101100050001" in user["content"]
    assert "WinGo_30S" in user["content"] and "every 30 seconds" in user["content"]
    shown = ", ".join(str(d) for d in digits[-prompt.HISTORY_DIGITS:])
    assert f"The last {prompt.HISTORY_DIGITS} results, oldest first: {shown}\n" in user["content"]
    assert '"number"' in user["content"] and '"confidence"' in user["content"]
    assert "(none yet)" in prompt.build_messages(game, "20260101100050001", [])[1]["content"]
