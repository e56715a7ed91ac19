from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from orders.reports.days import local_date
from orders.reports.replica import report_source
from orders.reports.shipping import ShippingReportFilter, shipping_report_csv


class Command(BaseCommand):
    help = (
        "Write the daily shipping report (发货日报) as CSV for Excel, exactly as the admin page "
        "downloads it: a row per line of each live parcel shipped on the days. Default: yesterday (Shanghai)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="one Shanghai day, YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD (alone: up to today)")
        parser.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD (alone: that day only)")
        parser.add_argument("--carrier", default="", help="carrier code, e.g. SF")
        parser.add_argument("--output", help="file to write (default: stdout)")
        parser.add_argument(
            "--full-receiver",
            action="store_true",
            help="full phone numbers and addresses (default: masked like the page, see orders.privacy)",
        )

    def handle(self, *args, **options):
        if options["date"] and (options["date_from"] or options["date_to"]):
            raise CommandError("--date 不能与 --from/--to 同时使用。")
        date_from = options["date"] or options["date_from"] or ""
        date_to = options["date"] or options["date_to"] or ""
        if not (date_from or date_to):
            date_from = date_to = (local_date(timezone.now()) - timedelta(days=1)).isoformat()
        # The page's FilterSet, so a lone --from/--to means what it means on the page.
        filterset = ShippingReportFilter({"date_from": date_from, "date_to": date_to, "carrier": options["carrier"]})
        if not filterset.is_valid():
            problems = [
                f"{filterset.form.fields[name].label}：{error}" if name in filterset.form.fields else error
                for name, errors in filterset.form.errors.items()
                for error in errors
            ]
            raise CommandError("参数有误：" + "；".join(problems))
        source = report_source()
        if source.notice:
            self.stderr.write(source.notice)
        chunks = shipping_report_csv(
            filterset.qs.using(source.alias),
            full_receiver=options["full_receiver"],
            after_sales=filterset.after_sales_rows(source.alias),
        )
        if options["output"]:
            # newline="" keeps the CSV's own \r\n: the file equals the page's download byte for byte.
            with open(options["output"], "w", encoding="utf-8", newline="") as out:
                out.writelines(chunks)
        else:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
