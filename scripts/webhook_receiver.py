"""A local stand-in for a store's webhook endpoint: prints each OMS webhook and whether its signature holds.

    python3 scripts/webhook_receiver.py --secret whsec_... [--port 18747]

Then set the API client's 回调地址 to http://127.0.0.1:18747/ in the admin. Standard library only,
and it does what a store's endpoint should (README 店铺 API): recompute HMAC-SHA256 over
"<X-OMS-Timestamp>.<raw body>" with the secret, compare in constant time, refuse a timestamp
outside the replay window, and answer 2xx only to a webhook that verifies.
"""

import argparse
import hashlib
import hmac
import json
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

REPLAY_WINDOW = 300  # seconds


def verified(secret, headers, body, now=None):
    """Whether the webhook's signature is the secret's and its timestamp within the replay window."""
    timestamp = headers.get("X-OMS-Timestamp", "")
    if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > REPLAY_WINDOW:
        return False
    expected = "v1=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers.get("X-OMS-Signature", ""), expected)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secret", required=True, help="the client's 回调签名密钥 (whsec_…)")
    parser.add_argument("--port", type=int, default=18747)
    args = parser.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            ok = verified(args.secret, self.headers, body)
            event = json.loads(body) if ok else {}
            parcel = event.get("parcel") or {}
            print(
                f"{self.headers.get('X-OMS-Event')} {self.headers.get('X-OMS-Event-Id')} "
                f"签名{'正确' if ok else '错误'} 订单 {event.get('order_no', '?')} "
                f"{parcel.get('carrier', '')} {parcel.get('tracking_number', '')}",
                flush=True,
            )
            self.send_response(204 if ok else 401)
            self.end_headers()

        def log_message(self, *args):
            pass

    print(f"listening on http://127.0.0.1:{args.port}/", flush=True)
    HTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
