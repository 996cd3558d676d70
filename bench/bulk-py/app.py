"""Synthetic enrollments for the benchmark, in Python: the rows of bench/rows
(Rust) and bench/bulk-ts, generated the same way, so the benchmark checks them
against the same digest. Parameters as plugins/bulk: rows, seed, batch, table.
Written as a Python seeder would be: UUIDs, an aware datetime, a dict for the
JSON column."""

import uuid
from datetime import datetime, timezone

import seedhost

MASK = (1 << 64) - 1
USERS = 100_000
JOURNEYS = 100
STATUSES = ["active", "completed", "paused", "dropped"]


def splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def user(k: int) -> uuid.UUID:
    """`00000000-0000-4000-8000-<k>`, as bench/rows and the migration."""
    return uuid.UUID(int=(0x4000_8000 << 48) | k)


JOURNEY_IDS = [uuid.UUID(int=(0x4000_9000 << 48) | j) for j in range(JOURNEYS)]
# Version 4, variant 10.
ID_CLEAR = ~((0xF000 << 64) | (0xC000_0000_0000_0000)) & ((1 << 128) - 1)
ID_SET = (0x4000 << 64) | 0x8000_0000_0000_0000


class Bulk(seedhost.Plugin):
    name = "bulk-py"
    tables = ["bench_enrollments"]

    def run(self, ctx: seedhost.Context) -> None:
        n = int(ctx.param("rows", "1000"))
        seed = int(ctx.param("seed", "1"))
        batch_rows = int(ctx.param("batch", "25000"))
        if n > USERS * JOURNEYS:
            raise ValueError(f"at most {USERS * JOURNEYS} rows: (user, journey) must stay unique")
        out = ctx.table(ctx.param("table", "bench_enrollments"),
                        columns=["id", "user_id", "journey_id", "status", "progress", "enrolled_at", "meta"],
                        conflict=["id"], batch_rows=batch_rows)
        users: dict[int, uuid.UUID] = {}
        for i in range(n):
            h1 = splitmix64(seed ^ splitmix64(i))
            h2 = splitmix64(h1)
            k = (i // JOURNEYS) % USERS
            u = users.get(k)
            if u is None:
                u = users[k] = user(k)
            out.push((
                uuid.UUID(int=(((h1 << 64) | h2) & ID_CLEAR) | ID_SET),
                u,
                JOURNEY_IDS[i % JOURNEYS],
                STATUSES[h2 % 4],
                h2 % 101,
                datetime.fromtimestamp(1_700_000_000 + h1 % 31_536_000, timezone.utc),
                {"source": "bench", "score": h2 % 1000},
            ))
        counts = out.finish()
        ctx.info(f"{n} rows from seed {seed}: {counts}")


WitWorld = seedhost.world(Bulk)
