"""Links to other sites (a carrier's tracking page, a courier's e-waybill): http(s) only.

Anything else — javascript:, data:, a relative path, a scheme hidden behind tabs or control
characters that browsers strip — is never made clickable.
"""

from urllib.parse import urlsplit

WEB_SCHEMES = ("http", "https")
NOT_A_WEB_ADDRESS = "网址必须以 http:// 或 https:// 开头。"


def is_web_address(url):
    """True for an absolute http(s) URL with a host and no whitespace or control characters."""
    if not url or any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced [ in the host
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)


def web_address(url):
    """`url` if it is an http(s) address, else "": what a template may put in an href."""
    return url if is_web_address(url) else ""
