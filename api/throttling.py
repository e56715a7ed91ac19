"""Rate limit per client, counted in the `api` cache (the database), which every gunicorn worker shares."""

from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle


class ClientRateThrottle(SimpleRateThrottle):
    scope = "client"

    @property
    def cache(self):
        return caches["api"]

    def get_cache_key(self, request, view):
        return f"api-rate-{request.auth.pk}" if request.auth is not None else None
