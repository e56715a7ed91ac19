"""Read-only queries about parcels."""

from datetime import timedelta

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from logistics.models import TrackingState
from orders.models import Order

# A tracked parcel with no news for this long counts as an exception (异常件).
STALE_AFTER = timedelta(days=3)
TROUBLE_STATES = [TrackingState.DIFFICULT, TrackingState.RETURNED]


def exception_parcels(now=None):
    """Shipped, tracked orders that need a look: 疑难, 退回, or no trace update for 3 days (not signed)."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    return (
        Order.objects.filter(status=Order.Status.SHIPPED, tracking__isnull=False)
        .annotate(last_news_at=Coalesce("tracking__last_event_at", "shipped_at"))
        .filter(
            Q(tracking__state__in=TROUBLE_STATES)
            | (Q(last_news_at__lt=cutoff) & ~Q(tracking__state=TrackingState.SIGNED))
        )
    )


def exception_parcels_count(now=None):
    """The 异常件 figure for the dashboard."""
    return exception_parcels(now).count()


def orders_to_refresh(*, days, min_interval, now=None):
    """Shipped, undelivered orders of the last `days` days whose trace was not polled within `min_interval`.

    Never-polled orders come first, then the longest-waiting, so an interrupted run resumes where it stopped.
    """
    now = now or timezone.now()
    polled_before = now - min_interval
    return (
        Order.objects.filter(status=Order.Status.SHIPPED, shipped_at__gte=now - timedelta(days=days))
        .exclude(carrier__kuaidi100_code="")
        .exclude(tracking_number="")
        .exclude(tracking__state=TrackingState.SIGNED)
        .filter(
            Q(tracking__isnull=True)
            | Q(tracking__last_polled_at__isnull=True)
            | Q(tracking__last_polled_at__lt=polled_before)
        )
        .select_related("carrier", "tracking")
        .order_by(Coalesce("tracking__last_polled_at", "shipped_at").asc(), "pk")
    )
