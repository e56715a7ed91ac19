"""Poll Kuaidi100 for the traces of shipped, undelivered orders (for a shop that cannot receive pushes)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from logistics import services
from logistics.conf import get_provider
from logistics.providers.base import ProviderError
from logistics.selectors import orders_to_refresh


class Command(BaseCommand):
    help = (
        "Query the trace of every shipped, unsigned order of the last N days, at most --rate queries a second. "
        "Resumable: orders polled within --min-interval minutes are skipped, so a rerun continues where one stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="Orders shipped in the last N days (default 30).")
        parser.add_argument("--rate", type=float, default=2.0, help="Queries per second at most (default 2).")
        parser.add_argument(
            "--min-interval", type=int, default=30, help="Skip orders polled in the last N minutes (default 30)."
        )
        parser.add_argument("--limit", type=int, default=0, help="Stop after this many orders (0 = all).")

    def handle(self, *args, days, rate, min_interval, limit, **options):
        if days <= 0:
            raise CommandError("--days 必须大于 0。")
        provider = get_provider()
        if provider is None:
            raise CommandError(
                "未配置快递100账号（KUAIDI100_KEY、KUAIDI100_SECRET、KUAIDI100_CUSTOMER），无法查询物流。"
            )
        orders = orders_to_refresh(days=days, min_interval=timedelta(minutes=max(min_interval, 0)))
        if limit > 0:
            orders = orders[:limit]
        limiter = services.RateLimiter(rate)
        polled = failed = events = 0
        for order in orders.iterator(chunk_size=200):
            limiter.wait()
            try:
                events += services.refresh_order_tracking(order, provider=provider)
                polled += 1
            except ProviderError as exc:
                failed += 1
                self.stderr.write(f"{order.order_no}\t{order.tracking_number}\t{exc}")
        self.stdout.write(self.style.SUCCESS(f"查询 {polled} 个订单，失败 {failed} 个，新增轨迹 {events} 条。"))
        if failed:
            raise CommandError(f"{failed} 个订单查询失败，稍后重新运行会继续查询它们。")
