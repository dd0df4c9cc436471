"""Settings: embedded defaults, the contract's URL forms, and the production secret guard."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import ConfigurationError, Settings


def test_embedded_defaults_live_under_var(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'paperboy.db'}"
    assert settings.outbox_dir == tmp_path / "var" / "outbox"
    assert settings.embedded_tasks


def test_plain_postgresql_url_means_psycopg_3(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, database_url="postgresql://paperboy@db/paperboy")
    assert settings.database_url == "postgresql+psycopg://paperboy@db/paperboy"


def test_settings_are_read_from_prefixed_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERBOY_BROKER_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("PAPERBOY_DELIVERY_LEASE_SECONDS", "42")
    settings = Settings(var_dir=tmp_path)
    assert settings.broker_url == "redis://127.0.0.1:6379/0"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.delivery_lease_seconds == 42
    assert not settings.embedded_tasks


def test_secret_key_is_generated_once_into_var(tmp_path: Path) -> None:
    first = Settings(var_dir=tmp_path).resolved_secret_key()
    second = Settings(var_dir=tmp_path).resolved_secret_key()
    assert first == second and len(first) >= 40
    assert (tmp_path.resolve() / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("secret", ["", "changeme", "secret", "short", "x" * 31])
def test_production_refuses_a_placeholder_secret(tmp_path: Path, secret: str) -> None:
    with pytest.raises(ConfigurationError, match="PAPERBOY_SECRET_KEY"):
        Settings(var_dir=tmp_path, environment="production", secret_key=secret)


def test_production_takes_a_long_secret(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, environment="production", secret_key="x" * 32)
    assert settings.secret_key == "x" * 32


def test_message_ids_live_on_the_sender_domain(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, from_address="Digest <news@papers.example.org>")
    assert settings.mail_domain == "papers.example.org"


def test_production_warns_of_one_machine_links_and_sender(tmp_path: Path) -> None:
    from app.cli.serve import production_warnings

    secret = "x" * 48
    local = Settings(var_dir=tmp_path, environment="production", secret_key=secret)
    real = Settings(
        var_dir=tmp_path,
        environment="production",
        secret_key=secret,
        base_url="https://papers.example.org",
        from_address="Paperboy <digest@papers.example.org>",
    )
    warnings = production_warnings(local)
    assert len(warnings) == 2
    assert "PAPERBOY_BASE_URL" in warnings[0] and "PAPERBOY_FROM_ADDRESS" in warnings[1]
    assert production_warnings(real) == []
    assert production_warnings(Settings(var_dir=tmp_path)) == []  # development: the defaults
