"""Read-only queries about parcels and their tracking."""

from datetime import timedelta

from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from logistics.models import TrackingState
from orders.models import OrderLine, Parcel, ParcelLine

# A tracked parcel with no news for this long counts as an exception (异常件).
STALE_AFTER = timedelta(days=3)
TROUBLE_STATES = [TrackingState.DIFFICULT, TrackingState.RETURNED]
LIVE_PARCEL_LINES = "live_parcel_lines"


def exception_parcels(now=None):
    """Live, tracked parcels that need a look: 疑难, 退回, or no trace update for 3 days (not signed)."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    return (
        Parcel.objects.filter(status__in=Parcel.LIVE, tracking__isnull=False)
        .annotate(last_news_at=Coalesce("tracking__last_event_at", "shipped_at"))
        .filter(
            Q(tracking__state__in=TROUBLE_STATES)
            | (Q(last_news_at__lt=cutoff) & ~Q(tracking__state=TrackingState.SIGNED))
        )
    )


def exception_parcels_count(now=None):
    """The 异常件 figure for the dashboard."""
    return exception_parcels(now).count()


def orders_with_parcels(parcels):
    """Order pks (a subquery) of the orders with a line in one of `parcels`."""
    return OrderLine.objects.filter(parcel_lines__parcel__in=parcels).values("order_id")


def orders_in_tracking_state(state):
    """Order pks (a subquery) of the orders with a live parcel whose tracking is in `state`."""
    return orders_with_parcels(Parcel.objects.filter(status__in=Parcel.LIVE, tracking__state=state))


def with_live_trackings(orders):
    """`orders` with each line's live parcel lines, their parcels and trackings prefetched (see live_trackings)."""
    parcel_lines = ParcelLine.objects.filter(parcel__status__in=Parcel.LIVE).select_related("parcel__tracking")
    return orders.prefetch_related(Prefetch("lines__parcel_lines", queryset=parcel_lines, to_attr=LIVE_PARCEL_LINES))


def live_trackings(order):
    """The Tracking of each live parcel of `order` (prefetched by with_live_trackings), oldest parcel first."""
    parcels = {pl.parcel_id: pl.parcel for line in order.lines.all() for pl in getattr(line, LIVE_PARCEL_LINES)}
    trackings = (getattr(parcel, "tracking", None) for _pk, parcel in sorted(parcels.items()))
    return [tracking for tracking in trackings if tracking is not None]


def order_parcels_with_traces(order):
    """The order's parcels (live first, then newest) with carrier, tracking, waybill and trace events loaded."""
    parcels = (
        Parcel.objects.filter(pk__in=ParcelLine.objects.filter(line__order=order).values("parcel_id"))
        .select_related("carrier", "tracking", "waybill")
        .prefetch_related("trace_events")
        .order_by("-created_at", "-pk")
    )
    return sorted(parcels, key=lambda parcel: not parcel.is_live)


def receiver_phone():
    """A parcel's receiver phone as an expression for annotate() (its orders share one receiver)."""
    lines = ParcelLine.objects.filter(parcel=OuterRef("pk")).order_by("pk")
    return Subquery(lines.values("line__order__receiver_phone")[:1])


def parcels_to_refresh(*, days, min_interval, now=None):
    """Live, undelivered parcels shipped in the last `days` days whose trace was not polled within `min_interval`.

    Never-polled parcels come first, then the longest-waiting, so an interrupted run resumes where
    it stopped. Each has its carrier, tracking and `receiver_phone` (some carriers ask for it).
    """
    now = now or timezone.now()
    polled_before = now - min_interval
    return (
        Parcel.objects.filter(status__in=Parcel.LIVE, shipped_at__gte=now - timedelta(days=days))
        .exclude(carrier__kuaidi100_code="")
        .exclude(tracking__state=TrackingState.SIGNED)
        .filter(
            Q(tracking__isnull=True)
            | Q(tracking__last_polled_at__isnull=True)
            | Q(tracking__last_polled_at__lt=polled_before)
        )
        .select_related("carrier", "tracking")
        .annotate(receiver_phone=receiver_phone())
        .order_by(Coalesce("tracking__last_polled_at", "shipped_at").asc(), "pk")
    )


def unprinted_label_parcels():
    """The parcels waiting as 已取号 whose e-waybill label is not printed yet, oldest first (打印未打印面单)."""
    return Parcel.objects.filter(status=Parcel.Status.NUMBERED, waybill__isnull=False).order_by("created_at", "pk")


def unprinted_label_count():
    return unprinted_label_parcels().count()
