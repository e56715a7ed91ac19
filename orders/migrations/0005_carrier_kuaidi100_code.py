"""Give each carrier its Kuaidi100 company code, used for e-waybills and tracking."""

from django.db import migrations, models

KUAIDI100_CODES = {
    "SF": "shunfeng",
    "ZTO": "zhongtong",
    "YTO": "yuantong",
    "STO": "shentong",
    "YD": "yunda",
    "JTSD": "jtexpress",
    "JD": "jd",
    "EMS": "ems",
}
HELP = "快递100的快递公司编码，如 shunfeng；留空则不能下电子面单。"


def fill_codes(apps, schema_editor):
    Carrier = apps.get_model("orders", "Carrier")
    for code, com in KUAIDI100_CODES.items():
        Carrier.objects.filter(code=code, kuaidi100_code="").update(kuaidi100_code=com)


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_shipping_report_and_exports")]

    operations = [
        migrations.AddField(
            model_name="carrier",
            name="kuaidi100_code",
            field=models.CharField(blank=True, help_text=HELP, max_length=30, verbose_name="快递100编码"),
        ),
        migrations.AddField(
            model_name="historicalcarrier",
            name="kuaidi100_code",
            field=models.CharField(blank=True, help_text=HELP, max_length=30, verbose_name="快递100编码"),
        ),
        migrations.RunPython(fill_codes, migrations.RunPython.noop),
    ]
