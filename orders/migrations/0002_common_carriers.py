"""Create the common Chinese carriers.

Patterns are set only where the public format is stable; a blank pattern accepts any number,
which is better than refusing a real one. Tracking links go to Kuaidi100's public query page,
which serves every carrier at one stable address.
"""
from django.db import migrations

KUAIDI100 = "https://www.kuaidi100.com/chaxun?com={com}&nu={{number}}"

CARRIERS = [
    # (code, name, kuaidi100 company code, pattern)
    ("SF", "顺丰速运", "shunfeng", r"SF\d{13}"),
    ("ZTO", "中通快递", "zhongtong", r"7\d{13}"),
    ("YTO", "圆通速递", "yuantong", r"YT\d{13}"),
    ("STO", "申通快递", "shentong", r"77\d{13}"),
    ("YD", "韵达快递", "yunda", ""),
    ("JTSD", "极兔速递", "jtexpress", r"JT\d{13}"),
    ("JD", "京东物流", "jd", r"JD[0-9A-Z]{13}"),
    ("EMS", "邮政EMS", "ems", r"\d{13}|[A-Z]{2}\d{9}[A-Z]{2}"),
]


def create_carriers(apps, schema_editor):
    Carrier = apps.get_model("orders", "Carrier")
    for position, (code, name, com, pattern) in enumerate(CARRIERS, start=1):
        Carrier.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "tracking_url_template": KUAIDI100.format(com=com),
                "tracking_number_pattern": pattern,
                "is_active": True,
                "sort_order": position * 10,
            },
        )


def remove_carriers(apps, schema_editor):
    Carrier = apps.get_model("orders", "Carrier")
    Carrier.objects.filter(code__in=[c[0] for c in CARRIERS], orders__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]
    operations = [migrations.RunPython(create_carriers, remove_carriers)]
