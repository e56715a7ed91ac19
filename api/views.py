"""The storefront API's endpoints (/api/v1/). Thin: validate, call a service or selector, answer."""

import time

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from api import selectors, services
from api.errors import ApiError
from api.models import Scope
from api.serializers import (
    ErrorsSerializer,
    OrderCreateSerializer,
    OrderOutSerializer,
    ParcelOutSerializer,
    StockItemSerializer,
)
from orders import services as order_services
from orders.models import Order, ReceiverReveal
from orders.privacy import record_bulk_reveal

ERRORS = OpenApiResponse(ErrorsSerializer, description="错误：errors 列出每个问题（code、中文 message、field）")
COMMON_ERRORS = {401: ERRORS, 403: ERRORS, 429: ERRORS}


class ApiView(APIView):
    """Every API view: each call is recorded (ApiCall) with its client, status and time."""

    required_scope = Scope.ORDERS_READ

    def dispatch(self, request, *args, **kwargs):
        started = time.monotonic()
        response = super().dispatch(request, *args, **kwargs)
        client = getattr(self.request, "_auth", None)
        services.record_call(
            client, request.method, request.get_full_path(), response.status_code, (time.monotonic() - started) * 1000
        )
        return response

    def order_or_404(self, order_no):
        order = selectors.client_order(self.request.auth, order_no)
        if order is None:
            raise ApiError(
                404, "not_found", f"订单 {order_no} 不存在（在此客户端的店铺 {self.request.auth.shop} 中）。"
            )
        return order

    def order_data(self, orders, *, many=False):
        """Orders as OrderOutSerializer gives them; full receivers only with receiver:read, each such read recorded."""
        client = self.request.auth
        full = client.has_scope(Scope.RECEIVER_READ)
        if full and orders:
            record_bulk_reveal(orders if many else [orders], None, ReceiverReveal.How.API, f"API 客户端 {client.name}")
        return OrderOutSerializer(orders, many=many, context={"full_receiver": full}).data


class OrderPagination(CursorPagination):
    ordering = ("updated_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class OrderFilters(serializers.Serializer):
    status = serializers.ChoiceField(label="发货状态", choices=Order.Status.choices, required=False)
    updated_since = serializers.DateTimeField(label="更新时间起", required=False)


class OrderListView(ApiView):
    pagination_class = OrderPagination

    def required_scope(self, request):
        return Scope.ORDERS_WRITE if request.method == "POST" else Scope.ORDERS_READ

    @extend_schema(
        summary="订单列表",
        description="本店铺的订单，按更新时间正序，游标分页（next / previous）。需要 orders:read。",
        parameters=[OrderFilters],
        responses={200: OrderOutSerializer(many=True), 400: ERRORS, **COMMON_ERRORS},
    )
    def get(self, request):
        filters = OrderFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        orders = selectors.client_orders(request.auth)
        if "status" in filters.validated_data:
            orders = orders.filter(status=filters.validated_data["status"])
        if "updated_since" in filters.validated_data:
            orders = orders.filter(updated_at__gte=filters.validated_data["updated_since"])
        paginator = self.pagination_class()
        page = selectors.with_parcels(paginator.paginate_queryset(orders, request, view=self))
        return paginator.get_paginated_response(self.order_data(page, many=True))

    @extend_schema(
        summary="推送订单",
        description=(
            "在本客户端的店铺新建一个待发货订单。按（店铺，订单号）幂等：同一订单再次推送返回 200 和已有订单；"
            "订单号相同而内容不同返回 409。可带 Idempotency-Key 请求头：同一个键配不同内容返回 422。需要 orders:write。"
        ),
        request=OrderCreateSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False)],
        responses={
            201: OrderOutSerializer,
            200: OrderOutSerializer,
            400: ERRORS,
            409: ERRORS,
            422: ERRORS,
            **COMMON_ERRORS,
        },
    )
    def post(self, request):
        draft = OrderCreateSerializer(data=request.data)
        draft.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key is not None and len(key) > 100:
            raise ApiError(400, "invalid", "Idempotency-Key 最长 100 个字符。", "Idempotency-Key")
        order, created = services.place_order(request.auth, draft.validated_data, raw=request.data, idempotency_key=key)
        if created:
            order = selectors.as_new_order(order, order.lines_created)
        else:
            order = selectors.client_order_by_pk(request.auth, order.pk)
        return Response(self.order_data(order), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class OrderDetailView(ApiView):
    @extend_schema(summary="读取订单", responses={200: OrderOutSerializer, 404: ERRORS, **COMMON_ERRORS})
    def get(self, request, order_no):
        return Response(self.order_data(self.order_or_404(order_no)))


class OrderCancelView(ApiView):
    required_scope = Scope.ORDERS_WRITE

    @extend_schema(
        summary="取消订单",
        description="取消一个还没有发货（没有未撤销包裹）的订单，与后台“取消订单”同一规则。需要 orders:write。",
        request=None,
        responses={200: OrderOutSerializer, 404: ERRORS, 409: ERRORS, **COMMON_ERRORS},
    )
    def post(self, request, order_no):
        order_services.cancel_order(self.order_or_404(order_no))
        return Response(self.order_data(self.order_or_404(order_no)))


class OrderParcelsView(ApiView):
    @extend_schema(
        summary="订单的包裹",
        description="快递公司、快递单号、查询网址、状态、发货时间和本订单在包裹中的商品（含已撤销的包裹）。",
        responses={200: ParcelOutSerializer(many=True), 404: ERRORS, **COMMON_ERRORS},
    )
    def get(self, request, order_no):
        return Response(ParcelOutSerializer(self.order_or_404(order_no).api_parcels, many=True).data)


class StockFilters(serializers.Serializer):
    sku = serializers.ListField(child=serializers.CharField(), label="SKU", required=False)


class StockView(ApiView):
    required_scope = Scope.STOCK_READ
    MAX_SKUS = 200

    @extend_schema(
        summary="库存",
        description=f"商品的库存；sku 可重复或用逗号分隔，最多 {MAX_SKUS} 个，留空列出全部。需要 stock:read。",
        parameters=[OpenApiParameter("sku", OpenApiTypes.STR, many=True, required=False)],
        responses={200: StockItemSerializer(many=True), 400: ERRORS, **COMMON_ERRORS},
    )
    def get(self, request):
        skus = [sku.strip() for value in request.query_params.getlist("sku") for sku in value.split(",") if sku.strip()]
        if len(skus) > self.MAX_SKUS:
            raise ApiError(400, "too_many", f"一次最多查询 {self.MAX_SKUS} 个 SKU，本次 {len(skus)} 个。", "sku")
        items = selectors.stock_items(skus or None)
        return Response(StockItemSerializer(items, many=True).data)
