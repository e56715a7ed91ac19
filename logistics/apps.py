from django.apps import AppConfig


class LogisticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "logistics"
    verbose_name = "快递接口"

    def ready(self):
        from logistics.services.waybills import cancel_after_void
        from orders.signals import parcels_voided

        parcels_voided.connect(cancel_after_void, dispatch_uid="logistics.cancel_waybills_after_void")
