// Unit tests of the SDK's `Table.push`, outside a component: esbuild bundles
// src/index.ts with the host's modules (`seedhost:plugin/*`) replaced by
// stubs that record what would cross the boundary. Run with
// `node --test sdk/typescript/test/` after `npm ci` in sdk/typescript.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sdk = fileURLToPath(new URL('../src/index.ts', import.meta.url));

// What the stub host saw: batches as JSON text, or as values.
globalThis.__sent = [];
const stubs = {
  'seedhost:plugin/types@0.2.0': 'export {};',
  'seedhost:plugin/store@0.2.0': `
    export class Writer {
      static open(target) { return new Writer(); }
      writeJson(bytes) { globalThis.__sent.push({ json: new TextDecoder().decode(bytes) }); }
      write(values) { globalThis.__sent.push({ values }); }
      finish() { return { inserted: 0n, updated: 0n, unchanged: 0n }; }
    }`,
  'seedhost:plugin/log@0.2.0': 'export function log() {}',
  'seedhost:plugin/params@0.2.0': 'export function get() {} export function all() { return []; }',
};

const dir = mkdtempSync(join(tmpdir(), 'seedhost-sdk-test-'));
const out = join(dir, 'sdk.mjs');
await build({
  entryPoints: [sdk],
  bundle: true,
  format: 'esm',
  platform: 'node',
  outfile: out,
  logLevel: 'silent',
  plugins: [
    {
      name: 'host-stubs',
      setup(b) {
        b.onResolve({ filter: /^seedhost:plugin\// }, (args) => ({ path: args.path, namespace: 'stub' }));
        b.onLoad({ filter: /.*/, namespace: 'stub' }, (args) => ({ contents: stubs[args.path], loader: 'js' }));
      },
    },
  ],
});
const { Context, Uuid, uuid, json, float, int, timestamp } = await import(out);
rmSync(dir, { recursive: true });

/** Pushes `rows` into a fresh table and returns what crossed the boundary. */
function pushed(rows, columns = rows[0].length) {
  globalThis.__sent = [];
  const ctx = new Context('local', false, 'test');
  const t = ctx.table('t', { columns: Array.from({ length: columns }, (_, i) => `c${i}`), batchRows: 1000 });
  for (const row of rows) t.push(row);
  t.finish();
  return globalThis.__sent;
}

test('common values go as one JSON batch, each in the form the value path gives', () => {
  const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
  const sent = pushed([
    ['x', true, null, undefined, 7, 2.5, -0, uuid('AAAAAAAA-0001-0001-0001-000000000001'), at, { a: [1, { b: 'c' }] }, [1, 'two']],
    ['y', false, 9n, int(10), json({ n: 1n }), timestamp(0), null, null, null, null, null],
  ]);
  assert.deepEqual(sent, [
    {
      json:
        '[["x",true,null,null,7,2.5,0,"aaaaaaaa-0001-0001-0001-000000000001","2026-01-02T03:04:05.006Z",{"a":[1,{"b":"c"}]},[1,"two"]],' +
        '["y",false,9,10,{"n":"1"},"1970-01-01T00:00:00.000Z",null,null,null,null,null]]',
    },
  ]);
});

test('a row is its text at push: changing it or its documents afterwards changes nothing', () => {
  const meta = { score: 1 };
  const row = ['a', meta, [meta]];
  globalThis.__sent = [];
  const ctx = new Context('local', false, 'test');
  const t = ctx.table('t', { columns: ['c0', 'c1', 'c2'] });
  t.push(row);
  meta.score = 2;
  row[0] = 'b';
  t.push(row);
  t.finish();
  assert.deepEqual(globalThis.__sent, [{ json: '[["a",{"score":1},[{"score":1}]],["b",{"score":2},[{"score":2}]]]' }]);
});

test('values without a JSON form that means the same take the value path', () => {
  class Meta {
    constructor() {
      this.score = 3;
    }
  }
  const cases = [
    [NaN, 'float'],
    [Infinity, 'float'],
    [2 ** 53, 'float'],
    [-(2 ** 53), 'float'],
    [2n ** 60n, 'integer'],
    [new Uint8Array([1]), 'bytes'],
    [float(60), 'float'],
    [json('text'), 'json'],
    [{ big: 1n }, 'json'],
    [new String('boxed'), 'json'],
    [{ toJSON: () => 'x' }, 'json'],
  ];
  for (const [value, tag] of cases) {
    const sent = pushed([['ok', value]]);
    assert.equal(sent.length, 1, String(value));
    assert.ok(sent[0].values, `${String(value)} took the JSON path`);
    assert.equal(sent[0].values[1].tag, tag, String(value));
  }
  // Objects the fast check does not know still go as JSON when their form is an object.
  assert.deepEqual(pushed([['ok', new Meta(), Object.create(null)]]), [{ json: '[["ok",{"score":3},{}]]' }]);
  class Later extends Date {}
  assert.deepEqual(pushed([[new Later(0)]]), [{ json: '[["1970-01-01T00:00:00.000Z"]]' }]);
});

test('an invalid date is refused, not written as null', () => {
  assert.throws(() => pushed([[new Date(NaN)]]), /invalid date/);
});

test('a batch is all JSON rows or all values, in push order', () => {
  const sent = pushed([[1], [NaN], [2]]);
  assert.deepEqual(
    sent.map((s) => (s.json ? s.json : s.values.map((v) => v.tag).join())),
    ['[[1]]', 'float', '[[2]]'],
  );
});

test('a Uuid made from halves writes its text', () => {
  assert.deepEqual(pushed([[new Uuid(1n, 2n)]]), [{ json: '[["00000000-0000-0001-0000-000000000002"]]' }]);
});
