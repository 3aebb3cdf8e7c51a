#!/usr/bin/env bash
# One command from a fresh clone to a running demo on http://127.0.0.1:8000/admin/
# (SQLite under var/, demo data, one user per role). Running it again is harmless.
#
# The demo is served the way production serves (backoffice.settings.demo): DEBUG off,
# static files collected and served by WhiteNoise, gunicorn as the WSGI server - only
# without forced HTTPS, which 127.0.0.1 cannot offer (see the settings module).
# DEMO_DEBUG=1 (or `make dev`) serves with runserver and DEBUG on instead: auto-reload and
# tracebacks while developing, at the speed of a development server.
# DEMO_ADDR=127.0.0.1:8001 serves on another address; DEMO_WORKERS (2) and DEMO_THREADS
# (4) size gunicorn.
set -euo pipefail
cd "$(dirname "$0")/.."
ADDR=${DEMO_ADDR:-127.0.0.1:8000}
if [ "${DEMO_DEBUG:-0}" = 1 ]; then
  export DJANGO_SETTINGS_MODULE=backoffice.settings
else
  export DJANGO_SETTINGS_MODULE=backoffice.settings.demo
fi
export SITE_URL=${SITE_URL:-http://$ADDR}  # the links in the demo's mails
bash scripts/bootstrap.sh
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py load_demo
if [ "${DEMO_DEBUG:-0}" != 1 ]; then
  .venv/bin/python manage.py collectstatic --noinput -v0
fi
LOGS=${VAR_DIR:-var}
echo "Admin: http://$ADDR/admin/  (users: clerk, engineer, manager, business, warehouse, trainer, finance, admin; password Demo@2026)"
# Beside the web server: the worker (background imports/exports and every scheduled task)
# and the scheduler (enqueues deadline checks, mail intake, daily jobs). All stop together.
.venv/bin/python manage.py db_worker > "$LOGS/worker.log" 2>&1 &
WORKER=$!
.venv/bin/python manage.py run_scheduler > "$LOGS/scheduler.log" 2>&1 &
SCHEDULER=$!
trap 'kill $SCHEDULER $WORKER 2>/dev/null || true' EXIT INT TERM
echo "Worker log: $LOGS/worker.log; scheduler log: $LOGS/scheduler.log (manage.py run_scheduler --list)"
if [ "${DEMO_DEBUG:-0}" = 1 ]; then
  .venv/bin/python manage.py runserver "$ADDR"
else
  # gthread workers: a page's static files and htmx requests are served side by side;
  # 120 s for the largest "Import now" (bigger files go to the background worker)
  .venv/bin/gunicorn backoffice.wsgi:application --bind "$ADDR" \
      --workers "${DEMO_WORKERS:-2}" --threads "${DEMO_THREADS:-4}" --timeout 120 \
      --access-logfile - --error-logfile -
fi
