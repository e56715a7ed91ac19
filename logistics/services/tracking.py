"""Tracking per parcel: subscribe to pushes, store pushed or polled traces, space the polls."""

import hashlib
import logging
import time

from django.db import transaction
from django.utils import timezone

from logistics.conf import callback_url, get_provider
from logistics.models import PushReceipt, TraceEvent, Tracking
from logistics.providers.base import ProviderError
from orders.models import Parcel

logger = logging.getLogger(__name__)


def ensure_tracking(parcel):
    """The parcel's Tracking row (its carrier and number are the parcel's, fixed once shipped)."""
    tracking, _created = Tracking.objects.get_or_create(parcel=parcel)
    tracking.parcel = parcel
    return tracking


def subscribe_tracking(parcel, *, phone="", provider=None):
    """Ask the provider to push this parcel's trace to our webhook. A failure is recorded, not raised:
    the parcel has shipped, and refresh_tracking can still poll it."""
    tracking = ensure_tracking(parcel)
    url = callback_url()
    provider = provider or get_provider()
    company = parcel.carrier.kuaidi100_code
    if not url or provider is None or not company:
        return tracking
    try:
        provider.subscribe(company, parcel.tracking_number, callback_url=url, phone=phone)
    except ProviderError as exc:
        logger.warning("subscribing %s failed: %s", parcel.tracking_number, exc)
        tracking.last_error = str(exc)[:300]
        tracking.save(update_fields=["last_error", "updated_at"])
        return tracking
    tracking.subscribed_at = timezone.now()
    tracking.subscription_status = "polling"
    tracking.last_error = ""
    tracking.save(update_fields=["subscribed_at", "subscription_status", "last_error", "updated_at"])
    return tracking


def _event_digest(number, event):
    text = f"{number}|{event.time.isoformat()}|{event.context}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_trace(tracking, trace):
    """Store the trace's new events on the parcel and move its tracking state forward.

    Events already stored are skipped; an older trace (a late or replayed push) never moves the
    state back. Returns the number of events added.
    """
    with transaction.atomic():
        tracking = Tracking.objects.select_for_update().select_related("parcel").get(pk=tracking.pk)
        number = tracking.parcel.tracking_number
        candidates = {}
        for event in trace.events:
            candidates.setdefault(_event_digest(number, event), event)
        known = set(
            TraceEvent.objects.filter(parcel_id=tracking.parcel_id, digest__in=list(candidates)).values_list(
                "digest", flat=True
            )
        )
        new_events = [
            TraceEvent(
                parcel_id=tracking.parcel_id,
                time=event.time,
                context=event.context[:500],
                status=event.status[:20],
                area=event.area[:100],
                digest=digest,
            )
            for digest, event in candidates.items()
            if digest not in known
        ]
        TraceEvent.objects.bulk_create(new_events)
        newest = max((event.time for event in trace.events), default=None)
        if tracking.last_event_at is None or (newest is not None and newest >= tracking.last_event_at):
            tracking.state = trace.state
            tracking.raw_state = trace.raw_state[:8]
            tracking.last_event_at = newest or tracking.last_event_at
            if trace.subscription_status:
                tracking.subscription_status = trace.subscription_status[:20]
        tracking.last_error = ""
        tracking.save()
    return len(new_events)


def receive_push(form, *, provider):
    """Handle one push: check its signature (InvalidSignature / MalformedPush propagate), store it once.

    The push names a company and a number: it goes to the live parcel with them (one parcel, however
    many orders it holds). Returns the number of trace events added (0 for a replay).
    """
    trace = provider.parse_push(form)
    digest = hashlib.sha256(form["param"].encode("utf-8")).hexdigest()
    with transaction.atomic():
        _, created = PushReceipt.objects.get_or_create(digest=digest, defaults={"tracking_number": trace.number[:40]})
        if not created:
            logger.info("ignored a repeated push for %s", trace.number)
            return 0
        parcels = Parcel.objects.filter(
            tracking_number=trace.number, status__in=Parcel.LIVE, carrier__kuaidi100_code=trace.company
        ).order_by("pk")
        added = [record_trace(ensure_tracking(parcel), trace) for parcel in parcels]
        if not added:
            logger.info("push for unknown tracking number %s", trace.number)
        return sum(added)


def refresh_parcel_tracking(parcel, *, provider):
    """Poll the provider for one live parcel's trace and store it. Raises ProviderError.

    `parcel` needs its carrier and a `receiver_phone` (selectors.parcels_to_refresh gives both).
    """
    tracking = ensure_tracking(parcel)
    try:
        trace = provider.query_trace(parcel.carrier.kuaidi100_code, parcel.tracking_number, parcel.receiver_phone)
    except ProviderError as exc:
        # Not marked as polled: the next run tries this parcel again.
        Tracking.objects.filter(pk=tracking.pk).update(last_error=str(exc)[:300])
        raise
    added = record_trace(tracking, trace)
    Tracking.objects.filter(pk=tracking.pk).update(last_polled_at=timezone.now())
    return added


class RateLimiter:
    """Spaces calls at least 1/per_second apart (per_second <= 0: no limit)."""

    def __init__(self, per_second, *, clock=time.monotonic, sleep=time.sleep):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.clock = clock
        self.sleep = sleep
        self._next = None

    def wait(self):
        now = self.clock()
        if self._next is not None and now < self._next:
            self.sleep(self._next - now)
            now = self._next
        self._next = now + self.interval
