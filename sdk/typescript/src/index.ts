// Write seedhost seed plugins in TypeScript.
//
//   import { definePlugin, uuid } from '@seedhost/plugin';
//
//   export const { run, metadata } = definePlugin({
//     name: 'greetings',
//     tables: ['greetings'],
//     run(ctx) {
//       const greetings = ctx.table('greetings', { columns: ['id', 'text'], conflict: ['id'] });
//       greetings.push([1, 'hello']);
//       greetings.push([2, `hello from ${ctx.env}`]);
//       greetings.finish();
//     },
//   });
//
// Rows are pushed one by one and cross into the host in batches. The host
// converts every value to its column's type and refuses one that does not fit,
// naming table, column and row. A thrown Error, or a store error the plugin does
// not catch, ends the run with its message; the host rolls back every write.

/// <reference path="./contract.d.ts" />
import type {
  Counts as WitCounts,
  Datetime,
  OnConflict,
  StoreError,
  Value,
} from 'seedhost:plugin/types@0.2.0';
import { Writer } from 'seedhost:plugin/store@0.2.0';
import { log as hostLog, type Level } from 'seedhost:plugin/log@0.2.0';
import * as hostParams from 'seedhost:plugin/params@0.2.0';
import { v5 as uuidV5Text } from 'uuid';

/** The contract version this SDK speaks. */
export const CONTRACT_VERSION = '0.2.0';

/** Rows per batch unless a table says otherwise (as in the Rust SDK). */
export const DEFAULT_BATCH_ROWS = 10_000;

/** The parameter that carries the host's reference time (RFC 3339). */
export const NOW_PARAM = 'seedhost.now';

/** The parameter that overrides the random generator's seed. */
export const SEED_PARAM = 'seed';

// ---------------------------------------------------------------- values

/** A UUID as its two 64-bit halves, most significant first. */
export class Uuid {
  private text: string | undefined;

  constructor(
    readonly high: bigint,
    readonly low: bigint,
  ) {}

  /** Parses `aaaaaaaa-0001-0001-0001-000000000001` or 32 bare hex digits. */
  static parse(text: string): Uuid {
    const hex = text.length === 36 ? dashless(text) : text;
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) {
      throw new Error(`not a UUID: ${JSON.stringify(text)}`);
    }
    const uuid = new Uuid(BigInt('0x' + hex.slice(0, 16)), BigInt('0x' + hex.slice(16)));
    uuid.text = text.length === 36 ? text.toLowerCase() : undefined;
    return uuid;
  }

  /** The hyphenated lower-case form. */
  toString(): string {
    if (this.text === undefined) {
      const hex = this.high.toString(16).padStart(16, '0') + this.low.toString(16).padStart(16, '0');
      this.text = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }
    return this.text;
  }

  /** In a JSON batch a UUID is its text, which a uuid column takes. */
  toJSON(): string {
    return this.toString();
  }
}

function dashless(text: string): string {
  if ([8, 13, 18, 23].some((i) => text[i] !== '-')) {
    throw new Error(`not a UUID: ${JSON.stringify(text)}`);
  }
  return text.replaceAll('-', '');
}

/** A UUID from its text; throws on anything else. */
export function uuid(text: string): Uuid {
  return Uuid.parse(text);
}

/** The name-based UUID (version 5, SHA-1) of `name` in `namespace`: the same on every run. */
export function uuidV5(namespace: Uuid | string, name: string): Uuid {
  return Uuid.parse(uuidV5Text(name, String(namespace)));
}

/**
 * A value already in the contract's form; the helpers below make them.
 * `dense` is its form in a JSON batch, when it has one that means the same.
 */
export class Cell {
  constructor(
    readonly value: Value,
    readonly dense?: unknown,
  ) {}
}

const NULL_VALUE: Value = { tag: 'null' };

/** An integer for any integer column: a safe-integer `number` or a `bigint`. */
export function int(n: number | bigint): Cell {
  if (typeof n === 'number' && !Number.isSafeInteger(n)) {
    throw new Error(`int(${n}): not a safe integer; pass a bigint`);
  }
  const big = BigInt(n);
  return new Cell({ tag: 'integer', val: big }, Number.isSafeInteger(Number(big)) ? Number(big) : undefined);
}

/** A float, even when it has no fractional part (`float(60)` is not integer 60). */
export function float(n: number): Cell {
  return new Cell({ tag: 'float', val: n });
}

/** A JSON document for json/jsonb columns, serialized here. */
export function json(document: unknown): Cell {
  const text = JSON.stringify(document, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));
  if (text === undefined) {
    throw new Error('json(): the value has no JSON form');
  }
  // In a JSON batch only an object or array means JSON (a string means
  // text). A copy, so that changing the document after pushing it changes
  // nothing, as for the value.
  const dense = typeof document === 'object' && document !== null ? JSON.parse(text) : undefined;
  return new Cell({ tag: 'json', val: text }, dense);
}

/** An instant for timestamp and date columns. */
export function timestamp(at: Date | string | number): Cell {
  const date = at instanceof Date ? at : new Date(at);
  return new Cell({ tag: 'timestamp', val: datetime(date) }, date.toISOString());
}

function datetime(at: Date): Datetime {
  const ms = at.getTime();
  if (Number.isNaN(ms)) {
    throw new Error('timestamp(): invalid date');
  }
  const seconds = Math.floor(ms / 1000);
  return { seconds: BigInt(seconds), nanoseconds: (ms - seconds * 1000) * 1_000_000 };
}

/** What `push` accepts for one column. */
export type Input =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Date
  | Uint8Array
  | Uuid
  | Cell
  | Record<string, unknown>
  | unknown[];

/**
 * One JS value in the contract's form. Integers become `integer`, other numbers
 * `float`; plain objects and arrays become JSON; `null` and `undefined` are NULL.
 */
export function toValue(input: Input): Value {
  switch (typeof input) {
    case 'undefined':
      return NULL_VALUE;
    case 'boolean':
      return { tag: 'boolean', val: input };
    case 'number':
      return Number.isSafeInteger(input) ? { tag: 'integer', val: BigInt(input) } : { tag: 'float', val: input };
    case 'bigint':
      return { tag: 'integer', val: input };
    case 'string':
      return { tag: 'text', val: input };
  }
  if (input === null) return NULL_VALUE;
  if (input instanceof Cell) return input.value;
  if (input instanceof Uuid) return { tag: 'uuid', val: { high: input.high, low: input.low } };
  if (input instanceof Date) return { tag: 'timestamp', val: datetime(input) };
  if (input instanceof Uint8Array) return { tag: 'bytes', val: input };
  if (typeof input === 'object') return json(input).value;
  throw new Error(`a ${typeof input} cannot be written to a column`);
}

const UTF8 = new TextEncoder();

/** The most one `writeJson` call may carry (the host's limit). */
const MAX_JSON_BATCH_BYTES = 64 << 20;

/**
 * Sends rows, each given as its JSON text, as one JSON batch: one byte array
 * crosses the boundary instead of a variant per value (JSON.stringify, join
 * and TextEncoder are native code, and the bindings copy a Uint8Array at once;
 * lowering variants, or a string, is not). A batch past the host's limit is
 * sent in halves.
 */
function sendDense(writer: Writer, rows: string[]): void {
  const bytes = UTF8.encode(`[${rows.join(',')}]`);
  if (bytes.length > MAX_JSON_BATCH_BYTES && rows.length > 1) {
    const half = Math.ceil(rows.length / 2);
    sendDense(writer, rows.slice(0, half));
    sendDense(writer, rows.slice(half));
    return;
  }
  store(() => writer.writeJson(bytes));
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MAX_SAFE_NUMBER = Number.MAX_SAFE_INTEGER;

/**
 * A row's JSON text in a batch, or undefined when a value has no JSON form
 * that means exactly what `toValue` makes of it (non-finite numbers, big
 * bigints, bytes, floats given with `float()`, JSON documents that are not
 * objects or arrays, bigints inside a document). Text made now: changing the
 * row or its objects after `push` changes nothing.
 *
 * The common values are checked with operators only, and the row is
 * stringified in one call: inside a component JavaScript is interpreted, and
 * each call into native code (`Number.isFinite`, `toISOString`, a
 * `JSON.parse` copy) costs about a microsecond a value. This way 100,000 rows
 * of seven columns take ~0.6 s to push instead of ~0.9 s (bench/bulk-ts).
 */
function denseRow(row: readonly Input[]): string | undefined {
  // A copy of the row, made only when a value goes in another form.
  let copy: unknown[] | undefined;
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    switch (typeof v) {
      case 'string':
      case 'boolean':
      case 'undefined': // null in an array
        continue;
      case 'number':
        // NaN and ±Infinity have no JSON form (v - v is NaN); past 2^53 a
        // number is an integer that toValue makes a float, which JSON would
        // read as an integer.
        if (v - v !== 0 || v > MAX_SAFE_NUMBER || v < -MAX_SAFE_NUMBER) return undefined;
        continue;
      case 'bigint':
        if (v < MIN_SAFE || v > MAX_SAFE) return undefined;
        (copy ??= row.slice())[i] = Number(v);
        continue;
      case 'object': {
        if (v === null) continue;
        const kind = v.constructor;
        // An object literal or array: stringified with the row (a bigint
        // inside throws below, and toValue's json() handles it).
        if ((kind === Object || kind === Array) && (v as { toJSON?: unknown }).toJSON === undefined) continue;
        if (kind === Uuid) continue; // its toJSON is its text
        if (kind === Date) {
          const ms = (v as Date).getTime();
          if (ms !== ms) return undefined; // an invalid date: toValue refuses it
          continue; // its toJSON is toISOString
        }
        const dense = denseObject(v);
        if (dense === undefined) return undefined;
        (copy ??= row.slice())[i] = dense;
        continue;
      }
      default:
        return undefined;
    }
  }
  try {
    return JSON.stringify(copy ?? row);
  } catch {
    return undefined; // bigints inside a document: toValue's json() handles them
  }
}

/** The JSON-batch form of an object `denseRow` does not know at a glance, or undefined. */
function denseObject(v: object): unknown {
  if (v instanceof Cell) return v.dense;
  if (v instanceof Uuid) return v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  if (v instanceof Uint8Array) return undefined;
  // Its JSON form may not be an object or array (a toJSON, a boxed
  // primitive): only one that is goes in a JSON batch, as a copy.
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(v));
  } catch {
    return undefined; // bigints inside: toValue's json() handles them
  }
  return typeof copy === 'object' && copy !== null ? copy : undefined;
}

// ---------------------------------------------------------------- errors

/** A store error as a JS Error: `kind` is the contract's tag (`schema`, `value`, ...). */
export class StoreFailure extends Error {
  constructor(
    readonly kind: StoreError['tag'],
    message: string,
  ) {
    super(message);
    this.name = 'StoreFailure';
  }
}

function storeError(e: unknown): StoreFailure | undefined {
  const payload = (e as { payload?: unknown } | null)?.payload as StoreError | undefined;
  if (payload && typeof payload === 'object' && typeof payload.tag === 'string' && typeof payload.val === 'string') {
    return new StoreFailure(payload.tag, payload.val);
  }
  return undefined;
}

/** Calls into the store and turns a refusal into a StoreFailure that keeps the host's message. */
function store<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    throw storeError(e) ?? e;
  }
}

/** The words of anything thrown: an Error's message, a store error's message, a string. */
export function describe(e: unknown): string {
  const failure = storeError(e);
  if (failure) return failure.message;
  if (e instanceof Error) {
    return e.name && e.name !== 'Error' && e.name !== 'StoreFailure' ? `${e.name}: ${e.message}` : e.message;
  }
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e) ?? String(e);
  } catch {
    return String(e);
  }
}

// ---------------------------------------------------------------- tables

/** What a write did, as plain numbers. */
export interface Counts {
  inserted: number;
  updated: number;
  unchanged: number;
}

function counts(c: WitCounts): Counts {
  return { inserted: Number(c.inserted), updated: Number(c.updated), unchanged: Number(c.unchanged) };
}

/** How rows merge into a table. */
export interface TableOptions {
  /** The columns each row gives, in order. */
  columns: string[];
  /** Primary key or unique columns that decide whether a row exists. */
  conflict?: string[];
  /** On conflict, set only these columns (default: every non-key column). */
  update?: string[];
  /** On conflict, keep the existing row. */
  doNothing?: boolean;
  /** Rows per batch sent to the host (default 10,000). */
  batchRows?: number;
}

/** An open write into one table: push rows, then `finish()`. */
export class Table {
  /** Rows as their JSON text, sent as one batch (`writer.writeJson`): the fast path. */
  private dense: string[] = [];
  /** Rows with a value that has no JSON form meaning the same, as values. */
  private values: Value[] = [];
  private writer: Writer | undefined;
  private pushed = 0;
  private readonly width: number;
  private readonly batchRows: number;

  /** @internal Use `ctx.table(...)`. */
  constructor(
    readonly name: string,
    options: TableOptions,
    private readonly onClose: (table: Table) => void,
  ) {
    if (options.update && options.doNothing) {
      throw new Error(`table ${name}: give either update or doNothing, not both`);
    }
    const onConflict: OnConflict = options.doNothing
      ? { tag: 'do-nothing' }
      : options.update
        ? { tag: 'update', val: options.update }
        : { tag: 'update-all' };
    this.width = options.columns.length;
    this.batchRows = Math.max(1, Math.floor(options.batchRows ?? DEFAULT_BATCH_ROWS));
    this.writer = store(() =>
      Writer.open({ table: name, columns: options.columns, conflict: options.conflict ?? [], onConflict }),
    );
  }

  /** Adds one row, a value per column; it is sent with its batch. */
  push(row: readonly Input[]): void {
    if (row.length !== this.width) {
      throw new StoreFailure('usage', `table ${this.name}: row ${this.pushed + 1} has ${row.length} values for ${this.width} columns`);
    }
    // A batch is all JSON rows or all values: a row that must go as values
    // sends the JSON rows before it, and the other way round.
    const dense = denseRow(row);
    if (dense !== undefined) {
      if (this.values.length > 0) this.flush();
      this.dense.push(dense);
    } else {
      // The whole row first: a value that throws leaves nothing half-pushed.
      const values = row.map(toValue);
      if (this.dense.length > 0) this.flush();
      for (const value of values) this.values.push(value);
    }
    this.pushed += 1;
    if (this.dense.length + this.values.length / this.width >= this.batchRows) this.flush();
  }

  /** Rows pushed so far. */
  get rows(): number {
    return this.pushed;
  }

  private flush(): void {
    if (this.dense.length > 0) {
      const writer = this.open();
      const rows = this.dense;
      this.dense = [];
      sendDense(writer, rows);
    }
    if (this.values.length > 0) {
      const writer = this.open();
      const batch = this.values;
      this.values = [];
      store(() => writer.write(batch));
    }
  }

  private open(): Writer {
    if (!this.writer) throw new StoreFailure('usage', `table ${this.name}: written after finish`);
    return this.writer;
  }

  /** Sends what is buffered, waits for every batch and returns what they did. */
  finish(): Counts {
    this.flush();
    const writer = this.open();
    this.writer = undefined;
    this.onClose(this);
    return counts(store(() => writer.finish()));
  }

  /** @internal Whether `finish` is still due. */
  get unfinished(): boolean {
    return this.writer !== undefined;
  }
}

// ---------------------------------------------------------------- randomness

const MASK64 = (1n << 64n) - 1n;

/**
 * A seeded generator: the same seed gives the same numbers in every run and in
 * every seedhost SDK (FNV-1a 64 of the seed's UTF-8 bytes, then SplitMix64).
 */
export class Random {
  private state: bigint;

  constructor(seed: string) {
    let h = 0xcbf29ce484222325n;
    for (const byte of new TextEncoder().encode(seed)) {
      h = ((h ^ BigInt(byte)) * 0x100000001b3n) & MASK64;
    }
    this.state = h;
  }

  /** The next 64 random bits. */
  nextU64(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }

  /** A float in [0, 1). */
  next(): number {
    return Number(this.nextU64() >> 11n) / 2 ** 53;
  }

  /** An integer in [low, high], both included. */
  int(low: number, high: number): number {
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high < low) {
      throw new Error(`random.int(${low}, ${high}): not a range of safe integers`);
    }
    // In BigInt, as the Rust SDK does in i128: the same numbers for any range.
    const span = BigInt(high) - BigInt(low) + 1n;
    return Number(BigInt(low) + (this.nextU64() % span));
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('random.pick: the array is empty');
    return items[this.int(0, items.length - 1)]!;
  }

  /** A random (version 4 shaped) UUID from this generator: reproducible, unlike crypto's. */
  uuid(): Uuid {
    const high = (this.nextU64() & ~0xf000n) | 0x4000n;
    const low = (this.nextU64() & ~(0xc000000000000000n)) | 0x8000000000000000n;
    return new Uuid(high, low);
  }
}

// ---------------------------------------------------------------- context

/** What a run knows about where it runs. */
export class Context {
  private readonly open = new Set<Table>();
  private generator: Random | undefined;
  private hostParams: Map<string, string> | undefined;

  /** @internal */
  constructor(
    /** The profile the run is for (`local`, `staging`, ...). */
    readonly env: string,
    /** Whether the host will roll the run back; writes behave as in a real run. */
    readonly dryRun: boolean,
    /** The plugin's name, as given to definePlugin. */
    readonly plugin: string,
  ) {}

  /** An operator-set parameter. */
  param(key: string): string | undefined {
    // Read from the host once per run: a call into the host costs about 0.2 ms
    // from JavaScript, and a parameter read in a loop over 100,000 rows took
    // 17 s that way. A run's parameters do not change while it runs.
    this.hostParams ??= new Map(hostParams.all());
    return this.hostParams.get(key);
  }

  /** A parameter, or `fallback` when it is not set. A number fallback parses the parameter as a number. */
  paramOr<T extends string | number>(key: string, fallback: T): T {
    const text = this.param(key);
    if (text === undefined) return fallback;
    if (typeof fallback === 'number') {
      const n = Number(text);
      if (text.trim() === '' || Number.isNaN(n)) {
        throw new Error(`parameter \`${key}\` = ${JSON.stringify(text)}: not a number`);
      }
      return n as T;
    }
    return text as T;
  }

  /** Every parameter, sorted by key. */
  params(): [string, string][] {
    return hostParams.all();
  }

  /**
   * The host's reference time: the same on every run unless the operator changes
   * it (per profile in seedhost.toml, or `--now`). Use it, not `new Date()`, for
   * relative dates, so re-runs write the same values.
   */
  now(): Date {
    const text = this.param(NOW_PARAM);
    if (text === undefined) {
      throw new Error(`the host gave no reference time (parameter ${NOW_PARAM}); seedhost 0.1 sets it on every run`);
    }
    const at = new Date(text);
    if (Number.isNaN(at.getTime())) throw new Error(`parameter ${NOW_PARAM} = ${JSON.stringify(text)}: not an instant`);
    return at;
  }

  /** A generator seeded from the plugin's name and the profile, or from the `seed` parameter. */
  get random(): Random {
    this.generator ??= new Random(this.param(SEED_PARAM) ?? `${this.plugin}/${this.env}`);
    return this.generator;
  }

  /** Starts a write into `table` (`name` or `schema.name`). */
  table(table: string, options: TableOptions): Table {
    const t = new Table(table, options, (done) => this.open.delete(done));
    this.open.add(t);
    return t;
  }

  /** Writes `rows` into `table` in one go and returns what they did. */
  write(table: string, options: TableOptions, rows: Iterable<readonly Input[]>): Counts {
    const t = this.table(table, options);
    for (const row of rows) t.push(row);
    return t.finish();
  }

  /** Sends to the host's log, under the plugin's name. */
  log(level: Level, message: string): void {
    hostLog(level, message);
  }

  info(message: string): void {
    hostLog('info', message);
  }

  warn(message: string): void {
    hostLog('warn', message);
  }

  debug(message: string): void {
    hostLog('debug', message);
  }

  /** @internal Finishes the tables the plugin left open, as the Rust SDK does on drop. */
  finishAll(): void {
    for (const t of [...this.open]) {
      if (t.unfinished) t.finish();
    }
  }
}

// ---------------------------------------------------------------- the plugin

/** A plugin: its name and what it writes, and the run. */
export interface PluginDefinition {
  /** The plugin's name: in its metadata and in the random generator's seed. */
  name: string;
  version?: string;
  description?: string;
  /** The tables it writes (`seedhost verify` checks them against the grant). */
  tables?: string[];
  /** The profiles it supports; empty means any. The grant decides. */
  profiles?: string[];
  /** Seeds the database. Throwing ends the run and rolls back every write. */
  run(ctx: Context): void;
}

/** The component's exports: `export const { run, metadata } = definePlugin({...})`. */
export function definePlugin(definition: PluginDefinition) {
  return {
    run(env: string, dryRun: boolean): void {
      const ctx = new Context(env, dryRun, definition.name);
      try {
        definition.run(ctx);
        ctx.finishAll();
      } catch (e) {
        // The full trace goes to stderr, which the host keeps in its log; the
        // export's error must be a string, or the guest traps and the words are lost.
        if (e instanceof Error && e.stack) console.error(`${describe(e)}\n${e.stack}`);
        throw describe(e);
      }
    },
    metadata() {
      return {
        name: definition.name,
        version: definition.version ?? '0.1.0',
        description: definition.description ?? '',
        tables: definition.tables ?? [],
        profiles: definition.profiles ?? [],
      };
    },
  };
}
