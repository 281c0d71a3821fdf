"""Colour and size rule learners: which outcome followed each recent pattern.

For every pattern of the last k outcomes (k = 2..6, e.g. Red/Green `GRRG`)
the learner counts what came next, over a sliding window of recent draws. It
predicts with the longest pattern matching the latest outcomes that was seen
at least `min_support` times and has a majority; otherwise with the window's
majority. The rule name (the pattern, or `majority`/`default`) and a
Laplace-smoothed confidence (the share of the predicted outcome after that
pattern) go with the prediction. A rule learner takes part in one market only.
"""
from __future__ import annotations

from collections import deque

from lottery.games.wingo import BIG, DIGITS, GREEN, RED, SMALL, primary_color, size
from lottery.predictors.wingo.base import Prediction

OBSERVED_LEN = 15  # how many recent outcomes the insight shows


class PatternRuleLearner:
    """Learn binary-outcome rules from patterns of length min_len..max_len."""

    probabilistic = False

    def __init__(self, name: str, market: str, outcomes: tuple[str, str],
                 letters: tuple[str, str], symbol_of, window: int = 1000,
                 min_support: int = 10, min_len: int = 2, max_len: int = 6):
        if not 1 <= min_len <= max_len <= 16:
            raise ValueError("pattern lengths must satisfy 1 <= min_len <= max_len <= 16")
        self.name = name
        self.market = market  # "color" or "big_small"
        self.outcomes = outcomes  # outcome of symbol 0 and of symbol 1
        self.letters = letters  # one letter per symbol, for rule names
        self.symbol_of = symbol_of  # digit -> 0 or 1
        self.window = window
        self.min_support = min_support
        self.lengths = tuple(range(max_len, min_len - 1, -1))  # longest first
        # One flat list of follower counts: patterns of length k start at offset[k],
        # and pattern p's count of next symbol s is at offset[k] + 2 p + s.
        self.spec = []  # (k, offset, mask), longest first
        offset = 0
        for k in self.lengths:
            self.spec.append((k, offset, (1 << k) - 1))
            offset += 2 ** k * 2
        self.counts = [0] * offset
        self.symbol_counts = [0, 0]  # in the window, for the majority fallback
        self.events: deque = deque()  # (count indices it added, symbol), oldest first
        self.code = 0  # the last max_len symbols as bits, newest in bit 0
        self.seen = 0
        self.observed = ""  # the last OBSERVED_LEN letters, oldest first
        # Looked up, not rebuilt per draw: each digit's symbol (a dict, so a
        # non-digit still goes to symbol_of and fails there); memos filled on
        # first use (at most 2 ** (max_len + 1) entries) of the count indices an
        # outcome adds once every length has a full pattern (by 2 * code +
        # symbol) and of the pattern names (per spec entry, by pattern id).
        self._symbol = {d: symbol_of(d) for d in DIGITS}
        self._full_slots: dict[int, tuple[int, ...]] = {}
        self._names: list[dict[int, str]] = [{} for _ in self.spec]

    def _slots(self, code: int, s: int, seen: int) -> tuple[int, ...]:
        """Return the count indices of outcome s after `code`, for the lengths seen."""
        return tuple([off + 2 * (code & mask) + s for k, off, mask in self.spec if seen >= k])

    def update(self, digit: int) -> None:
        """Count this outcome as the follower of every pattern before it."""
        s = self._symbol.get(digit)
        if s is None:
            s = self.symbol_of(digit)
        code, seen, counts = self.code, self.seen, self.counts
        if seen >= self.lengths[0]:
            slots = self._full_slots.get(2 * code + s)
            if slots is None:
                slots = self._full_slots[2 * code + s] = self._slots(code, s, seen)
        else:
            slots = self._slots(code, s, seen)
        for i in slots:
            counts[i] += 1
        self.symbol_counts[s] += 1
        events = self.events
        events.append((slots, s))
        if len(events) > self.window:
            old_slots, old_s = events.popleft()
            for i in old_slots:
                counts[i] -= 1
            self.symbol_counts[old_s] -= 1
        self.code = ((code << 1) | s) & ((1 << self.lengths[0]) - 1)
        self.seen = seen + 1
        self.observed = (self.observed + self.letters[s])[-OBSERVED_LEN:]

    def pattern_name(self, k: int, pid: int) -> str:
        """Return a pattern's letters, oldest first."""
        return "".join(self.letters[(pid >> i) & 1] for i in range(k - 1, -1, -1))

    def rule(self) -> tuple[int, str, float, int]:
        """Return (symbol, rule name, confidence, support) for the next outcome."""
        counts, code, seen = self.counts, self.code, self.seen
        for (k, off, mask), names in zip(self.spec, self._names):
            if seen < k:
                continue
            pid = code & mask
            i = off + 2 * pid
            c0, c1 = counts[i], counts[i + 1]
            n = c0 + c1
            if n >= self.min_support and c0 != c1:
                s = 1 if c1 > c0 else 0
                name = names.get(pid)
                if name is None:
                    name = names[pid] = self.pattern_name(k, pid)
                return s, name, (max(c0, c1) + 1) / (n + 2), n
        c0, c1 = self.symbol_counts
        if c0 != c1:
            s = 1 if c1 > c0 else 0
            return s, "majority", (max(c0, c1) + 1) / (c0 + c1 + 2), c0 + c1
        return 0, "default", 0.5, c0 + c1

    def predict(self) -> Prediction:
        """Predict with the longest well-supported matching pattern."""
        s, rule, confidence, support = self.rule()
        outcome = self.outcomes[s]
        extra = {"observed_sequence": self.observed, "support": support}
        if self.market == "color":
            return Prediction(self.name, (), None, outcome, color_p=confidence, rule=rule,
                              extra=extra)
        return Prediction(self.name, (), outcome, None, big_small_p=confidence, rule=rule,
                          extra=extra)


def _green(digit: int) -> int:
    return 1 if primary_color(digit) == GREEN else 0


def _big(digit: int) -> int:
    return 1 if size(digit) == BIG else 0


def color_rules(name: str = "color_rules", **kwargs) -> PatternRuleLearner:
    """Return the Red/Green rule learner (letters R and G)."""
    return PatternRuleLearner(name, "color", (RED, GREEN), ("R", "G"), _green, **kwargs)


def size_rules(name: str = "size_rules", **kwargs) -> PatternRuleLearner:
    """Return the Small/Big rule learner (letters S and B)."""
    return PatternRuleLearner(name, "big_small", (SMALL, BIG), ("S", "B"), _big, **kwargs)
