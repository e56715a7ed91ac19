from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from oms.not_found import catch_all

urlpatterns = [
    path("admin/", admin.site.urls),
    path("logistics/", include("logistics.urls")),
    path("api/", include("api.urls")),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Last: any other URL gets the product's 404 page, with DEBUG on too (oms/not_found.py).
urlpatterns.append(re_path(r"^(?P<unmatched>.*)$", catch_all))
