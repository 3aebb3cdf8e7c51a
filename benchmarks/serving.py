"""The demo as the user feels it: the same pages through ``runserver`` with DEBUG on (how
``make dev`` serves) and through gunicorn with ``backoffice.settings.demo`` (DEBUG off,
collected static files served by WhiteNoise, compressed and cached for good: how
``make demo`` serves).

    .venv/bin/python benchmarks/serving.py --var-dir var            # the demo's database
    .venv/bin/python benchmarks/serving.py --var-dir /tmp/demo --requests 30

Needs a database with the demo data (``make demo``, or ``migrate`` + ``load_demo`` with
``VAR_DIR`` set); each server works on a copy of it, so the demo's sessions and login
records stay as they were. Both servers run side by side on free ports of 127.0.0.1 and
are asked in turn, request by request (a busy machine slows both alike), after three
rounds of warming up: signing in as the manager (the login form, then the POST), the
ticket list, the dashboard, the largest stylesheet over HTTP (one request at a time, as a
user clicks), then - with /usr/bin/chromium - the dashboard and the ticket list loaded in
Chromium until the load event (scripts, styles and fonts included; the cache warm as after
the first page) and the dashboard in a browser with an empty cache. Prints the median and
p95 of each, and the load average (read the figures of a quiet machine).
"""

import argparse
import http.cookiejar
import os
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
CHROMIUM = "/usr/bin/chromium"
USER, PASSWORD = "manager", "Demo@2026"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One user's cookies; requests that do not follow redirects."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def get(self, path) -> tuple[int, bytes]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path, data) -> tuple[int, bytes]:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, headers={
            "Referer": self.base + path, "Origin": self.base}))

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:  # 302 (not followed), 4xx, 5xx
            return exc.code, exc.read()

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), "")

    def sign_in(self):
        status, page = self.get("/admin/login/")
        assert status == 200, status
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _ = self.post("/admin/login/?next=/admin/", {
            "csrfmiddlewaretoken": token.decode(), "username": USER, "password": PASSWORD,
            "next": "/admin/"})
        assert status == 302, f"login answered {status}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_database(var_dir: Path, into: Path):
    source = var_dir / "backoffice.sqlite3"
    if not source.exists():
        sys.exit(f"no database at {source}: run make demo (or migrate + load_demo) first")
    into.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(into / "backoffice.sqlite3") as dst:
        src.backup(dst)  # consistent even while the demo writes (WAL)


def start(kind: str, port: int, var_dir: Path, static_root: Path):
    env = {k: v for k, v in os.environ.items()
           if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS",
                        "DATABASE_URL"}}
    env.update(VAR_DIR=str(var_dir), STATIC_ROOT=str(static_root))
    if kind == "runserver":  # make dev: DEBUG on, the development server
        env["DJANGO_SETTINGS_MODULE"] = "backoffice.settings"
        # without the reloader: it restarts the server whenever a file of the work tree
        # changes (and polls them every second), which would only make the figures noisier
        command = [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    else:  # make demo
        env["DJANGO_SETTINGS_MODULE"] = "backoffice.settings.demo"
        subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT,
                       env=env, check=True)
        command = [GUNICORN, "backoffice.wsgi:application", "--bind", f"127.0.0.1:{port}",
                   "--workers", "2", "--threads", "4", "--timeout", "120"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/healthz/", timeout=2)
            return process, base
        except OSError:
            if process.poll() is not None:
                sys.exit(f"{kind} did not start")
            time.sleep(0.2)
    sys.exit(f"{kind} did not answer")


def stop(process):
    os.killpg(process.pid, signal.SIGTERM)  # the reloader's child too
    process.wait(timeout=30)


def summary(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[min(len(samples) - 1,
                                                   round(0.95 * (len(samples) - 1)))]


def http_checks(base: str) -> dict:
    """name -> a function doing one request as a signed-in user (asserting its status)."""
    user = Browser(base)
    user.sign_in()
    _status, page = user.get("/admin/")
    css = max(set(re.findall(rb'href="(/static/[^"]+\.css)"', page)), key=len).decode()

    def ok(path):
        def fetch():
            status, _body = user.get(path)
            assert status == 200, (path, status)
        return fetch

    return {"sign in (form + POST)": lambda: Browser(base).sign_in(),
            "ticket list": ok("/admin/backoffice/ticket/"),
            "dashboard": ok("/admin/"),
            "largest stylesheet": ok(css)}


def browser_checks(playwright, base: str) -> dict:
    """name -> a function loading a page in Chromium (scripts, styles, fonts: what the user
    waits for), with the browser's cache warm as after the first page; None without
    Chromium."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    page = browser.new_page()
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")

    signed_in = page.context.storage_state()

    def load(path):
        def visit():
            page.goto(base + path, wait_until="load")
        return visit

    def first_visit(path):
        def visit():  # a browser with the session cookie and an empty cache
            context = browser.new_context(storage_state=signed_in)
            context.new_page().goto(base + path, wait_until="load")
            context.close()
        return visit

    return {"dashboard in Chromium (until load)": load("/admin/"),
            "ticket list in Chromium (until load)": load("/admin/backoffice/ticket/"),
            "dashboard in Chromium, empty cache": first_visit("/admin/")}


def measure(servers: dict[str, str], repeat: int) -> dict[str, dict[str, tuple]]:
    """Alternates the servers request by request, so that a busy machine slows both alike."""
    checks = {label: http_checks(base) for label, base in servers.items()}
    playwright = None
    if Path(CHROMIUM).exists():
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        for label, base in servers.items():
            checks[label].update(browser_checks(playwright, base))
    try:
        samples = {label: {name: [] for name in funcs} for label, funcs in checks.items()}
        for round_ in range(3 + repeat):  # three rounds to warm up, not counted
            for label, funcs in checks.items():
                for name, func in funcs.items():
                    start_at = time.perf_counter()
                    func()
                    if round_ >= 3:
                        samples[label][name].append((time.perf_counter() - start_at) * 1000)
    finally:
        if playwright:
            playwright.stop()
    return {label: {name: summary(values) for name, values in found.items()}
            for label, found in samples.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var",
                        help="VAR_DIR of a database with the demo data (default: var)")
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    kinds = {"runserver": "runserver, DEBUG on (make dev)",
             "gunicorn": "gunicorn, demo settings (make demo)"}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="serving-bench-") as tmp:
        processes, servers = [], {}
        try:
            for kind, label in kinds.items():
                var_dir = Path(tmp) / kind
                copy_database(args.var_dir, var_dir)
                process, base = start(kind, free_port(), var_dir, Path(tmp) / "static")
                processes.append(process)
                servers[label] = base
            results = measure(servers, args.requests)
        finally:
            for process in processes:
                stop(process)
    print(f"{args.requests} times each, one request at a time, the two servers in turn; ms "
          f"(load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)")
    before, after = kinds.values()
    for name in results[before]:
        print(f"\n{name}")
        for label in kinds.values():
            median, p95 = results[label][name]
            print(f"  {label:<38} median {median:7.1f}   p95 {p95:7.1f}")
        print(f"  {'runserver / gunicorn (medians)':<38} {results[before][name][0] / results[after][name][0]:6.2f}x")


if __name__ == "__main__":
    main()
