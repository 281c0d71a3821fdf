"""EuroMillions on real data: the draws shipped by the PyPI package pyeuromil (2011-2021).

The package's own import needs a data file for the current year, so the test
reads its data folder directly.
"""
from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

from lottery.evaluation import pick_audit
from lottery.games import get_game
from lottery.games.pick_csv import format_row, header_of
from lottery.sources.csv_source import read_csv

EM = get_game("EuroMillions")


def _real_draws():
    folder = Path(importlib.util.find_spec("pyeuromil").submodule_search_locations[0]) / "data"
    rows = []
    for path in sorted(folder.glob("*.txt")):
        for line in path.read_text().splitlines()[1:]:
            if line.strip():
                day, *balls = line.split()
                d, m, y = day.split("/")
                rows.append((f"{y}-{m}-{d}", balls))
    return sorted(rows)


def test_the_real_euromillions_history_imports_and_its_insights_run(tmp_path):
    real = _real_draws()
    assert len(real) == 1_104 and real[0][0] == "2011-05-10" and real[-1][0] == "2021-12-03"
    path = tmp_path / "em.csv"
    lines = [",".join(header_of("columns", EM))]
    lines += [",".join([issue, *balls]) for issue, balls in real]
    path.write_text("\n".join(lines) + "\n")
    draws, problems = read_csv(path, EM)
    assert problems == [] and len(draws) == len(real)
    # Eras by date: 11 lucky stars until 2016-09-24, 12 after.
    assert {d.outcome.era for d in draws} == {date(2011, 5, 10), date(2016, 9, 24)}
    assert max(b for d in draws if d.outcome.era < date(2016, 9, 24) for b in d.outcome[1]) <= 11
    body = pick_audit.insights(EM, [(d.issue, d.outcome) for d in draws])
    current = sum(1 for d in draws if d.outcome.era == date(2016, 9, 24))
    assert body["era"]["matrix"] == "5/50 + 2/12" and body["era"]["draws"] == current == 542
    for test in ("white_frequency", "bonus_frequency", "white_sum", "odd_even", "weekdays"):
        assert 0.0 <= body[test]["p_value"] <= 1.0 and body[test]["n"] == current, test
    assert set(body["weekdays"]["observed"]) == {"Tuesday", "Friday"}
    assert body["pairs"]["possible"] == 1225
    audit = EM.audit([d.outcome for d in draws])
    assert audit["era"]["excluded_other_eras"] == len(draws) - current
    # The formats round-trip on real data too.
    row = format_row("winning_numbers", EM, draws[-1].issue, draws[-1].outcome)
    assert row[0] == "12/03/2021"
