"""Heavy simulator requests are queued jobs run by the simulator worker, never the web."""
import threading
import time

import httpx
import pytest
import redis

from conftest import job_result, join_thread
from lottery import keys
from lottery.games import get_game
from lottery.sim import jobs, montecarlo
from lottery.sim.worker import SimulatorWorker
from lottery.store.embedded import free_port
from lottery.web import create_app
from upproc import Up

TOKEN = {"Authorization": "Bearer test-admin-token"}
STUDY = {"target": "Big", "progression": "martingale", "sessions": 200, "rounds": 50, "seed": 7}


@pytest.fixture
def client(settings, redis_url, r):
    return create_app(settings, redis.Redis.from_url(redis_url)).test_client()


def _worker_alive(r):
    r.set(keys.heartbeat(keys.SIM_WORKER), "alive")


def test_a_study_is_queued_then_run_by_the_simulator_worker(client, r, settings, redis_url):
    _worker_alive(r)
    resp = client.post("/api/simulator/montecarlo", json=STUDY)
    assert resp.status_code == 202
    body = resp.get_json()
    assert body["status"] == "queued" and resp.headers["Location"] == body["result_url"]
    assert body["result_url"] == f"/api/simulator/jobs/{body['job_id']}"
    # Nothing was computed in the web: the job waits for the worker.
    assert client.get(body["result_url"]).get_json()["status"] == "queued"
    worker = SimulatorWorker(settings, redis.Redis.from_url(redis_url),
                             redis.Redis.from_url(redis_url))
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        state = job_result(client, body["result_url"], 20)
    finally:
        worker.request_stop()
        join_thread(thread, 10)
    expected = montecarlo.run(montecarlo.parse_study(get_game("WinGo_1M"), STUDY))
    for field in ("final_wallet", "probability_of_ruin", "bets_settled"):
        assert state["result"][field] == expected[field]
    assert "body" not in state  # the stored request is not echoed


def test_a_full_queue_answers_429_and_queues_nothing(client, r, settings):
    _worker_alive(r)
    for _ in range(settings.simulator_job_queue):
        assert client.post("/api/simulator/montecarlo", json=STUDY, headers=TOKEN).status_code == 202
    full = client.post("/api/simulator/montecarlo", json=STUDY, headers=TOKEN)
    assert full.status_code == 429 and full.get_json()["error"] == "queue_full"
    assert int(full.headers["Retry-After"]) > 0
    assert jobs.queued(r) == settings.simulator_job_queue


def test_no_worker_no_queue_and_bad_input_is_refused_first(client, r):
    assert client.post("/api/simulator/montecarlo", json=STUDY).status_code == 503
    _worker_alive(r)
    bad = client.post("/api/simulator/montecarlo", json={"rounds": 10 ** 9})
    assert bad.status_code == 400 and "rounds" in bad.get_json()["message"]
    assert jobs.queued(r) == 0
    assert client.get("/api/simulator/jobs/" + "0" * 32).status_code == 404
    assert client.get("/api/simulator/jobs/not-an-id").status_code == 400


def test_anonymous_callers_are_rate_limited_in_redis_and_the_admin_is_not(settings, redis_url, r):
    app = create_app(settings.with_(heavy_rate_limit="2 per minute", simulator_job_queue=100),
                     redis.Redis.from_url(redis_url))
    client = app.test_client()
    _worker_alive(r)
    codes = [client.post("/api/simulator/backtest", json={}).status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    limited = client.post("/api/simulator/montecarlo", json=STUDY)
    assert limited.status_code == 202  # each endpoint counts on its own
    resp = client.post("/api/simulator/backtest", json={})
    assert resp.status_code == 429 and resp.get_json()["error"] == "too_many_requests"
    assert int(resp.headers["Retry-After"]) > 0
    assert client.post("/api/simulator/backtest", json={}, headers=TOKEN).status_code == 202
    # The counters are in the shared Redis: another web process sees the same count.
    other = create_app(settings.with_(heavy_rate_limit="2 per minute"),
                       redis.Redis.from_url(redis_url)).test_client()
    assert other.post("/api/simulator/backtest", json={}).status_code == 429
    assert any(k.startswith(keys.RATE_LIMIT_PREFIX.encode()) for k in r.scan_iter(count=1000))


def test_a_failed_job_reports_why(client, r, settings):
    _worker_alive(r)
    resp = client.post("/api/simulator/backtest", json={"target": "Small", "warmup": 3})
    jobs.run_next(r, settings)  # no stored draws: the worker refuses it
    state = client.get(resp.get_json()["result_url"]).get_json()
    assert state["status"] == "failed" and state["error"]["error"] == "bad_request"


def test_prediction_stays_fast_while_heavy_requests_hammer_the_web(tmp_path):
    """Eight clients loop on the Monte Carlo endpoint; /api/prediction keeps answering.

    Before, each study ran about a second of CPU on the web's event loop and
    /api/prediction took 21.7 s. The p99 figure is in bench/heavy_requests.py.
    """
    port = free_port()
    up = Up(tmp_path / "data", port, only="web,worker,sim-worker")
    base = f"http://127.0.0.1:{port}"
    stop, saturated = threading.Event(), threading.Event()  # saturated: a 429 came back
    answers: list[int] = []
    try:
        up.wait_for("Dashboard:")
        token = {"Authorization": "Bearer " + (tmp_path / "data" / "admin_token").read_text().strip()}
        with httpx.Client(base_url=base, timeout=10) as c:
            deadline = time.monotonic() + 60
            while c.get("/api/prediction").status_code != 200:
                assert time.monotonic() < deadline
                up.wait_for("predicted", timeout=30)
        heavy = {"sessions": 20_000, "rounds": 1000, "progression": "martingale"}

        def hammer():
            with httpx.Client(base_url=base, timeout=30) as hc:
                while not stop.is_set():
                    answers.append(hc.post("/api/simulator/montecarlo", json=heavy,
                                           headers=token).status_code)
                    if answers[-1] == 429:
                        saturated.set()

        threads = [threading.Thread(target=hammer, daemon=True) for _ in range(8)]
        for t in threads:
            t.start()
        latencies = []
        with httpx.Client(base_url=base, timeout=30) as c:
            assert saturated.wait(30), "the job queue never filled"  # the hammering is on
            for _ in range(60):
                started = time.perf_counter()
                assert c.get("/api/prediction").status_code == 200
                latencies.append(time.perf_counter() - started)
                time.sleep(0.02)
        stop.set()
        for t in threads:
            join_thread(t, 30)
    finally:
        stop.set()
        assert up.stop() == 0
    assert set(answers) <= {202, 429} and 202 in answers and 429 in answers
    assert max(latencies) < 1.0, sorted(latencies)[-5:]
