"""Where the ``jobs`` commands connect and with which token: flags, then environment, then
the config file, then the kubeconfig user."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from jobscheduler.cli.connection import add_connection_flags, resolve
from jobscheduler.cli.typeflags import UsageError


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_connection_flags(parser)
    parser.add_argument("-n", "--namespace", default="")
    parser.add_argument("--request-timeout", type=float, default=30.0)
    return parser.parse_args(list(argv))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "config.toml").write_text('server = "file:1"\ntoken = "from-file"\n')
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "current-context: c\n"
        "contexts: [{name: c, context: {user: u}}]\n"
        "users: [{name: u, user: {token: from-kubeconfig}}]\n"
    )
    return {"JOBSCHEDULER_CONFIG": str(tmp_path / "config.toml"), "KUBECONFIG": str(kubeconfig)}


def test_the_token_is_the_first_of_flag_file_env_config_kubeconfig(
    env: dict[str, str], tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("from-token-file\n")
    with_env = env | {"JOBSCHEDULER_TOKEN": "from-env"}
    assert resolve(_args("--token", "from-flag"), with_env).token == "from-flag"
    assert resolve(_args("--token-file", str(token_file)), with_env).token == "from-token-file"
    assert resolve(_args(), with_env).token == "from-env"
    assert resolve(_args(), env).token == "from-file"
    (tmp_path / "config.toml").write_text('server = "file:1"\n')
    assert resolve(_args(), env).token == "from-kubeconfig"
    assert resolve(_args("--no-token"), with_env).token is None


def test_server_and_tls_come_with_the_token(env: dict[str, str]) -> None:
    settings = resolve(_args("--tls-ca", "/ca.pem", "--tls-server-name", "js"), env)
    assert settings.server == "file:1"
    assert settings.tls is not None and settings.tls.ca_file == "/ca.pem"
    assert settings.tls.server_name == "js"
    assert resolve(_args("--server", "flag:2"), env | {"JOBSCHEDULER_SERVER": "env:3"}).server == (
        "flag:2"
    )
    assert resolve(_args(), env).tls is None


def test_an_unreadable_token_file_is_a_usage_error(env: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--token-file"):
        resolve(_args("--token-file", str(tmp_path / "missing")), env)
