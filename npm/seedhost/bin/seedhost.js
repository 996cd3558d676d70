#!/usr/bin/env node
// Runs the seedhost binary from the platform package (@seedhost/cli-<platform>)
// that npm installed as an optional dependency chosen by os, cpu and libc.
"use strict";

const { spawn } = require("node:child_process");
const { constants } = require("node:os");

const SUPPORTED = [
  "linux-x64",
  "linux-arm64",
  "linux-x64-musl",
  "linux-arm64-musl",
  "darwin-x64",
  "darwin-arm64",
];

function isMusl() {
  // Only a glibc build of node reports a glibc version; Alpine's (musl) does not.
  // Network details are the slow part of a report and are not needed.
  process.report.excludeNetwork = true;
  return !process.report.getReport().header.glibcVersionRuntime;
}

function fail(message) {
  process.stderr.write(`seedhost: ${message}\n`);
  process.exit(1);
}

const platform =
  `${process.platform}-${process.arch}` +
  (process.platform === "linux" && isMusl() ? "-musl" : "");
const pkg = `@seedhost/cli-${platform}`;

let binary = process.env.SEEDHOST_BINARY;
if (!binary) {
  if (!SUPPORTED.includes(platform)) {
    fail(
      `there is no prebuilt binary for this platform (${platform}).\n` +
        `Supported platforms: ${SUPPORTED.join(", ")}.\n` +
        "Build seedhost from source (cargo build --release -p seedhost) and point " +
        "SEEDHOST_BINARY at the binary.",
    );
  }
  try {
    binary = require.resolve(`${pkg}/bin/seedhost`);
  } catch {
    // npm says nothing when it skips an optional dependency, so say it here.
    fail(
      `the package ${pkg}, which holds the seedhost binary for ${platform}, is not installed.\n` +
        "npm skips optional dependencies silently when they are omitted or fail to install. To fix:\n" +
        "  - reinstall on this machine without --omit=optional / --no-optional (or optional=false in .npmrc);\n" +
        "  - a package-lock.json made on another platform can leave it out: remove node_modules and\n" +
        "    package-lock.json, then run npm install again.\n" +
        `Supported platforms: ${SUPPORTED.join(", ")}.`,
    );
  }
}

let child = null;
// Handling these keeps the shim alive until the child has decided what they mean.
// A terminal's Ctrl-C reaches the child directly too (same process group);
// seedhost treats a second SIGINT like the first.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}

child = spawn(binary, process.argv.slice(2), { stdio: "inherit" });
child.on("error", (error) => fail(`cannot run ${binary}: ${error.message}`));
child.on("exit", (code, signal) => {
  process.exit(signal ? 128 + constants.signals[signal] : code);
});
