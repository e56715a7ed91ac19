"""The Kuaidi100 stand-in as `bash scripts/demo.sh --kuaidi100` runs it: its own process, started
from the command line, printing the settings to use; our Kuaidi100 client buys, draws and cancels
a waybill on it as it would on Kuaidi100."""

import io
import re
import subprocess
import sys

import pytest
import requests
import zxingcpp
from PIL import Image

from logistics.providers.base import Party, ProviderError, WaybillRequest
from logistics.providers.kuaidi100 import Kuaidi100
from tests.ports import free_port

PORTS = range(18791, 18800)  # the demo's stand-in listens on 18780


@pytest.fixture
def standin():
    """The stand-in process and the environment it told us to run with."""
    port = free_port(PORTS)
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "devdata.kuaidi100_standin", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        settings = dict(re.findall(r"(KUAIDI100_\w+)=(\S+)", "".join(lines)))
        yield settings
    finally:
        process.terminate()
        process.wait(10)


def test_the_standin_serves_a_scannable_label_and_cancels_the_waybill(standin):
    assert standin["KUAIDI100_BASE_URL"].startswith("http://127.0.0.1:18")
    provider = Kuaidi100(
        key=standin["KUAIDI100_KEY"],
        secret=standin["KUAIDI100_SECRET"],
        customer=standin["KUAIDI100_CUSTOMER"],
        salt="demo",
        base_url=standin["KUAIDI100_BASE_URL"],
        timeout=5,
    )
    request = WaybillRequest(
        idempotency_key="OMS-demo-1",
        company="zhongtong",
        sender=Party("演示仓库", "0571-88880000", "浙江省杭州市余杭区文一西路 1000 号"),
        receiver=Party("李四", "13900139000", "广东省深圳市南山区科技园路 1 号"),
        cargo="纯棉T恤 ×2",
    )

    waybill = provider.create_waybill(request)
    assert provider.create_waybill(request).tracking_number == waybill.tracking_number  # bought once

    label = requests.get(waybill.label_url, timeout=5)
    assert label.headers["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(label.content))
    assert image.size == (608, 1040)  # 76×130 mm at 203 dpi
    # A scanner at the packing desk reads the number off the printed label.
    assert [found.text for found in zxingcpp.read_barcodes(image)] == [waybill.tracking_number]

    provider.cancel_waybill("zhongtong", waybill.tracking_number, order_id="OMS-demo-1")
    with pytest.raises(ProviderError, match="面单不存在"):
        provider.cancel_waybill("zhongtong", "7" + "9" * 13, order_id="OMS-demo-2")
    with pytest.raises(ProviderError, match="签名"):
        Kuaidi100(
            key=standin["KUAIDI100_KEY"],
            secret="not-the-secret",
            customer=standin["KUAIDI100_CUSTOMER"],
            salt="demo",
            base_url=standin["KUAIDI100_BASE_URL"],
            timeout=5,
        ).create_waybill(request)
