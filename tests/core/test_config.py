"""Configuration from the environment, read once."""

from __future__ import annotations

import pytest
from undersign import create_app
from undersign.core.config import ConfigError, load


def test_a_development_secret_is_generated_once_and_kept(tmp_path):
    one = load({}, str(tmp_path)).secret_key
    two = load({}, str(tmp_path)).secret_key
    assert one == two and len(one) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0, "readable by its owner only"


def test_environment_variables_configure_the_app(monkeypatch, tmp_path):
    monkeypatch.setenv("UNDERSIGN_DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite")
    monkeypatch.setenv("UNDERSIGN_SECRET_KEY", "from-env")
    monkeypatch.setenv("UNDERSIGN_SECRET_KEY_FALLBACKS", "old-one, older")
    monkeypatch.setenv("UNDERSIGN_SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("UNDERSIGN_SMTP_SECURITY", "starttls")
    monkeypatch.setenv("UNDERSIGN_TRUSTED_PROXIES", "1")
    monkeypatch.setenv("UNDERSIGN_RATELIMIT_ENABLED", "false")
    settings = create_app().extensions["undersign.settings"]
    assert settings.database_url.endswith("env.sqlite")
    assert settings.signing_keys == ["older", "old-one", "from-env"]
    assert (settings.smtp_host, settings.smtp_port) == ("mail.example.org", 587)
    assert settings.trusted_proxies == 1
    assert settings.ratelimit_enabled is False


@pytest.mark.parametrize(
    ("name", "value"),
    [("SMTP_SECURITY", "ssl3"), ("TRUSTED_PROXIES", "many"), ("RATELIMIT_ENABLED", "perhaps")],
)
def test_a_bad_setting_is_refused_with_its_name(tmp_path, name, value):
    with pytest.raises(ConfigError, match=f"UNDERSIGN_{name}"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", name: value})


@pytest.mark.parametrize("sender", ["Undersign", "Undersign <no-reply>", ""])
def test_a_sender_without_a_domain_is_refused_at_start(sender, tmp_path):
    with pytest.raises(ConfigError, match="UNDERSIGN_MAIL_FROM"):
        load({"MAIL_FROM": sender, "SECRET_KEY": "k"}, str(tmp_path))
