"""Login protection helpers used by django-axes (settings.AXES_*)."""

from django.conf import settings
from django.shortcuts import render


def client_ip(request):
    """The client's IP address as the outermost trusted proxy saw it.

    Behind N trusted proxies (settings.OMS_TRUSTED_PROXY_COUNT) the client is the N-th address from
    the right of X-Forwarded-For; anything further left was written by the client and can be forged.
    Without proxies it is REMOTE_ADDR.
    """
    count = settings.OMS_TRUSTED_PROXY_COUNT
    if count:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out login gets (django-axes' AXES_LOCKOUT_CALLABLE): 429, in Chinese."""
    from axes.helpers import get_client_username, get_cool_off

    cool_off = get_cool_off(request)
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }
    return render(request, "registration/locked_out.html", context, status=429)
