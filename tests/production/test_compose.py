"""docker-compose.yml cannot rot: what it runs, sets and waits for all exist.

No Docker engine runs where the tests run, so the file is read, not started.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from undersign.cli import main
from undersign.core.config import DEFAULTS

ROOT = Path(__file__).parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]


def env_file(path: Path) -> dict[str, str]:
    """Read a KEY=value file as Docker Compose does: comments and blank lines skipped."""
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def undersign_invocations(command: str | list[str]) -> list[list[str]]:
    """Return each `undersign ...` a service's command runs, as argument lists."""
    if isinstance(command, list) and command[:2] == ["sh", "-c"]:
        command = command[2]
    if isinstance(command, str):
        steps = [shlex.split(step) for step in re.split(r"&&|;", command)]
    else:
        steps = [command]
    found = []
    for step in steps:
        if step[:1] == ["exec"]:
            step = step[1:]
        if step[:1] == ["undersign"]:
            found.append(step[1:])
    return found


def resolve(args: list[str]) -> tuple[click.Command, list[str]]:
    """Walk click's command tree as `undersign` would; return the command and its own args."""
    command: click.Command = main
    args = list(args)
    while isinstance(command, click.Group):
        assert args, f"{command.name} needs a subcommand"
        name = args.pop(0)
        assert name in command.commands, f"`undersign` has no command {name!r}"
        command = command.commands[name]
    return command, args


def undersign_services() -> list[str]:
    return [
        name
        for name, service in SERVICES.items()
        if "command" in service and undersign_invocations(service["command"])
    ]


def test_the_app_mailer_and_migrations_run_undersign_commands():
    runs = {name: undersign_invocations(SERVICES[name]["command"]) for name in undersign_services()}
    assert runs["app"] == [
        ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--no-mailer"]
    ]
    assert runs["mailer"] == [["mailer"]]
    assert runs["migrate"] == [["db", "upgrade"]]


@pytest.mark.parametrize("service", undersign_services())
def test_every_command_exists_with_its_options(service):
    for invocation in undersign_invocations(SERVICES[service]["command"]):
        command, args = resolve(invocation)
        # Parsing without running: an unknown option or a bad value raises here.
        command.make_context(command.name, args)


def test_the_dockerfile_runs_a_command_that_exists():
    dockerfile = (ROOT / "Dockerfile").read_text()
    (cmd,) = re.findall(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    (invocation,) = undersign_invocations(yaml.safe_load(cmd))
    command, args = resolve(invocation)
    command.make_context(command.name, args)
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE), "must not run as root"


def set_variables() -> dict[str, str]:
    """Every environment variable the stack hands to a container, with where it is set."""
    where = {}
    for name, service in SERVICES.items():
        for key in service.get("environment") or {}:
            where[key] = f"docker-compose.yml ({name})"
    for key in env_file(ROOT / ".env.example"):
        where[key] = ".env.example"
    return where


def test_every_undersign_variable_is_one_the_app_reads():
    unknown = {
        key: place
        for key, place in set_variables().items()
        if key.startswith("UNDERSIGN_") and key.removeprefix("UNDERSIGN_") not in DEFAULTS
    }
    assert not unknown, f"the app reads none of these: {unknown}"


def test_every_interpolated_variable_has_an_example_value():
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{(\w+)", text))
    assert used <= set(env_file(ROOT / ".env.example")), used - set(env_file(ROOT / ".env.example"))


def test_the_app_trusts_exactly_the_one_proxy_in_front():
    assert env_file(ROOT / ".env.example")["UNDERSIGN_TRUSTED_PROXIES"] == "1"


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_dependency_is_a_defined_service(service):
    depends = SERVICES[service].get("depends_on") or {}
    missing = set(depends) - set(SERVICES)
    assert not missing, f"{service} waits for services that do not exist: {missing}"


def test_postgres_keeps_its_data_in_a_volume_and_reports_health():
    postgres = SERVICES["postgres"]
    assert postgres["healthcheck"]["test"]
    volumes = [v.split(":")[0] for v in postgres["volumes"]]
    assert set(volumes) <= set(COMPOSE["volumes"])


def test_the_stack_has_a_mail_catcher_and_redis():
    assert "mailpit" in SERVICES["mailpit"]["image"]
    assert SERVICES["redis"]["image"].startswith("redis")
    assert env_file(ROOT / ".env.example")["UNDERSIGN_SMTP_HOST"] == "mailpit"
