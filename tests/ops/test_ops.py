import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import path

from ops.logging import JsonFormatter
from ops.middleware import RequestIdLogFilter, request_id_var

ROOT = Path(__file__).resolve().parents[2]


def test_health_reports_the_database(client, db):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_is_503_when_the_database_is_down(client, db):
    with mock.patch("ops.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_every_response_carries_a_request_id(client, db):
    made = client.get("/health/")["X-Request-ID"]
    assert len(made) == 32
    kept = client.get("/health/", headers={"X-Request-ID": "lb-1234abcd"})["X-Request-ID"]
    assert kept == "lb-1234abcd"
    unsafe = client.get("/health/", headers={"X-Request-ID": "<script>"})["X-Request-ID"]
    assert unsafe != "<script>" and len(unsafe) == 32


def test_cabinet_pages_forbid_inline_script_and_framing(client, db):
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


def test_not_found_page_is_in_russian_in_the_layout(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "Страница не найдена" in text and "Fresh Cabinet" in text


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom)]
handler500 = "ops.views.server_error"


def test_server_error_shows_and_logs_the_request_id(db, settings, caplog):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR):
        response = client.get("/boom/", headers={"X-Request-ID": "req-00000042"})
    assert response.status_code == 500
    text = response.content.decode()
    assert "Ошибка сервера" in text and "req-00000042" in text
    assert any("req-00000042" in record.getMessage() for record in caplog.records)


def test_logs_are_one_json_object_per_line_with_the_request_id():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "posted %s", ("Р00000001",), None)
    token = request_id_var.set("abc12345")
    try:
        RequestIdLogFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["request_id"] == "abc12345" and entry["message"] == "posted Р00000001"


def test_production_settings_pass_check_deploy(tmp_path):
    # the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is no part of a deployment
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "fresh_cabinet.settings",
        "DEBUG": "False",
        "SECRET_KEY": "x7!pZ" * 12,
        "ALLOWED_HOSTS": "cabinet.example.kz",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY"])
def test_production_refuses_to_start_without_a_secret(missing, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != missing}
    env.update({"DEBUG": "False", "DJANGO_SETTINGS_MODULE": "fresh_cabinet.settings"})
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_the_cabinet_speaks_russian_whatever_the_browser_asks(client, db):
    response = client.get("/login/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Вход" in response.content.decode()
    assert response["Content-Language"] == "ru"


def test_the_language_switch_cookie_changes_the_language(client, db):
    client.cookies["django_language"] = "en"
    response = client.get("/login/")
    assert response["Content-Language"] == "en"
    assert "Sign in" in response.content.decode()
    client.cookies["django_language"] = "xx"
    assert client.get("/login/")["Content-Language"] == "ru"
