"""Shared bits of the benchmark scripts: Django set-up and timing helpers."""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
# measured as served: DEBUG off (no SQL logging, no debug context)
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("ALLOWED_HOSTS", "*")


def setup():
    import django

    django.setup()
    collect_static()


def collect_static():
    """DEBUG off serves hashed static files from STATIC_ROOT, as in production."""
    from django.conf import settings
    from django.core.management import call_command

    if not settings.DEBUG and not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


def timed(func, repeat):
    """(median ms, p95 ms, queries of the last run) of ``func()`` over ``repeat`` runs."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as ctx:  # the first run warms caches and counts
        func()
    queries = len(ctx.captured_queries)
    samples = []
    for _ in range(repeat):  # timed without query capture (it formats every statement)
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, queries


def row(label, median, p95, queries, width=46):
    print(f"{label:<{width}} median {median:8.1f} ms   p95 {p95:8.1f} ms   {queries:3d} queries")
