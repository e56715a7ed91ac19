"""Checks on what users give for items: product pictures (a real image, of a sane size, in a format
browsers show) and the bound on every quantity."""

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image

ALLOWED_FORMATS = {"JPEG": "JPG", "PNG": "PNG", "GIF": "GIF", "WEBP": "WEBP"}

# The most pieces one stock count, one stock adjustment, one threshold or one order line may name:
# far beyond any real shelf, far below what MariaDB's INT (2^31) or SQLite's 2^63 would overflow on.
MAX_QUANTITY = 1_000_000


def image_rules_text():
    """The upload rules in one line, for help texts."""
    return (
        f"支持 {'、'.join(ALLOWED_FORMATS.values())} 格式，"
        f"不超过 {settings.OMS_IMAGE_MAX_BYTES / 1024 / 1024:g} MB、{settings.OMS_IMAGE_MAX_PIXELS / 1e6:g} 百万像素。"
    )


def validate_product_image(value):
    """Refuse anything but a genuine, reasonably small JPG/PNG/GIF/WEBP image (messages in Chinese).

    Only a new upload is read; a picture already stored was checked when it arrived.
    Pillow's verify() reads the whole file, so a truncated or disguised file is caught, and the
    pixel limit is checked from the header before any decoding (decompression bombs).
    """
    if not value or getattr(value, "_committed", True):
        return
    upload = value.file
    max_bytes = settings.OMS_IMAGE_MAX_BYTES
    if upload.size > max_bytes:
        raise ValidationError(
            f"图片太大（{upload.size / 1024 / 1024:.1f} MB），最大 {max_bytes / 1024 / 1024:g} MB，请压缩后再上传。",
            code="image_too_large",
        )
    position = upload.tell()
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image_format = image.format
            width, height = image.size
            if width * height > settings.OMS_IMAGE_MAX_PIXELS:
                raise ValidationError(
                    f"图片尺寸太大（{width}×{height} 像素），"
                    f"最多 {settings.OMS_IMAGE_MAX_PIXELS / 1e6:g} 百万像素，请缩小后再上传。",
                    code="image_too_many_pixels",
                )
            image.verify()
    except ValidationError:
        raise
    except Exception as exc:  # Pillow raises many types (OSError, SyntaxError, DecompressionBombError…)
        raise ValidationError(
            "文件不是有效的图片或已损坏，请上传 JPG、PNG、GIF 或 WEBP 图片。", code="invalid_image"
        ) from exc
    finally:
        upload.seek(position)
    if image_format not in ALLOWED_FORMATS:
        raise ValidationError(
            f"不支持 {image_format} 格式，请上传 {'、'.join(ALLOWED_FORMATS.values())} 图片。", code="image_format"
        )


# GS1 barcodes printed on retail goods: EAN-8, UPC-A (12), EAN-13 (China's 69… codes), GTIN-14.
GS1_LENGTHS = (8, 12, 13, 14)


def gs1_check_digit_ok(digits):
    """Whether the last digit is the GS1 check digit of the others (weights 3,1,3,… from the right)."""
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def normalize_barcode(text):
    """A scanned or typed item barcode: blanks dropped, full-width digits folded (what an input method types)."""
    folded = "".join(chr(ord(c) - 0xFEE0) if "０" <= c <= "９" else c for c in (text or ""))
    return "".join(folded.split())


def validate_item_barcode(value):
    """An item's 条码: 8, 12, 13 or 14 digits with a correct GS1 check digit, or a Chinese refusal."""
    if not (value.isascii() and value.isdigit()) or len(value) not in GS1_LENGTHS:
        raise ValidationError(f"条码“{value}”无效：应为 8、12、13 或 14 位数字（如 69 开头的 13 位商品条码）。")
    if not gs1_check_digit_ok(value):
        raise ValidationError(f"条码“{value}”的校验位不对，请核对是否少扫或多扫了一位。")
