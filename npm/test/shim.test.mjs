// Tests of the npm launcher, npm/seedhost/bin/seedhost.js, against a fake
// platform package in a temporary node_modules. Run: node --test npm/test/
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SHIM = fileURLToPath(new URL("../seedhost/bin/seedhost.js", import.meta.url));

// Worked out here independently of the shim, so that a wrong choice in it shows.
const musl = process.platform === "linux" && !process.report.getReport().header.glibcVersionRuntime;
const PACKAGE = `@seedhost/cli-${process.platform}-${process.arch}${musl ? "-musl" : ""}`;

// The fake binary: `exit N`, `echo ARGS...`, `trap SIGNAL STATUS` (waits for SIGNAL,
// notes it in $FAKE_DIR/got and exits STATUS), `wait` (waits for a signal with
// its default action), `kill SIGNAL` (kills itself).
const FAKE = `#!/bin/sh
mode=$1; shift
case $mode in
exit) exit "$1" ;;
echo) printf '<%s>\\n' "$@" ;;
trap)
    trap 'kill $pid 2>/dev/null; echo "$1" > "$FAKE_DIR/got"; exit "$2"' "$1"
    sleep 30 & pid=$!
    : > "$FAKE_DIR/ready"
    wait $pid
    exit 99 ;;
wait)
    : > "$FAKE_DIR/ready"
    exec sleep 30 ;;
kill) kill -"$1" $$ ;;
esac
`;

/** A directory with node_modules/seedhost and, unless told otherwise, the fake platform package. */
function install(t, { platformPackage = PACKAGE } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seedhost-shim-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const modules = path.join(dir, "node_modules");
  fs.mkdirSync(path.join(modules, "seedhost", "bin"), { recursive: true });
  fs.copyFileSync(SHIM, path.join(modules, "seedhost", "bin", "seedhost.js"));
  const fake = path.join(dir, "fake-seedhost");
  fs.writeFileSync(fake, FAKE, { mode: 0o755 });
  if (platformPackage) {
    const root = path.join(modules, ...platformPackage.split("/"));
    fs.mkdirSync(path.join(root, "bin"), { recursive: true });
    fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: platformPackage, version: "0.0.0" }));
    fs.copyFileSync(fake, path.join(root, "bin", "seedhost"));
    fs.chmodSync(path.join(root, "bin", "seedhost"), 0o755);
  }
  return { dir, fake, shim: path.join(modules, "seedhost", "bin", "seedhost.js") };
}

/** Runs the shim; `onReady` is called once the fake binary has written $FAKE_DIR/ready. */
function run({ dir, shim }, args, { env = {}, nodeArgs = [], onReady } = {}) {
  const childEnv = { ...process.env, FAKE_DIR: dir, ...env };
  delete childEnv.NODE_PATH;
  if (!("SEEDHOST_BINARY" in env)) delete childEnv.SEEDHOST_BINARY;
  const child = spawn(process.execPath, [...nodeArgs, shim, ...args], { env: childEnv });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  if (onReady) {
    const ready = path.join(dir, "ready");
    const poll = setInterval(() => {
      if (fs.existsSync(ready)) {
        clearInterval(poll);
        onReady(child);
      }
    }, 20);
    child.on("exit", () => clearInterval(poll));
  }
  return new Promise((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

for (const status of [0, 1, 2]) {
  test(`exit status ${status} passes through`, { timeout: 10_000 }, async (t) => {
    const result = await run(install(t), ["exit", String(status)]);
    assert.equal(result.signal, null);
    assert.equal(result.code, status, result.stderr);
  });
}

test("arguments and standard output pass through", { timeout: 10_000 }, async (t) => {
  const result = await run(install(t), ["echo", "run", "catalog", "two words", ""]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "<run>\n<catalog>\n<two words>\n<>\n");
});

for (const [signal, status] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 0]]) {
  test(`${signal} reaches the child, and the shim exits with the child's ${status}`, { timeout: 10_000 }, async (t) => {
    const installed = install(t);
    const name = signal.slice(3);
    const result = await run(installed, ["trap", name, String(status)], {
      onReady: (child) => child.kill(signal),
    });
    assert.equal(result.signal, null, "the shim itself must not die of the signal");
    assert.equal(result.code, status, result.stderr);
    assert.equal(fs.readFileSync(path.join(installed.dir, "got"), "utf8").trim(), name);
  });
}

for (const [signal, status] of [["SIGINT", 130], ["SIGTERM", 143]]) {
  test(`a child killed by a forwarded ${signal} gives ${status}`, { timeout: 10_000 }, async (t) => {
    const result = await run(install(t), ["wait"], { onReady: (child) => child.kill(signal) });
    assert.equal(result.signal, null);
    assert.equal(result.code, status, result.stderr);
  });
}

for (const [signal, status] of [["TERM", 143], ["KILL", 137]]) {
  test(`a child that kills itself with SIG${signal} gives ${status}`, { timeout: 10_000 }, async (t) => {
    const result = await run(install(t), ["kill", signal]);
    assert.equal(result.code, status, result.stderr);
  });
}

test("a missing platform package is named, with the fix", { timeout: 10_000 }, async (t) => {
  const result = await run(install(t, { platformPackage: null }), ["exit", "0"]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, new RegExp(`the package ${PACKAGE}, .* is not installed`));
  assert.match(result.stderr, /--omit=optional/);
  assert.match(result.stderr, /linux-x64, linux-arm64, linux-x64-musl, linux-arm64-musl, darwin-x64, darwin-arm64/);
});

// A preloaded module makes node report another platform, to check the choice of package.
for (const [platform, arch, glibc, expected] of [
  ["linux", "x64", "2.36", "@seedhost/cli-linux-x64"],
  ["linux", "arm64", undefined, "@seedhost/cli-linux-arm64-musl"],
  ["darwin", "arm64", undefined, "@seedhost/cli-darwin-arm64"],
]) {
  test(`${platform} ${arch} ${glibc ? "glibc" : "no glibc"} looks for ${expected}`, { timeout: 10_000 }, async (t) => {
    const installed = install(t, { platformPackage: null });
    const preload = path.join(installed.dir, "pretend.cjs");
    fs.writeFileSync(preload, `
      Object.defineProperty(process, "platform", { value: ${JSON.stringify(platform)} });
      Object.defineProperty(process, "arch", { value: ${JSON.stringify(arch)} });
      process.report.getReport = () => ({ header: { glibcVersionRuntime: ${JSON.stringify(glibc)} } });
    `);
    const result = await run(installed, [], { nodeArgs: ["--require", preload] });
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`the package ${expected}, `));
  });
}

test("an unsupported platform is refused with the supported ones listed", { timeout: 10_000 }, async (t) => {
  const installed = install(t, { platformPackage: null });
  const preload = path.join(installed.dir, "pretend.cjs");
  fs.writeFileSync(preload, `Object.defineProperty(process, "platform", { value: "win32" });`);
  const result = await run(installed, [], { nodeArgs: ["--require", preload] });
  assert.equal(result.code, 1);
  assert.match(result.stderr, new RegExp(`no prebuilt binary for this platform \\(win32-${process.arch}\\)`));
  assert.match(result.stderr, /SEEDHOST_BINARY/);
});

test("SEEDHOST_BINARY runs that binary instead of the platform package's", { timeout: 10_000 }, async (t) => {
  const installed = install(t, { platformPackage: null });
  const result = await run(installed, ["echo", "overridden"], { env: { SEEDHOST_BINARY: installed.fake } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "<overridden>\n");
  const status = await run(installed, ["exit", "2"], { env: { SEEDHOST_BINARY: installed.fake } });
  assert.equal(status.code, 2);
});

test("SEEDHOST_BINARY naming no file fails with exit 1", { timeout: 10_000 }, async (t) => {
  const installed = install(t);
  const missing = path.join(installed.dir, "no-such-binary");
  const result = await run(installed, ["exit", "0"], { env: { SEEDHOST_BINARY: missing } });
  assert.equal(result.code, 1);
  assert.match(result.stderr, new RegExp(`cannot run ${missing}: .*ENOENT`));
});
