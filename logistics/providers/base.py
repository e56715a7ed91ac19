"""What every courier provider offers: waybills, traces, subscriptions, pushes.

Providers speak their own protocol and hand back these plain values; the services never see
a provider's JSON.
"""

from dataclasses import dataclass, field
from datetime import datetime


class ProviderError(Exception):
    """The provider refused or could not be reached; `str(exc)` is a Chinese message for the clerk.

    `uncertain` is True when the request may have reached the provider (a timeout): a waybill may
    then exist, so a retry must reuse the same idempotency key.
    """

    def __init__(self, message, *, uncertain=False):
        super().__init__(message)
        self.uncertain = uncertain


class InvalidSignature(ProviderError):
    """A push whose signature does not match: it did not come from the provider."""


class MalformedPush(ProviderError):
    """A correctly signed push whose content cannot be read."""


@dataclass(frozen=True)
class Party:
    name: str
    phone: str
    address: str


@dataclass(frozen=True)
class WaybillRequest:
    idempotency_key: str  # the same for every attempt for one order
    company: str  # the provider's company code, e.g. shunfeng
    sender: Party
    receiver: Party
    cargo: str
    count: int = 1
    remark: str = ""
    partner_id: str = ""
    partner_key: str = ""
    template_id: str = ""


@dataclass(frozen=True)
class WaybillResult:
    task_id: str
    tracking_number: str
    label_url: str = ""


@dataclass(frozen=True)
class TraceEvent:
    time: datetime  # aware
    context: str
    status: str = ""
    area: str = ""


@dataclass(frozen=True)
class Trace:
    company: str
    number: str
    state: str  # one of logistics.models.TrackingState values
    raw_state: str
    signed: bool
    events: list[TraceEvent] = field(default_factory=list)
    subscription_status: str = ""  # pushes only: polling / shutdown / abort / updateall
    message: str = ""


class Provider:
    """The interface. Each method raises ProviderError with a Chinese message on failure."""

    name = ""

    def create_waybill(self, request: WaybillRequest) -> WaybillResult:
        raise NotImplementedError

    def cancel_waybill(self, company: str, number: str, *, order_id: str, partner_id="", partner_key="", reason=""):
        """Cancel an e-waybill that will not be used, so it is not billed; ProviderError if it cannot be."""
        raise NotImplementedError

    def query_trace(self, company: str, number: str, phone: str = "") -> Trace:
        raise NotImplementedError

    def subscribe(self, company: str, number: str, *, callback_url: str, phone: str = "") -> None:
        raise NotImplementedError

    def parse_push(self, form) -> Trace:
        """Check a push's signature and read it; raises InvalidSignature or MalformedPush."""
        raise NotImplementedError

    def push_reply(self, ok=True, message="成功") -> dict:
        raise NotImplementedError
