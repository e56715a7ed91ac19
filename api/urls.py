from django.http import JsonResponse
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from api import views

app_name = "api"

# The schema and its docs hold no shop data: open without a key, never throttled.
PUBLIC = {"authentication_classes": [], "permission_classes": [AllowAny], "throttle_classes": []}


def unknown_endpoint(request, rest):
    body = {"errors": [{"code": "not_found", "message": "没有这个 API 地址，请查看 /api/v1/docs/。", "field": None}]}
    return JsonResponse(body, status=404, json_dumps_params={"ensure_ascii": False})


urlpatterns = [
    path("v1/orders/", views.OrderListView.as_view(), name="orders"),
    path("v1/orders/<str:order_no>/", views.OrderDetailView.as_view(), name="order"),
    path("v1/orders/<str:order_no>/cancel/", views.OrderCancelView.as_view(), name="order-cancel"),
    path("v1/orders/<str:order_no>/parcels/", views.OrderParcelsView.as_view(), name="order-parcels"),
    path("v1/stock/", views.StockView.as_view(), name="stock"),
    path("v1/schema/", SpectacularAPIView.as_view(**PUBLIC), name="schema"),
    path("v1/docs/", SpectacularSwaggerView.as_view(url_name="api:schema", **PUBLIC), name="docs"),
    re_path(r"^(?P<rest>.*)$", unknown_endpoint),
]
