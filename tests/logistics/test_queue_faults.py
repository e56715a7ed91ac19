"""Queue down (issue 15, "Faults and load"): Redis stopped while an e-waybill batch runs or before it
could start, a worker killed with SIGKILL in the middle of an order.

Each test runs its own redis-server (so stopping it never touches the machine's) and real Celery
workers as processes of their own (so they can be killed), on the test database: MariaDB's test
database, or on SQLite a file copy of the in-memory one that the test and the workers share. The
local fake courier counts e-waybill requests per idempotency key and can hold an answer after
the waybill is bought, the moment a worker's death would lose it.
"""

import contextlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django.db import connections
from django.db.utils import load_backend
from django.test import Client
from django.urls import reverse
from kombu import pools

from logistics.models import Waybill, WaybillBatch
from logistics.services import batches
from orders.models import Order, Parcel
from tests.factories import ItemFactory, OrderFactory
from tests.logistics.conftest import PUSH_PATH, run_action

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROOT = Path(__file__).resolve().parents[2]
REDIS_PORT = 18866 + int(os.environ.get("OMS_TEST_PORT_OFFSET", "0"))  # see tests/replication.py
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
WAIT = 90  # seconds: the bound of every wait below (each ends as soon as its condition holds)


def wait_until(condition, what, timeout=WAIT):
    """Poll `condition` until it is true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class RedisServer:
    """A redis-server of the test's own, without persistence: a restart loses every queued message."""

    def __init__(self, port, log_dir):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.log_dir = log_dir
        self.process = None

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603
            [REDIS_SERVER, "--port", str(self.port), "--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=(self.log_dir / "redis.log").open("a"),
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        wait_until(lambda: self._answers(client), "redis-server to start")
        # Another run's server on the same port would answer for ours, and outlive our stop().
        serving = client.info("server")["process_id"]
        if serving != self.process.pid:
            self.process.kill()
            raise AssertionError(f"port {self.port} is taken by another redis-server (pid {serving}): another run?")
        return self

    def stop(self):
        """Kill it as a crash or an operator would (no shutdown save: it keeps nothing)."""
        self.process.kill()
        self.process.wait(timeout=WAIT)

    @staticmethod
    def _answers(client):
        try:
            return client.ping()
        except redis.ConnectionError:
            return False


@pytest.fixture
def own_redis(celery_test_app, tmp_path):
    """Start a Redis of this test's own and point the Celery app at it (restored afterwards)."""
    server = RedisServer(REDIS_PORT, tmp_path).start()
    app = celery_test_app

    def reset_pools():  # close the app's connections and forget them (kombu keeps pools per URL)
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    saved = app.conf.broker_url
    reset_pools()
    app.conf.broker_url = server.url
    yield server
    reset_pools()
    app.conf.broker_url = saved
    if server.process.poll() is None:
        server.stop()


@pytest.fixture
def shared_database(courier, sender, clerk_client, tmp_path):
    """The database URL a worker process reaches the test's data with (made after the data the
    other fixtures create, so it has them)."""
    shared = connections["default"]
    if shared.vendor == "mysql":
        conf = shared.settings_dict
        yield f"mysql://{conf['USER']}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 3306}/{conf['NAME']}"
        return
    # SQLite in memory lives in this process only: copy it to a file and use the file from here on.
    path = tmp_path / "shared.sqlite3"
    target = sqlite3.connect(path)
    shared.ensure_connection()
    shared.connection.backup(target)
    target.close()
    settings_dict = {**shared.settings_dict, "NAME": str(path)}
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
    connections["default"] = wrapper
    try:
        yield f"sqlite:///{path}"
    finally:
        wrapper.close()
        connections["default"] = shared


@pytest.fixture
def start_worker(own_redis, shared_database, courier, celery_test_app, tmp_path):
    """Start a Celery worker process on the test's Redis, queue, database and fake courier."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KUAIDI100_", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=shared_database,
        CELERY_BROKER_URL=own_redis.url,
        KUAIDI100_KEY=courier.key,
        KUAIDI100_SECRET=courier.secret,
        KUAIDI100_CUSTOMER=courier.customer,
        KUAIDI100_BASE_URL=courier.base_url,
        KUAIDI100_CALLBACK_URL=f"http://testserver{PUSH_PATH}",
        KUAIDI100_TIMEOUT="60",  # a held answer is waited for, not timed out
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),  # the labels it stores: never the project's media/
    )
    workers = []

    def start(pool="solo"):
        log_path = tmp_path / f"worker-{len(workers)}.log"
        log = log_path.open("w")
        worker = subprocess.Popen(  # noqa: S603 (our own interpreter and the project's Celery app)
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "oms",
                "worker",
                f"--pool={pool}",
                "--concurrency=1",
                "-Q",
                celery_test_app.conf.task_default_queue,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "info",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        worker.log_path = log_path
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=WAIT)


def children_of(pid):
    """The ids of the processes whose parent is `pid` (a prefork worker's pool)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def batch_of(orders, clerk):
    response, _shown = run_action(clerk, orders)
    assert response.status_code == 302
    return WaybillBatch.objects.get()


def finished(batch):
    def check():
        batch.refresh_from_db()
        return batch.status == WaybillBatch.Status.FINISHED

    return check


def key_of(order):
    return Waybill.objects.get(order=order).idempotency_key


def assert_each_order_shipped_once(orders, courier):
    assert Order.objects.filter(pk__in=[o.pk for o in orders], status=Order.Status.SHIPPED).count() == len(orders)
    for order in orders:
        assert Parcel.objects.filter(lines__line__order=order).distinct().count() == 1
        assert Waybill.objects.filter(order=order).count() == 1
    assert courier.purchases == len(orders)  # one waybill bought per order, none lost, none twice
    out = StringIO()
    call_command("verify_stock", stdout=out)
    assert "库存与流水一致" in out.getvalue()


def page(client, batch):
    return client.get(reverse("admin:logistics_waybillbatch_change", args=[batch.pk])).content.decode()


def field_shown(html, label):
    """The text the batch page shows for one of its fields (状态, 最近进展, ...)."""
    found = re.search(rf'<label>{label}:</label>\s*<div class="readonly">(.*?)</div>', html, re.S)
    assert found, f"no field {label} on the page"
    return found.group(1).strip()


def test_redis_stopped_while_a_batch_runs_the_page_says_so_and_nothing_is_bought_twice(
    own_redis, start_worker, clerk, clerk_client, courier
):
    orders = [OrderFactory(item=ItemFactory(initial_stock=5)) for _ in range(8)]
    batch = batch_of(orders, clerk)
    held = courier.hold_next("/label/order")
    start_worker()
    assert held.arrived.wait(WAIT), "the worker did not start the batch"

    own_redis.stop()
    shown = page(clerk_client, batch)
    assert "后台任务队列中断" in shown and "继续处理" in shown and 'http-equiv="refresh"' in shown

    # The run needs the database and the courier, not the queue: it carries on and finishes.
    held.release()
    wait_until(finished(batch), "the batch to finish with Redis down")
    own_redis.start()  # back, empty: the batch's message is gone with it, and nothing is redelivered
    assert (batch.done, batch.failed) == (8, 0)
    assert_each_order_shipped_once(orders, courier)
    assert all(courier.create_calls[key_of(order)] == 1 for order in orders)
    shown = page(clerk_client, batch)
    assert "已完成" in shown and "后台任务队列中断" not in shown and "继续处理" not in shown

    # The same worker reconnects by itself: the next batch runs without restarting anything.
    later = [OrderFactory(item=ItemFactory(initial_stock=5)) for _ in range(6)]
    run_action(clerk, later)
    second = WaybillBatch.objects.latest("pk")
    wait_until(finished(second), "the worker to take a batch after Redis came back")
    assert (second.done, second.failed) == (6, 0)


def test_worker_child_killed_mid_order_the_batch_is_requeued_and_ships_that_order_once(
    own_redis, start_worker, clerk, courier
):
    orders = [OrderFactory(item=ItemFactory(initial_stock=5)) for _ in range(8)]
    batch = batch_of(orders, clerk)
    held = courier.hold_next("/label/order")  # order 1's waybill is bought, its answer never arrives
    worker = start_worker(pool="prefork")
    assert held.arrived.wait(WAIT), "the worker did not start the batch"
    (child,) = children_of(worker.pid)
    os.kill(child, signal.SIGKILL)

    # The pool requeues the message of its lost child (task_reject_on_worker_lost), a new child
    # runs the batch again and the first order reuses its stored waybill and idempotency key.
    wait_until(finished(batch), "the requeued batch to finish")
    held.release()
    assert (batch.done, batch.failed) == (8, 0)
    assert courier.create_calls[key_of(orders[0])] == 2
    assert all(courier.create_calls[key_of(order)] == 1 for order in orders[1:])
    assert_each_order_shipped_once(orders, courier)


def test_worker_killed_after_shipping_before_recording_the_rerun_counts_the_order_as_shipped(
    own_redis, start_worker, clerk, courier
):
    orders = [OrderFactory(item=ItemFactory(initial_stock=5)) for _ in range(6)]
    batch = batch_of(orders, clerk)
    held = courier.hold_next("/poll")  # order 1 has shipped; its tracking subscription hangs
    worker = start_worker(pool="prefork")
    assert held.arrived.wait(WAIT), "the worker did not ship the first order"
    (child,) = children_of(worker.pid)
    os.kill(child, signal.SIGKILL)

    wait_until(finished(batch), "the requeued batch to finish")
    held.release()
    first = orders[0]
    number = Parcel.objects.get(lines__line__order=first).tracking_number
    assert (batch.done, batch.failed) == (6, 0)
    assert f"订单 {first.order_no}：已发货，快递单号 {number}" in batch.messages
    assert courier.create_calls[key_of(first)] == 1
    assert_each_order_shipped_once(orders, courier)


def test_worker_killed_and_redis_restarted_the_batch_is_resumed_with_the_button(
    own_redis, start_worker, clerk, clerk_client, courier
):
    orders = [OrderFactory(item=ItemFactory(initial_stock=5)) for _ in range(8)]
    batch = batch_of(orders, clerk)
    held = courier.hold_next("/label/order", skip=2)  # the third order's waybill is bought, its answer lost
    worker = start_worker()
    assert held.arrived.wait(WAIT), "the worker did not reach the third order"
    worker.kill()  # the whole worker, SIGKILL: its unacknowledged message waits in Redis...
    worker.wait(timeout=WAIT)
    own_redis.stop()  # ...which stops too and comes back empty: nothing will run the batch again
    own_redis.start()
    held.release()

    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.failed) == (WaybillBatch.Status.RUNNING, 2, 0)
    cut = orders[2]
    assert Waybill.objects.get(order=cut).state == Waybill.State.REQUESTED  # committed before the courier was asked
    assert "batch-resume" not in page(clerk_client, batch)  # it moved a moment ago

    # After STALL_AFTER without progress the page says so and offers 继续处理.
    WaybillBatch.objects.filter(pk=batch.pk).update(heartbeat_at=batch.heartbeat_at - batches.STALL_AFTER)
    shown = page(clerk_client, batch)
    assert "没有进展" in shown and "batch-resume" in shown
    response = clerk_client.post(reverse("admin:logistics_waybillbatch_resume", args=[batch.pk]), follow=True)
    assert "已重新排队，继续处理剩余的 6 个订单。" in response.content.decode()

    start_worker()
    wait_until(finished(batch), "the resumed batch to finish")
    assert (batch.done, batch.failed) == (8, 0)
    assert courier.create_calls[key_of(cut)] == 2  # asked again with the same key: bought once
    assert all(courier.create_calls[key_of(order)] == 1 for order in orders if order != cut)
    assert_each_order_shipped_once(orders, courier)


def test_a_run_taken_over_by_continue_stops_before_its_next_order(
    own_redis, start_worker, clerk, clerk_client, courier
):
    orders = [OrderFactory(item=ItemFactory(initial_stock=5)) for _ in range(8)]
    batch = batch_of(orders, clerk)
    slow = courier.hold_next("/label/order", skip=2)  # the first run is slow on the third order...
    first = start_worker()
    assert slow.arrived.wait(WAIT)
    WaybillBatch.objects.filter(pk=batch.pk).update(heartbeat_at=batch.created_at - batches.STALL_AFTER)
    clerk_client.post(reverse("admin:logistics_waybillbatch_resume", args=[batch.pk]))  # ...so a clerk resumes
    second_held = courier.hold_next("/label/order")
    start_worker()
    assert second_held.arrived.wait(WAIT)  # the new run is on the third order too: same key, same waybill

    slow.release()
    wait_until(lambda: "succeeded" in first.log_path.read_text(), "the first run to stop")
    # The first run shipped the third order and stopped: it asked for no fourth waybill.
    assert sum(courier.create_calls.values()) == 4
    second_held.release()
    wait_until(finished(batch), "the new run to finish the batch")
    assert (batch.done, batch.failed) == (8, 0)
    assert courier.create_calls[key_of(orders[2])] == 2
    assert all(courier.create_calls[key_of(order)] == 1 for order in orders if order != orders[2])
    assert_each_order_shipped_once(orders, courier)


def test_resume_is_refused_while_the_batch_moves_and_offered_only_to_who_may_ship(
    own_redis, courier, sender, clerk, clerk_client, manager_user
):
    manager_client = Client()
    manager_client.force_login(manager_user)
    orders = [OrderFactory(item=ItemFactory(initial_stock=5)) for _ in range(6)]
    batch = batch_of(orders, clerk)
    assert "batch-resume" not in page(clerk_client, batch)
    with pytest.raises(batches.BatchNotResumable, match="批次仍在处理中"):
        batches.resume_waybill_batch(batch)

    WaybillBatch.objects.filter(pk=batch.pk).update(created_at=batch.created_at - timedelta(minutes=10))
    assert "batch-resume" in page(clerk_client, batch)
    assert "batch-resume" not in page(manager_client, batch)
    url = reverse("admin:logistics_waybillbatch_resume", args=[batch.pk])
    assert manager_client.post(url).status_code == 403

    own_redis.stop()
    with pytest.raises(batches.BatchNotResumable, match="后台任务队列仍不可用"):
        batches.resume_waybill_batch(batch)
    batch.refresh_from_db()
    assert batches.is_stalled(batch)  # a refused resume leaves it resumable


def kill_the_workers_database_connections():
    """KILL every connection to the test database but ours (the worker's), as a database restart would."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()")
        ids = [row[0] for row in cursor.fetchall()]
        for thread_id in ids:
            cursor.execute("KILL CONNECTION %s", [thread_id])
    return ids


@pytest.mark.skipif("connections['default'].vendor != 'mysql'", reason="killing a connection needs MariaDB")
def test_the_workers_database_connection_killed_mid_batch_the_batch_retries_by_itself_and_buys_once(
    own_redis, start_worker, clerk, courier
):
    orders = [OrderFactory(item=ItemFactory(initial_stock=5)) for _ in range(6)]
    batch = batch_of(orders, clerk)
    held = courier.hold_next("/label/order")  # the first order's waybill is bought while...
    start_worker()
    assert held.arrived.wait(WAIT), "the worker did not start the batch"
    assert kill_the_workers_database_connections(), "the worker had no database connection"  # ...the database restarts
    held.release()  # storing the courier's answer fails: the waybill stays REQUESTED, its key kept

    wait_until(finished(batch), "the batch to be run again after the lost connection")
    assert (batch.done, batch.failed) == (6, 0)
    assert courier.create_calls[key_of(orders[0])] == 2  # asked again with the same key: bought once
    assert all(courier.create_calls[key_of(order)] == 1 for order in orders[1:])
    assert_each_order_shipped_once(orders, courier)


def test_a_batch_that_could_not_start_is_shown_not_started_and_resumed_once_redis_is_back(
    own_redis, start_worker, clerk, clerk_client, courier
):
    own_redis.stop()  # down when the clerk starts the batch: its task is never enqueued
    orders = [OrderFactory(item=ItemFactory(initial_stock=5)) for _ in range(7)]
    response, shown = run_action(clerk, orders)
    assert response.status_code == 302
    batch = WaybillBatch.objects.get()
    assert any("没有订单被处理" in m and "继续处理" in m for m in shown)  # the clerk knows what to do next

    shown = page(clerk_client, batch)
    assert batch.status == WaybillBatch.Status.FAILED
    assert (field_shown(shown, "状态"), field_shown(shown, "最近进展"), field_shown(shown, "完成时间")) == (
        "未能启动",
        "-",  # it never moved, and it did not finish either
        "-",
    )
    assert "0 / 7" in shown and "batch-not-started" in shown and "batch-resume" in shown
    assert 'http-equiv="refresh"' not in shown  # nothing moves until someone resumes it

    # Resumed while Redis is still down: refused in Chinese, still not started, still resumable.
    url = reverse("admin:logistics_waybillbatch_resume", args=[batch.pk])
    refused = clerk_client.post(url, follow=True).content.decode()
    assert "后台任务队列仍不可用" in refused and "batch-resume" in refused
    assert (field_shown(refused, "状态"), field_shown(refused, "最近进展")) == ("未能启动", "-")
    batch.refresh_from_db()
    assert batch.status == WaybillBatch.Status.FAILED and Waybill.objects.count() == 0

    own_redis.start()
    resumed = clerk_client.post(url, follow=True).content.decode()
    assert "已重新排队，继续处理剩余的 7 个订单。" in resumed
    assert field_shown(resumed, "状态") == "排队中" and field_shown(resumed, "最近进展") != "-"
    assert "batch-not-started" not in resumed and "batch-resume" not in resumed
    # A second click (or a second clerk) before the run starts queues nothing more.
    again = clerk_client.post(url, follow=True).content.decode()
    assert "批次仍在处理中" in again

    start_worker()
    wait_until(finished(batch), "the resumed batch to finish")
    assert (batch.done, batch.failed) == (7, 0)
    assert not any("后台任务队列不可用" in m for m in batch.messages)
    assert all(courier.create_calls[key_of(order)] == 1 for order in orders)
    assert_each_order_shipped_once(orders, courier)
    shown = page(clerk_client, batch)
    assert field_shown(shown, "状态") == "已完成" and "7 / 7" in shown and "batch-resume" not in shown
