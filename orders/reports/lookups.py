"""Names the report and export rows show (product, carrier, operator), fetched once per chunk."""

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS

from inventory.models import InventoryItem
from orders.models import Carrier, Shop


class NameBook:
    """Items, carriers, users and shops by pk, completed in one query each for what a chunk lacks.

    One book is shared by the chunks of one report or export, so each is read at most once;
    it reads the database `using` (the report's, see orders.reports.replica).
    """

    def __init__(self, using=DEFAULT_DB_ALIAS):
        self.items, self.carriers, self.users, self.shops = {}, {}, {}, {}
        self.using = using

    def learn(self, *, items=(), carriers=(), users=(), shops=()):
        """Fetch what is not known yet of these pks: at most four queries."""
        _complete(self.items, InventoryItem.objects.using(self.using).only("name", "sku"), items)
        _complete(self.carriers, Carrier.objects.using(self.using).only("name", "code", "sort_order"), carriers)
        users_qs = get_user_model().objects.using(self.using).only("username", "first_name", "last_name")
        _complete(self.users, users_qs, users)
        _complete(self.shops, Shop.objects.using(self.using).only("name"), shops)

    def item(self, pk):
        """(name, sku) of an item ("", "" if unknown)."""
        item = self.items.get(pk)
        return (item.name, item.sku) if item else ("", "")

    def carrier_name(self, pk):
        carrier = self.carriers.get(pk)
        return carrier.name if carrier else ""

    def shop_name(self, pk):
        shop = self.shops.get(pk)
        return shop.name if shop else ""

    def operator(self, pk):
        """A user as the report names them: 姓名 if set, else the username."""
        user = self.users.get(pk)
        if user is None:
            return ""
        return f"{user.last_name}{user.first_name}".strip() or user.get_username()


def _complete(cache, queryset, pks):
    missing = set(pks) - cache.keys() - {None}
    if missing:
        cache.update(queryset.in_bulk(missing))
