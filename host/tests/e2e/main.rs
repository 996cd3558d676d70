//! End-to-end tests: the real `seedhost` binary, real plugins compiled for
//! wasm32-wasip2 during the test run (after the binary was built), real SQLite
//! files and real PostgreSQL databases (created per test and dropped).
//!
//! PostgreSQL: `SEEDHOST_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); the tests fail when it is
//! unreachable.

mod harness;

mod catalog;
mod concurrency;
mod fanout;
mod faults;
mod hardening;
mod layers;
mod ledger;
mod migrations;
mod npm;
mod paths;
mod polyglot;
mod profiles;
mod properties;
mod sandbox;
mod secrets;
mod seed_files;
mod store;
mod supabase;
mod supabase_cli;
mod template;
