"""A paginator for lists too long to count: it counts up to a cap, and pages by primary key."""

from django.contrib.admin.options import IncorrectLookupParameters
from django.core.paginator import EmptyPage, Paginator
from django.utils.functional import cached_property

# Beyond this page the count stops following the requested page (?p=10**20 would ask the
# database to count 10**22 rows, a LIMIT it cannot hold); such a page is simply not found.
MAX_PAGE_HINT = 100_000


class AtLeast(int):
    """A row count that is a lower bound; shown as "10000+" in the admin's pagination line."""

    def __str__(self):
        return f"{int(self)}+"


class CappedCountPaginator(Paginator):
    """Counts at most `cap` rows (enough for the page links around `page_hint`), never the whole table.

    Counting a million orders costs a full index scan on every page view; the clerk needs the
    page links, not the exact total. Within the cap the count is exact; beyond it, `count` is
    an AtLeast and the last page link is the cap's, which moves on as the clerk pages forward.
    Pages are read by primary key first (a covering index scan for the OFFSET) and then
    fetched by id, so page 500 does not read 25,000 full rows.
    """

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, cap=10_000, page_hint=1):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        # Count far enough past the requested page that its neighbours' links work.
        self.cap = max(cap, (min(max(page_hint, 1), MAX_PAGE_HINT) + 10) * per_page)

    @cached_property
    def count(self):
        try:
            counted = self.object_list.order_by().values("pk")[: self.cap + 1].count()
        except OverflowError as exc:
            # A filter's date the database cannot hold (e.g. ?created_at__gte=0001-01-01, which is
            # before year 1 in UTC): the admin's answer to any invalid filter, not a 500.
            raise IncorrectLookupParameters(exc) from exc
        return AtLeast(self.cap) if counted > self.cap else counted

    @property
    def is_capped(self):
        return isinstance(self.count, AtLeast)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if bottom == 0:
            return self._get_page(self.object_list[bottom:top], number, self)
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        if not ids:
            raise EmptyPage(self.error_messages["no_results"])
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)
