"""The push webhook: Kuaidi100 posts trace updates here (no login, no CSRF; the signature decides)."""

import logging

from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from logistics.conf import get_provider
from logistics.providers.base import InvalidSignature, MalformedPush
from logistics.services.tracking import receive_push

logger = logging.getLogger(__name__)


def _reply(provider, ok, message, status=200):
    return JsonResponse(provider.push_reply(ok, message), status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def kuaidi100_push(request):
    provider = get_provider()
    if provider is None:
        raise Http404("快递100未配置")
    try:
        added = receive_push(request.POST, provider=provider)
    except InvalidSignature:
        logger.warning(
            "refused a Kuaidi100 push with a bad signature from %s (param %d chars)",
            request.META.get("REMOTE_ADDR", "?"),
            len(request.POST.get("param", "")),
        )
        return _reply(provider, False, "签名错误", status=403)
    except MalformedPush as exc:
        logger.warning("refused a malformed Kuaidi100 push: %s", exc)
        return _reply(provider, False, "内容无法识别", status=400)
    logger.info("stored %d trace events from a Kuaidi100 push", added)
    return _reply(provider, True, "成功")
