"""API keys: `<prefix>.<secret>`, found by prefix, the secret kept only as its SHA-256."""

import hashlib
import hmac
import secrets

PREFIX_BYTES = 6  # 8 URL-safe characters
SECRET_BYTES = 32


def new_key():
    """(prefix, full key) for a new client: the full key is shown once and never stored."""
    prefix = secrets.token_urlsafe(PREFIX_BYTES).replace("-", "x").replace("_", "y")
    return prefix, f"{prefix}.{secrets.token_urlsafe(SECRET_BYTES)}"


def key_hash(key):
    """What is stored of a key. Keys are random 256-bit secrets, so a plain SHA-256 suffices (no slow hash)."""
    return hashlib.sha256(key.encode()).hexdigest()


def split_key(key):
    """(prefix, key) of a presented key, or None when it has no `<prefix>.<secret>` shape."""
    prefix, dot, secret = key.partition(".")
    return (prefix, key) if dot and prefix and secret else None


def key_matches(key, stored_hash):
    """Constant-time comparison of a presented key with the stored hash."""
    return hmac.compare_digest(key_hash(key), stored_hash)


def new_webhook_secret():
    return f"whsec_{secrets.token_urlsafe(SECRET_BYTES)}"
