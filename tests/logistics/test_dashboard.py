"""The 异常件 card logistics adds to the admin index, and the one-way dependency that makes it a setting."""

import ast
from pathlib import Path

import pytest
from django.utils import timezone

from logistics.models import Tracking, TrackingState
from logistics.services.tracking import ensure_tracking
from orders.services import ship_order
from tests.factories import OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db


def test_the_index_shows_the_exception_card_with_its_count_and_link(courier, clerk_client):
    parcel = ship_order(OrderFactory(), carrier("SF"), sf_number(1))
    ensure_tracking(parcel)
    Tracking.objects.filter(parcel=parcel).update(state=TrackingState.DIFFICULT, last_event_at=timezone.now())

    content = clerk_client.get("/admin/").content.decode()

    assert "异常件" in content
    assert "tracking_state=exceptions" in content


def test_without_the_courier_api_there_is_no_exception_card(clerk_client):
    assert "异常件" not in clerk_client.get("/admin/").content.decode()


def test_orders_imports_nothing_from_logistics():
    """Dependencies point one way: logistics extends orders (its admin, its dashboard), never the reverse."""
    root = Path(__file__).resolve().parents[2] / "orders"
    offenders = []
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            offenders += [f"{path.relative_to(root.parent)}: {name}" for name in names if name.startswith("logistics")]
    assert offenders == []
