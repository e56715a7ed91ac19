"""Test data built through the real services, so stock always matches its ledger."""

import itertools

import factory
from django.utils import timezone

from inventory.models import InventoryItem, StockMovement
from inventory.services import adjust_stock
from orders import demo
from orders.models import Carrier, Order, OrderLine, Shop
from orders.selectors import default_shop

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


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    name = factory.Sequence(lambda n: f"测试店铺{n}")
    platform = Shop.Platform.TAOBAO


class OrderFactory(factory.django.DjangoModelFactory):
    """A pending order with lines.

    OrderFactory() has one line of a new item (100 in stock); OrderFactory(item=x, quantity=2)
    one line of x; OrderFactory(lines=[(x, 2), (y, 1)]) those lines.
    """

    class Meta:
        model = Order
        skip_postgeneration_save = True

    order_no = factory.LazyFunction(lambda: f"T{next(_numbers):08d}")
    shop = factory.LazyFunction(default_shop)
    customer_id = factory.Sequence(lambda n: f"U{n:05d}")
    receiver_name = "张三"
    receiver_phone = "13800138000"
    address = "上海市浦东新区张杨路 100 号"

    @classmethod
    def _create(cls, model_class, *args, item=None, quantity=1, **kwargs):
        # As every path that adds orders does (services.set_default_ship_by): the shop's default deadline.
        kwargs.setdefault("created_at", timezone.now())
        kwargs.setdefault("ship_by", kwargs["shop"].ship_by_for(kwargs["created_at"]))
        order = super()._create(model_class, *args, **kwargs)
        order._factory_line = (item, quantity)
        return order

    @factory.post_generation
    def lines(order, create, extracted, **kwargs):
        if not create:
            return
        for item, quantity in extracted or [order._factory_line]:
            OrderLine.objects.create(order=order, item=item or ItemFactory(initial_stock=100), quantity=quantity)


def carrier(code="SF"):
    return Carrier.objects.get(code=code)


def sf_number(seed=1):
    return f"SF{seed:013d}"


def tracking_number(code, rng=None):
    import random

    return demo.tracking_number(code, rng or random.Random(7))
