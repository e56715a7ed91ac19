"""The project's Celery app on a test queue, and a real worker in a thread of the test process.

Shared by the folders whose tests run tasks (tests/logistics, tests/api): each puts the app on a
queue of its own for the session, so nothing a test enqueues reaches a real worker or another
run's.
"""

import contextlib
import os
import threading
import time
import uuid

from django.db import connections

TEST_BROKER = os.environ.get("OMS_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


_queue_users = []  # the queue in use while any folder's session fixture holds it


@contextlib.contextmanager
def app_on_test_queue(prefix):
    """The project's Celery app on the test Redis DB and a queue `<prefix>-<random>`, deleted after.

    One queue per session: Celery caches its queues and routes on first use, so a second folder's
    fixture in the same session shares the first one's queue instead of switching the app over.
    """
    from oms.celery import app

    if not _queue_users:
        app.conf.update(
            broker_url=TEST_BROKER,
            task_default_queue=f"{prefix}-{uuid.uuid4().hex[:12]}",
            worker_hijack_root_logger=False,
            broker_connection_retry_on_startup=False,
        )
    _queue_users.append(prefix)
    try:
        yield app
    finally:
        _queue_users.pop()
        if not _queue_users:
            with contextlib.suppress(Exception), app.connection() as conn:  # Redis may be gone: nothing to clean
                conn.default_channel.client.delete(app.conf.task_default_queue)


class TaskProgress(threading.Event):
    """Set after each task; `lock` is held while a task runs, so the test thread can read the
    database between tasks (on SQLite in memory both threads share one connection)."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()


@contextlib.contextmanager
def worker_thread(app):
    """Run a real Celery worker (solo pool) in a thread; yields a TaskProgress, set after each task.

    The worker uses the test database: its own connection on MariaDB, the test's connection for
    SQLite in memory (as Django's live server does).
    """
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun, task_prerun

    shared = connections["default"]
    in_memory = shared.vendor == "sqlite" and shared.is_in_memory_db()
    finished = TaskProgress()

    def use_test_connection(**kwargs):
        finished.lock.acquire()
        if in_memory:
            connections["default"] = shared

    def mark_finished(**kwargs):
        finished.lock.release()
        finished.set()

    if in_memory:
        shared.inc_thread_sharing()
    task_prerun.connect(use_test_connection, weak=False)
    task_postrun.connect(mark_finished, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield finished
    finally:
        task_prerun.disconnect(use_test_connection)
        task_postrun.disconnect(mark_finished)
        if in_memory:
            shared.dec_thread_sharing()


def until(finished, check, timeout=20):
    """Wait, task by task (`finished` from worker_thread), until `check()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with finished.lock:  # never while a task runs
            finished.clear()
            if check():
                return
        if not finished.wait(max(0.0, deadline - time.monotonic())):
            raise AssertionError("the Celery worker did not get there in time")
