"""E-waybill labels (issue 18): the image kept as a file of our own, batch printing, print counts.

Kuaidi100 answers an e-waybill with a link to its label image (printType IMAGE), which expires:
the image is fetched once, server-side, and stored with the waybill. The print page lays the
stored labels out one per page; a browser cannot know whether the printer printed, so the clerk
confirms, and only then are they counted as printed.
"""

import io
import logging

import requests
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from logistics.models import Sender, Waybill
from logistics.selectors import unprinted_label_parcels
from orders import services as order_services
from orders.desk.pick_list import shelf_order
from orders.links import web_address
from orders.models import Order, Parcel, ParcelLine

logger = logging.getLogger(__name__)

LABEL_MAX_BYTES = 2 * 1024 * 1024  # a 76×130 mm label at 203 dpi is a few tens of KB
LABEL_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif"}
FETCH_TIMEOUT = 10


def fetch_label(waybill, *, session=requests):
    """Download the waybill's label image and store it; True when the waybill has its file afterwards.

    Only an http(s) link, only an image (checked by Pillow, not by the server's Content-Type), at
    most LABEL_MAX_BYTES. A failure leaves the waybill as it was: the print page tries again.
    """
    if waybill.label_file:
        return True
    url = web_address(waybill.label_url)
    if not url:
        return False
    try:
        with session.get(url, timeout=FETCH_TIMEOUT, stream=True) as response:
            if response.status_code != 200:
                logger.warning("label %s: HTTP %s", waybill.pk, response.status_code)
                return False
            data = response.raw.read(LABEL_MAX_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        logger.warning("label %s could not be fetched: %s", waybill.pk, exc)
        return False
    if len(data) > LABEL_MAX_BYTES:
        return False
    try:
        with Image.open(io.BytesIO(data)) as image:
            extension = LABEL_FORMATS.get(image.format)
    except (UnidentifiedImageError, OSError):
        extension = None
    if extension is None:
        logger.warning("label %s is not an image", waybill.pk)
        return False
    waybill.label_file.save(f"{waybill.tracking_number or waybill.pk}.{extension}", ContentFile(data), save=False)
    Waybill.objects.filter(pk=waybill.pk).update(label_file=waybill.label_file.name)
    return True


def label_size():
    """The CSS page size of the shop's label paper (Sender.label_size)."""
    sender = Sender.objects.order_by("pk").first()
    return sender.label_size if sender else Sender.LabelSize.S76X130


UNPRINTED_LIMIT = 500  # "all 已取号 not yet printed" at most this many at a time (one print job)


def unprinted_parcel_pks():
    """The first UNPRINTED_LIMIT parcels waiting as 已取号 whose label is not printed yet."""
    return list(unprinted_label_parcels().values_list("pk", flat=True)[:UNPRINTED_LIMIT])


def waybills_to_print(*, order_pks=(), parcel_pks=()):
    """The e-waybills of the live parcels of these orders (or these parcels), in the pick list's
    walking order (the shelf of each parcel's first item, then the oldest order); labels not stored
    yet are fetched now (one try each). Three queries, plus one per label fetched."""
    parcels = Parcel.objects.filter(status__in=Parcel.LIVE, waybill__isnull=False)
    if parcel_pks:
        parcels = parcels.filter(pk__in=list(parcel_pks))
    else:
        parcels = parcels.filter(lines__line__order__in=list(order_pks))
    waybills = list(
        Waybill.objects.filter(parcel__in=parcels.values("pk"))
        .select_related("parcel__carrier", "order", "printed_by")
        .order_by("order__created_at", "order_id", "pk")
    )
    first_shelf = {}
    rows = ParcelLine.objects.filter(parcel_id__in=[w.parcel_id for w in waybills]).select_related("line__item", "item")
    for parcel_line in rows:
        shelf = shelf_order(parcel_line.stock_item)
        first_shelf[parcel_line.parcel_id] = min(first_shelf.get(parcel_line.parcel_id, shelf), shelf)
    waybills.sort(key=lambda waybill: first_shelf.get(waybill.parcel_id, (True, "", "")))  # stable: oldest first
    for waybill in waybills:
        if not waybill.label_file:
            fetch_label(waybill)
    return waybills


def record_labels_printed(waybill_pks, *, user=None):
    """The clerk confirmed the print went through: count one more print of each (a reprint counts
    too), and the parcels waiting as 已取号 become 已打印. Returns how many labels were counted."""
    with transaction.atomic():
        waybills = list(
            Waybill.objects.filter(pk__in=list(waybill_pks), parcel__status__in=Parcel.LIVE).values_list(
                "pk", "parcel_id"
            )
        )
        counted = Waybill.objects.filter(pk__in=[pk for pk, _parcel in waybills]).update(
            print_count=F("print_count") + 1, printed_at=timezone.now(), printed_by=user
        )
        order_services.mark_parcels_printed([parcel for _pk, parcel in waybills], user=user)
    return counted


def orders_without_labels(order_pks):
    """Those of the orders that have no live e-waybill parcel (shipped by hand, or not shipped yet)."""
    order_pks = list(order_pks)
    with_labels = Parcel.objects.filter(
        status__in=Parcel.LIVE, waybill__isnull=False, lines__line__order__in=order_pks
    ).values("lines__line__order")
    return Order.objects.filter(pk__in=order_pks).exclude(pk__in=with_labels).order_by("created_at", "pk")
