"""What a platform's order status and after-sales cells say about shipping an order.

Words seen in the exports (platform-exports.md); a cell is read by the words it contains, so
淘宝's 卖家已发货 and 抖店's 已发货 both say "shipped". After-sales words come first: an order
the buyer is getting refunded is flagged whatever its order status says.
"""

from django.db import models


class PlatformState(models.TextChoices):
    TO_SHIP = "", "待发货"
    NOT_PAID = "not_paid", "未付款"
    CLOSED = "closed", "交易关闭"
    SHIPPED = "shipped", "平台已发货"
    AFTER_SALES = "after_sales", "售后/退款"


# An after-sales cell that says "none" (拼多多: 无售后或售后取消; 有赞: 无退款; 淘宝: 没有申请退款).
NO_AFTER_SALES = ("无", "没有", "未申请", "售后取消", "暂无")
AFTER_SALES_WORDS = ("退款", "退货", "换货", "补寄", "售后")
STATUS_WORDS = (
    # The order of the checks matters: 交易成功 is shipped, 交易关闭 is closed.
    (PlatformState.NOT_PAID, ("等待买家付款", "待付款", "未付款", "待支付")),
    (PlatformState.CLOSED, ("交易关闭", "已关闭", "已取消", "订单关闭", "交易取消", "退款成功")),
    (
        PlatformState.SHIPPED,
        ("已发货", "等待买家确认", "交易成功", "已完成", "已签收", "待收货", "已收货", "部分发货"),
    ),
)


def platform_state(status, after_sales=""):
    """(PlatformState, the words that say so) for an order's 订单状态 and 售后状态 cells."""
    after_sales = (after_sales or "").strip()
    says_none = after_sales in ("", "-", "0") or after_sales.startswith(NO_AFTER_SALES)
    if not says_none and any(word in after_sales for word in AFTER_SALES_WORDS):
        return PlatformState.AFTER_SALES, after_sales
    status = (status or "").strip()
    for state, words in STATUS_WORDS:
        if any(word in status for word in words):
            return state, status
    if any(word in status for word in AFTER_SALES_WORDS):  # 抖店 订单状态 may say 售后中
        return PlatformState.AFTER_SALES, status
    return PlatformState.TO_SHIP, status
