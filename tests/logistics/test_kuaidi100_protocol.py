"""The Kuaidi100 provider: signatures worked out from the documented formulas, state codes, and
every call against the local fake server (which checks the signatures independently)."""

import json
from datetime import datetime

import pytest

from logistics.models import TrackingState
from logistics.providers.base import InvalidSignature, MalformedPush, Party, ProviderError, WaybillRequest
from logistics.providers.kuaidi100 import Kuaidi100, label_sign, push_sign, query_sign, tracking_state


def provider_for(fake, **overrides):
    options = {
        "key": fake.key,
        "secret": fake.secret,
        "customer": fake.customer,
        "salt": "salt123",
        "base_url": fake.base_url,
        "timeout": 2.0,
    }
    options.update(overrides)
    return Kuaidi100(**options)


def waybill_request(key="OMS1-abc", company="shunfeng"):
    return WaybillRequest(
        idempotency_key=key,
        company=company,
        sender=Party("王店长", "13900139000", "浙江省杭州市余杭区文一西路 969 号"),
        receiver=Party("张三", "13800138000", "上海市浦东新区张杨路 100 号"),
        cargo="日用品",
    )


class TestSignatures:
    # RFC 1321 test suite: MD5("abc") and MD5("message digest"), in upper case.
    def test_formulas_concatenate_in_the_documented_order(self):
        assert label_sign("a", "b", "c", "") == "900150983CD24FB0D6963F7D28E17F72"
        assert label_sign("mess", "age ", "dig", "est") == "F96B697D7CB7938D525A2F31AAF161D0"
        assert query_sign("a", "b", "c") == "900150983CD24FB0D6963F7D28E17F72"
        assert push_sign("message ", "digest") == "F96B697D7CB7938D525A2F31AAF161D0"

    def test_label_sign_is_param_t_key_secret(self):
        param = '{"kuaidicom":"shunfeng","orderId":"OMS1-abc"}'
        assert label_sign(param, "1700000000000", "testkey", "testsecret") == "BB24A34F641DC975AC626329625BB88B"

    def test_query_sign_is_param_key_customer(self):
        param = '{"com":"shunfeng","num":"SF1234567890123","phone":""}'
        assert query_sign(param, "testkey", "CUST01") == "A221B5E0EAF7F69E7C28CCF2E30EFE86"

    def test_push_sign_is_param_salt_over_utf8(self):
        assert (
            push_sign('{"status":"polling","lastResult":{"nu":"SF1"}}', "salt123") == "0BE7B36CFE6A6EEF7B241A8999F0742D"
        )
        assert push_sign("签收", "salt") == "1BEDA4B57AA34B810C2455BEFE075F47"

    def test_waybill_form_carries_key_method_timestamp_and_sign(self, fake_kuaidi100):
        provider = provider_for(fake_kuaidi100)
        form = provider.waybill_form(waybill_request(), "1700000000000")
        assert form["method"] == "order"
        assert form["key"] == fake_kuaidi100.key
        assert form["t"] == "1700000000000"
        assert form["sign"] == label_sign(form["param"], "1700000000000", fake_kuaidi100.key, fake_kuaidi100.secret)
        param = json.loads(form["param"])
        assert param["kuaidicom"] == "shunfeng"
        assert param["orderId"] == "OMS1-abc"
        assert param["recMan"] == {"name": "张三", "mobile": "13800138000", "printAddr": "上海市浦东新区张杨路 100 号"}


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        ("0", TrackingState.IN_TRANSIT),
        ("1", TrackingState.IN_TRANSIT),
        ("2", TrackingState.DIFFICULT),
        ("3", TrackingState.SIGNED),
        ("4", TrackingState.RETURNED),
        ("5", TrackingState.DELIVERING),
        ("6", TrackingState.RETURNED),
        ("7", TrackingState.IN_TRANSIT),
        ("14", TrackingState.DIFFICULT),
        ("501", TrackingState.DELIVERING),
        ("301", TrackingState.SIGNED),
        ("1001", TrackingState.IN_TRANSIT),
        ("", TrackingState.IN_TRANSIT),
    ],
)
def test_state_codes_map_to_five_chinese_states(raw, state):
    assert tracking_state(raw) == state


class TestAgainstFakeServer:
    def test_waybill_answer_gives_number_task_and_label(self, fake_kuaidi100):
        result = provider_for(fake_kuaidi100).create_waybill(waybill_request())
        assert result.tracking_number.startswith("SF") and len(result.tracking_number) == 15
        assert result.task_id
        assert result.label_url.startswith(fake_kuaidi100.base_url)

    def test_same_idempotency_key_returns_the_same_waybill(self, fake_kuaidi100):
        provider = provider_for(fake_kuaidi100)
        first = provider.create_waybill(waybill_request("K-1"))
        second = provider.create_waybill(waybill_request("K-1"))
        assert first == second
        assert fake_kuaidi100.purchases == 1

    def test_wrong_secret_is_refused_by_the_server(self, fake_kuaidi100):
        with pytest.raises(ProviderError, match="签名验证失败"):
            provider_for(fake_kuaidi100, secret="wrong").create_waybill(waybill_request())
        assert fake_kuaidi100.purchases == 0

    def test_waybill_is_never_retried_automatically(self, fake_kuaidi100):
        fake_kuaidi100.fail_next("http500", path="/label/order")
        with pytest.raises(ProviderError, match="暂时不可用"):
            provider_for(fake_kuaidi100).create_waybill(waybill_request())
        assert [path for path, _ in fake_kuaidi100.requests] == ["/label/order"]

    @pytest.mark.parametrize(
        ("mode", "message"), [("error", "服务繁忙"), ("malformed", "无法识别"), ("http500", "暂时不可用")]
    )
    def test_waybill_failures_become_chinese_errors(self, fake_kuaidi100, mode, message):
        fake_kuaidi100.fail_next(mode)
        with pytest.raises(ProviderError, match=message):
            provider_for(fake_kuaidi100).create_waybill(waybill_request())

    def test_waybill_timeout_is_uncertain(self, fake_kuaidi100):
        fake_kuaidi100.fail_next("timeout")
        with pytest.raises(ProviderError, match="超时") as caught:
            provider_for(fake_kuaidi100, timeout=0.3).create_waybill(waybill_request())
        assert caught.value.uncertain
        assert fake_kuaidi100.purchases == 1  # it was bought: only the answer was lost

    def test_query_returns_events_in_shanghai_time(self, fake_kuaidi100):
        fake_kuaidi100.add_event("SF0000000000001", "2026-11-20 09:15:00", "【杭州】已揽收", com="shunfeng", state="1")
        fake_kuaidi100.add_event("SF0000000000001", "2026-11-21 18:02:11", "【上海】派件中", state="5", status="派件")
        trace = provider_for(fake_kuaidi100).query_trace("shunfeng", "SF0000000000001", "13800138000")
        assert trace.state == TrackingState.DELIVERING
        assert trace.raw_state == "5"
        assert [e.context for e in trace.events] == ["【上海】派件中", "【杭州】已揽收"]
        assert trace.events[0].time.isoformat() == "2026-11-21T18:02:11+08:00"
        sent = json.loads(fake_kuaidi100.requests[0][1]["param"])
        assert sent == {
            "com": "shunfeng",
            "num": "SF0000000000001",
            "phone": "13800138000",
            "resultv2": "1",
            "show": "0",
            "order": "desc",
        }

    def test_query_retries_a_server_error(self, fake_kuaidi100):
        fake_kuaidi100.add_event("SF0000000000001", "2026-11-20 09:15:00", "已揽收", com="shunfeng")
        fake_kuaidi100.fail_next("http500", path="/poll/query.do")
        trace = provider_for(fake_kuaidi100).query_trace("shunfeng", "SF0000000000001")
        assert len(trace.events) == 1
        assert [path for path, _ in fake_kuaidi100.requests] == ["/poll/query.do", "/poll/query.do"]

    def test_query_gives_up_after_bounded_retries(self, fake_kuaidi100):
        fake_kuaidi100.fail_next("http500", times=5)
        with pytest.raises(ProviderError, match="暂时不可用"):
            provider_for(fake_kuaidi100, retries=2).query_trace("shunfeng", "SF0000000000001")
        assert len(fake_kuaidi100.requests) == 3

    def test_query_error_answer(self, fake_kuaidi100):
        with pytest.raises(ProviderError, match="找不到对应公司"):
            provider_for(fake_kuaidi100).query_trace("shunfeng", "SF9999999999999")

    def test_query_with_wrong_customer_is_refused(self, fake_kuaidi100):
        with pytest.raises(ProviderError, match="签名验证失败"):
            provider_for(fake_kuaidi100, customer="OTHER").query_trace("shunfeng", "SF0000000000001")

    def test_subscribe_sends_callback_and_salt_and_accepts_a_repeat(self, fake_kuaidi100):
        provider = provider_for(fake_kuaidi100)
        provider.subscribe("shunfeng", "SF0000000000001", callback_url="https://shop.example/push/")
        provider.subscribe("shunfeng", "SF0000000000001", callback_url="https://shop.example/push/")  # 501 is fine
        param = fake_kuaidi100.subscriptions["SF0000000000001"]
        assert param["company"] == "shunfeng"
        assert param["key"] == fake_kuaidi100.key
        assert param["parameters"]["callbackurl"] == "https://shop.example/push/"
        assert param["parameters"]["salt"] == "salt123"

    def test_subscribe_refused(self, fake_kuaidi100):
        with pytest.raises(ProviderError, match="不是合法的订阅者"):
            provider_for(fake_kuaidi100, key="other").subscribe("shunfeng", "SF1", callback_url="https://x/")

    def test_parse_push_checks_the_signature(self, fake_kuaidi100):
        provider = provider_for(fake_kuaidi100)
        provider.subscribe("shunfeng", "SF0000000000001", callback_url="https://shop.example/push/")
        fake_kuaidi100.add_event("SF0000000000001", "2026-11-22 10:00:00", "已签收", state="3", ischeck="1")
        trace = provider.parse_push(fake_kuaidi100.push_form("SF0000000000001"))
        assert trace.signed and trace.state == TrackingState.SIGNED
        assert trace.subscription_status == "polling"
        with pytest.raises(InvalidSignature):
            provider.parse_push(fake_kuaidi100.push_form("SF0000000000001", salt="forged"))
        with pytest.raises(InvalidSignature):
            provider.parse_push({"param": "{}"})

    def test_parse_push_with_valid_sign_but_bad_content(self, fake_kuaidi100):
        provider = provider_for(fake_kuaidi100)
        with pytest.raises(MalformedPush):
            provider.parse_push({"param": "not json", "sign": push_sign("not json", "salt123")})
        with pytest.raises(MalformedPush):
            provider.parse_push({"param": '{"lastResult": 3}', "sign": push_sign('{"lastResult": 3}', "salt123")})
        bad_time = json.dumps({"lastResult": {"nu": "SF1", "data": [{"time": "yesterday", "context": "x"}]}})
        with pytest.raises(MalformedPush):
            provider.parse_push({"param": bad_time, "sign": push_sign(bad_time, "salt123")})


def test_timestamp_comes_from_the_clock(fake_kuaidi100):
    clock = lambda: datetime.fromisoformat("2023-11-14T22:13:20+00:00")  # noqa: E731
    provider = provider_for(fake_kuaidi100, clock=clock)
    provider.create_waybill(waybill_request())
    assert fake_kuaidi100.requests[0][1]["t"] == "1700000000000"
