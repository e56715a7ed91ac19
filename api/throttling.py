"""Rate limit per client, counted in the `api` cache (the database), which every gunicorn worker shares."""

from django.core.cache import caches
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class ClientRateThrottle(SimpleRateThrottle):
    scope = "client"

    @property
    def cache(self):
        return caches["api"]

    def get_rate(self):
        # Read per request (DRF's class attribute is fixed at import), so the setting can change.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        return f"api-rate-{request.auth.pk}" if request.auth is not None else None
