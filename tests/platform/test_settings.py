"""Settings come from the environment; production refuses to start half-configured."""

import os
import subprocess
import sys

from django.conf import settings

KEY = "pN3x-8Qw_zR1vL7mK2sT9yB4cH6dJ0fG5aE-uY8iO3pW1qX7nM2bV4cZ6lK9jH0g"


def manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items()
                if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE",
                              "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    full_env.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR,
                          env=full_env, capture_output=True, text=True, timeout=120)


def test_production_settings_pass_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING",
                    DJANGO_SETTINGS_MODULE="backoffice.settings.production",
                    SECRET_KEY=KEY, ALLOWED_HOSTS="backoffice.example.cn")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_SETTINGS_MODULE="backoffice.settings.production",
                    ALLOWED_HOSTS="backoffice.example.cn")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_debug_off_without_secret_key_refuses_to_start():
    result = manage("check", DEBUG="0", ALLOWED_HOSTS="x")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_defaults_are_the_departments():
    assert settings.TIME_ZONE == os.environ.get("TIME_ZONE", "Asia/Shanghai")
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.IMPORT_EXPORT_IMPORT_PERMISSION_CODE == "add"


def test_the_demo_is_production_on_plain_http_at_localhost():
    """``make demo`` serves with backoffice.settings.demo: production's DEBUG off and
    hashed static files, without forced HTTPS (127.0.0.1 has no certificate), and it
    starts without SECRET_KEY or ALLOWED_HOSTS in the environment."""
    script = ("from django.conf import settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT, "
              "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
              "','.join(s.ALLOWED_HOSTS), s.STORAGES['staticfiles']['BACKEND'], "
              "s.X_FRAME_OPTIONS, s.SESSION_COOKIE_HTTPONLY)")
    result = manage("shell", "-v0", "-c", script, DJANGO_SETTINGS_MODULE="backoffice.settings.demo")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False", "False", "False", "False", "0", "127.0.0.1,localhost",
        "whitenoise.storage.CompressedManifestStaticFilesStorage", "DENY", "True"]
    assert manage("check", DJANGO_SETTINGS_MODULE="backoffice.settings.demo").returncode == 0
