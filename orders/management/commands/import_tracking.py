"""Ship orders from a courier's spreadsheet of tracking numbers, as the admin's 导入快递单号 does."""

from django.core.management.base import BaseCommand, CommandError

from orders.models import Shop
from orders.resources import TrackingImportResource
from spreadsheets.formats import ImportFileError, read_spreadsheet_file


class Command(BaseCommand):
    help = "导入快递单号（CSV 或 XLSX，列：订单号、快递公司、快递单号）。有任何错误时不做任何更改，并以非零状态退出。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV（UTF-8 或 GBK）或 XLSX 文件")
        parser.add_argument("--dry-run", action="store_true", help="只检查并显示结果，不写入数据库")
        parser.add_argument(
            "--shop", default="", help="店铺名称：只在这个店铺中找订单号（不填则在全部店铺中找，重复的订单号会报错）"
        )

    def handle(self, *args, file, dry_run, shop, **options):
        chosen = None
        if shop:
            chosen = Shop.objects.filter(name=shop).first()
            if chosen is None:
                names = "、".join(Shop.objects.values_list("name", flat=True))
                raise CommandError(f"没有名为“{shop}”的店铺。现有店铺：{names}。")
        try:
            dataset = read_spreadsheet_file(file)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        result = TrackingImportResource(shop=chosen).import_data(dataset, dry_run=dry_run, file_name=file)

        for row in result.rows:
            if row.plan and not row.problems:
                self.stdout.write(f"第 {row.line} 行：{row.outcome}：{row.plan}")
        if result.base_errors:  # the file as a whole is wrong (missing columns): say that alone
            raise CommandError(f"{result.problem_lines[0]}未做任何更改。")
        for problem in result.problem_lines:
            self.stderr.write(problem)
        if result.problem_lines:
            raise CommandError(result.summary)
        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"检查通过（未写入）：{result.summary}"))
        else:
            self.stdout.write(self.style.SUCCESS(f"导入完成：{result.summary}"))
