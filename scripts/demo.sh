#!/usr/bin/env bash
# One command from a fresh clone to a running demo on http://127.0.0.1:8000/admin/
# (SQLite under var/, demo data, one user per role). Running it again is harmless.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py load_demo
echo "Admin: http://127.0.0.1:8000/admin/  (users: clerk, engineer, manager, business, warehouse, trainer, finance, admin; password Demo@2026)"
# Beside the web server: the worker (background imports/exports and every scheduled task)
# and the scheduler (enqueues deadline checks, mail intake, daily jobs). Both stop with it.
.venv/bin/python manage.py db_worker > var/worker.log 2>&1 &
WORKER=$!
.venv/bin/python manage.py run_scheduler > var/scheduler.log 2>&1 &
SCHEDULER=$!
trap 'kill $SCHEDULER $WORKER 2>/dev/null || true' EXIT INT TERM
echo "Worker log: var/worker.log; scheduler log: var/scheduler.log (manage.py run_scheduler --list)"
.venv/bin/python manage.py runserver "${DEMO_ADDR:-127.0.0.1:8000}"
