"""Kuaidi100 (快递100): e-waybills, real-time traces, subscriptions and pushes.

Field names, addresses and signatures follow Kuaidi100's published API documents and its
official SDK demos (kuaidi100-api python-demo / java-demo):

- e-waybill   POST label/order     form key, method=order, t (ms), param, sign = MD5(param + t + key + secret)
- trace query POST poll/query.do   form customer, param, sign = MD5(param + key + customer)
- subscribe   POST poll            form schema=json, param {company, number, key, parameters{callbackurl, salt, ...}}
- push        form param, sign = MD5(param + salt); we answer {"result": true, "returnCode": "200", "message": "成功"}

Every MD5 is hex, upper-case, over the UTF-8 bytes of the plain concatenation.
"""

import hashlib
import hmac
import json
import logging
import zoneinfo
from datetime import datetime

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from logistics.models import TrackingState
from logistics.providers.base import (
    InvalidSignature,
    MalformedPush,
    Provider,
    ProviderError,
    Trace,
    TraceEvent,
    WaybillResult,
)

logger = logging.getLogger(__name__)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

# Kuaidi100's own hosts; KUAIDI100_BASE_URL replaces both (a sandbox or the test server).
LABEL_URL = "https://api.kuaidi100.com/label/order"
QUERY_URL = "https://poll.kuaidi100.com/poll/query.do"
SUBSCRIBE_URL = "https://poll.kuaidi100.com/poll"

# Kuaidi100's `state`: 0 在途, 1 揽收, 2 疑难, 3 签收, 4 退签, 5 派件, 6 退回, 7 转投,
# 8 清关, 10 待清关, 11 清关中, 12 已清关, 13 清关异常, 14 拒签 (java-demo QueryTrackResp).
STATES = {
    "0": TrackingState.IN_TRANSIT,
    "1": TrackingState.IN_TRANSIT,
    "2": TrackingState.DIFFICULT,
    "3": TrackingState.SIGNED,
    "4": TrackingState.RETURNED,
    "5": TrackingState.DELIVERING,
    "6": TrackingState.RETURNED,
    "7": TrackingState.IN_TRANSIT,
    "8": TrackingState.IN_TRANSIT,
    "10": TrackingState.IN_TRANSIT,
    "11": TrackingState.IN_TRANSIT,
    "12": TrackingState.IN_TRANSIT,
    "13": TrackingState.DIFFICULT,
    "14": TrackingState.DIFFICULT,
}


def md5_upper(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324 (the protocol's signature)


def label_sign(param, t, key, secret):
    """Signature of an e-waybill request: MD5(param + t + key + secret), upper-case."""
    return md5_upper(param + t + key + secret)


def query_sign(param, key, customer):
    """Signature of a real-time trace query: MD5(param + key + customer), upper-case."""
    return md5_upper(param + key + customer)


def push_sign(param, salt):
    """Signature of a subscription push: MD5(param + salt), upper-case."""
    return md5_upper(param + salt)


def tracking_state(raw):
    """Our five states from Kuaidi100's `state` (main codes, or detailed ones such as 501 or 1001)."""
    raw = str(raw or "").strip()
    if raw in STATES:
        return STATES[raw]
    if len(raw) >= 3 and raw[:-2] in STATES:
        return STATES[raw[:-2]]
    return TrackingState.IN_TRANSIT


# A tracking event outside these years is not a real one (and 0001-01-01 in Shanghai is before
# year 1 in UTC, which no database stores): the push is malformed.
EVENT_YEARS = range(2000, 2100)


def parse_time(text):
    """Kuaidi100 writes local (Shanghai) times as 'YYYY-MM-DD HH:MM:SS'; ValueError for anything else."""
    moment = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    if moment.year not in EVENT_YEARS:
        raise ValueError(f"事件时间超出范围：{text}")
    return moment


def _events(rows):
    events = []
    for row in rows or []:
        context = str(row.get("context", "")).strip()
        stamp = row.get("ftime") or row.get("time")
        if not context or not stamp:
            continue
        events.append(
            TraceEvent(
                time=parse_time(str(stamp)),
                context=context,
                status=str(row.get("status", "")),
                area=str(row.get("areaName") or ""),
            )
        )
    return events


def trace_from_result(result, *, subscription_status="", message=""):
    """A Trace from a query answer or a push's lastResult."""
    raw_state = str(result.get("state", ""))
    return Trace(
        company=str(result.get("com", "")),
        number=str(result.get("nu", "")).strip().upper(),
        state=tracking_state(raw_state),
        raw_state=raw_state,
        signed=str(result.get("ischeck", "0")) == "1",
        events=_events(result.get("data")),
        subscription_status=subscription_status,
        message=message,
    )


class Kuaidi100(Provider):
    name = "kuaidi100"

    def __init__(self, *, key, secret, customer, salt, base_url="", timeout=10.0, retries=2, clock=None):
        self.key = key
        self.secret = secret
        self.customer = customer
        self.salt = salt
        self.timeout = timeout
        base = base_url.rstrip("/")
        self.label_url = f"{base}/label/order" if base else LABEL_URL
        self.query_url = f"{base}/poll/query.do" if base else QUERY_URL
        self.subscribe_url = f"{base}/poll" if base else SUBSCRIBE_URL
        self._clock = clock or datetime.now
        # Buying a waybill is not retried here: only idempotent calls get an automatic retry.
        self._once = requests.Session()
        self._retrying = requests.Session()
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=frozenset({"POST"}),
            backoff_factor=0.2,
            raise_on_status=False,
        )
        self._retrying.mount("http://", HTTPAdapter(max_retries=retry))
        self._retrying.mount("https://", HTTPAdapter(max_retries=retry))

    # -- transport ---------------------------------------------------------------------------

    def _post(self, session, url, data, *, what, uncertain_on_timeout=False):
        try:
            response = session.post(url, data=data, timeout=self.timeout)
        except requests.Timeout as exc:
            logger.warning("kuaidi100 %s timed out: %s", what, exc)
            raise ProviderError(f"快递100{what}超时，请稍后重试。", uncertain=uncertain_on_timeout) from exc
        except requests.RequestException as exc:
            logger.warning("kuaidi100 %s failed: %s", what, exc)
            raise ProviderError(f"无法连接快递100（{what}），请稍后重试。") from exc
        if response.status_code >= 500:
            raise ProviderError(f"快递100{what}暂时不可用（HTTP {response.status_code}），请稍后重试。")
        if response.status_code != 200:
            raise ProviderError(f"快递100{what}被拒绝（HTTP {response.status_code}）。")
        try:
            body = response.json()
        except ValueError as exc:
            logger.warning("kuaidi100 %s answered non-JSON: %r", what, response.text[:200])
            raise ProviderError(f"快递100{what}返回了无法识别的内容，请稍后重试。") from exc
        if not isinstance(body, dict):
            raise ProviderError(f"快递100{what}返回了无法识别的内容，请稍后重试。")
        return body

    @staticmethod
    def _dumps(value):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    # -- e-waybill ---------------------------------------------------------------------------

    def cancel_form(self, company, number, *, order_id, partner_id, partner_key, reason, t):
        """电子面单取消 (label/order, method=cancel): signed as an order is (kuaidi100-api php-demo ele_cancel)."""
        param = self._dumps(
            {
                "partnerId": partner_id,
                "partnerKey": partner_key,
                "kuaidicom": company,
                "kuaidinum": number,
                "orderId": order_id,
                "reason": reason,
            }
        )
        return {
            "method": "cancel",
            "key": self.key,
            "t": t,
            "param": param,
            "sign": label_sign(param, t, self.key, self.secret),
        }

    def cancel_waybill(self, company, number, *, order_id, partner_id="", partner_key="", reason=""):
        t = str(int(self._clock().timestamp() * 1000))
        form = self.cancel_form(
            company, number, order_id=order_id, partner_id=partner_id, partner_key=partner_key, reason=reason, t=t
        )
        # Not retried here: a failure is recorded on the waybill and shown, and the clerk decides.
        body = self._post(self._once, self.label_url, form, what="取消电子面单", uncertain_on_timeout=True)
        if not body.get("success") or str(body.get("code")) != "200":
            message = body.get("message") or "未知错误"
            raise ProviderError(f"快递100不能取消这张面单：{message}（代码 {body.get('code', '-')}）")

    def waybill_form(self, request, t):
        param = self._dumps(
            {
                "partnerId": request.partner_id,
                "partnerKey": request.partner_key,
                "kuaidicom": request.company,
                "recMan": {
                    "name": request.receiver.name,
                    "mobile": request.receiver.phone,
                    "printAddr": request.receiver.address,
                },
                "sendMan": {
                    "name": request.sender.name,
                    "mobile": request.sender.phone,
                    "printAddr": request.sender.address,
                },
                "cargo": request.cargo,
                "count": request.count,
                "payType": "SHIPPER",
                "expType": "标准快递",
                "remark": request.remark,
                "tempId": request.template_id,
                "printType": "IMAGE",
                # Our idempotency key: the same order id for every attempt, so a retry gets the
                # waybill that an earlier, timed-out attempt may already have bought.
                "orderId": request.idempotency_key,
            }
        )
        return {
            "method": "order",
            "key": self.key,
            "t": t,
            "param": param,
            "sign": label_sign(param, t, self.key, self.secret),
        }

    def create_waybill(self, request):
        t = str(int(self._clock().timestamp() * 1000))
        body = self._post(
            self._once, self.label_url, self.waybill_form(request, t), what="电子面单下单", uncertain_on_timeout=True
        )
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        if not body.get("success") or str(body.get("code")) != "200" or not data.get("kuaidinum"):
            message = body.get("message") or "未知错误"
            raise ProviderError(f"快递100拒绝下单：{message}（代码 {body.get('code', '-')}）")
        return WaybillResult(
            task_id=str(data.get("taskId", "")),
            tracking_number=str(data["kuaidinum"]).strip().upper(),
            label_url=str(data.get("label") or ""),
        )

    # -- real-time trace ---------------------------------------------------------------------

    def query_form(self, company, number, phone=""):
        param = self._dumps(
            {"com": company, "num": number, "phone": phone, "resultv2": "1", "show": "0", "order": "desc"}
        )
        return {"customer": self.customer, "param": param, "sign": query_sign(param, self.key, self.customer)}

    def query_trace(self, company, number, phone=""):
        body = self._post(self._retrying, self.query_url, self.query_form(company, number, phone), what="物流查询")
        if str(body.get("status")) != "200" or "data" not in body:
            message = body.get("message") or "未知错误"
            raise ProviderError(f"快递100查询失败：{message}（代码 {body.get('returnCode', '-')}）")
        return trace_from_result(body)

    # -- subscription ------------------------------------------------------------------------

    def subscribe_form(self, company, number, *, callback_url, phone=""):
        param = self._dumps(
            {
                "company": company,
                "number": number,
                "key": self.key,
                "parameters": {"callbackurl": callback_url, "salt": self.salt, "resultv2": "1", "phone": phone},
            }
        )
        return {"schema": "json", "param": param}

    def subscribe(self, company, number, *, callback_url, phone=""):
        form = self.subscribe_form(company, number, callback_url=callback_url, phone=phone)
        body = self._post(self._retrying, self.subscribe_url, form, what="物流订阅")
        # 501: already subscribed, which is what we wanted.
        if body.get("result") is True or str(body.get("returnCode")) in {"200", "501"}:
            return
        message = body.get("message") or "未知错误"
        raise ProviderError(f"快递100订阅失败：{message}（代码 {body.get('returnCode', '-')}）")

    # -- push --------------------------------------------------------------------------------

    def parse_push(self, form):
        param = form.get("param", "")
        sign = form.get("sign", "")
        if not param or not hmac.compare_digest(sign.upper().encode(), push_sign(param, self.salt).encode()):
            raise InvalidSignature("推送签名不正确")
        try:
            body = json.loads(param)
            result = body["lastResult"]
            if not isinstance(result, dict):
                raise TypeError("lastResult")
            return trace_from_result(
                result, subscription_status=str(body.get("status", "")), message=str(body.get("message", ""))
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedPush(f"推送内容无法识别：{exc}") from exc

    def push_reply(self, ok=True, message="成功"):
        return {"result": ok, "returnCode": "200" if ok else "500", "message": message}
