"""Issue 18's "done when", as a shop does it: the owner sets 打印后扫描发货 on the 寄件人 page; a clerk
(运营) gets numbers for the day's orders, prints every unprinted label in one go (pick list and
packing slips beside them), and scans each parcel out with 验货. Stock moves only at the scan."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from inventory.models import InventoryItem
from logistics.label_views import labels_url
from logistics.models import Sender, Waybill
from orders.models import Order, PackingCheck, Parcel
from tests.factories import ItemFactory, OrderFactory
from tests.role_fixtures import staff_in

CHANGELIST = reverse("admin:orders_order_changelist")
SCAN = reverse("admin:orders_order_scan")


def stock(item):
    return InventoryItem.objects.get(pk=item.pk).stock


def test_numbers_labels_pick_list_slips_and_a_checked_scan_out(
    courier, sender, admin_client, client, django_user_model, ledger_is_consistent
):
    form = {
        "name": sender.name,
        "phone": sender.phone,
        "address": sender.address,
        "default_carrier": sender.default_carrier_id,
        "partner_id": "",
        "partner_key": "",
        "template_id": "",
        "label_size": Sender.LabelSize.S76X130,
        "ship_mode": Sender.ShipMode.ON_SCAN,
    }
    saved = admin_client.post(reverse("admin:logistics_sender_change", args=[sender.pk]), form)
    assert saved.status_code == 302 and Sender.objects.get().ship_mode == Sender.ShipMode.ON_SCAN

    clerk = staff_in(django_user_model, "packer", "运营")
    client.force_login(clerk)
    shirt = ItemFactory(sku="TS-WHT-L", name="白色T恤 L", initial_stock=10, barcode="6901234567892", location="A-01")
    cup = ItemFactory(sku="CUP-500", name="保温杯", initial_stock=10, barcode="6920000000017", location="B-03")
    one = OrderFactory(order_no="TB-1001", lines=[(shirt, 1), (cup, 1)])
    two = OrderFactory(order_no="TB-1002", lines=[(cup, 2)], receiver_name="李四")

    done = client.post(
        CHANGELIST, {"action": "issue_waybills", ACTION_CHECKBOX_NAME: [one.pk, two.pk], "index": "0"}, follow=True
    ).content.decode()
    assert done.count("打印面单、打包后在扫码发货页扫描面单发货") == 2
    assert (stock(shirt), stock(cup)) == (10, 10)
    listing = client.get(CHANGELIST).content.decode()
    assert listing.count('class="badge badge-waiting"') == 2 and "打印未打印面单（2）" in listing

    page = client.get(labels_url(unprinted=True))
    html = page.content.decode()
    assert html.count('class="label"') == 2 and "本批拣货单" in html and "本批发货单" in html
    waybills = ",".join(str(w.pk) for w in page.context["printable"])
    client.post(reverse("admin:orders_order_labels_printed"), {"waybills": waybills})
    assert set(Parcel.objects.values_list("status", flat=True)) == {"printed"}
    pick = client.get(page.context["pick_list_url"]).content.decode()
    assert pick.index("TS-WHT-L") < pick.index("CUP-500")  # by shelf: A-01 before B-03
    slips = client.get(page.context["packing_slips_url"]).content.decode()
    assert "TB-1001" in slips and "TB-1002" in slips and "<svg" in slips

    client.post(SCAN, {"verify": "1", "current": ""})
    label = Waybill.objects.get(order=one).tracking_number
    client.post(SCAN, {"code": label, "current": ""})
    wrong = client.post(SCAN, {"code": "6920000000017", "current": str(one.pk)})
    assert wrong.status_code == 200 and "已清点 CUP-500 1/1" in wrong.content.decode()
    surplus = client.post(SCAN, {"code": "6920000000017", "current": str(one.pk)})
    assert surplus.status_code == 422 and "多了：CUP-500" in surplus.content.decode()
    assert (stock(shirt), stock(cup)) == (10, 10)
    shipped = client.post(SCAN, {"code": "6901234567892", "current": str(one.pk), "weight": "0.65"}, follow=True)
    assert "已发货：订单 TB-1001" in shipped.content.decode()
    assert (stock(shirt), stock(cup), Order.objects.get(pk=one.pk).status) == (9, 9, "shipped")
    assert Order.objects.get(pk=two.pk).status == "pending"  # its parcel still waits on the table

    page = client.get(reverse("admin:orders_order_change", args=[one.pk])).content.decode()
    assert "验货完成" in page and "0.65 千克" in page
    assert PackingCheck.objects.get(parcel__waybill__order=one).wrong_scans == 1
    ledger_is_consistent()
