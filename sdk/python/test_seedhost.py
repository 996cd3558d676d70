"""Unit tests of the parts of the seedhost module that need no host: run with
`python3 -m unittest` in sdk/python. The componentize-py modules it imports
exist only inside a component, so they are stubbed here."""

import datetime
import hashlib
import sys
import types
import unittest
import uuid

for name in ["componentize_py_types", "wit_world", "wit_world.imports"]:
    sys.modules.setdefault(name, types.ModuleType(name))
sys.modules["componentize_py_types"].Err = type("Err", (Exception,), {})
for part in ["log", "params", "store", "types"]:
    module = types.ModuleType(f"wit_world.imports.{part}")
    sys.modules[module.__name__] = module
    setattr(sys.modules["wit_world.imports"], part, module)

import seedhost  # noqa: E402


class Sha1(unittest.TestCase):
    def test_matches_hashlib_across_block_boundaries(self):
        for data in [b"", b"abc", b"x" * 55, b"y" * 56, b"z" * 64, b"w" * 1000]:
            self.assertEqual(seedhost._sha1(data), hashlib.sha1(data).digest(), len(data))

    def test_uuid_v5_is_rfc_4122(self):
        self.assertEqual(
            seedhost.uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "seedhost"),
            uuid.uuid5(uuid.NAMESPACE_DNS, "seedhost"),
        )


class Random(unittest.TestCase):
    def test_gives_the_numbers_every_sdk_gives(self):
        r = seedhost.Random("catalog/local")
        self.assertEqual(
            [r.next_u64() for _ in range(3)],
            [0xDBC0AB10D01C6974, 0xF51D0DFFD0C2F8BA, 0x9C5D8B72DBA4E997],
        )

    def test_ranges_hold(self):
        r = seedhost.Random("x")
        for _ in range(1000):
            self.assertTrue(1 <= r.int(1, 6) <= 6)
            self.assertTrue(0.0 <= r.random() < 1.0)
        self.assertEqual(r.uuid().version, 4)


class DenseRows(unittest.TestCase):
    def test_rows_with_a_json_form_become_json_text_frozen_at_push(self):
        doc = {"score": 1}
        at = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        row = [uuid.UUID(int=1), "x", 7, 2.5, True, None, at, datetime.date(2026, 1, 2), doc, [1]]
        text = seedhost._dense_row(row)
        doc["score"] = 2
        self.assertEqual(
            text,
            '["00000000-0000-0000-0000-000000000001","x",7,2.5,true,null,'
            '"2026-01-01T00:00:00+00:00","2026-01-02",{"score":1},[1]]',
        )
        self.assertEqual(seedhost._dense_row([seedhost.Float(60), seedhost.Json({"a": 1})]), '[60.0,{"a":1}]')

    def test_values_without_one_take_the_value_path(self):
        for value in [float("nan"), 1 << 63, b"\x00", datetime.datetime(2026, 1, 1),
                      seedhost.Json("text"), object(), {"bad": object()}]:
            self.assertIsNone(seedhost._dense_row(["ok", value]), repr(value))


class Tables(unittest.TestCase):
    def test_a_value_that_raises_leaves_nothing_half_pushed(self):
        sys.modules["wit_world.imports.types"].Value_Bytes = lambda b: ("bytes", b)
        table = seedhost.Table.__new__(seedhost.Table)  # no writer: nothing is sent
        table.name, table._width, table._batch_rows = "t", 2, 10
        table._dense, table._dense_bytes, table._values, table._rows = [], 0, [], 0
        with self.assertRaises(ValueError):
            # bytes take the value path, where a naive datetime raises
            table.push([b"x", datetime.datetime(2026, 1, 1)])
        self.assertEqual((table._values, table._rows), ([], 0))


class Params(unittest.TestCase):
    def test_are_read_from_the_host_once_per_run(self):
        calls = []

        def all_params():
            calls.append(1)
            return [("rows", "10"), ("seed", "3"), (seedhost.NOW_PARAM, "2026-01-01T00:00:00Z")]

        sys.modules["wit_world.imports.params"].all = all_params
        ctx = seedhost.Context("local", False, "p")
        for _ in range(100):
            self.assertEqual(ctx.param("rows"), "10")
        self.assertEqual(ctx.param("absent", "x"), "x")
        self.assertEqual(ctx.now(), datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
        self.assertEqual(ctx.params()[1], ("seed", "3"))
        self.assertEqual(len(calls), 1)
        # Another run reads them again.
        seedhost.Context("local", False, "p").param("rows")
        self.assertEqual(len(calls), 2)


class Values(unittest.TestCase):
    def test_naive_datetimes_are_refused(self):
        with self.assertRaises(ValueError):
            seedhost.to_value(datetime.datetime(2026, 1, 1))

    def test_integers_past_64_bits_are_refused(self):
        with self.assertRaises(ValueError):
            seedhost.to_value(1 << 63)


if __name__ == "__main__":
    unittest.main()
