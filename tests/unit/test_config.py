"""Settings from defaults, TOML file and GATEWAY_* variables; bad values name the setting."""
from __future__ import annotations

import pytest

from gateway.config import ConfigError, load


def test_defaults_use_embedded_sqlite():
    settings = load(environ={})
    assert settings.database_url == "sqlite:///gateway.db" and settings.is_sqlite
    assert settings.simulator_in_process  # no agency configured -> simulated sandbox agency


def test_environment_overrides_file(tmp_path):
    path = tmp_path / "gw.toml"
    path.write_text('[gateway]\nport = 9000\nlog_level = "debug"\n')
    settings = load(path, environ={"GATEWAY_PORT": "9100"})
    assert (settings.port, settings.log_level) == (9100, "debug")


@pytest.mark.parametrize("env,needle", [
    ({"GATEWAY_PORT": "abc"}, "GATEWAY_PORT"),
    ({"GATEWAY_DATABASE_URL": "mysql://x"}, "GATEWAY_DATABASE_URL"),
    ({"GATEWAY_RUN_WORKER": "maybe"}, "GATEWAY_RUN_WORKER"),
    ({"GATEWAY_PUBLIC_URL": "ftp://x"}, "GATEWAY_PUBLIC_URL"),
])
def test_invalid_values_name_the_setting_in_one_line(env, needle):
    with pytest.raises(ConfigError) as info:
        load(environ=env)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_unknown_or_broken_file_is_one_line(tmp_path):
    path = tmp_path / "gw.toml"
    path.write_text("[gateway]\nprot = 1\n")
    with pytest.raises(ConfigError, match="unknown setting 'prot'"):
        load(path, environ={})
    path.write_text("not toml [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(path, environ={})
    with pytest.raises(ConfigError, match="does not exist"):
        load(tmp_path / "missing.toml", environ={})


def test_repr_never_shows_secrets():
    settings = load(environ={
        "GATEWAY_SECRET_KEY": "wsse-installation-key",
        "GATEWAY_AGENCY_APPLICATION_KEY": "agency-app-key",
        "GATEWAY_DATABASE_URL": "postgresql+psycopg://gateway:db-password@db:5432/gateway"})
    text = repr(settings)
    for secret in ("wsse-installation-key", "agency-app-key", "db-password"):
        assert secret not in text
    assert "postgresql+psycopg://gateway:***@db:5432/gateway" in text
