"""The project's URLs plus uploaded files, for the live server only.

Django serves MEDIA_URL only when DEBUG is on, and tests run with DEBUG off; product pictures
must still load in the browser. MEDIA_ROOT is read per request because each test has its own.
"""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from oms.urls import urlpatterns as project_urlpatterns


def media(request, path):
    return serve(request, path, document_root=settings.MEDIA_ROOT)


# Before the project's: they end with the catch-all that answers every other URL with 404.
urlpatterns = [
    re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", media),
    *project_urlpatterns,
]
