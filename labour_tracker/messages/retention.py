"""How long each kind of topic keeps what it is given: what bounds how long an erased person's data stays in Kafka.

- Events and dead letters are history, kept forever: a personal event is sealed under its aggregate's key
  (`messages.sealing`) and a dead letter holds ids only, so erasing needs nothing of them.
- Commands, outcomes and the notifier's requests and deliveries are work in flight, done within seconds: kept a
  day, enough for any outage of the workers to lose nothing, and then deleted (a segment closes every hour, so
  nothing outlives its day by more than that hour).
- Live messages (`birthing_person.live`) hold a labour's health data in clear for the streams that follow it: kept
  an hour at most (segments of ten minutes), enough for any worker to read them as they come and no longer.
- The tables' changelogs are compacted: an erasure writes a tombstone, and compaction runs within a day of it
  (`max.compaction.lag.ms`), removing every earlier record of the aggregate and its key; the tombstone itself
  goes a day later (`delete.retention.ms`), once every worker restoring the table has read it.
"""

from __future__ import annotations

from typing import Final

HOUR_MS: Final = 60 * 60 * 1000
DAY_MS: Final = 24 * HOUR_MS

KEEP_FOREVER: Final = {"retention.ms": "-1"}
WORK_IN_FLIGHT: Final = {"retention.ms": str(DAY_MS), "segment.ms": str(HOUR_MS)}
LIVE_WINDOW: Final = {"retention.ms": str(HOUR_MS - 10 * 60 * 1000), "segment.ms": str(10 * 60 * 1000)}
COMPACTED_WITHIN_A_DAY: Final = {"max.compaction.lag.ms": str(DAY_MS), "delete.retention.ms": str(DAY_MS)}
