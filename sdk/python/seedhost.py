"""Write seedhost seed plugins in Python.

    import seedhost

    class Greetings(seedhost.Plugin):
        name = "greetings"
        tables = ["greetings"]

        def run(self, ctx: seedhost.Context) -> None:
            greetings = ctx.table("greetings", columns=["id", "text"], conflict=["id"])
            greetings.push([1, "hello"])
            greetings.push([2, f"hello from {ctx.env}"])
            greetings.finish()

    WitWorld = seedhost.world(Greetings)

componentize-py builds the component from the module that defines `WitWorld`
(`seedhost plugin build NAME` runs it). Rows are pushed one by one and cross
into the host in batches; the host converts every value to its column's type.
An exception, or a store error the plugin does not catch, ends the run with its
message, and the host rolls back every write.
"""

from __future__ import annotations

import datetime as _dt
import json as _json
import math as _math
import sys
import traceback
import uuid as _uuid
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

from componentize_py_types import Err
from wit_world.imports import log as _log
from wit_world.imports import params as _params
from wit_world.imports import store as _store
from wit_world.imports import types as _t

CONTRACT_VERSION = "0.2.0"
DEFAULT_BATCH_ROWS = 10_000
NOW_PARAM = "seedhost.now"
SEED_PARAM = "seed"

_MASK64 = (1 << 64) - 1


# ------------------------------------------------------------------ values


@dataclass(frozen=True)
class Json:
    """A JSON document for json/jsonb columns: `Json({"a": 1})`."""

    document: Any


@dataclass(frozen=True)
class Float:
    """A float even when it has no fractional part."""

    value: float


def uuid(text: str) -> _uuid.UUID:
    """A UUID from its text."""
    return _uuid.UUID(text)


def uuid_v5(namespace: _uuid.UUID | str, name: str) -> _uuid.UUID:
    """The name-based UUID (version 5, SHA-1) of `name` in `namespace`.

    `uuid.uuid5` needs `hashlib`, which componentize-py's CPython does not
    have (ModuleNotFoundError), hence the SHA-1 below."""
    if isinstance(namespace, str):
        namespace = _uuid.UUID(namespace)
    digest = _sha1(namespace.bytes + name.encode())
    return _uuid.UUID(bytes=digest[:16], version=5)


def _sha1(data: bytes) -> bytes:
    """SHA-1 (FIPS 180-4), for UUID v5 only: not for anything secret."""
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
    padded = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + (len(data) * 8).to_bytes(8, "big")
    rotl = lambda x, n: ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF  # noqa: E731
    for start in range(0, len(padded), 64):
        w = [int.from_bytes(padded[start + i:start + i + 4], "big") for i in range(0, 64, 4)]
        for i in range(16, 80):
            w.append(rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1))
        a, b, c, d, e = h
        for i in range(80):
            if i < 20:
                f, k = (b & c) | (~b & d), 0x5A827999
            elif i < 40:
                f, k = b ^ c ^ d, 0x6ED9EBA1
            elif i < 60:
                f, k = (b & c) | (b & d) | (c & d), 0x8F1BBCDC
            else:
                f, k = b ^ c ^ d, 0xCA62C1D6
            a, b, c, d, e = (rotl(a, 5) + f + e + k + w[i]) & 0xFFFFFFFF, a, rotl(b, 30), c, d
        h = [(x + y) & 0xFFFFFFFF for x, y in zip(h, (a, b, c, d, e))]
    return b"".join(x.to_bytes(4, "big") for x in h)


def to_value(v: Any) -> _t.Value:
    """One Python value in the contract's form. dict and list become JSON."""
    if v is None:
        return _t.Value_Null()
    if isinstance(v, bool):
        return _t.Value_Boolean(v)
    if isinstance(v, int):
        if not -(1 << 63) <= v < (1 << 63):
            raise ValueError(f"integer {v} does not fit 64 bits")
        return _t.Value_Integer(v)
    if isinstance(v, float):
        return _t.Value_Float(v)
    if isinstance(v, Float):
        return _t.Value_Float(float(v.value))
    if isinstance(v, str):
        return _t.Value_Text(v)
    if isinstance(v, _uuid.UUID):
        bits = v.int
        return _t.Value_Uuid(_t.Uuid(high=bits >> 64, low=bits & _MASK64))
    if isinstance(v, _dt.datetime):
        if v.tzinfo is None:
            raise ValueError(f"datetime {v.isoformat()} has no time zone; give tzinfo=datetime.timezone.utc")
        micros = (v - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)) // _dt.timedelta(microseconds=1)
        seconds, rest = divmod(micros, 1_000_000)
        return _t.Value_Timestamp(_t.Datetime(seconds=seconds, nanoseconds=rest * 1000))
    if isinstance(v, _dt.date):
        return _t.Value_Text(v.isoformat())
    if isinstance(v, (bytes, bytearray)):
        return _t.Value_Bytes(bytes(v))
    if isinstance(v, Json):
        return _t.Value_Json(_json.dumps(v.document))
    if isinstance(v, (dict, list)):
        return _t.Value_Json(_json.dumps(v))
    raise TypeError(f"a {type(v).__name__} cannot be written to a column")


_MAX_JSON_BATCH_BYTES = 64 << 20


def _dense_int(v: int) -> Any:
    return v if -(1 << 63) <= v < (1 << 63) else _NO_JSON


def _dense_float(v: float) -> Any:
    return v if _math.isfinite(v) else _NO_JSON


def _dense_datetime(v: _dt.datetime) -> Any:
    return v.isoformat() if v.tzinfo is not None else _NO_JSON


def _dense_value(v: Any) -> Any:
    """A value's JSON form, meaning what `to_value` makes of it, or _NO_JSON."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return _dense_int(v)
    if isinstance(v, float):
        return _dense_float(v)
    if isinstance(v, Float):
        return _dense_float(float(v.value))
    if isinstance(v, _uuid.UUID):
        return str(v)
    if isinstance(v, _dt.datetime):
        return _dense_datetime(v)
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, Json):
        return v.document if isinstance(v.document, (dict, list)) else _NO_JSON
    if isinstance(v, (dict, list)):
        return v
    return _NO_JSON


_NO_JSON = object()
_SAME = object()


# The common types, looked up by exact type: cheaper than the isinstance
# chain above, which handles the rest (subclasses, Float, Json, ...).
_FAST = {
    str: _SAME,
    bool: _SAME,
    type(None): _SAME,
    dict: _SAME,
    list: _SAME,
    int: _dense_int,
    float: _dense_float,
    _uuid.UUID: str,
    _dt.datetime: _dense_datetime,
    _dt.date: _dt.date.isoformat,
}

# One encoder for every row: `json.dumps` with any option set builds a new
# JSONEncoder per call, which cost as much as the encoding itself.
_ENCODE = _json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode


def _dense_row(row: Sequence[Any]) -> Optional[str]:
    """A row as JSON text, frozen now (later changes to its dicts change
    nothing), or None when a value needs the value path."""
    out = []
    append = out.append
    fast = _FAST.get
    for v in row:
        f = fast(type(v))
        if f is _SAME:
            append(v)
            continue
        d = f(v) if f is not None else _dense_value(v)
        if d is _NO_JSON:
            return None
        append(d)
    try:
        return _ENCODE(out)
    except (TypeError, ValueError):
        return None  # the value path raises the same error, with its words


# ------------------------------------------------------------------ errors


class StoreFailure(Exception):
    """A store error: `kind` is the contract's tag (`schema`, `value`, ...)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _store_failure(e: BaseException) -> Optional[StoreFailure]:
    if isinstance(e, Err):
        payload = e.value
        kind = type(payload).__name__.removeprefix("StoreError_").lower()
        return StoreFailure(kind, str(getattr(payload, "value", payload)))
    return None


def _call(call):
    try:
        return call()
    except Err as e:
        raise _store_failure(e) from None


def describe(e: BaseException) -> str:
    """The words of an exception: a store error's message, or `Type: message`."""
    failure = _store_failure(e)
    if failure is not None:
        return failure.message
    if isinstance(e, StoreFailure):
        return e.message
    text = str(e)
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


# ------------------------------------------------------------------ tables


@dataclass
class Counts:
    inserted: int
    updated: int
    unchanged: int


class Table:
    """An open write into one table: push rows, then `finish()`."""

    def __init__(self, ctx: "Context", name: str, columns: Sequence[str], conflict: Sequence[str],
                 update: Optional[Sequence[str]], do_nothing: bool, batch_rows: int) -> None:
        if update is not None and do_nothing:
            raise ValueError(f"table {name}: give either update or do_nothing, not both")
        if do_nothing:
            on_conflict: Any = _t.OnConflict_DoNothing()
        elif update is not None:
            on_conflict = _t.OnConflict_Update(list(update))
        else:
            on_conflict = _t.OnConflict_UpdateAll()
        self.name = name
        self._ctx = ctx
        self._width = len(columns)
        self._batch_rows = max(1, int(batch_rows))
        # Rows as JSON text (`writer.write_json`, the fast path), or as values
        # when a value has no JSON form that means the same; a batch is one or
        # the other.
        self._dense: list = []
        self._dense_bytes = 0
        self._values: list = []
        self._rows = 0
        target = _t.Target(table=name, columns=list(columns), conflict=list(conflict), on_conflict=on_conflict)
        self._writer: Optional[_store.Writer] = _call(lambda: _store.Writer.open(target))

    @property
    def rows(self) -> int:
        return self._rows

    def push(self, row: Sequence[Any]) -> None:
        if len(row) != self._width:
            raise StoreFailure("usage", f"table {self.name}: row {self._rows + 1} has {len(row)} values for {self._width} columns")
        dense = _dense_row(row)
        if dense is not None:
            if self._values or self._dense_bytes + len(dense) + 2 > _MAX_JSON_BATCH_BYTES:
                self._flush()
            self._dense.append(dense)
            self._dense_bytes += len(dense) + 1
        else:
            # The whole row first: a value that raises leaves nothing half-pushed.
            values = [to_value(v) for v in row]
            if self._dense:
                self._flush()
            self._values.extend(values)
        self._rows += 1
        buffered = len(self._dense) + len(self._values) // self._width
        if buffered >= self._batch_rows or self._dense_bytes >= _MAX_JSON_BATCH_BYTES // 2:
            self._flush()

    def _open(self) -> _store.Writer:
        if self._writer is None:
            raise StoreFailure("usage", f"table {self.name}: written after finish")
        return self._writer

    def _flush(self) -> None:
        if self._dense:
            writer, rows = self._open(), self._dense
            self._dense, self._dense_bytes = [], 0
            # One byte string crosses the boundary instead of a value at a time.
            batch = ("[" + ",".join(rows) + "]").encode()
            _call(lambda: writer.write_json(batch))
        if self._values:
            writer, batch, self._values = self._open(), self._values, []
            _call(lambda: writer.write(batch))

    def finish(self) -> Counts:
        self._flush()
        writer = self._open()
        self._writer = None
        self._ctx._open.discard(self)
        c = _call(writer.finish)
        return Counts(c.inserted, c.updated, c.unchanged)


# ------------------------------------------------------------------ randomness


class Random:
    """A seeded generator: FNV-1a 64 of the seed's UTF-8 bytes, then SplitMix64,
    the same numbers as every seedhost SDK gives for the same seed."""

    def __init__(self, seed: str) -> None:
        h = 0xCBF29CE484222325
        for byte in seed.encode():
            h = ((h ^ byte) * 0x100000001B3) & _MASK64
        self._state = h

    def next_u64(self) -> int:
        self._state = (self._state + 0x9E3779B97F4A7C15) & _MASK64
        z = self._state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return z ^ (z >> 31)

    def random(self) -> float:
        """A float in [0, 1)."""
        return (self.next_u64() >> 11) / float(1 << 53)

    def int(self, low: int, high: int) -> int:
        """An integer in [low, high], both included."""
        if high < low:
            raise ValueError(f"random.int({low}, {high}): empty range")
        return low + self.next_u64() % (high - low + 1)

    def pick(self, items: Sequence[Any]) -> Any:
        if not items:
            raise ValueError("random.pick: the sequence is empty")
        return items[self.int(0, len(items) - 1)]

    def uuid(self) -> _uuid.UUID:
        """A random (version 4 shaped) UUID from this generator: reproducible."""
        high = (self.next_u64() & ~0xF000) | 0x4000
        low = (self.next_u64() & ~0xC000000000000000) | 0x8000000000000000
        return _uuid.UUID(int=(high << 64) | low)


# ------------------------------------------------------------------ context


class Context:
    """What a run knows about where it runs."""

    def __init__(self, env: str, dry_run: bool, plugin: str) -> None:
        self.env = env
        self.dry_run = dry_run
        self.plugin = plugin
        self._open: set = set()
        self._random: Optional[Random] = None
        self._params: Optional[dict[str, str]] = None

    def param(self, key: str, default: Optional[str] = None) -> Optional[str]:
        value = self._all_params().get(key)
        return default if value is None else value

    def params(self) -> list[tuple[str, str]]:
        """Every parameter, sorted by key."""
        return list(self._all_params().items())

    def _all_params(self) -> dict[str, str]:
        # Read from the host once per run, as the TypeScript SDK does: a call
        # into the host costs far more than a dict lookup, and a parameter
        # read in a loop over many rows adds up. A run's parameters do not
        # change while it runs.
        if self._params is None:
            self._params = dict(_params.all())
        return self._params

    def now(self) -> _dt.datetime:
        """The host's reference time: the same on every run unless the operator
        changes it (per profile in seedhost.toml, or `--now`)."""
        text = self.param(NOW_PARAM)
        if text is None:
            raise RuntimeError(f"the host gave no reference time (parameter {NOW_PARAM})")
        return _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

    @property
    def random(self) -> Random:
        """A generator seeded from the plugin's name and the profile, or from `--param seed=...`."""
        if self._random is None:
            seed = self.param(SEED_PARAM)
            self._random = Random(f"{self.plugin}/{self.env}" if seed is None else seed)
        return self._random

    def table(self, name: str, *, columns: Sequence[str], conflict: Sequence[str] = (),
              update: Optional[Sequence[str]] = None, do_nothing: bool = False,
              batch_rows: int = DEFAULT_BATCH_ROWS) -> Table:
        t = Table(self, name, columns, conflict, update, do_nothing, batch_rows)
        self._open.add(t)
        return t

    def write(self, name: str, rows: Iterable[Sequence[Any]], **options: Any) -> Counts:
        t = self.table(name, **options)
        for row in rows:
            t.push(row)
        return t.finish()

    def log(self, level: str, message: str) -> None:
        _log.log(_log.Level[level.upper()], message)

    def info(self, message: str) -> None:
        _log.log(_log.Level.INFO, message)

    def warn(self, message: str) -> None:
        _log.log(_log.Level.WARN, message)


# ------------------------------------------------------------------ the plugin


class Plugin:
    """Subclass it, set `name` (and `tables`, `profiles`), and define `run(ctx)`."""

    name: str = ""
    version: str = "0.1.0"
    description: str = ""
    tables: Sequence[str] = ()
    profiles: Sequence[str] = ()

    def run(self, ctx: Context) -> None:
        raise NotImplementedError


def world(plugin: type[Plugin]):
    """The `WitWorld` class componentize-py exports, for `plugin`."""
    if not plugin.name:
        raise TypeError(f"{plugin.__name__} must set `name`")

    class WitWorld:
        def run(self, env: str, dry_run: bool) -> None:
            ctx = Context(env, dry_run, plugin.name)
            try:
                plugin().run(ctx)
                for t in list(ctx._open):
                    t.finish()
            except Err as e:
                if isinstance(e.value, str):
                    raise
                raise Err(describe(e)) from None
            except BaseException as e:  # noqa: BLE001 - every failure must keep its words
                # The traceback goes to stderr (the host's log); the report gets the words.
                traceback.print_exc(file=sys.stderr)
                raise Err(describe(e)) from None

        def metadata(self) -> _t.Metadata:
            return _t.Metadata(name=plugin.name, version=plugin.version, description=plugin.description,
                               tables=list(plugin.tables), profiles=list(plugin.profiles))

    return WitWorld
