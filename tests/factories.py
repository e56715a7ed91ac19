"""Test data built through the real services, so stock always matches its ledger."""

import itertools

import factory

from inventory.models import InventoryItem, StockMovement
from inventory.services import adjust_stock
from orders import demo
from orders.models import Carrier, Order

_numbers = itertools.count(1)


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InventoryItem
        skip_postgeneration_save = True

    sku = factory.Sequence(lambda n: f"SKU-T{n:04d}")
    name = factory.Sequence(lambda n: f"测试商品{n}")
    low_stock_threshold = 5

    @factory.post_generation
    def initial_stock(item, create, extracted, **kwargs):
        """ItemFactory(initial_stock=10) receives 10 units through adjust_stock."""
        if create and extracted:
            adjust_stock(item, extracted, StockMovement.Reason.RECEIVE, note="测试入库")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    order_no = factory.LazyFunction(lambda: f"T{next(_numbers):08d}")
    customer_id = factory.Sequence(lambda n: f"U{n:05d}")
    item = factory.SubFactory(ItemFactory, initial_stock=100)
    quantity = 1
    receiver_name = "张三"
    receiver_phone = "13800138000"
    address = "上海市浦东新区张杨路 100 号"


def carrier(code="SF"):
    return Carrier.objects.get(code=code)


def sf_number(seed=1):
    return f"SF{seed:013d}"


def tracking_number(code, rng=None):
    import random

    return demo.tracking_number(code, rng or random.Random(7))
