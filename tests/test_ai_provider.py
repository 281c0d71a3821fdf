"""The OpenAI-compatible client against a fake provider on 127.0.0.1."""
import time

import pytest

from fake_openai import bearer, chat_reply, fake_provider
from httpfake import Reply
from lottery.ai.provider import ChatProvider, ProviderError
from lottery.config import Settings

MESSAGES = [{"role": "user", "content": "predict"}]
FAST = {"backoff_initial": 0.01, "backoff_max": 0.05, "jitter": 0.01}


def make(srv, keys=("key-one",), timeout=2.0, **options) -> ChatProvider:
    return ChatProvider(srv.url, "sonar", keys, timeout, **{**FAST, **options})


def test_answer_request_shape_and_settings():
    with fake_provider(chat_reply('{"number": 4}')) as srv:
        settings = Settings.from_env({"AI_BASE_URL": srv.url + "/", "AI_API_KEYS": "a, b",
                                      "AI_MODEL": "my-model", "AI_TIMEOUT": "3"}, dotenv=False)
        provider = ChatProvider.from_settings(settings, **FAST)
        try:
            done = provider.complete(MESSAGES, budget=5)
        finally:
            provider.close()
        assert done.text == '{"number": 4}'
        assert [c.ok for c in done.calls] == [True] and done.calls[0].status == 200
        assert done.latency_ms >= done.calls[0].latency_ms > 0
        (req,) = srv.requests
        assert (req.method, req.path) == ("POST", "/chat/completions")
        assert bearer(req) == "a"
        body = req.json()
        assert body["model"] == "my-model" and body["messages"] == MESSAGES


def test_429_then_success_rotates_the_key_and_honours_retry_after():
    with fake_provider(Reply(429, {"error": "slow down"}, headers={"Retry-After": "0.2"}),
                       chat_reply("7")) as srv:
        provider = make(srv, keys=("key-one", "key-two"))
        t0 = time.monotonic()
        done = provider.complete(MESSAGES, budget=5)
        assert time.monotonic() - t0 >= 0.2
        assert done.text == "7"
        assert [bearer(r) for r in srv.requests] == ["key-one", "key-two"]
        assert [(c.ok, c.status) for c in done.calls] == [(False, 429), (True, 200)]


def test_5xx_is_retried_until_give_up():
    with fake_provider(Reply(500, "boom"), Reply(502, "bad gateway"), Reply(503, "")) as srv:
        provider = make(srv, max_attempts=3)
        with pytest.raises(ProviderError) as err:
            provider.complete(MESSAGES, budget=5)
        assert err.value.reason == "gave up after 3 attempt(s): HTTP 503"
        assert [c.status for c in err.value.calls] == [500, 502, 503]
        assert len(srv.requests) == 3


def test_a_timeout_is_retried_and_the_whole_attempt_stays_inside_its_budget():
    with fake_provider(Reply(200, {}, delay=2.0)) as srv:
        provider = make(srv, timeout=0.3, max_attempts=10)
        t0 = time.monotonic()
        with pytest.raises(ProviderError, match="timeout") as err:
            provider.complete(MESSAGES, budget=0.8)
        elapsed = time.monotonic() - t0
        assert elapsed < 1.5  # budget 0.8 s, not 10 attempts x 0.3 s
        assert 2 <= len(err.value.calls) <= 3
        assert all(c.error == "timeout" and c.status is None for c in err.value.calls)


def test_backoff_never_runs_past_the_budget():
    with fake_provider(Reply(503, "")) as srv:
        provider = make(srv, max_attempts=10, backoff_initial=1.0, backoff_max=1.0)
        t0 = time.monotonic()
        with pytest.raises(ProviderError, match="HTTP 503"):
            provider.complete(MESSAGES, budget=0.5)
        assert time.monotonic() - t0 < 0.5
        assert len(srv.requests) == 1  # the next attempt would start after the budget


def test_a_refused_connection_is_a_transport_error():
    with fake_provider(chat_reply("1")) as srv:
        url = srv.url
    provider = ChatProvider(url, "sonar", ["k"], 0.5, max_attempts=2, **FAST)
    with pytest.raises(ProviderError, match=r"gave up after 2 attempt\(s\): transport error"):
        provider.complete(MESSAGES, budget=3)


@pytest.mark.parametrize("reply,reason", [
    (Reply(200, "this is not json"), "malformed response"),
    (Reply(200, {"choices": []}), "malformed response"),
    (Reply(200, {"choices": [{"message": {"content": 7}}]}), "message content is not text"),
    (Reply(400, {"error": "bad model"}), "HTTP 400 from the provider"),
])
def test_malformed_or_refused_responses_fail_without_retry(reply, reason):
    with fake_provider(reply) as srv:
        with pytest.raises(ProviderError, match=reason):
            make(srv).complete(MESSAGES, budget=5)
        assert len(srv.requests) == 1


def test_401_rotates_to_the_next_key_and_keeps_using_it():
    def per_key(req):
        return Reply(401, {"error": "bad key"}) if bearer(req) == "dead-key" else chat_reply("2")

    with fake_provider(per_key) as srv:
        provider = make(srv, keys=("dead-key", "good-key"))
        assert provider.complete(MESSAGES, budget=5).text == "2"
        assert provider.complete(MESSAGES, budget=5).text == "2"
        assert [bearer(r) for r in srv.requests] == ["dead-key", "good-key", "good-key"]


def test_every_key_rejected_gives_up_at_once_without_naming_a_key():
    with fake_provider(Reply(401, {"error": "bad key"})) as srv:
        provider = make(srv, keys=("secret-aaaa", "secret-bbbb"), max_attempts=5)
        with pytest.raises(ProviderError) as err:
            provider.complete(MESSAGES, budget=5)
        assert err.value.reason == "HTTP 401: every configured API key was rejected"
        assert len(srv.requests) == 2
        assert "secret" not in str(err.value)


def test_no_key_calls_nothing():
    with fake_provider(chat_reply("1")) as srv:
        provider = ChatProvider(srv.url, "sonar", [], 1.0)
        assert not provider.configured
        with pytest.raises(ProviderError, match="disabled: no API key"):
            provider.complete(MESSAGES, budget=5)
        assert srv.requests == []
