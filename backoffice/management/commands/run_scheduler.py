"""The scheduler process: enqueue every domain's scheduled tasks at their times.

    manage.py run_scheduler            # run (one per site; a second one waits to take over)
    manage.py run_scheduler --list     # print the schedule
    manage.py run_scheduler --once check_deadlines   # enqueue one task now

It only enqueues (``backoffice.platform.schedule``); ``manage.py db_worker`` does the work.
"""

import logging
import signal
import sys
import threading

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from backoffice.platform import schedule


class Command(BaseCommand):
    help = ("Enqueue the scheduled background tasks of every domain at their times, for "
            "the worker (manage.py db_worker) to run. Only one scheduler runs at a time.")

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group()
        what.add_argument("--list", action="store_true",
                          help="Print the schedule (task, when, next run) and exit.")
        what.add_argument("--once", metavar="TASK",
                          help="Enqueue this scheduled task now (its name as --list shows "
                               "it) and exit.")
        parser.add_argument("--no-wait", action="store_true",
                            help="Exit at once if another scheduler is running, instead of "
                                 "waiting to take over when it stops.")

    def handle(self, *args, list=False, once=None, no_wait=False, verbosity=1, **options):
        try:
            jobs = schedule.schedules(include_disabled=bool(list or once))
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if list:
            return self.print_schedule(jobs)
        if once:
            return self.run_once(once, jobs)
        self.serve(jobs, wait=not no_wait, verbosity=verbosity)

    def print_schedule(self, jobs):
        tz = schedule.site_timezone()
        self.stdout.write(f"Schedule ({tz.key} time); the worker runs the tasks:")
        for job in jobs:
            nxt = job.next_run()
            when = f"next {nxt:%Y-%m-%d %H:%M:%S}" if nxt else "switched off"
            self.stdout.write(f"  {job.name:<26} {job.describe():<16} {when:<25} {job.path}")

    def run_once(self, name, jobs):
        try:
            job = schedule.find(name, jobs)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        result = schedule.enqueue(job.task)
        if result is None:
            self.stdout.write(f"{job.name} is already waiting in the queue: not enqueued again.")
        elif result.is_finished:  # an immediate backend ran it already
            self.stdout.write(f"{job.name} ran: {result.status}.")
        else:
            self.stdout.write(f"{job.name} enqueued ({result.id}); the worker will run it.")

    def serve(self, jobs, *, wait, verbosity):
        if verbosity > 1:  # one line per enqueue
            handler = logging.StreamHandler(sys.stdout)
            handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
            schedule.log.addHandler(handler)
            schedule.log.setLevel(logging.INFO)
            schedule.log.propagate = False
        lock = schedule.scheduler_lock()
        stopping, lost = threading.Event(), threading.Event()
        running = []

        def stop(signum, frame):
            stopping.set()
            for scheduler in running:
                if scheduler.running:
                    scheduler.shutdown(wait=False)

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self._serve(jobs, lock, running, stopping, lost, wait=wait)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _serve(self, jobs, lock, running, stopping, lost, *, wait=True):
        told = False
        while not lock.acquire():
            holder = lock.holder() or "holder unknown"
            if not wait:
                raise CommandError(f"Another scheduler is running ({holder}); only one may "
                                   "run at a time. Not started.")
            if not told:
                self.stdout.write(f"Another scheduler is running ({holder}); waiting to take "
                                  f"over when it stops ({lock.describe()}).")
                self.stdout.flush()
                told = True
            if stopping.wait(lock.refresh_seconds):
                return
        try:
            scheduler = schedule.build_scheduler(jobs, lock=lock, on_lost=lost.set)
            running.append(scheduler)
            self.stdout.write(f"Scheduler running with {lock.describe()}, "
                              f"{schedule.site_timezone().key} time:")
            for job in jobs:
                self.stdout.write(f"  {job.name:<26} {job.describe()}")
            self.stdout.flush()
            if not stopping.is_set():
                scheduler.start()  # blocks until stopped
        finally:
            lock.release()
        if lost.is_set():
            raise CommandError("Lost the scheduler lock (database connection or cache "
                               "gone); stopped. Start it again: it waits for the lock.")
        self.stdout.write("Scheduler stopped.")
