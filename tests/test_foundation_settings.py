"""Settings come from the environment, and production refuses to start unsafely."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_manage(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "INJAAZ_HTTPS"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="injaaz.settings")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_secret_key_is_required_without_debug() -> None:
    result = run_manage(["check"])
    assert result.returncode != 0
    assert "SECRET_KEY is required unless DEBUG=1" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("x", "SECRET_KEY is 1 characters long; it needs at least 50"),
        ("k3y-" * 12, "SECRET_KEY is 48 characters long; it needs at least 50"),
        ("abab" * 20, "SECRET_KEY has 2 distinct characters; it needs at least 5"),
        ("django-insecure-" + "q8Zr2-" * 9, "SECRET_KEY is a development key"),
    ],
)
def test_a_weak_secret_key_is_refused_without_debug(key: str, why: str) -> None:
    result = run_manage(["check"], SECRET_KEY=key, ALLOWED_HOSTS="injaaz.example.com")
    assert result.returncode != 0
    assert why in result.stderr
    assert 'python -c "import secrets; print(secrets.token_urlsafe(50))"' in result.stderr
    assert run_manage(["check"], SECRET_KEY=key, DEBUG="1").returncode == 0  # development may use any key


def test_debug_runs_without_a_secret_key() -> None:
    result = run_manage(["check"], DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_bad_phase_is_a_clear_error() -> None:
    result = run_manage(["check"], DEBUG="1", INJAAZ_STORAGE_PHASE="half")
    assert result.returncode != 0
    assert "INJAAZ_STORAGE_PHASE must be one of json, dual, dual_read_db, db_read_fallback, db" in result.stderr


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = run_manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        SECRET_KEY="x7!kq2-production-like-secret-0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1",
        ALLOWED_HOSTS="injaaz.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_policy_lets_images_come_from_the_storage_that_signs_links(monkeypatch: pytest.MonkeyPatch) -> None:
    from injaaz.settings import storage_origins

    assert storage_origins("filesystem") == []
    monkeypatch.setenv("INJAAZ_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    assert storage_origins("s3") == ["http://127.0.0.1:9000", "http://*.127.0.0.1:9000"]
    monkeypatch.delenv("INJAAZ_S3_ENDPOINT_URL")
    monkeypatch.setenv("INJAAZ_S3_BUCKET", "injaaz-files")
    monkeypatch.setenv("INJAAZ_S3_REGION", "me-central-1")
    assert storage_origins("s3") == [
        "https://injaaz-files.s3.amazonaws.com",
        "https://injaaz-files.s3.me-central-1.amazonaws.com",
    ]
    assert storage_origins("cloudinary") == ["https://api.cloudinary.com"]


def test_every_response_carries_the_content_security_policy() -> None:
    result = run_manage(
        ["shell", "-c", "from django.test import Client; print(Client().get('/health')['Content-Security-Policy'])"],
        DEBUG="1",
        INJAAZ_CSP_IMG_HOSTS="https://photos.example.com",
    )
    assert result.returncode == 0, result.stderr
    header = result.stdout.strip().splitlines()[-1]  # after the shell's own line
    policy = dict(part.strip().split(" ", 1) for part in header.split(";"))
    assert policy["script-src"] == policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data: blob: https://res.cloudinary.com https://photos.example.com"
    assert policy["frame-ancestors"] == policy["object-src"] == "'none'"
