"""CSV import: the parser, its line-numbered problems, and `import-csv` against real Redis."""
from __future__ import annotations

import argparse
import io
from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from lottery.games import GAMES, get_game

WINGO_CODES = sorted(c for c, g in GAMES.items() if g.family == "wingo")  # period-clock games
from lottery.commands import import_csv
from lottery.sources.csv_source import read_csv
from lottery.store import draws as draw_store
from lottery.store.embedded import write_local_url

G = get_game("WinGo_1M")
DAY = date(2025, 8, 28)


def issue(seq: int) -> str:
    return G.make_issue(DAY, seq)


def parse(text: str, game=G, now=None):
    return read_csv(io.StringIO(text), game, now=now)


def test_good_file_any_column_order_extra_columns_and_bom(tmp_path):
    path = tmp_path / "draws.csv"
    path.write_text(
        "\ufeffnote,Number,drawn_at,Issue\n"
        f"a,7,2025-08-28T00:03:00Z,{issue(3)}\n"
        f"b,0,2025-08-28T02:01:00+02:00,{issue(1)}\n"
        "\n"
        f"c, 5 ,,{issue(2)}\n", encoding="utf-8")
    draws, problems = read_csv(path, G)
    assert problems == []
    assert [(d.issue, d.outcome, d.drawn_at, d.source) for d in draws] == [
        (issue(1), 0, "2025-08-28T00:01:00+00:00", "csv"),
        (issue(2), 5, G.draw_time(issue(2)).isoformat(), "csv"),
        (issue(3), 7, "2025-08-28T00:03:00+00:00", "csv")]


def test_bad_rows_are_reported_with_line_numbers_and_good_rows_kept():
    text = ("issue,number,drawn_at\n"          # line 1
            f"{issue(1)},3,\n"                   # 2 good
            "2025-08-28,4,\n"                    # 3 bad issue
            f"{issue(2)},12,\n"                  # 4 bad digit
            f"{issue(3)},5,yesterday\n"          # 5 bad date
            f"{issue(4)}\n"                      # 6 missing number
            ",6,\n"                              # 7 missing issue
            f"{issue(1)},3,\n"                   # 8 duplicate
            f"{issue(5)},x,\n"                   # 9 bad digit
            "20251399100010001,1,\n"             # 10 bad date in issue
            "20250828100011441,1,\n"             # 11 sequence out of range
            f"{issue(6)},9,2025-08-28T00:06:00Z\n")  # 12 good
    draws, problems = parse(text)
    assert [d.issue for d in draws] == [issue(1), issue(6)]
    lines = [line for line, _ in problems]
    assert lines == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    reasons = dict(problems)
    assert "2025-08-28" in reasons[3]
    assert "digit" in reasons[4] and "'12'" in reasons[4]
    assert "yesterday" in reasons[5]
    assert reasons[6] == "missing number"
    assert reasons[7] == "missing issue"
    assert reasons[8] == f"duplicate issue {issue(1)} (first on line 2)"
    assert "YYYYMMDD" in reasons[10]
    assert "sequence 1441" in reasons[11]


def test_quoted_multiline_rows_keep_their_physical_line_numbers():
    text = f'issue,number,comment\n{issue(1)},2,"two\nlines"\n{issue(2)},11,x\n'
    draws, problems = parse(text)
    assert [d.issue for d in draws] == [issue(1)]
    assert [line for line, _ in problems] == [4]


@pytest.mark.parametrize("text,reason", [
    ("", "empty file"),
    ("\n\n", "empty file"),
    ("issue,digit\n20250828100010001,1\n", "missing number"),
    ("number\n1\n", "missing issue"),
    ("issue,number,issue\n", "twice"),
    ("20250828100010001,1\n20250828100010002,2\n", "header must name"),
])
def test_bad_or_missing_header_is_reported_on_its_line(text, reason):
    draws, problems = parse(text)
    assert draws == []
    assert len(problems) == 1 and reason in problems[0][1]
    assert problems[0][0] >= 1


def test_issues_not_drawn_yet_are_rejected_when_now_is_given():
    now = datetime(2025, 8, 28, 0, 2, 30, tzinfo=timezone.utc)  # issue 3 is open
    draws, problems = parse(f"issue,number\n{issue(2)},1\n{issue(3)},2\n", now=now)
    assert [d.issue for d in draws] == [issue(2)]
    assert problems[0][0] == 3 and "not drawn yet" in problems[0][1]


def test_issue_strings_are_kept_as_given_for_each_game():
    g5 = get_game("WinGo_5M")
    raw = "20250828" + "77777" + "0288"  # the last period of a 5-minute day
    draws, problems = parse(f"issue,number\n{raw},8\n", game=g5)
    assert problems == [] and draws[0].issue == raw and draws[0].game == "WinGo_5M"
    draws, problems = parse(f"issue,number\n{raw[:-4]}0289,8\n", game=g5)
    assert draws == [] and "sequence 289" in problems[0][1]


# -- property tests -------------------------------------------------------------------
@hsettings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list('issue,number,drawn_at"\n\r 0123456789-:TZ+x')),
                    max_size=300))
def test_read_csv_never_raises_and_reports_real_lines(text):
    draws, problems = parse(text)
    n_lines = text.count("\n") + text.count("\r") + 1
    assert all(isinstance(line, int) and 1 <= line <= n_lines for line, _ in problems)
    assert len({d.issue for d in draws}) == len(draws)


@hsettings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.dates(min_value=date(2001, 1, 1), max_value=date(2080, 1, 1)),
                               st.integers(1, 2880), st.integers(0, 9)),
                     max_size=25, unique_by=lambda t: (t[0], t[1])),
       code=st.sampled_from(WINGO_CODES), swap=st.booleans())
def test_valid_rows_round_trip(rows, code, swap):
    game = get_game(code)
    rows = list({(d, min(s, game.periods_per_day)): n for d, s, n in rows}.items())
    lines = ["number,issue" if swap else "issue,number"]
    for (d, s), n in rows:
        i = game.make_issue(d, s)
        lines.append(f"{n},{i}" if swap else f"{i},{n}")
    draws, problems = parse("\n".join(lines) + "\n", game=game)
    assert problems == []
    expected = sorted(((game.make_issue(d, s), n) for (d, s), n in rows),
                      key=lambda t: game.issue_ordinal(t[0]))
    assert [(d.issue, d.outcome) for d in draws] == expected


# -- the import-csv command -----------------------------------------------------------------
def cli_args(path, game="WinGo_1M") -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    import_csv.add_arguments(parser)
    return parser.parse_args([str(path), "--game", game])


def test_import_csv_end_to_end_twice_gives_no_duplicates(r, settings, tmp_path, capsys):
    path = tmp_path / "past.csv"
    path.write_text("issue,number\n"
                    f"{issue(10)},1\n{issue(11)},2\nnot-an-issue,3\n{issue(12)},3\n")
    assert import_csv.run(cli_args(path), settings) == 0
    out, err = capsys.readouterr()
    assert "4 rows read" in out and "3 good, 1 bad" in out
    assert "3 new draws stored, 3 of them kept; 0 already present" in out
    assert "line 4: " in err and "not-an-issue" in err
    assert draw_store.count(r, "WinGo_1M") == 3
    assert draw_store.get_draw(r, "WinGo_1M", issue(11)) == {
        "issue": issue(11), "number": 2, "drawn_at": G.draw_time(issue(11)).isoformat(),
        "source": "csv"}

    from lottery.store import scores
    scores.save_replay(r, G, {}, 3, issue(12), 0.1)  # what the worker would have replayed
    path.write_text(f"issue,number\n{issue(12)},3\n{issue(13)},4\n")
    assert import_csv.run(cli_args(path), settings) == 0
    out, _ = capsys.readouterr()
    assert "1 new draws stored, 1 of them kept; 1 already present" in out
    assert not scores.has_replay(r, "WinGo_1M")  # new history: the worker replays again
    scores.save_replay(r, G, {}, 4, issue(13), 0.1)
    assert import_csv.run(cli_args(path), settings) == 0
    assert scores.has_replay(r, "WinGo_1M")  # nothing new: the replay stands
    out, _ = capsys.readouterr()
    assert "0 new draws stored, 0 of them kept; 2 already present" in out
    assert "dropped" not in out
    assert draw_store.count(r, "WinGo_1M") == 4
    assert draw_store.latest_issue(r, "WinGo_1M") == issue(13)


def test_import_csv_warns_first_then_reports_what_the_cap_dropped(r, settings, tmp_path, capsys):
    s = settings.with_(max_draws=1000)
    path = tmp_path / "year.csv"
    path.write_text("issue,number\n" + "".join(f"{issue(n)},{n % 10}\n" for n in range(1, 1201)))
    assert import_csv.run(cli_args(path), s) == 0
    out, err = capsys.readouterr()
    assert "over MAX_DRAWS=1000" in err and "will be dropped" in err
    assert "1200 new draws stored, 1000 of them kept" in out
    assert "dropped the 200 oldest draws (200 of them from this file); 1000 draws are stored" in out
    assert draw_store.count(r, "WinGo_1M") == 1000


@pytest.mark.parametrize("spelling", [
    "٢٠٢٥٠٨٢٨١٠٠٠١٠٠٠٥",  # Arabic-Indic digits of 20250828100010005
    "202508281000010005",  # 18 digits
    "2025082810005",  # 13 digits: no game code
    " 20250828100010005x",
])
def test_other_spellings_of_an_issue_are_refused(spelling):
    draws, problems = parse(f"issue,number\n{spelling},1\n")
    assert draws == [] and "17 ASCII digits" in problems[0][1]


def test_a_period_with_a_result_refuses_a_second_one(r, settings, tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_text(f"issue,number\n{issue(5)},1\n")
    assert import_csv.run(cli_args(path), settings) == 0
    # The same period under another platform's game code (and twice in one file).
    other = issue(5)[:8] + "99999" + issue(5)[-4:]
    other2 = issue(6)[:8] + "99999" + issue(6)[-4:]
    path.write_text(f"issue,number\n{other},7\n{issue(6)},2\n{other2},3\n")
    capsys.readouterr()
    assert import_csv.run(cli_args(path), settings) == 0
    out, err = capsys.readouterr()
    assert "1 new draws stored" in out and "2 rows refused" in err
    assert draw_store.count(r, "WinGo_1M") == 2
    assert draw_store.get_draw(r, "WinGo_1M", issue(5))["number"] == 1
    assert draw_store.get_draw(r, "WinGo_1M", other) is None


def test_import_csv_keeps_games_apart(r, settings, tmp_path, capsys):
    g3 = get_game("WinGo_3M")
    path = tmp_path / "g3.csv"
    path.write_text(f"issue,number\n{g3.make_issue(DAY, 5)},9\n")
    assert import_csv.run(cli_args(path, "WinGo_3M"), settings) == 0
    assert draw_store.count(r, "WinGo_3M") == 1 and draw_store.count(r, "WinGo_1M") == 0


def test_import_csv_without_good_rows_exits_1_and_stores_nothing(r, settings, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("issue,number\nx,1\n")
    assert import_csv.run(cli_args(path), settings) == 1
    _, err = capsys.readouterr()
    assert "line 2:" in err and "nothing stored" in err
    assert draw_store.count(r, "WinGo_1M") == 0


def test_import_csv_missing_file_exits_2(settings, tmp_path, capsys):
    assert import_csv.run(cli_args(tmp_path / "nope.csv"), settings) == 2
    assert "no such file" in capsys.readouterr().err


def test_import_csv_without_redis_url_or_local_server_explains(settings, tmp_path, capsys):
    path = tmp_path / "ok.csv"
    path.write_text(f"issue,number\n{issue(1)},1\n")
    local = settings.with_(redis_url=None, data_dir=tmp_path / "empty-data")
    assert import_csv.run(cli_args(path), local) == 2
    err = capsys.readouterr().err
    assert "REDIS_URL" in err and "python -m lottery up" in err


def test_import_csv_finds_the_local_server_of_up(r, settings, redis_url, tmp_path, capsys):
    path = tmp_path / "ok.csv"
    path.write_text(f"issue,number\n{issue(1)},1\n")
    local = settings.with_(redis_url=None, data_dir=tmp_path / "up-data")
    write_local_url(local.data_dir, redis_url)  # what `python -m lottery up` leaves behind
    assert import_csv.run(cli_args(path), local) == 0
    assert draw_store.get_draw(r, "WinGo_1M", issue(1))["number"] == 1


def test_import_csv_unreachable_redis_exits_2_without_leaking_password(settings, tmp_path,
                                                                         capsys):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = tmp_path / "ok.csv"
    path.write_text(f"issue,number\n{issue(1)},1\n")
    down = settings.with_(redis_url=f"redis://:hunter2pw@127.0.0.1:{port}/0")
    assert import_csv.run(cli_args(path), down) == 2
    err = capsys.readouterr().err
    assert "failed" in err and "hunter2pw" not in err
