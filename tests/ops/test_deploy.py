"""The production configuration: `check --deploy` with docker/.env.example, and the compose file
(no Docker engine here, so its structure is checked, not run)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / "docker" / ".env.example"
COMPOSE = ROOT / "docker" / "compose.yaml"


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_check_deploy_is_clean_with_the_production_environment(tmp_path):
    env = {
        **os.environ,
        **env_example(),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        # Paths of the containers, moved into a throwaway dir.
        "FEDCAT_DATA_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"),
        "PYTHONWARNINGS": "ignore",
    }

    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    # security.W021 (HSTS preload) is the one silenced check: see SILENCED_SYSTEM_CHECKS.
    assert "System check identified no issues (1 silenced)." in output


def test_check_deploy_warns_with_the_development_defaults(tmp_path):
    env = {**os.environ, "FEDCAT_DATA_DIR": str(tmp_path), "DEBUG": "true", "HTTPS": "false"}

    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode != 0
    assert "security.W018" in done.stderr + done.stdout  # DEBUG on


def test_every_variable_of_the_env_example_is_read_somewhere():
    readers = "\n".join(
        path.read_text()
        for path in (ROOT / "portal" / "settings.py", ROOT / "gunicorn.conf.py", COMPOSE)
    )
    unread = [name for name in env_example() if not re.search(rf"\b{name}\b", readers)]
    assert unread == []


def test_compose_runs_every_role_from_one_image():
    services = yaml.safe_load(COMPOSE.read_text())["services"]

    assert {"web", "worker", "beat", "migrate", "nginx", "postgres", "redis"} <= set(services)
    assert {"elasticsearch", "prometheus", "grafana"} <= set(services)
    assert {services[name]["image"] for name in ("web", "worker", "beat", "migrate")} == {
        "fedcat:latest"
    }
    assert services["web"]["command"][0] == "gunicorn"
    assert "celery -A portal worker" in services["worker"]["command"][-1]
    assert "celery -A portal beat" in services["beat"]["command"][-1]
    assert "migrate" in services["migrate"]["command"][-1]
    for role in ("web", "worker", "beat"):
        assert services[role]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }


MOUNTED = [
    "nginx.conf",
    "prometheus.yml",
    "grafana-dashboard.json",
    "grafana-provisioning.yaml",
    "grafana-dashboards.yaml",
]


@pytest.mark.parametrize("mounted", MOUNTED)
def test_files_the_compose_file_mounts_exist(mounted):
    assert f"./{mounted}:" in COMPOSE.read_text()
    assert (ROOT / "docker" / mounted).is_file()


def test_dockerfile_runs_as_an_unprivileged_user_on_python_311_slim():
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()

    assert dockerfile.count("FROM python:3.11-slim") == 2  # build and runtime stages
    assert re.search(r"^USER fedcat$", dockerfile, re.MULTILINE)
    for needed in ("manage.py", "gunicorn.conf.py", "catalogue", "portal", "search", "templates"):
        assert re.search(rf"^COPY .*\b{re.escape(needed)}\b", dockerfile, re.MULTILINE), needed


def test_nginx_sends_downloads_only_through_the_internal_x_accel_location():
    conf = (ROOT / "docker" / "nginx.conf").read_text()
    prefix = env_example()["DOWNLOAD_X_ACCEL_PREFIX"]
    blocks = dict(re.findall(r"location (/_\S+) \{([^}]*)\}", conf))

    assert list(blocks) == [prefix + "/"]
    assert "internal;" in blocks[prefix + "/"]
    assert "proxy_set_header X-Request-ID" in conf


def test_the_dashboard_uses_only_metrics_fedcat_exports():
    dashboard = json.loads((ROOT / "docker" / "grafana-dashboard.json").read_text())
    expressions = [
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    ]
    used = {
        re.sub(r"_(bucket|count|sum)$", "", name)
        for expr in expressions
        for name in re.findall(r"\bfedcat_[a-z_]+", expr)
    }
    source = (ROOT / "portal" / "observability" / "metrics.py").read_text()

    assert len(used) >= 10
    assert sorted(name for name in used if f'"{name}"' not in source) == []
