"""The only way into /api/: `Authorization: Bearer <prefix>.<secret>` (no session, so no CSRF path)."""

from rest_framework import authentication, exceptions

from api.keys import key_matches, split_key
from api.models import ApiClient

WRONG_KEY = "API 密钥无效，请检查 Authorization 请求头（Bearer <密钥>）。"
REVOKED = "API 密钥已被吊销，请在后台新建客户端获取新密钥。"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Sets request.auth to the ApiClient (request.user stays None: a client is no staff user)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(WRONG_KEY)
        parts = split_key(header[1])
        client = ApiClient.objects.select_related("shop").filter(key_prefix=parts[0]).first() if parts else None
        if client is None or not key_matches(parts[1], client.key_hash):
            raise exceptions.AuthenticationFailed(WRONG_KEY)
        if not client.is_active:
            raise exceptions.AuthenticationFailed(REVOKED)
        return None, client

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'
