from django.core.management.base import BaseCommand, CommandError

from accounts.roles import setup_roles


class Command(BaseCommand):
    help = "创建或更新员工角色（运营、经理）及其权限；可重复运行。"

    def handle(self, *args, **options):
        try:
            granted, skipped = setup_roles()
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        for name, codenames in granted.items():
            self.stdout.write(f"{name}：{len(codenames)} 项权限")
            for codename in codenames:
                self.stdout.write(f"  {codename}")
        for codename in skipped:
            self.stdout.write(self.style.WARNING(f"跳过尚未定义的权限：{codename}"))
        self.stdout.write(self.style.SUCCESS("角色已就绪。"))
