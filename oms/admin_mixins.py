"""Small admin building blocks shared by the apps."""


class ReadOnlyAdminMixin:
    """For records only the system writes (ledger, reveal log, courier records): view, never edit here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
