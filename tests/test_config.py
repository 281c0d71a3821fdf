"""Settings are read once and validated; secrets stay out of repr, logs and public views."""
import logging

import pytest
from hypothesis import given, strategies as st

from lottery.config import ConfigError, Settings, redact_url
from lottery.logs import RedactSecrets, secret_values


def test_defaults():
    s = Settings.from_env({}, dotenv=False)
    assert s.port == 5000 and s.games == ("WinGo_1M", "Crash", "Powerball") and s.source == "simulated"
    assert s.redis_url is None and str(s.data_dir) == "data"


@pytest.mark.parametrize("env,needle", [
    ({"PORT": "abc"}, "PORT"), ({"PORT": "0"}, "PORT"), ({"GAMES": "WinGo_1M,Keno"}, "Keno"),
    ({"DRAW_SOURCE": "ftp"}, "DRAW_SOURCE"), ({"DRAW_SOURCE": "http"}, "SOURCE_URL"),
    ({"TELEGRAM_ADMIN_IDS": "1,x"}, "TELEGRAM_ADMIN_IDS"), ({"SOURCE_TIMEOUT": "-1"}, "SOURCE_TIMEOUT"),
    ({"SSE_MAX_CLIENTS": "5000"}, "ordinary requests"), ({"HEAVY_RATE_LIMIT": "lots"}, "HEAVY"),
])
def test_bad_values_are_explained(env, needle):
    with pytest.raises(ConfigError, match=needle):
        Settings.from_env(env, dotenv=False)


def test_secrets_not_in_repr_or_public_view():
    s = Settings.from_env({"REDIS_URL": "redis://:pw123456@h:6379/0", "ADMIN_TOKEN": "adm-secret",
                           "AI_API_KEYS": "pplx-a1,pplx-b2", "TELEGRAM_BOT_TOKEN": "123:abc-token"},
                          dotenv=False)
    text = repr(s) + str(s.public())
    for secret in ("pw123456", "adm-secret", "pplx-a1", "123:abc-token"):
        assert secret not in text
    assert s.public()["admin_token_set"] is True and s.ai_api_keys == ("pplx-a1", "pplx-b2")


def test_log_filter_redacts_configured_secrets_and_url_credentials(caplog):
    s = Settings.from_env({"ADMIN_TOKEN": "adm-secret", "REDIS_URL": "redis://u:pw99999@h/0"},
                          dotenv=False)
    log = logging.getLogger("test.redact")
    log.addFilter(RedactSecrets(secret_values(s)))
    with caplog.at_level(logging.INFO):
        log.info("token %s at %s and rediss://x:y@other/1", "adm-secret", s.redis_url)
    assert "adm-secret" not in caplog.text and "pw99999" not in caplog.text
    assert "y@other" not in caplog.text and "***" in caplog.text


@given(user=st.text(alphabet="abcxyz019", min_size=1, max_size=8),
       password=st.text(alphabet="ABCdef234!", min_size=1, max_size=12))
def test_redact_url_never_leaks_password(user, password):
    url = f"redis://{user}:{password}@example:6379/0"
    assert redact_url(url) == "redis://***@example:6379/0"
    assert redact_url("redis://example:6379/0") == "redis://example:6379/0"


@pytest.mark.parametrize("url,secret", [
    ("redis://host:6379/0?password=s3cr3t-q", "s3cr3t-q"),
    ("redis://host/0?db=1&password=s3cr3t-q&x=1", "s3cr3t-q"),
    ("redis://:p@ss@w0rd@host:6379/0", "w0rd"),
    ("redis://user:p@ss/w0rd@host:6379/0", "w0rd"),
    ("rediss://default:abc%40def@host:6380", "abc"),
])
def test_redact_url_covers_query_passwords_and_at_signs(url, secret):
    for text in (redact_url(url), RedactSecrets([]).redact(f"connecting to {url} failed")):
        assert secret not in text and "***" in text
    assert "host" in redact_url(url)


@given(password=st.text(alphabet="ab@:/%?#&=!x9", min_size=1, max_size=16).filter(
    lambda p: not p.startswith(("/", "?", "#")) and "/" not in p.split("@")[-1]
    and "?" not in p and "#" not in p))
def test_redact_url_hides_any_password_before_the_host(password):
    url = f"redis://user:{password}@example:6379/0"
    assert redact_url(url) == "redis://***@example:6379/0"


def test_every_variable_is_documented():
    """Each variable the settings read appears in the README table and in .env.example."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    source = (root / "lottery" / "config.py").read_text()
    names = set(re.findall(r'env(?:\.get)?\(\s*(?:env,\s*)?"([A-Z_]+)"', source))
    names |= set(re.findall(r'_[a-z_]+\(env, "([A-Z_]+)"', source))  # every _reader(env, NAME)
    assert len(names) > 25
    readme = (root / "README.md").read_text()
    example = (root / ".env.example").read_text()
    for name in sorted(names):
        assert f"`{name}`" in readme, f"{name} missing from the README's configuration table"
        assert f"{name}=" in example, f"{name} missing from .env.example"


def test_default_games_are_documented_as_defaults():
    """`up` follows WinGo_1M, Crash and Powerball by default; the README and .env.example say so."""
    from pathlib import Path

    from lottery.config import DEFAULT_GAMES

    root = Path(__file__).resolve().parents[1]
    shown = ",".join(DEFAULT_GAMES)
    assert Settings.from_env({}, dotenv=False).games == DEFAULT_GAMES == ("WinGo_1M", "Crash", "Powerball")
    assert f"| `GAMES` | `{shown}` |" in (root / "README.md").read_text()
    assert f"# GAMES={shown} " in (root / ".env.example").read_text()
