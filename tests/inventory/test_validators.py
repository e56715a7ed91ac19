import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from inventory.models import InventoryItem
from inventory.validators import validate_product_image
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def image_bytes(size=(20, 20), fmt="PNG"):
    buffer = io.BytesIO()
    # Noise, so the file size grows with the pixel count as a photo's does.
    Image.effect_noise(size, 64).convert("RGB").save(buffer, format=fmt)
    return buffer.getvalue()


def upload(name, content, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def item_with(file):
    item = InventoryItem(sku="IMG-1", name="图片测试", image=file)
    return item


@pytest.mark.parametrize("fmt,name", [("PNG", "a.png"), ("JPEG", "a.jpg"), ("WEBP", "a.webp"), ("GIF", "a.gif")])
def test_real_images_pass(fmt, name):
    item_with(upload(name, image_bytes(fmt=fmt))).full_clean()


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("fake.png", b"<html><script>alert(1)</script></html>", "不是有效的图片"),
        ("truncated.png", image_bytes()[:60], "不是有效的图片"),
        ("a.png", image_bytes(fmt="BMP"), "不支持 BMP 格式"),
    ],
)
def test_non_images_are_refused_in_chinese(name, content, message):
    with pytest.raises(ValidationError) as caught:
        item_with(upload(name, content)).full_clean()
    assert message in " ".join(caught.value.message_dict["image"])


def test_oversized_file_is_refused(settings):
    settings.OMS_IMAGE_MAX_BYTES = 1024
    content = image_bytes(size=(300, 300))
    assert len(content) > 1024
    with pytest.raises(ValidationError, match="图片太大"):
        validate_product_image(item_with(upload("big.png", content)).image)


def test_too_many_pixels_is_refused_from_the_header(settings):
    settings.OMS_IMAGE_MAX_PIXELS = 100 * 100
    with pytest.raises(ValidationError, match="图片尺寸太大（101×100 像素）"):
        validate_product_image(item_with(upload("wide.png", image_bytes(size=(101, 100)))).image)


def test_stored_image_is_not_reread():
    item = ItemFactory(image="items/missing-on-disk.png")
    item.full_clean()  # the file is not there: a committed file is not validated again


def post_item(client, item, file):
    data = {
        "sku": item.sku,
        "name": item.name,
        "low_stock_threshold": 5,
        "stock_delta": 0,
        "stock_reason": "receive",
        "image": file,
        "movements-TOTAL_FORMS": "0",
        "movements-INITIAL_FORMS": "0",
    }
    return client.post(reverse("admin:inventory_inventoryitem_change", args=[item.pk]), data)


def test_admin_refuses_a_disguised_file_and_keeps_the_item(clerk_client):
    item = ItemFactory()
    response = post_item(clerk_client, item, upload("photo.png", b"GIF89a not really an image"))
    assert response.status_code == 200
    assert "图片" in " ".join(response.context["adminform"].form.errors["image"])
    item.refresh_from_db()
    assert not item.image


def test_admin_refuses_an_oversized_picture(clerk_client, settings):
    settings.OMS_IMAGE_MAX_BYTES = 2048
    item = ItemFactory()
    response = post_item(clerk_client, item, upload("big.png", image_bytes(size=(400, 400))))
    assert response.status_code == 200
    assert "图片太大" in " ".join(response.context["adminform"].form.errors["image"])
    item.refresh_from_db()
    assert not item.image


def test_admin_accepts_a_real_picture(clerk_client):
    item = ItemFactory()
    response = post_item(clerk_client, item, upload("cup.png", image_bytes()))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.image.name.startswith("items/cup")
