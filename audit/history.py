"""How model history is recorded (django-simple-history), shared by every audited model.

Why simple-history and not Django's LogEntry: LogEntry only sees admin saves and stores a change
message, not values. Orders also change through services called from imports, commands and the
list page's bulk save; simple-history writes one row per save, from any path, with every field's
value, so the timeline can say which carrier and tracking number a shipment had.
"""

from simple_history.models import HistoricalRecords


def acting_user(instance, request=None, **kwargs):
    """The user behind a save: the service's `changed_by` (set by orders.services), else the request's user."""
    user = getattr(instance, "changed_by", None)
    if user is not None and user.is_authenticated:
        return user
    if request is not None:
        return request.user
    return None


def audited(**kwargs):
    """HistoricalRecords configured for this project (acting user as above, UI labels in Chinese)."""
    return HistoricalRecords(get_user=acting_user, **kwargs)
