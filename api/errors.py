"""The API's one error shape: {"errors": [{"code", "message" (Chinese), "field"}]}.

Domain refusals from orders.services go through its one translator (services.error_messages), so
the store reads the same Chinese as the clerk.
"""

import math

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from orders.services import InsufficientStock, error_messages


class ApiError(exceptions.APIException):
    """A refusal of ours with its own code, status and field: raise ApiError(409, "code", "中文")."""

    def __init__(self, status_code, code, message, field=None):
        super().__init__(message, code)
        self.status_code, self.code, self.field = status_code, code, field


def error(code, message, field=None):
    return {"code": code, "message": str(message), "field": field}


def errors_response(errors, status_code, headers=None):
    return Response({"errors": errors}, status=status_code, headers=headers)


def _flatten(detail, field=None):
    """DRF's nested ValidationError detail as a flat list, fields as paths (lines[0].sku)."""
    if isinstance(detail, dict):
        found = []
        for name, value in detail.items():
            if isinstance(name, int):  # a ListSerializer's errors, by index
                path = f"{field}[{name}]"
            else:
                path = None if name == "non_field_errors" else (f"{field}.{name}" if field else name)
            found.extend(_flatten(value, path))
        return found
    if isinstance(detail, list):
        if all(isinstance(value, exceptions.ErrorDetail) for value in detail):
            return [error(value.code, value, field) for value in detail]
        found = []
        for index, value in enumerate(detail):
            found.extend(_flatten(value, f"{field}[{index}]" if field else f"[{index}]"))
        return found
    return [error(getattr(detail, "code", "invalid"), detail, field)]


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError | InsufficientStock):
        return errors_response([error("refused", text) for text in error_messages(exc)], status.HTTP_409_CONFLICT)
    if isinstance(exc, ApiError):
        return errors_response([error(exc.code, exc.detail, exc.field)], exc.status_code)
    if isinstance(exc, exceptions.Throttled):
        wait = math.ceil(exc.wait or 1)
        message = f"请求过于频繁，超过了此客户端的限速，请 {wait} 秒后再试。"
        return errors_response([error("throttled", message)], exc.status_code, {"Retry-After": str(wait)})
    if isinstance(exc, exceptions.ParseError):
        return errors_response([error("parse_error", "请求内容不是有效的 JSON。")], exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": _flatten(exc.detail)}
    else:
        response.data = {
            "errors": [error(exc.get_codes() if isinstance(exc.get_codes(), str) else "error", exc.detail)]
        }
    return response
