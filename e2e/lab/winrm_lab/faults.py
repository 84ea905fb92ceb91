"""Faults a test arms through the admin endpoint and the WS-Man listeners consume.

Kinds: `drop` (send half of the next response, then close the connection), `http_500` (answer the next
requests with HTTP 500 and a WSManFault instead of processing them), `delay` (hold the next responses).
Each armed fault applies to `count` authenticated WS-Man requests (not to authentication legs);
count None means until cleared. Consumption is atomic, so concurrent requests never share one shot.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Optional

from . import envelope as env
from .envelope import FaultKind, WsmanFault

KINDS = ("drop", "http_500", "delay")


@dataclass
class ArmedFault:
    kind: str
    count: Optional[int]  # remaining shots; None = until cleared
    delay_ms: int = 0
    code: int = env.PROVIDER_FAILURE.code
    message: str = "The lab answers this request with a fault on request of the test."


class FaultPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[ArmedFault] = []

    def arm(self, spec: Mapping[str, Any]) -> ArmedFault:
        """Validates and arms one fault from the admin endpoint's JSON; raises ValueError."""
        kind = spec.get("kind")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        unknown = set(spec) - {"kind", "count", "delay_ms", "code", "message"}
        if unknown:
            raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
        count = spec.get("count", 1)
        if count is not None and (type(count) is not int or count < 1):
            raise ValueError("count is a positive integer or null")
        fault = ArmedFault(kind=kind, count=count)
        if kind == "delay":
            delay = spec.get("delay_ms")
            if type(delay) is not int or not 0 < delay <= 600000:
                raise ValueError("delay_ms is an integer from 1 to 600000")
            fault.delay_ms = delay
        if "code" in spec:
            if type(spec["code"]) is not int or not 0 <= spec["code"] <= 0xFFFFFFFF:
                raise ValueError("code is an unsigned 32-bit integer")
            fault.code = spec["code"]
        if "message" in spec:
            if not isinstance(spec["message"], str):
                raise ValueError("message is a string")
            fault.message = spec["message"]
        with self._lock:
            self._armed.append(fault)
        return fault

    def _take(self, kind: str) -> Optional[ArmedFault]:
        with self._lock:
            for fault in self._armed:
                if fault.kind == kind:
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count == 0:
                            self._armed.remove(fault)
                    return fault
        return None

    def take_delay_s(self) -> float:
        fault = self._take("delay")
        return fault.delay_ms / 1000 if fault else 0.0

    def take_http_500(self) -> Optional[WsmanFault]:
        fault = self._take("http_500")
        if fault is None:
            return None
        return WsmanFault(FaultKind(fault.code, "s:Receiver", "w:InternalError", None, fault.message))

    def take_drop(self) -> bool:
        return self._take("drop") is not None

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._armed]
