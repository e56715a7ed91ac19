"""URLconf of the benchmark's baseline admin (bench.plain_admin); used only by bench/scale.py."""

from django.urls import path

from bench.plain_admin import site

urlpatterns = [path("admin/", site.urls)]
