"""The courier API's configuration, read from settings.KUAIDI100 (filled from the environment)."""

import hashlib
import hmac

from django.conf import settings


def kuaidi100_settings():
    return getattr(settings, "KUAIDI100", {}) or {}


def is_enabled():
    """True when Kuaidi100 credentials are set; without them the feature hides itself."""
    conf = kuaidi100_settings()
    return bool(conf.get("KEY") and conf.get("SECRET") and conf.get("CUSTOMER"))


def push_salt():
    """The salt that signs pushes: KUAIDI100_SALT, or a stable value derived from SECRET_KEY."""
    conf = kuaidi100_settings()
    if conf.get("SALT"):
        return conf["SALT"]
    return hmac.new(settings.SECRET_KEY.encode(), b"kuaidi100-push-salt", hashlib.sha256).hexdigest()[:32]


def callback_url():
    return kuaidi100_settings().get("CALLBACK_URL", "")


def get_provider():
    """The configured provider, or None when the feature is off."""
    if not is_enabled():
        return None
    from logistics.providers.kuaidi100 import Kuaidi100

    conf = kuaidi100_settings()
    return Kuaidi100(
        key=conf["KEY"],
        secret=conf["SECRET"],
        customer=conf["CUSTOMER"],
        salt=push_salt(),
        base_url=conf.get("BASE_URL", ""),
        timeout=float(conf.get("TIMEOUT", 10)),
        retries=int(conf.get("RETRIES", 2)),
    )
