"""schemathesis against a server this test starts: no 5xx, every response as documented.

Requests carry the admin token, so the mutating endpoints are fuzzed too. The
event stream (an endless response) is left out.
"""
import threading

import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, given, settings as hsettings
from schemathesis.checks import (content_type_conformance, not_a_server_error,
                                 response_schema_conformance, status_code_conformance)
from werkzeug.serving import make_server

from conftest import join_thread
from lottery.sim.worker import SimulatorWorker
from lottery.web import create_app, stream
from lottery.worker import Worker, build_source

TOKEN = "test-admin-token"  # the settings fixture's
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance)


@pytest.fixture(scope="module")
def live_api(redis_url, tmp_path_factory):
    """The web app on 127.0.0.1 with draws, a prediction and a simulator worker behind it."""
    from lottery.config import Settings

    settings = Settings.from_env({}, dotenv=False).with_(
        redis_url=redis_url, data_dir=tmp_path_factory.mktemp("data"), admin_token=TOKEN,
        sim_secret="fuzz", sim_backfill=60, heavy_rate_limit="100000 per minute",
        simulator_job_queue=100_000)
    r = redis.Redis.from_url(redis_url)
    r.flushdb()
    worker = Worker(settings, r, build_source(settings, r))
    for code in settings.games:  # every followed game has a report (WinGo_1M and Crash)
        worker.step(code)
    sim = SimulatorWorker(settings, redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url))
    sim_thread = threading.Thread(target=sim.run, daemon=True)
    sim_thread.start()
    app = create_app(settings, redis.Redis.from_url(redis_url))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    stream.shutdown(app)
    app.extensions["lottery"]["prediction_cache"].stop()
    sim.request_stop()
    join_thread(sim_thread, 10)


def test_no_5xx_and_every_response_as_documented(live_api):
    # schemathesis' pytest plugin does not run under this pytest; its engine is driven by
    # hypothesis directly, one operation at a time.
    schema = schemathesis.openapi.from_url(live_api + "/api/openapi.json")
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/stream":
            continue  # an endless response
        operations += 1

        @hsettings(max_examples=12, deadline=None, database=None,
                   suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failures
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:1500])
    assert operations > 25
    assert not failures, "\n\n".join(failures)
