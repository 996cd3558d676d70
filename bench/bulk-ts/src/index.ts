// Synthetic enrollments for the benchmark, in TypeScript: the rows of
// bench/rows (Rust), generated the same way, so the benchmark checks them
// against the same digest. Parameters as plugins/bulk: rows, seed, batch, table.
// Written as a TypeScript seeder would be: UUIDs as text, a Date, a plain
// object for the JSON column.
import { definePlugin } from '@seedhost/plugin';

const MASK = (1n << 64n) - 1n;
const USERS = 100_000;
const JOURNEYS = 100;
const STATUSES = ['active', 'completed', 'paused', 'dropped'];

function splitmix64(x: bigint): bigint {
  x = (x + 0x9e3779b97f4a7c15n) & MASK;
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & MASK;
  return x ^ (x >> 31n);
}

// Version 4, variant 10: the bits to clear and to set in (h1 << 64) | h2.
const ID_CLEAR = ~((0xf000n << 64n) | 0xc000_0000_0000_0000n) & ((1n << 128n) - 1n);
const ID_SET = (0x4000n << 64n) | 0x8000_0000_0000_0000n;
/** `00000000-0000-4000-8000-<k>` (users) and `...-9000-<j>` (journeys), as bench/rows. */
const users = new Map<number, string>();
const user = (k: number) => `00000000-0000-4000-8000-${k.toString(16).padStart(12, '0')}`;
const journeys = Array.from({ length: JOURNEYS }, (_, j) => `00000000-0000-4000-9000-${j.toString(16).padStart(12, '0')}`);

export const { run, metadata } = definePlugin({
  name: 'bulk-ts',
  tables: ['bench_enrollments'],
  run(ctx) {
    const n = ctx.paramOr('rows', 1000);
    const seed = BigInt(ctx.paramOr('seed', 1));
    const batchRows = ctx.paramOr('batch', 25_000);
    if (n > USERS * JOURNEYS) throw new Error(`at most ${USERS * JOURNEYS} rows: (user, journey) must stay unique`);
    const out = ctx.table(ctx.paramOr('table', 'bench_enrollments'), {
      columns: ['id', 'user_id', 'journey_id', 'status', 'progress', 'enrolled_at', 'meta'],
      conflict: ['id'],
      batchRows,
    });
    for (let i = 0; i < n; i++) {
      const h1 = splitmix64(seed ^ splitmix64(BigInt(i)));
      const h2 = splitmix64(h1);
      const hex = ((((h1 << 64n) | h2) & ID_CLEAR) | ID_SET).toString(16).padStart(32, '0');
      const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      const k = Math.floor(i / JOURNEYS) % USERS;
      let u = users.get(k);
      if (u === undefined) users.set(k, (u = user(k)));
      out.push([
        id,
        u,
        journeys[i % JOURNEYS]!,
        STATUSES[Number(h2 & 3n)]!,
        Number(h2 % 101n),
        new Date((1_700_000_000 + Number(h1 % 31_536_000n)) * 1000),
        { source: 'bench', score: Number(h2 % 1000n) },
      ]);
    }
    const counts = out.finish();
    ctx.info(`${n} rows from seed ${seed}: ${JSON.stringify(counts)}`);
  },
});
