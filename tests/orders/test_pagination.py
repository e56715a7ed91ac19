import pytest

from orders.admin.pagination import AtLeast, CappedCountPaginator
from orders.models import Order
from tests.factories import ItemFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders():
    item = ItemFactory(initial_stock=10)
    return [OrderFactory(item=item) for _ in range(12)]


def newest_first():
    return Order.objects.order_by("-created_at", "-id")


def test_count_is_exact_within_the_cap(orders):
    paginator = CappedCountPaginator(newest_first(), 5, cap=20)

    assert paginator.count == 12
    assert not paginator.is_capped
    assert paginator.num_pages == 3


def test_count_beyond_the_cap_is_a_lower_bound_shown_with_a_plus(orders):
    # One row per page: the cap becomes 11, ten pages past the first.
    paginator = CappedCountPaginator(newest_first(), 1, cap=5, page_hint=1)

    assert paginator.count == 11
    assert isinstance(paginator.count, AtLeast)
    assert paginator.is_capped
    assert str(paginator.count) == "11+"
    assert paginator.num_pages == 11


def test_cap_follows_the_requested_page():
    assert CappedCountPaginator(Order.objects.none(), 50, cap=10_000, page_hint=500).cap == 510 * 50
    assert CappedCountPaginator(Order.objects.none(), 50, cap=10_000, page_hint=3).cap == 10_000


def test_later_pages_are_fetched_by_id_in_order(orders):
    paginator = CappedCountPaginator(newest_first(), 5)
    expected = list(newest_first())

    pages = [list(paginator.page(n).object_list) for n in (1, 2, 3)]

    assert pages == [expected[0:5], expected[5:10], expected[10:12]]
