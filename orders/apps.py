from django.apps import AppConfig


class OrdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orders"
    verbose_name = "订单发货"

    def ready(self):
        from orders import signals  # noqa: F401  (connects the status-transition handler)
