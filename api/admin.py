"""店铺 API in the admin: clients (the key shown once, 吊销), their calls, the webhooks out (重新发送)."""

import json

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from api import selectors, services, webhooks
from api.models import ApiCall, ApiClient, Scope, WebhookAttempt, WebhookDelivery


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label="权限",
        choices=[(scope, f"{label}（{scope}）") for scope, label in Scope.choices],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="读取完整收货信息：不勾选时 API 返回的电话、地址打码；勾选后每次读取都记入个人信息查看记录。",
    )

    webhook_url = forms.URLField(
        label="回调地址",
        max_length=300,
        required=False,
        assume_scheme="https",
        help_text=ApiClient._meta.get_field("webhook_url").help_text,
    )

    class Meta:
        model = ApiClient
        fields = ["name", "shop", "scopes", "webhook_url"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "shop", "scope_labels", "key_prefix", "webhook_url", "state", "created_at"]
    list_filter = ["shop"]
    search_fields = ["name", "key_prefix"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # The webhook secret stays readable (the store may need it again); the key never is.
        return ["shop", "key_prefix", "webhook_secret", "created_at", "revoked_at"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # 吊销 instead: the calls and webhook deliveries stay attached to their client

    @admin.display(description="权限")
    def scope_labels(self, client):
        return "、".join(Scope(scope).label for scope in client.scopes if scope in Scope.values) or "—"

    @admin.display(description="状态")
    def state(self, client):
        return "已启用" if client.is_active else "已吊销"

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        request.api_key = services.create_api_client(obj)

    def response_add(self, request, obj, post_url_continue=None):
        """The key is shown on this page only: it is not stored and cannot be shown again."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"API 客户端“{obj.name}”已创建",
            "client": obj,
            "key": request.api_key,
            "orders_url": request.build_absolute_uri(reverse("api:orders")),
            "docs_url": request.build_absolute_uri(reverse("api:docs")),
            "list_url": reverse("admin:api_apiclient_changelist"),
            "app_url": reverse("admin:app_list", args=["api"]),
            "example_sku": getattr(selectors.stock_items().first(), "sku", "SKU-001"),
        }
        return TemplateResponse(request, "admin/api/apiclient/key_created.html", context)

    @admin.action(description="吊销所选 API 客户端（密钥立即失效）")
    def revoke(self, request, queryset):
        count = services.revoke_clients(list(queryset))
        self.message_user(request, f"已吊销 {count} 个 API 客户端，它们的密钥立即失效。", messages.SUCCESS)


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    list_display = ["called_at", "client", "method", "path", "status_code", "duration_ms"]
    # By day with the date filter, not date_hierarchy: that needs MariaDB's time zone tables.
    list_filter = ["called_at", "client", "status_code", "method"]
    search_fields = ["path"]
    list_select_related = ["client"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the record of who called what stays


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["status_code", "error", "duration_ms"]  # each row is titled with its time (WebhookAttempt.__str__)
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "order_no", "client", "status", "attempts", "last_status_code"]
    list_filter = ["status", "event", "client"]
    search_fields = ["order_no", "event_id"]
    list_select_related = ["client"]
    fields = [
        "event_id", "client", "event", "order_no", "status", "attempts", "last_status_code",
        "next_attempt_at", "created_at", "delivered_at", "sent_body",
    ]  # fmt: skip
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a record: nothing to edit; 重新发送 is the one thing to do with it

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("api.change_webhookdelivery")

    @admin.display(description="内容")
    def sent_body(self, delivery):
        pretty = json.dumps(json.loads(delivery.body), ensure_ascii=False, indent=2)
        return format_html('<pre style="white-space: pre-wrap; word-break: break-all; margin: 0">{}</pre>', pretty)

    @admin.action(description="重新发送所选回调", permissions=["resend"])
    def resend(self, request, queryset):
        count = webhooks.resend_deliveries(list(queryset))
        skipped = queryset.count() - count
        note = f"；{skipped} 条已送达，未重发" if skipped else ""
        self.message_user(request, f"已重新排队发送 {count} 条回调{note}。", messages.SUCCESS)
