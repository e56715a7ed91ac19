"""A wrong URL shows the product's own 404 page (templates/404.html), also with DEBUG on (the demo).

Django answers a URL that matches no pattern before any view or middleware hook runs, and with
DEBUG on it shows its technical 404 page (in English, listing the URL patterns). So the root
URLconf ends with `catch_all`, which keeps APPEND_SLASH's redirect and otherwise raises Http404;
with DEBUG on, ProductNotFoundPageMiddleware answers every Http404 with the product's page, as
Django's handler404 does with DEBUG off.
"""

from django.conf import settings
from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import Resolver404, resolve
from django.utils.deprecation import MiddlewareMixin
from django.views.defaults import page_not_found


def catch_all(request, unmatched=""):
    """The last URL pattern: a path with a slash added that matches gets the redirect, any other is 404."""
    path = request.path_info
    if settings.APPEND_SLASH and not path.endswith("/"):
        try:
            match = resolve(path + "/", getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        if match is not None and match.func is not catch_all:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    raise Http404(path)


class ProductNotFoundPageMiddleware(MiddlewareMixin):
    """With DEBUG on, an Http404 from any view renders templates/404.html instead of Django's debug page."""

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
