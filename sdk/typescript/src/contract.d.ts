// The contract `seedhost:plugin@0.2.0` (wit/plugin.wit) as componentize-js
// lowers it: s64/u64 are bigint, variants are `{ tag, val }`, record fields are
// camelCase, and a function returning `result<T, store-error>` returns T or
// throws an error whose `payload` is the store-error. Written by hand because
// `jco guest-types` 1.35 cannot read the WIT (shared/findings/polyglot.md).
// Only this SDK imports these modules; plugins import `@seedhost/plugin`.

declare module 'seedhost:plugin/types@0.2.0' {
  export interface Uuid {
    high: bigint;
    low: bigint;
  }
  export interface Datetime {
    seconds: bigint;
    nanoseconds: number;
  }
  export type Value =
    | { tag: 'null' }
    | { tag: 'boolean'; val: boolean }
    | { tag: 'integer'; val: bigint }
    | { tag: 'float'; val: number }
    | { tag: 'text'; val: string }
    | { tag: 'uuid'; val: Uuid }
    | { tag: 'json'; val: string }
    | { tag: 'timestamp'; val: Datetime }
    | { tag: 'bytes'; val: Uint8Array };
  export type OnConflict =
    | { tag: 'update-all' }
    | { tag: 'update'; val: string[] }
    | { tag: 'do-nothing' };
  export interface Target {
    table: string;
    columns: string[];
    conflict: string[];
    onConflict: OnConflict;
  }
  export interface Counts {
    inserted: bigint;
    updated: bigint;
    unchanged: bigint;
  }
  export type StoreError =
    | { tag: 'denied'; val: string }
    | { tag: 'schema'; val: string }
    | { tag: 'value'; val: string }
    | { tag: 'database'; val: string }
    | { tag: 'usage'; val: string };
  export interface Metadata {
    name: string;
    version: string;
    description: string;
    tables: string[];
    profiles: string[];
  }
}

declare module 'seedhost:plugin/store@0.2.0' {
  import type { Counts, Target, Value } from 'seedhost:plugin/types@0.2.0';
  export class Writer {
    private constructor();
    static open(target: Target): Writer;
    write(values: Value[]): void;
    writeJson(rows: Uint8Array): void;
    finish(): Counts;
  }
  export function upsert(target: Target, values: Value[]): Counts;
}

declare module 'seedhost:plugin/log@0.2.0' {
  export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';
  export function log(level: Level, message: string): void;
}

declare module 'seedhost:plugin/params@0.2.0' {
  export function get(key: string): string | undefined;
  export function all(): [string, string][];
}

// StarlingMonkey's globals that the SDK uses.
declare const console: { log(...args: unknown[]): void; error(...args: unknown[]): void };
declare class TextEncoder {
  encode(input: string): Uint8Array;
}
