"""Scopes: each view names the one it needs (`required_scope`); a client without it gets 403."""

from rest_framework import exceptions, permissions

from api.models import ApiClient, Scope

NOT_AUTHENTICATED = "缺少 API 密钥：请在请求头加上 Authorization: Bearer <密钥>。"


class HasScope(permissions.BasePermission):
    def has_permission(self, request, view):
        if not isinstance(request.auth, ApiClient):
            raise exceptions.NotAuthenticated(NOT_AUTHENTICATED)
        scope = view.required_scope(request) if callable(view.required_scope) else view.required_scope
        if not request.auth.has_scope(scope):
            raise exceptions.PermissionDenied(f"此 API 客户端没有“{Scope(scope).label}”权限（{scope}）。")
        return True
