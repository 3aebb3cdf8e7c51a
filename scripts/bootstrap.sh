#!/usr/bin/env bash
# Creates .venv with Python 3.12 and installs the project (idempotent, quick when done).
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  for candidate in "${PYTHON:-}" python3.12 /root/.pyenv/versions/3.12*/bin/python3.12 \
                   "$HOME"/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12 \
                   /usr/local/bin/python3.12; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
  PY=$(find_python) || { echo "Python 3.12 is required (set PYTHON=/path/to/python3.12)" >&2; exit 1; }
  rm -rf .venv
  "$PY" -m venv .venv
fi

stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  # Dependencies only: the apps run from the work tree (manage.py / pytest put it on the path).
  .venv/bin/python - > .venv/requirements.txt <<'PY'
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["dev"]))
PY
  .venv/bin/python -m pip install -q -r .venv/requirements.txt
  rm -f .venv/.installed-*; touch "$stamp"
fi

# Translations are compiled here, from the committed .po files.
if ! command -v msgfmt >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null
fi
.venv/bin/python manage.py compilemessages -v0 --ignore=.venv

# Printouts (WeasyPrint) need Pango and a Chinese font: Debian's WenQuanYi Micro Hei is the
# first of the print templates' fonts. Installed as root where apt-get is (waiting for a
# held apt lock rather than failing); elsewhere say what is missing.
need=""
# grep reads the whole list (with -q, pipefail could see ldconfig killed by SIGPIPE)
ldconfig -p 2>/dev/null | grep libpangoft2 >/dev/null || need="libpango-1.0-0 libpangoft2-1.0-0"
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
  need="$need fontconfig fonts-wqy-microhei"
fi
if [ -n "$need" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }
    # the package lists' lock is not always waited for: try again while it is held
    apt_update() { for _ in 1 2 3 4 5 6 7 8 9 10; do apt_get update -qq && return 0; sleep 30; done; return 1; }
    # shellcheck disable=SC2086  # $need is a list of package names
    if ! { apt_update && apt_get install -y -qq --no-install-recommends $need >/dev/null; }; then
      echo "bootstrap: could not install$need; PDF printouts will lack Chinese glyphs" >&2
    fi
  else
    echo "bootstrap: PDF printouts need these Debian packages (run as root):$need" >&2
  fi
fi
