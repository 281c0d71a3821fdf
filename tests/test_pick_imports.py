"""Pick-lottery CSV imports as versioned snapshots: hash, duplicates, rollback, preview, the
admin API (all or nothing) and the data maintenance report over planted legacy rows."""
from __future__ import annotations

import argparse
import json

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from conftest import ADMIN_TOKEN
from lottery import keys
from lottery.bot.pick_texts import parse_check_args
from lottery.commands import import_csv
from lottery.games import Draw
from lottery.games.pick import POWERBALL
from lottery.games.pick_csv import format_row, header_of
from lottery.games.pick_maintenance import CATEGORIES, maintenance_report
from lottery.sources.simulated import SimulatedSource
from lottery.store import draws, pick_imports

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def pb(settings):
    return settings.with_(games=("Powerball",))


def fair_rows(n, start="2023-01-02"):
    source = SimulatedSource("csv-secret")
    first = POWERBALL.issue_ordinal(start)
    return [(d.issue, d.outcome) for d in
            (source.draw(POWERBALL, POWERBALL.issue_from_ordinal(first + k)) for k in range(n))]


def csv_text(rows, fmt="winning_numbers"):
    lines = [",".join(header_of(fmt, POWERBALL))]
    lines += [",".join(format_row(fmt, POWERBALL, issue, outcome)) for issue, outcome in rows]
    return "\n".join(lines) + "\n"


def cli(settings, *argv):
    parser = argparse.ArgumentParser()
    import_csv.add_arguments(parser)
    return import_csv.run(parser.parse_args([*argv, "--game", "Powerball"]), settings)


def stored(r):
    return {d["issue"]: d for d in draws.recent_draws(r, "Powerball", 10_000)}


# -- the CLI ----------------------------------------------------------------------------------
def test_cli_imports_snapshots_detects_same_content_and_rolls_back_exactly_its_draws(
        pb, r, tmp_path, capsys):
    rows = fair_rows(30)
    # A feed draw and a manual draw are stored before, on dates the first file also holds.
    feed = Draw("Powerball", rows[0][0], rows[0][1], source="simulated")
    manual = Draw("Powerball", rows[1][0], rows[1][1], source="manual")
    draws.add_draws(r, POWERBALL, [feed, manual], 1000)
    first = tmp_path / "first.csv"
    first.write_text(csv_text(rows[:20]))
    assert cli(pb, str(first)) == 0
    out = capsys.readouterr().out
    assert "version 1" in out and "18 new draws stored, 2 already present" in out
    assert "--rollback 1 --game Powerball" in out
    # The same content in another format and order is the same snapshot: nothing new.
    again = tmp_path / "again.csv"
    again.write_text(csv_text(list(reversed(rows[:20])), fmt="balls"))
    assert cli(pb, str(again)) == 0
    assert "imported as version 1: nothing stored" in capsys.readouterr().out
    second = tmp_path / "second.csv"
    second.write_text(csv_text(rows[15:30], fmt="columns"))
    assert cli(pb, str(second)) == 0
    assert "version 2" in capsys.readouterr().out
    assert draws.count(r, "Powerball") == 30
    versions = pick_imports.list_versions(r, "Powerball")
    assert [(v["version"], v["rows"], v["added"], v["duplicates"], v["source"])
            for v in versions] == [(2, 15, 10, 5, "second.csv"), (1, 20, 18, 2, "first.csv")]
    assert versions[1]["hash"] == pick_imports.content_hash(
        POWERBALL, [Draw("Powerball", i, o) for i, o in rows[:20]])
    assert cli(pb, "--rollback", "1") == 0
    assert "18 draws removed" in capsys.readouterr().out
    left = stored(r)
    # Version 1's own draws are gone; the feed's, the manual entry and version 2's stay.
    assert set(left) == {rows[0][0], rows[1][0], *[i for i, _ in rows[20:30]]}
    assert left[rows[0][0]]["source"] == "simulated" and left[rows[1][0]]["source"] == "manual"
    assert all(left[i].get("import") == 2 for i, _ in rows[20:30])
    assert cli(pb, "--rollback", "1") == 2
    assert "already rolled back" in capsys.readouterr().err
    assert cli(pb, "--rollback", "9") == 2
    assert cli(pb, "--versions") == 0
    listing = capsys.readouterr().out
    assert "v1 rolled_back" in listing and "removed=18" in listing and "v2 active" in listing
    # After a rollback the same content may be imported again (a new version).
    assert cli(pb, str(first)) == 0
    assert "version 3" in capsys.readouterr().out and draws.count(r, "Powerball") == 30


def test_cli_bad_file_gets_line_numbered_errors_and_stores_nothing(pb, r, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("Draw Date,Winning Numbers,Multiplier\n01/04/2023,01 02 03 04 05 06,2\n"
                    "01/05/2023,01 02 03 04 05 06,2\n01/07/2023,01 02 03 04 70 06,\n")
    assert cli(pb, str(path)) == 2
    err = capsys.readouterr().err
    assert "line 3: 2023-01-05 is not a draw date" in err and "line 4: white balls must be 1-69" in err
    assert "nothing stored" in err
    assert draws.count(r, "Powerball") == 0 and pick_imports.list_versions(r, "Powerball") == []
    assert cli(pb) == 2 and cli(pb, str(path), "--versions") == 2  # exactly one action


# -- the admin API ---------------------------------------------------------------------------
@pytest.fixture
def client(pb, r):
    from lottery.web import close_app, create_app

    app = create_app(pb, r)
    yield app.test_client()
    assert close_app(app)


def test_preview_shows_format_rows_errors_and_counts_and_stores_nothing(client, r):
    rows = fair_rows(12)
    draws.add_draws(r, POWERBALL, [Draw("Powerball", *rows[0], source="manual")], 1000)
    body = {"csv": csv_text(rows), "limit": 3}
    assert client.post("/api/pick/import/preview", json=body).status_code == 401
    before = sorted(r.keys("*"))
    out = client.post("/api/pick/import/preview", json=body, headers=AUTH).json
    assert out["format"] == "winning_numbers" and out["rows"] == 12 and out["ok"]
    assert [x["draw_date"] for x in out["first"]] == [i for i, _ in rows[:3]]
    assert out["first"][0]["whites"] == list(rows[0][1][0])
    assert (out["would_add"], out["duplicates"], out["conflicts"]) == (11, 1, 0)
    assert len(out["hash"]) == 64 and out["same_as_version"] is None and "draws" not in out
    # A text/csv body works too; bad rows are listed by line.
    bad = csv_text(rows).replace(rows[5][0][5:7] + "/" + rows[5][0][8:10] + "/2023", "13/45/2023")
    out = client.post("/api/pick/import/preview", data=bad, headers={**AUTH, "Content-Type": "text/csv"}).json
    assert not out["ok"] and out["errors"][0]["line"] == 7 and "not a date" in out["errors"][0]["message"]
    assert sorted(r.keys("*")) == before  # nothing stored by a preview
    for payload in ({}, {"csv": ""}, {"csv": 5}, {"csv": "a,b\n", "limit": 0}):
        resp = client.post("/api/pick/import/preview", json=payload, headers=AUTH)
        assert resp.status_code == 400 and resp.json["error"] in ("bad_csv", "bad_parameter")
    out = client.post("/api/pick/import/preview", json={"csv": "a,b\n1,2\n"}, headers=AUTH).json
    assert out["format"] is None and out["errors"][0]["line"] == 1


def test_api_import_is_all_or_nothing_versioned_and_rolled_back(client, r):
    rows = fair_rows(20)
    text = csv_text(rows)
    bad = text.replace(" ".join(f"{n:02d}" for n in (*rows[10][1][0], *rows[10][1][1])),
                       "01 01 02 03 04 05")
    resp = client.post("/api/pick/import", json={"csv": bad}, headers=AUTH)
    assert resp.status_code == 400 and resp.json["error"] == "bad_csv"
    assert "line 12" in resp.json["message"] and "nothing stored" in resp.json["message"]
    assert draws.count(r, "Powerball") == 0 and not r.exists(keys.pick_import_versions("Powerball"))
    assert client.post("/api/pick/import", json={"csv": text}).status_code == 401
    made = client.post("/api/pick/import", json={"csv": text, "source": "results-2023.csv"},
                       headers=AUTH)
    assert made.status_code == 201
    v = made.json
    assert (v["version"], v["rows"], v["added"], v["duplicates"], v["status"]) == (1, 20, 20, 0, "active")
    assert v["source"] == "results-2023.csv" and v["created_at"] and len(v["hash"]) == 64
    same = client.post("/api/pick/import", json={"csv": text}, headers=AUTH)
    assert same.status_code == 200 and same.json["status"] == "duplicate" and same.json["version"] == 1
    # A stored draw with other numbers is a conflict: refused by line, nothing stored.
    other = list(rows)
    other[3] = (rows[3][0], ((1, 2, 3, 4, 5), (6,)))
    resp = client.post("/api/pick/import", json={"csv": csv_text(other + fair_rows(3, "2024-01-01"))},
                       headers=AUTH)
    assert resp.status_code == 400 and "line 5" in resp.json["message"]
    assert "stored with other numbers" in resp.json["message"] and draws.count(r, "Powerball") == 20
    listing = client.get("/api/pick/imports").json  # public
    assert [x["version"] for x in listing["versions"]] == [1]
    assert client.post("/api/pick/imports/1/rollback").status_code == 401
    done = client.post("/api/pick/imports/1/rollback", headers=AUTH).json
    assert done["status"] == "rolled_back" and done["removed"] == 20 and done["rolled_back_at"]
    assert draws.count(r, "Powerball") == 0
    for version, code in ((1, "already_rolled_back"), (7, "unknown_version")):
        resp = client.post(f"/api/pick/imports/{version}/rollback", headers=AUTH)
        assert resp.status_code == 400 and resp.json["error"] == code


# -- data maintenance --------------------------------------------------------------------------
def plant(r, issue, record, ordinal):
    """Write a record straight into Redis, as legacy data that skipped every check."""
    r.hset(keys.draws_data("Powerball"), issue, json.dumps(record))
    r.zadd(keys.draws_index("Powerball"), {issue: ordinal})


def test_maintenance_report_finds_planted_legacy_rows(client, r, pb, capsys):
    rows = fair_rows(10)
    draws.add_draws(r, POWERBALL, [Draw("Powerball", i, o, source="csv") for i, o in rows], 1000)
    era = "2015-10-07"
    plant(r, "2023-01-08", {"whites": [1, 2, 3, 4, 5], "bonus": [6], "era": era}, 10**6)  # a Sunday
    plant(r, "2023-01-04x", {"whites": [1, 2, 3, 4, 5], "bonus": [6]}, 10**6 + 1)  # not a date
    plant(r, "2023-1-4", {"whites": [1, 2, 3, 4, 5], "bonus": [6]}, 10**6 + 2)  # 2023-01-04 again
    plant(r, "2024-01-03", {"whites": [1, 2, 3, 4, 70], "bonus": [6], "era": era}, 10**6 + 3)
    plant(r, "2024-01-06", {"whites": [1, 2, 3, 4, 5], "bonus": [38], "era": era}, 10**6 + 4)  # 1/39 era
    plant(r, "2024-01-08", {"whites": [1, 2, 3, 4, 5], "bonus": [6], "era": "2012-01-15"}, 10**6 + 5)
    plant(r, "2024-01-10", {"whites": "1 2 3"}, 10**6 + 6)
    body = client.get("/api/pick/maintenance?examples=5").json
    assert body["checked"] == 17 and body["problems"] == 7 and body["clean"] == 10
    assert body["counts"] == {"unreadable": 1, "off_calendar": 2, "duplicates": 1,
                              "era_mismatch": 2, "out_of_range": 1}
    ex = {c: [e["issue"] for e in body["examples"][c]] for c in body["counts"]}
    assert ex["duplicates"] == ["2023-1-4"] and ex["out_of_range"] == ["2024-01-03"]
    assert sorted(ex["era_mismatch"]) == ["2024-01-06", "2024-01-08"]
    assert sorted(ex["off_calendar"]) == ["2023-01-04x", "2023-01-08"]
    assert "Sunday" in body["examples"]["off_calendar"][0]["reason"] or \
        "Sunday" in body["examples"]["off_calendar"][1]["reason"]
    mismatch = next(e for e in body["examples"]["era_mismatch"] if e["issue"] == "2024-01-06")
    assert "5/59 + 1/39" in mismatch["reason"]
    assert cli(pb, "--report") == 0
    assert json.loads(capsys.readouterr().out)["counts"] == body["counts"]


# -- properties ---------------------------------------------------------------------------------

@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 400), min_size=1, max_size=15, unique=True), st.randoms(),
       st.sampled_from(["winning_numbers", "columns", "balls"]))
def test_the_content_hash_ignores_format_and_order_but_not_content(offsets, rnd, fmt):
    from lottery.games.pick_csv import parse_pick_csv

    source = SimulatedSource("h")
    first = POWERBALL.issue_ordinal("2016-01-02")
    rows = [(d.issue, d.outcome) for d in (source.draw(POWERBALL, POWERBALL.issue_from_ordinal(
        first + k)) for k in offsets)]
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    parsed = parse_pick_csv(csv_text(shuffled, fmt).splitlines(), POWERBALL)
    assert parsed.ok
    got = [Draw("Powerball", row.issue, row.outcome) for row in parsed.rows]
    want = [Draw("Powerball", i, o) for i, o in rows]
    assert pick_imports.content_hash(POWERBALL, got) == pick_imports.content_hash(POWERBALL, want)
    if len(rows) > 1:
        assert pick_imports.content_hash(POWERBALL, want[1:]) != \
            pick_imports.content_hash(POWERBALL, want)


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=10))
def test_check_words_parse_or_say_why(words):
    try:
        code, raw, day = parse_check_args(words, ["Powerball", "EuroMillions"])
    except ValueError as exc:
        assert str(exc)
        return
    assert code in (None, "Powerball", "EuroMillions")
    assert all(isinstance(n, int) for part in raw.values() for n in part)


records = st.one_of(st.none(), st.text(max_size=20), st.dictionaries(
    st.sampled_from(["whites", "bonus", "era"]),
    st.one_of(st.lists(st.integers(-5, 80), max_size=7), st.text(max_size=12), st.integers()),
    max_size=3))


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.dates().map(str), st.text(max_size=12)), records),
                max_size=12))
def test_the_maintenance_report_counts_every_record_once_and_never_raises(pairs):
    body = maintenance_report(POWERBALL, [(i, json.dumps(r) if isinstance(r, dict) else r)
                                          for i, r in pairs])
    assert body["checked"] == len(pairs) == body["problems"] + body["clean"]
    assert set(body["counts"]) == set(CATEGORIES)
    assert sum(body["counts"].values()) == body["problems"]
