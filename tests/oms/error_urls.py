"""The project's URLs plus one view that fails, to see the 500 page."""

from django.urls import path

from oms.urls import urlpatterns as project_urlpatterns


def fail(request):
    raise RuntimeError("boom")


urlpatterns = [path("fail/", fail), *project_urlpatterns]
