"""Keep the send's busiest tables lean while a large send runs (PostgreSQL).

A send updates every delivery twice (pending → sending → sent) and its trigger
adds tally rows that the progress reads fold away, so a million-reader send
leaves millions of dead row versions behind. Autovacuum removes them, when it
runs and keeps up; when it does not (turned off, or throttled behind a big
send) the claims, the "already sent" lookups and the progress reads walk over
every dead version and the send slows down as it goes: a 1M send measured at
1,125/s for its first 100k fell to about 500/s by its end.

So the workers check after their chunks, at most once every ``CHECK_SECONDS``
each, and vacuum a table whose dead rows passed ``DEAD_ROWS_BASE`` plus
``DEAD_ROWS_SHARE`` of its live rows (autovacuum's own rule with a larger base,
so it normally gets there first). ``SKIP_LOCKED`` leaves a table that another
vacuum (a worker's or autovacuum's) already holds.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

TABLES = ("delivery", "delivery_tally")
CHECK_SECONDS = 10.0
DEAD_ROWS_BASE = 20_000
DEAD_ROWS_SHARE = 0.2

_DEAD_ROWS = text(
    "SELECT relname FROM pg_stat_user_tables"
    " WHERE relname IN :tables AND n_dead_tup > :base + :share * n_live_tup"
).bindparams(bindparam("tables", expanding=True))


@dataclass
class DeadRowWatch:
    """One process's look at the send's tables: at most once every ``CHECK_SECONDS``."""

    last_check: float = -math.inf

    def vacuum_if_bloated(
        self,
        bind: Engine | Connection,
        *,
        base: int = DEAD_ROWS_BASE,
        share: float = DEAD_ROWS_SHARE,
        now: float | None = None,
    ) -> list[str]:
        """Vacuum (and analyze) the send's tables that carry too many dead rows.

        Returns the tables vacuumed (none on SQLite, or within ``CHECK_SECONDS`` of the
        last look; ``now``: a ``time.monotonic()`` reading, for tests).
        """
        engine = bind.engine
        if engine.dialect.name != "postgresql":
            return []
        now = time.monotonic() if now is None else now
        if now - self.last_check < CHECK_SECONDS:
            return []
        self.last_check = now
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                bloated = list(
                    connection.scalars(
                        _DEAD_ROWS, {"tables": list(TABLES), "base": base, "share": share}
                    )
                )
                for table in bloated:
                    started = time.perf_counter()
                    # The name comes from TABLES above, never from outside.
                    connection.execute(text(f"VACUUM (ANALYZE, SKIP_LOCKED) {table}"))
                    log.info("vacuumed %s in %.1f s", table, time.perf_counter() - started)
        except SQLAlchemyError as error:
            # Upkeep, not the send: the chunk is recorded; the next look tries again.
            log.warning("vacuuming the send's tables failed: %s", error)
            return []
        return bloated
