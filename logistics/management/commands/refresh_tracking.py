"""Poll Kuaidi100 for the traces of live, undelivered parcels (for a shop that cannot receive pushes)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from logistics.conf import get_provider
from logistics.providers.base import ProviderError
from logistics.selectors import parcels_to_refresh
from logistics.services import tracking


class Command(BaseCommand):
    help = (
        "Query the trace of every live, unsigned parcel shipped in the last N days, at most --rate queries a second. "
        "Resumable: parcels polled within --min-interval minutes are skipped, so a rerun continues where one stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="Parcels shipped in the last N days (default 30).")
        parser.add_argument("--rate", type=float, default=2.0, help="Queries per second at most (default 2).")
        parser.add_argument(
            "--min-interval", type=int, default=30, help="Skip parcels polled in the last N minutes (default 30)."
        )
        parser.add_argument("--limit", type=int, default=0, help="Stop after this many parcels (0 = all).")

    def handle(self, *args, days, rate, min_interval, limit, **options):
        if days <= 0:
            raise CommandError("--days 必须大于 0。")
        provider = get_provider()
        if provider is None:
            raise CommandError(
                "未配置快递100账号（KUAIDI100_KEY、KUAIDI100_SECRET、KUAIDI100_CUSTOMER），无法查询物流。"
            )
        parcels = parcels_to_refresh(days=days, min_interval=timedelta(minutes=max(min_interval, 0)))
        if limit > 0:
            parcels = parcels[:limit]
        limiter = tracking.RateLimiter(rate)
        polled = failed = events = 0
        for parcel in parcels.iterator(chunk_size=200):
            limiter.wait()
            try:
                events += tracking.refresh_parcel_tracking(parcel, provider=provider)
                polled += 1
            except ProviderError as exc:
                failed += 1
                self.stderr.write(f"{parcel.carrier.name}\t{parcel.tracking_number}\t{exc}")
        self.stdout.write(self.style.SUCCESS(f"查询 {polled} 个包裹，失败 {failed} 个，新增轨迹 {events} 条。"))
        if failed:
            raise CommandError(f"{failed} 个包裹查询失败，稍后重新运行会继续查询它们。")
