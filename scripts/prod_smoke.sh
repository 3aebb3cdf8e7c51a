#!/usr/bin/env bash
# Starts the production configuration (production settings, PostgreSQL, gunicorn with
# several workers, WhiteNoise static files) and drives requests through it.
# Usage: scripts/prod_smoke.sh [postgres://... database URL]
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}}
DB_URL="${BASE%/*}/backoffice_prod_smoke"
PORT=${SMOKE_PORT:-8765}
export DJANGO_SETTINGS_MODULE=backoffice.settings.production
export DATABASE_URL=$DB_URL
export SECRET_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(64))')
export ALLOWED_HOSTS=backoffice.example.cn,127.0.0.1
export STATIC_ROOT=$PWD/var/smoke-static

.venv/bin/python - "$BASE" <<'PY'
import sys, psycopg
url = sys.argv[1].replace("postgres://", "postgresql://")
with psycopg.connect(url, autocommit=True) as conn:  # a fresh database every run
    conn.execute("drop database if exists backoffice_prod_smoke with (force)")
    conn.execute("create database backoffice_prod_smoke")
PY
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py check --deploy --fail-level WARNING

.venv/bin/gunicorn backoffice.wsgi:application --bind 127.0.0.1:$PORT --workers 3 \
    --access-logfile - --error-logfile - > var/smoke-gunicorn.log 2>&1 &
GUNICORN=$!
trap 'kill $GUNICORN 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$PORT/healthz/" >/dev/null 2>&1 && break
  sleep 0.2
done

fail() { echo "production smoke test FAILED: $*" >&2; tail -20 var/smoke-gunicorn.log >&2; exit 1; }
H=(-H "Host: backoffice.example.cn" -H "X-Forwarded-Proto: https")
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz/")" = 200 ] || fail healthz
login=$(curl -s "${H[@]}" "http://127.0.0.1:$PORT/admin/login/")
# here-strings, not pipes: under pipefail, grep -q (or head) leaving early makes the writer
# die of SIGPIPE, and the check fails at random on a busy machine
grep -q 'name="csrfmiddlewaretoken"' <<<"$login" || fail "login page"
css=$(grep -o -m1 '/static/[^"]*\.css' <<<"$login" | sed -n 1p)
[ -n "$css" ] || fail "no stylesheet on the login page"
[ "$(curl -s -o /dev/null -w '%{http_code}' "${H[@]}" "http://127.0.0.1:$PORT$css")" = 200 ] || fail "static $css"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: backoffice.example.cn' "http://127.0.0.1:$PORT/admin/")" = 301 ] || fail "no HTTPS redirect"
hsts=$(curl -s -D - -o /dev/null "${H[@]}" "http://127.0.0.1:$PORT/admin/login/" | grep -i strict-transport-security || true)
[ -n "$hsts" ] || fail "no HSTS header"
csp=$(curl -s -D - -o /dev/null "${H[@]}" "http://127.0.0.1:$PORT/admin/login/" | grep -i "^content-security-policy:.*frame-ancestors 'none'" || true)
[ -n "$csp" ] || fail "no Content-Security-Policy header"
echo "production smoke test passed: gunicorn x3 on PostgreSQL, login page, static $css, HTTPS redirect, HSTS, CSP"
