"""Shared bits of the benchmark scripts: Django set-up and timing helpers."""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")


def setup():
    import django

    django.setup()


def timed(func, repeat):
    """(median ms, p95 ms, queries of the last run) of ``func()`` over ``repeat`` runs."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    samples, queries = [], 0
    for i in range(repeat + 1):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            func()
            elapsed = (time.perf_counter() - start) * 1000
        if i:  # the first run warms caches and connections
            samples.append(elapsed)
        queries = len(ctx.captured_queries)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, queries


def row(label, median, p95, queries, width=46):
    print(f"{label:<{width}} median {median:8.1f} ms   p95 {p95:8.1f} ms   {queries:3d} queries")
