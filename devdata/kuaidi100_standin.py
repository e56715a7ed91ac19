"""A local stand-in for Kuaidi100 that speaks its published protocol over real HTTP.

It checks every signature exactly as documented, answers with the documented JSON, remembers
waybills by their orderId (so a repeated order does not buy a second one, as a carrier does),
serves each waybill's label image (a 76×130 mm PNG with the number, its barcode and the
receiver), cancels waybills, pushes traces to a subscriber's callback URL, and can be told to
fail: HTTP 500, a timeout, an error code or malformed JSON.

The tests start it in-process (tests/logistics/conftest.py); `bash scripts/demo.sh --kuaidi100`
runs it beside the demo so a new user can try 电子面单 without an account:

    .venv/bin/python -m devdata.kuaidi100_standin [--port 18780]

It does not import the project's code: the signatures here are computed independently.
"""

import argparse
import contextlib
import hashlib
import io
import json
import threading
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import requests

NUMBER_PREFIX = {
    "shunfeng": "SF",
    "zhongtong": "7",
    "yuantong": "YT",
    "shentong": "77",
    "yunda": "",
    "jtexpress": "JT",
    "jd": "JD",
    "ems": "",
}


COURIER_NAMES = {
    "shunfeng": "顺丰速运",
    "zhongtong": "中通快递",
    "yuantong": "圆通速递",
    "shentong": "申通快递",
    "yunda": "韵达快递",
    "jtexpress": "极兔速递",
    "jd": "京东快递",
    "ems": "EMS",
}
LABEL_SIZE = (608, 1040)  # 76×130 mm at 203 dpi, a thermal printer's resolution
CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"  # Debian's fonts-noto-cjk


def md5_upper(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324 (the protocol says MD5)


class Hold:
    """A request held after its work is done: `arrived` when it is, the answer goes out on `release()`."""

    def __init__(self, skip=0):
        self.skip = skip
        self.arrived = threading.Event()
        self.released = threading.Event()

    def release(self):
        self.released.set()


class FakeKuaidi100:
    def __init__(self, *, key="test-key", secret="test-secret", customer="TESTCUSTOMER", port=0):  # noqa: S107
        self.key = key
        self.secret = secret
        self.customer = customer
        self.lock = threading.RLock()
        self.release = threading.Event()
        self.waybills = {}  # orderId -> answer data
        self.purchases = 0  # waybills actually bought
        self.create_calls = Counter()  # orderId (our idempotency key) -> e-waybill requests received
        self._holds = {}  # path -> Hold for the next request there
        self._all_holds = []
        self.subscriptions = {}  # number -> param
        self.queries = []
        self.requests = []  # (path, form) of every request
        self.traces = {}  # number -> {"com", "state", "ischeck", "data": [...] newest first}
        self._failures = []  # [(path or None, mode)]
        self._serial = 0
        self.label_fetches = []  # paths of label images asked for
        self.printed = {}  # orderId -> (courier code, receiver lines) drawn on its label
        self.labels_broken = False
        self.cancelled = set()  # numbers whose e-waybill was cancelled (电子面单取消)
        self.picked_up = set()  # numbers the courier already collected: a cancel is refused
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    # -- control -----------------------------------------------------------------------------

    @property
    def base_url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.release.set()
        with self.lock:
            for hold in self._all_holds:
                hold.release()
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, mode, *, path=None, times=1):
        """The next `times` requests (to `path`, or any) fail with mode http500/timeout/error/malformed."""
        with self.lock:
            self._failures.extend([(path, mode)] * times)

    def hold_next(self, path, *, skip=0):
        """The request to `path` after the next `skip` is served (a waybill is bought) but its answer
        waits for `release()`. Returns the Hold: `arrived` is set once the work is done, the moment
        a client that dies now loses the answer."""
        hold = Hold(skip)
        with self.lock:
            self._holds[path] = hold
            self._all_holds.append(hold)
        return hold

    def add_event(self, number, time, context, *, state="0", status="在途", com=None, ischeck="0"):
        """Append an event (newest) to a parcel's trace and set its current state."""
        with self.lock:
            trace = self.traces.setdefault(number, {"com": com or "", "state": "0", "ischeck": "0", "data": []})
            trace["com"] = com or trace["com"] or self.subscriptions.get(number, {}).get("company", "")
            trace["state"] = state
            trace["ischeck"] = ischeck
            trace["data"].insert(0, {"time": time, "ftime": time, "context": context, "status": status})

    def push_form(self, number, *, status="polling", salt=None):
        """The form Kuaidi100 posts to a subscriber: param (JSON) and sign = MD5(param + salt)."""
        trace = self.traces[number]
        subscription = self.subscriptions.get(number, {})
        salt = subscription.get("parameters", {}).get("salt", "") if salt is None else salt
        param = json.dumps(
            {
                "status": status,
                "billstatus": "got",
                "message": "",
                "autoCheck": "0",
                "comOld": "",
                "comNew": "",
                "lastResult": {
                    "message": "ok",
                    "state": trace["state"],
                    "status": "200",
                    "condition": "F00",
                    "ischeck": trace["ischeck"],
                    "com": trace["com"],
                    "nu": number,
                    "data": trace["data"],
                },
            },
            ensure_ascii=False,
        )
        return {"param": param, "sign": md5_upper(param + salt)}

    def push(self, number, *, client=None, **kwargs):
        """Push the parcel's trace to its subscription's callback URL, or through a Django test client."""
        form = self.push_form(number, **kwargs)
        url = self.subscriptions[number]["parameters"]["callbackurl"]
        if client is not None:
            return client.post(url, form)
        return requests.post(url, data=form, timeout=10)

    # -- protocol ----------------------------------------------------------------------------

    def _take_failure(self, path):
        with self.lock:
            for index, (wanted, mode) in enumerate(self._failures):
                if wanted in (None, path):
                    del self._failures[index]
                    return mode
        return None

    def _next_number(self, com):
        with self.lock:
            self._serial += 1
            serial = self._serial
        prefix = NUMBER_PREFIX.get(com, "")
        return f"{prefix}{serial:013d}"

    def label_order(self, form):
        param = form.get("param", "")
        expected = md5_upper(param + form.get("t", "") + self.key + self.secret)
        if form.get("key") != self.key or form.get("sign") != expected:
            return {"success": False, "code": 30002, "message": "签名验证失败", "data": None}
        if form.get("method") == "cancel":
            return self.cancel(json.loads(param))
        if form.get("method") != "order":
            return {"success": False, "code": 30001, "message": "method 不正确", "data": None}
        body = json.loads(param)
        for field in ("kuaidicom", "recMan", "sendMan", "orderId"):
            if not body.get(field):
                return {"success": False, "code": 30001, "message": f"缺少参数 {field}", "data": None}
        with self.lock:  # one waybill per orderId, even for two requests at once
            self.create_calls[body["orderId"]] += 1
            data = self.waybills.get(body["orderId"])
            if data is None:
                task_id = uuid.uuid4().hex.upper()
                data = {
                    "taskId": task_id,
                    "kuaidinum": self._next_number(body["kuaidicom"]),
                    "label": f"{self.base_url}/label/{task_id}.png",
                }
                self.waybills[body["orderId"]] = data
                self.printed[body["orderId"]] = (body["kuaidicom"], _receiver_lines(body["recMan"]))
                self.purchases += 1
        return {"success": True, "code": 200, "message": "success", "data": data, "time": 12}

    def label_image(self, path):
        """The PNG label of the waybill whose link is `path`, or None; `labels_broken` makes every
        link answer an HTML page instead."""
        with self.lock:
            self.label_fetches.append(path)
            found = next(
                ((order_id, data) for order_id, data in self.waybills.items() if data["label"].endswith(path)), None
            )
            printed = self.printed.get(found[0], ("", [])) if found else None
        if found is None:
            return None
        if self.labels_broken:
            return "<html>链接已过期</html>"
        return draw_label(found[1]["kuaidinum"], *printed)

    def cancel(self, body):
        """label/order with method=cancel: the waybill bought for that number is no longer billed."""
        number = body.get("kuaidinum", "")
        with self.lock:
            if number in self.picked_up:
                return {"success": False, "code": 30005, "message": "快件已揽收，不能取消", "data": None}
            if not any(data["kuaidinum"] == number for data in self.waybills.values()):
                return {"success": False, "code": 30001, "message": "面单不存在", "data": None}
            self.cancelled.add(number)
        return {"success": True, "code": 200, "message": "success", "data": None}

    def query(self, form):
        param = form.get("param", "")
        if form.get("customer") != self.customer or form.get("sign") != md5_upper(param + self.key + self.customer):
            return {"result": False, "returnCode": "601", "message": "签名验证失败"}
        body = json.loads(param)
        with self.lock:
            self.queries.append(body["num"])
            trace = self.traces.get(body["num"])
        if trace is None:
            return {"result": False, "returnCode": "400", "message": "找不到对应公司"}
        return {
            "message": "ok",
            "nu": body["num"],
            "ischeck": trace["ischeck"],
            "condition": "F00",
            "com": body["com"],
            "status": "200",
            "state": trace["state"],
            "data": trace["data"],
        }

    def subscribe(self, form):
        if form.get("schema") != "json":
            return {"result": False, "returnCode": "400", "message": "schema 不正确"}
        body = json.loads(form.get("param", "{}"))
        if body.get("key") != self.key:
            return {"result": False, "returnCode": "600", "message": "您不是合法的订阅者"}
        if not body.get("parameters", {}).get("callbackurl"):
            return {"result": False, "returnCode": "700", "message": "缺少回调地址"}
        with self.lock:
            duplicate = body["number"] in self.subscriptions
            self.subscriptions[body["number"]] = body
            self.traces.setdefault(body["number"], {"com": body["company"], "state": "0", "ischeck": "0", "data": []})
        if duplicate:
            return {"result": False, "returnCode": "501", "message": "重复订阅"}
        return {"result": True, "returnCode": "200", "message": "提交成功"}

    def _handler(self):
        fake = self
        routes = {"/label/order": fake.label_order, "/poll/query.do": fake.query, "/poll": fake.subscribe}

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, body, content_type="application/json;charset=UTF-8"):
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client that timed out
                    self.wfile.write(data)

            def do_GET(self):
                # The label images the e-waybill answers link to (printType IMAGE).
                image = fake.label_image(self.path)
                if image is None:
                    return self._send(404, '{"message": "not found"}')
                data = image if isinstance(image, bytes) else image.encode()
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length).decode("utf-8")
                form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                route = routes.get(self.path)
                with fake.lock:
                    fake.requests.append((self.path, form))
                if route is None:
                    return self._send(404, '{"message": "not found"}')
                mode = fake._take_failure(self.path)
                if mode == "http500":
                    return self._send(500, "<html>Internal Server Error</html>", "text/html")
                if mode == "malformed":
                    return self._send(200, '{"result": true, "data": [')
                if mode == "error":
                    return self._send(
                        200,
                        json.dumps(
                            {
                                "result": False,
                                "success": False,
                                "returnCode": "503",
                                "code": 503,
                                "message": "服务繁忙",
                            },
                            ensure_ascii=False,
                        ),
                    )
                answer = route(form)
                with fake.lock:
                    hold = fake._holds.get(self.path)
                    if hold is not None and hold.skip:
                        hold.skip -= 1
                        hold = None
                    elif hold is not None:
                        del fake._holds[self.path]
                if hold is not None:
                    hold.arrived.set()
                    hold.released.wait(60)
                if mode == "timeout":
                    # The work is done (a waybill may be bought) but the answer comes too late.
                    fake.release.wait(10)
                return self._send(200, json.dumps(answer, ensure_ascii=False))

        return Handler


def _receiver_lines(receiver):
    """What a label prints of the receiver: name and phone, its middle hidden as on a courier's
    privacy waybill (隐私面单), then the address."""
    phone = receiver.get("mobile", "")
    if len(phone) >= 11:
        phone = f"{phone[:3]}****{phone[-4:]}"
    return [f"{receiver.get('name', '')}  {phone}".strip(), receiver.get("printAddr", "")]


def draw_label(number, courier, receiver_lines):
    """A label as a courier's printer would get it: courier, number, Code 128 barcode, receiver.
    Marked as a stand-in's, so nobody mistakes it for a real waybill."""
    from PIL import Image, ImageDraw, ImageFont

    def font(size):
        try:
            return ImageFont.truetype(CJK_FONT, size)
        except OSError:  # no CJK font here: Latin only, Chinese shows as boxes
            return ImageFont.load_default(size)

    image = Image.new("L", LABEL_SIZE, 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, LABEL_SIZE[0] - 9, LABEL_SIZE[1] - 9), outline=0, width=3)
    draw.text((32, 28), COURIER_NAMES.get(courier, courier), font=font(40), fill=0)
    draw.text((32, 90), "演示面单 · 快递100 替身，非真实运单", font=font(26), fill=0)
    barcode = _barcode_image(number)
    if barcode is not None:
        image.paste(barcode, ((LABEL_SIZE[0] - barcode.width) // 2, 150))
    draw.text((32, 400), number, font=font(44), fill=0)
    draw.line((24, 470, LABEL_SIZE[0] - 24, 470), fill=0, width=2)
    draw.text((32, 490), "收件人", font=font(26), fill=0)
    y = 530
    for line in receiver_lines:
        for start in range(0, len(line), 18):  # about 18 characters of 30 px to a 540 px line
            draw.text((32, y), line[start : start + 18], font=font(30), fill=0)
            y += 44
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _barcode_image(number):
    """The number as a Code 128 barcode image about 540 px wide, or None without python-barcode."""
    try:
        from barcode import Code128
        from barcode.writer import ImageWriter
    except ImportError:
        return None
    out = io.BytesIO()
    Code128(number, writer=ImageWriter()).write(
        out, {"module_width": 0.3, "module_height": 22, "write_text": False, "quiet_zone": 2, "dpi": 203}
    )
    out.seek(0)
    from PIL import Image

    image = Image.open(out).convert("L")
    if image.width > LABEL_SIZE[0] - 48:
        image = image.resize((LABEL_SIZE[0] - 48, image.height))
    return image


def main(argv=None):
    parser = argparse.ArgumentParser(description="快递100 的本机替身（电子面单、面单图片、取消、轨迹查询）")
    parser.add_argument("--port", type=int, default=18780)
    parser.add_argument("--key", default="standin-key")
    parser.add_argument("--secret", default="standin-secret")
    parser.add_argument("--customer", default="STANDINCUSTOMER")
    args = parser.parse_args(argv)
    standin = FakeKuaidi100(key=args.key, secret=args.secret, customer=args.customer, port=args.port)
    print("快递100 替身已启动，用这些环境变量运行本系统：", flush=True)
    print(f"  export KUAIDI100_BASE_URL={standin.base_url}", flush=True)
    print(
        f"  export KUAIDI100_KEY={args.key} KUAIDI100_SECRET={args.secret} KUAIDI100_CUSTOMER={args.customer}",
        flush=True,
    )
    try:
        standin.server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        standin.server.server_close()


if __name__ == "__main__":
    main()
