#!/usr/bin/env bash
# Runs the whole test suite: on SQLite, then on PostgreSQL when one is reachable
# (with CI set, a missing PostgreSQL or Chromium is a failure, not a skip).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

# Chromium for the browser tests (Debian package; Playwright's own download is not used),
# Dovecot for the mail-intake tests (tests/imap.py starts a private instance of it).
packages=""
[ -x /usr/bin/chromium ] || packages="$packages chromium"
command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || packages="$packages dovecot-imapd"
if [ -n "$packages" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
fi

.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache   # the architecture contracts in pyproject.toml
.venv/bin/python manage.py makemigrations --check --dry-run -v0
# a deployment installs the project as a package: the build must work and carry the templates
wheels=$(mktemp -d)
.venv/bin/python -m pip wheel . --no-deps -q -w "$wheels" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python - "$wheels" <<'PY'
import glob, sys, zipfile
names = zipfile.ZipFile(glob.glob(f"{sys.argv[1]}/*.whl")[0]).namelist()
for needed in ("backoffice/platform/workflow.py", "backoffice/templates/admin/index.html",
               "billing/templates/billing/budget_report.html", "training/migrations/0001_initial.py"):
    assert needed in names, f"the wheel lacks {needed}"
PY
rm -rf "$wheels" build

echo "== tests on SQLite"
env -u DATABASE_URL .venv/bin/python -m pytest "$@"

PG_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
if .venv/bin/python - "$PG_URL" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://"), connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}", file=sys.stderr); sys.exit(1)
PY
then
  echo "== tests on PostgreSQL"
  DATABASE_URL=$PG_URL .venv/bin/python -m pytest "$@"
  echo "== production configuration (gunicorn, PostgreSQL, production settings)"
  bash scripts/prod_smoke.sh "$PG_URL"
elif [ -n "${CI:-}" ]; then
  echo "PostgreSQL is required in CI" >&2; exit 1
else
  echo "== PostgreSQL not reachable: PostgreSQL run skipped (set TEST_POSTGRES_URL)"
fi
