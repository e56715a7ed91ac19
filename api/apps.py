from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "店铺 API"

    def ready(self):
        from api import schema, webhooks  # noqa: F401  (the schema's auth extension; the webhooks' receivers)
