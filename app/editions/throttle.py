"""A per-process cap on messages per second (``SEND_RATE_PER_WORKER``)."""

from __future__ import annotations

import time
from collections.abc import Callable


class Throttle:
    """At most ``rate`` messages per second from this process (0 = no limit)."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = clock()

    def wait(self) -> None:
        if not self.interval:
            return
        now = self._clock()
        if self._next > now:
            self._sleep(self._next - now)
            now = self._next
        self._next = max(self._next, now) + self.interval
