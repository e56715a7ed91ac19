"""The production configuration, exercised the way a server starts it: in a fresh process."""

import json
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "k3#Vq9!pZ2@wL7$mN4%xR8^tB1&yC6*hJ5(dF0)gS-eA=uT+oI"
PROD = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": SECRET, "DJANGO_ALLOWED_HOSTS": "oms.example.com"}
SETTINGS_TO_SHOW = [
    "DEBUG",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER",
]


def environment(**overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.pop("DATABASE_URL", None)
    env.update(overrides)
    return env


def run(args, env, **kwargs):
    return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, **kwargs
    )


def settings_in(env):
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {SETTINGS_TO_SHOW!r}}}))"
    )
    result = run(["-c", code], {**env, "DJANGO_SETTINGS_MODULE": "oms.settings"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_deploy_check_is_clean_in_production():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], environment(**PROD))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_catches_a_weak_secret():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        environment(**{**PROD, "DJANGO_SECRET_KEY": "short"}),
    )
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret():
    env = environment(**PROD)
    del env["DJANGO_SECRET_KEY"]
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_turns_on_secure_cookies_https_and_hsts():
    shown = settings_in(environment(**PROD))
    assert shown == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


def test_without_environment_debug_is_off_and_a_secret_is_required():
    result = run(["manage.py", "check"], environment())
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr

    shown = settings_in(environment(DJANGO_SECRET_KEY=SECRET))
    assert shown["DEBUG"] is False  # no traceback pages for anyone unless DJANGO_DEBUG=1 asks for them


def test_demo_mode_is_asked_for_and_keeps_plain_http(tmp_path):
    shown = settings_in(environment(DJANGO_DEBUG="1", DJANGO_SECRET_KEY_FILE=str(tmp_path / ".secret-key")))
    assert shown["DEBUG"] is True
    assert not shown["SESSION_COOKIE_SECURE"] and not shown["SECURE_SSL_REDIRECT"]
    assert shown["SECURE_HSTS_SECONDS"] == 0 and shown["SECURE_PROXY_SSL_HEADER"] is None


def secrets_in(env):
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "from logistics.conf import push_salt; print(json.dumps([settings.SECRET_KEY, push_salt()]))"
    )
    result = run(["-c", code], {**env, "DJANGO_SETTINGS_MODULE": "oms.settings"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_demo_without_a_secret_makes_its_own_random_one_and_keeps_it(tmp_path):
    one, other = tmp_path / "one" / ".secret-key", tmp_path / "other" / ".secret-key"
    one.parent.mkdir()
    other.parent.mkdir()
    key, salt = secrets_in(environment(DJANGO_DEBUG="1", DJANGO_SECRET_KEY_FILE=str(one)))

    assert len(key) >= 50 and one.read_text().strip() == key
    assert one.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert secrets_in(environment(DJANGO_DEBUG="1", DJANGO_SECRET_KEY_FILE=str(one))) == [key, salt]
    other_key, other_salt = secrets_in(environment(DJANGO_DEBUG="1", DJANGO_SECRET_KEY_FILE=str(other)))
    assert other_key != key and other_salt != salt  # nobody can compute another installation's push salt


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, **headers):
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"Host": "oms.example.com", **headers})  # noqa: S310 (http://127.0.0.1)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def gunicorn_server(tmp_path):
    """The documented gunicorn command in the production configuration, after collectstatic."""
    env = environment(
        **PROD,
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    collected = run(["manage.py", "collectstatic", "--noinput", "-v0"], env)
    assert collected.returncode == 0, collected.stderr
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "oms.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in server.stderr:  # blocks until gunicorn reports its worker is up
            if "Booting worker" in line:
                break
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gunicorn_serves_the_admin_over_https_only_with_hashed_static_files(gunicorn_server):
    status, headers, _ = fetch(f"{gunicorn_server}/admin/login/")
    assert status == 301 and headers["Location"].startswith("https://oms.example.com/")

    status, headers, body = fetch(f"{gunicorn_server}/admin/login/", **{"X-Forwarded-Proto": "https"})
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Secure" in headers["Set-Cookie"] and headers["X-Frame-Options"] == "DENY"
    stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', body.decode()).group(1)

    status, headers, _ = fetch(f"{gunicorn_server}{stylesheet}", **{"X-Forwarded-Proto": "https"})
    assert status == 200
    assert "immutable" in headers["Cache-Control"]

    status, _, _ = fetch(f"{gunicorn_server}/media/items/x.png", **{"X-Forwarded-Proto": "https"})
    assert status == 404  # media is the reverse proxy's job in production
