"""50 stores' retries of one order at the same instant, over HTTP through gunicorn: exactly one order."""

import threading

import pytest
import requests
from django.db import connection

from api.models import ApiCall, ApiClient, Scope
from api.services import create_api_client
from bench.api_bench import server_env, start_server
from bench.http_load import stop_server
from orders.models import Order
from tests.api.conftest import order_body
from tests.factories import ItemFactory, ShopFactory
from tests.ports import free_port, served_database_url

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PORTS = range(18740, 18745)  # the API tests' ports (the API bench's default is 18745)


@pytest.fixture
def server(tmp_path):
    if connection.vendor != "mysql":
        pytest.skip("gunicorn serves the MariaDB test database here; run with DATABASE_URL=mysql://…")
    port = free_port(PORTS)
    process = start_server(server_env(served_database_url(), tmp_path), port, 4, tmp_path / "gunicorn.log")
    yield f"http://127.0.0.1:{port}"
    stop_server(process)
    assert "Traceback" not in (tmp_path / "gunicorn.log").read_text()


def burst(server, key, order_no, count=50):
    """`count` POSTs of one order, released at one instant, each on its own connection."""
    start = threading.Barrier(count)
    answers = []

    def push():
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {key}"
            start.wait()
            response = session.post(f"{server}/api/v1/orders/", json=order_body(order_no), timeout=60)
            answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=push) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_fifty_concurrent_creates_of_one_order_number_make_one_order(server):
    ItemFactory(sku="TEE-RED-M", initial_stock=10)
    client = ApiClient(name="商城", shop=ShopFactory(name="自营商城"), scopes=[Scope.ORDERS_WRITE, Scope.ORDERS_READ])
    key = create_api_client(client)

    for order_no in ("RACE-1", "RACE-2", "RACE-3"):  # three bursts: more chances for a lost race
        answers = burst(server, key, order_no)

        statuses = sorted(status for status, _body in answers)
        assert statuses == [200] * 49 + [201], [body for status, body in answers if status not in (200, 201)]
        assert Order.objects.filter(order_no=order_no).count() == 1
        assert len({body["id"] for _status, body in answers}) == 1
    assert ApiCall.objects.filter(client=client).count() == 150


def lock_waits():
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'")
        return cursor.fetchone()[0]


def test_a_create_that_loses_the_race_answers_with_the_winners_order(db):
    """The window the HTTP bursts hit by chance, made certain: the winner's insert is not yet
    committed when the loser checks, so the loser meets the (shop, order_no) constraint."""
    if connection.vendor != "mysql":
        pytest.skip("needs InnoDB's lock waits (MariaDB)")
    from django.db import connections, transaction

    from api.serializers import OrderCreateSerializer
    from api.services import place_order

    ItemFactory(sku="TEE-RED-M", initial_stock=10)
    client = ApiClient(name="商城", shop=ShopFactory(name="自营商城"), scopes=[Scope.ORDERS_WRITE])
    create_api_client(client)
    body = order_body("RACE-9")
    draft = OrderCreateSerializer(data=body)
    assert draft.is_valid(), draft.errors
    inserted, loser_waits, results = threading.Event(), threading.Event(), {}

    def winner():
        with transaction.atomic():  # place_order's own transaction nested: its insert stays uncommitted
            place_order(client, draft.validated_data, raw=body)
            inserted.set()
            loser_waits.wait(30)
        connections.close_all()

    def loser():
        inserted.wait(30)
        results["loser"] = place_order(client, draft.validated_data, raw=body)
        connections.close_all()

    threads = [threading.Thread(target=winner), threading.Thread(target=loser)]
    for thread in threads:
        thread.start()
    inserted.wait(30)
    for _ in range(600):  # until the loser's INSERT waits on the winner's row lock
        if lock_waits():
            break
        threading.Event().wait(0.05)
    loser_waits.set()
    for thread in threads:
        thread.join()

    order, created = results["loser"]
    assert created is False
    assert Order.objects.filter(order_no="RACE-9").get().pk == order.pk
