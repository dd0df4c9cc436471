"""What an operator relies on to deploy: the compose file, the image recipe, the version.

No Docker engine runs here, so the compose file is read as YAML and its promises
checked; scripts/check-wheel.sh (run by `make test`) installs the real wheel.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from app.cli import cli
from app.resources import alembic_ini, migrations_dir, static_dir, templates_dir

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def _command(service: dict[str, Any]) -> str:
    command = service.get("command", [])
    return " ".join(command) if isinstance(command, list) else str(command)


def test_paperboy_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])

    assert result.exit_code == 0
    assert result.stdout.strip() == f"paperboy {version('paperboy')}"


def test_resources_are_found_through_the_package() -> None:
    assert (templates_dir() / "web" / "index.html").is_file()
    assert (templates_dir() / "email" / "digest.css").is_file()
    assert (static_dir() / "style.css").is_file()
    assert (migrations_dir() / "env.py").is_file()
    assert "script_location" in alembic_ini().read_text()


def test_every_long_running_service_has_a_healthcheck() -> None:
    services = _compose()["services"]
    one_shot = {"migrate"}

    missing = [
        name for name in services if name not in one_shot and "healthcheck" not in services[name]
    ]

    assert missing == []
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])


def test_every_pulled_image_is_pinned_to_a_version() -> None:
    services = _compose()["services"]
    pulled = {name: s["image"] for name, s in services.items() if "build" not in s}

    assert {"postgres", "redis", "mailpit", "flower"} <= pulled.keys()
    for name, image in pulled.items():
        assert ":" in image, name
        tag = image.rsplit(":", 1)[1]
        assert tag != "latest" and any(ch.isdigit() for ch in tag), (name, image)


def test_web_trusts_forwarded_headers_only_from_the_configured_proxy() -> None:
    web = _compose()["services"]["web"]

    assert "--proxy-headers" in _command(web)
    assert "--forwarded-allow-ips=${FORWARDED_ALLOW_IPS" in _command(web)


def test_flower_is_an_optional_profile_and_workers_send_events() -> None:
    services = _compose()["services"]

    assert services["flower"]["profiles"] == ["flower"]
    assert "-E" in services["worker"]["command"]


def test_the_image_installs_the_lock_before_the_code_and_not_editable() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    final_stage = dockerfile.split("\nFROM ")[-1]

    assert "pip install --requirement /tmp/requirements.txt" in final_stage
    assert final_stage.index("requirements/runtime.txt") < final_stage.index("COPY --from=build")
    assert " -e " not in dockerfile
