"""Turn a model's free-text answer into a validated prediction, or say why it is not one.

Accepted: a JSON object (alone, in a code fence, or inside other text) with
`number` 0-9 and optional `size` (Big/Small), `color` (Red/Green/Violet) and
`confidence` (a probability 0-1); or a bare digit ("7", "7.", "Answer: 7").
Size and colour left out are the digit's own (a rule, not a guess); anything
present but invalid rejects the whole answer.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from lottery.games import wingo


class InvalidAnswer(ValueError):
    """The answer is not a valid prediction; the message says why."""


@dataclass(frozen=True)
class Answer:
    """A validated AI answer for one draw."""

    number: int
    size: str  # Big or Small
    color: str  # Red or Green: the primary colour the colour market is scored on
    confidence: float | None  # the model's stated probability, when it gave one
    color_said: str | None = None  # the colour as the model wrote it (may be Violet)


_FENCE = re.compile(r"```[a-zA-Z]*\s*(.*?)```", re.DOTALL)
_BARE = re.compile(
    r"^(?:(?:the\s+)?(?:next\s+)?(?:number|digit|prediction|answer)\s*(?:is|:|=)?\s*)?"
    r"(\d)\s*[.!]?$", re.IGNORECASE)
_ALIASES = {"colour": "color", "digit": "number", "prediction": "number",
            "big_small": "size"}


def parse_answer(text: str | None) -> Answer:
    """Return the answer in `text`, or raise InvalidAnswer with the reason."""
    if text is None or not str(text).strip():
        raise InvalidAnswer("empty answer")
    text = str(text).strip()
    fenced = _FENCE.search(text)
    body = fenced.group(1).strip() if fenced else text
    obj = _first_json_object(body)
    if obj is None and fenced:
        obj = _first_json_object(text)
    if obj is not None:
        return _from_object(obj)
    bare = _BARE.match(body.strip().strip("\"'`* "))
    if bare:
        digit = int(bare.group(1))
        return _answer(digit, None, None, None)
    raise InvalidAnswer(f"no JSON object or single digit in the answer ({_excerpt(text)})")


def _first_json_object(text: str):
    """Return the first JSON object embedded in `text`, or None."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    return None


def _from_object(obj: dict) -> Answer:
    fields = {}
    for key, value in obj.items():
        name = str(key).strip().lower()
        fields[_ALIASES.get(name, name)] = value
    if "number" not in fields:
        raise InvalidAnswer("the answer has no 'number'")
    return _answer(_digit(fields["number"]), fields.get("size"), fields.get("color"),
                   fields.get("confidence"))


def _answer(digit: int, size_raw, color_raw, confidence_raw) -> Answer:
    size = _choice("size", size_raw, wingo.SIZES) if size_raw is not None else wingo.size(digit)
    color_said = _choice("color", color_raw, wingo.COLORS) if color_raw is not None else None
    # Violet is not a Red/Green call; the colour market is scored on the digit's primary colour.
    color = color_said if color_said in (wingo.RED, wingo.GREEN) else wingo.primary_color(digit)
    return Answer(digit, size, color, _confidence(confidence_raw), color_said)


def _digit(raw) -> int:
    if isinstance(raw, bool):
        raise InvalidAnswer(f"number must be a digit 0-9, got {raw!r}")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, str) and re.fullmatch(r"\s*\d+\s*", raw):
        raw = int(raw)
    if not isinstance(raw, int) or not 0 <= raw <= 9:
        raise InvalidAnswer(f"number must be a digit 0-9, got {_excerpt(raw)}")
    return raw


def _choice(name: str, raw, allowed: tuple[str, ...]) -> str:
    if isinstance(raw, str):
        for option in allowed:
            if raw.strip().lower() == option.lower():
                return option
    raise InvalidAnswer(f"{name} must be one of {', '.join(allowed)}, got {_excerpt(raw)}")


def _confidence(raw) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            raw = float(raw.strip())
        except ValueError:
            raise InvalidAnswer(f"confidence must be a number 0-1, got {_excerpt(raw)}") from None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw) \
            or not 0.0 <= raw <= 1.0:
        raise InvalidAnswer(f"confidence must be a number 0-1, got {_excerpt(raw)}")
    return float(raw)


def _excerpt(value, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = repr(text) if isinstance(value, str) else text
    return text if len(text) <= limit else text[:limit] + "..."
