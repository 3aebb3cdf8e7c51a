"""The desk's scheduled work (run by the worker, enqueued by the scheduler)."""
