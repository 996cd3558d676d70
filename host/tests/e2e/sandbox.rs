//! Plugins that misbehave are stopped, their writes rolled back, and the
//! message says what happened; components are cached; a plugin built after the
//! host is added by configuration alone.

use std::time::{Duration, Instant};

use crate::harness::*;

/// Runs a hostile plugin on a fresh database; asserts it failed, that nothing
/// it wrote is left, and returns the error message.
fn hostile_run(mode: &str, extra: &str, pg: Option<&PgDb>) -> String {
    let project = Project::new(&format!("{CATALOG}{}", hostile("hostile", mode, extra)));
    let url_args: Vec<&str> = pg.map_or(vec![], |p| vec!["--database-url", p.url.as_str()]);
    // Migrate first, so "unchanged" below compares a migrated database.
    let mut args = vec!["migrate", "--json"];
    args.extend(&url_args);
    project.seedhost(&args).ok_json();
    let db = || pg.map_or_else(|| project.sqlite(), PgDb::db);
    let before = db().snapshot(&["fixture_items", "catalog_journeys"]);

    let mut args = vec!["run", "hostile", "--json"];
    args.extend(&url_args);
    let run = project.seedhost(&args);
    run.failed();
    let report = run.json();
    assert_eq!(report["plugins"][0]["status"], "failed");
    assert_eq!(
        db().snapshot(&["fixture_items", "catalog_journeys"]),
        before,
        "the database changed"
    );
    report["plugins"][0]["error"].as_str().unwrap().to_owned()
}

#[test]
fn an_endless_loop_is_stopped_at_its_cpu_limit() {
    let started = Instant::now();
    let error = hostile_run("loop", "limits = { cpu_seconds = 1 }", None);
    assert!(error.contains("exceeded its CPU limit of 1s"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn an_unbounded_allocation_is_stopped_at_its_memory_limit() {
    let error = hostile_run("alloc", "limits = { memory_mib = 32 }", None);
    assert!(
        error.contains("exceeded its memory limit of 32 MiB"),
        "{error}"
    );
}

#[test]
fn a_write_outside_the_grant_fails_naming_the_table() {
    let error = hostile_run("forbidden", "", None);
    assert!(
        error.contains("table catalog_journeys is not in this plugin's grant"),
        "{error}"
    );
}

#[test]
fn a_denied_write_fails_the_run_even_when_the_plugin_ignores_it() {
    let error = hostile_run("ignore-denied", "", None);
    assert!(error.contains("catalog_journeys"), "{error}");
}

#[test]
fn a_trap_after_partial_writes_leaves_nothing_behind() {
    for pg in [None, Some(PgDb::create())] {
        let error = hostile_run("trap", "", pg.as_ref());
        assert!(error.contains("trapped"), "{error}");
        assert!(error.contains("trapping after writing 50 rows"), "{error}");
    }
}

#[test]
fn a_database_error_in_the_last_unfinished_batch_fails_the_run() {
    for pg in [None, Some(PgDb::create())] {
        let error = hostile_run("unfinished", "", pg.as_ref());
        assert!(error.contains("fixture_items"), "{error}");
        assert!(error.to_lowercase().contains("check"), "{error}");
    }
}

#[test]
fn the_sandbox_gives_no_environment_files_or_network() {
    // The variables are set in seedhost's environment: the plugin must not see them.
    let project = Project::new(&hostile("hostile", "snoop", ""));
    let run = project.seedhost_env(
        &["run", "hostile", "--json"],
        &[("SEEDHOST_TEST_SECRET", "leak")],
    );
    run.failed();
    let error = run.json()["plugins"][0]["error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        error.contains("sandbox held: no environment variables, no files, no network"),
        "{error}"
    );
    assert!(!error.contains("LEAK"), "{error}");
    assert_eq!(project.sqlite().count("fixture_items"), 0);
}

#[test]
fn plugin_output_and_logs_reach_the_hosts_log_under_its_name() {
    let project = Project::new(CATALOG);
    let run = project.seedhost(&["run", "catalog"]);
    assert!(run.0.status.success());
    let log = run.stderr();
    let line = log
        .lines()
        .find(|l| l.contains("catalog seeded for local"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(line.contains("plugin=\"catalog\""), "{line}");
}

#[test]
fn a_plugin_built_for_another_contract_version_is_refused_naming_both() {
    let project = Project::new(
        "[plugins.future]\nwasm = \"{wasm}/future.wasm\"\ntables = []\nprofiles = [\"local\"]\n",
    );
    let run = project.seedhost(&["run", "future", "--json"]);
    let out = run.failed();
    assert!(out.contains("built against seedhost:plugin@0.3.0"), "{out}");
    assert!(out.contains("speaks seedhost:plugin@0.2.0"), "{out}");
    // Refused before the database was touched.
    assert!(!project.local_db().exists());
}

#[test]
fn the_second_run_loads_the_compiled_component_from_the_cache() {
    let mut project = Project::new(CATALOG);
    let cache = tempfile::tempdir().unwrap();
    project.cache = cache.path().to_owned();
    let first = project.seedhost(&["run", "catalog", "-v"]);
    assert!(first.0.status.success());
    assert!(
        first.stderr().contains("compiled component with Cranelift"),
        "{}",
        first.stderr()
    );
    // Compiled components are the .cwasm files (sources/ records which
    // component path each came from).
    let compiled = std::fs::read_dir(cache.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "cwasm")
        })
        .count();
    assert_eq!(compiled, 1, "one cached component");
    let second = project.seedhost(&["run", "catalog", "-v"]);
    assert!(second.0.status.success());
    assert!(
        second
            .stderr()
            .contains("loaded compiled component from cache"),
        "{}",
        second.stderr()
    );
    assert!(
        !second.stderr().contains("Cranelift"),
        "{}",
        second.stderr()
    );
}

#[test]
fn a_corrupt_cache_entry_is_recompiled() {
    let mut project = Project::new(CATALOG);
    let cache = tempfile::tempdir().unwrap();
    project.cache = cache.path().to_owned();
    assert!(project.seedhost(&["run", "catalog"]).0.status.success());
    let entry = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "cwasm"))
        .unwrap();
    std::fs::write(&entry, b"not a compiled component").unwrap();
    let run = project.seedhost(&["run", "catalog", "-v"]);
    assert!(run.0.status.success(), "{}", run.stderr());
    assert!(
        run.stderr().contains("ignoring unusable cached component"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("compiled component with Cranelift"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_missing_component_says_how_to_build_it() {
    let project = Project::new(
        "[plugins.ghost]\nwasm = \"nowhere/ghost.wasm\"\ntables = []\nprofiles = [\"local\"]\n",
    );
    let out = project.seedhost(&["run", "ghost"]).failed();
    assert!(out.contains("nowhere/ghost.wasm"), "{out}");
    assert!(out.contains("`seedhost plugin build ghost`"), "{out}");
}

/// A plugin whose source did not exist when the host was built: written,
/// compiled and configured here, then run by the same host binary.
#[test]
fn a_plugin_built_after_the_host_runs_by_configuration_alone() {
    let host_built = std::fs::metadata(env!("CARGO_BIN_EXE_seedhost"))
        .unwrap()
        .modified()
        .unwrap();
    let src = tempfile::tempdir().unwrap();
    let sdk = workspace().join("plugin-sdk");
    std::fs::write(
        src.path().join("Cargo.toml"),
        format!(
            "[package]\nname = \"late\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [lib]\ncrate-type = [\"cdylib\"]\n\n\
             [dependencies]\nseedhost-sdk = {{ path = {:?} }}\n\n[workspace]\n",
            sdk.display().to_string()
        ),
    )
    .unwrap();
    std::fs::create_dir(src.path().join("src")).unwrap();
    std::fs::write(
        src.path().join("src/lib.rs"),
        r#"
use seedhost_sdk::{export_plugin, row, Context, Plugin, Result};
struct Late;
impl Plugin for Late {
    fn run(ctx: &Context) -> Result<()> {
        let greeting = ctx.param("greeting").unwrap_or_default();
        let mut items = ctx.table("fixture_items").columns(&["id", "name"]).conflict(&["id"]).open()?;
        for id in 1..=3 {
            items.push(row![id, format!("{greeting} #{id} from {}", ctx.env())])?;
        }
        items.finish()?;
        Ok(())
    }
}
export_plugin!(Late);
"#,
    )
    .unwrap();
    // Same dependency versions as the workspace, resolved offline.
    std::fs::copy(
        workspace().join("Cargo.lock"),
        src.path().join("Cargo.lock"),
    )
    .unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = std::process::Command::new(cargo)
        .args([
            "build",
            "--release",
            "--offline",
            "--target",
            "wasm32-wasip2",
        ])
        .current_dir(src.path())
        .env("CARGO_TARGET_DIR", workspace().join("target/late-plugin"))
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let wasm = workspace().join("target/late-plugin/wasm32-wasip2/release/late.wasm");
    assert!(std::fs::metadata(&wasm).unwrap().modified().unwrap() > host_built);

    let project = Project::new(&format!(
        "[plugins.late]\nwasm = {:?}\ntables = [\"fixture_items\"]\nprofiles = [\"local\"]\n\
         params = {{ greeting = \"hello\" }}\n",
        wasm.display().to_string()
    ));
    let report = project
        .seedhost(&["run", "late", "--json", "--param", "greeting=hi"])
        .ok_json();
    assert_eq!(
        counts(&report, 0),
        vec![("fixture_items".to_owned(), [3, 0, 0])]
    );
    let db = project.sqlite();
    assert_eq!(
        db.scalar::<String>("SELECT name FROM fixture_items WHERE id = 2"),
        "hi #2 from local"
    );
}

/// A catalog component built against contract 0.1.0 and committed as it
/// was built (host/tests/fixtures-prebuilt): never rebuilt, so it shows that
/// every later contract still loads and runs what was built for the first.
#[test]
fn a_component_built_against_contract_0_1_0_still_runs() {
    let old = workspace().join("host/tests/fixtures-prebuilt/catalog-contract-0.1.0.wasm");
    let project = Project::new(&format!("{CATALOG}{}", catalog_entry("old", &old)));
    let verify = project.seedhost(&["verify", "old", "--json"]).ok_json();
    let load = verify["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "load")
        .unwrap();
    assert_eq!(
        load["detail"]
            .as_str()
            .map(|d| d.ends_with("contract 0.1.0")),
        Some(true),
        "{verify}"
    );
    let pg = PgDb::create();
    for url in [None, Some(pg.url.as_str())] {
        let mut dumps = Vec::new();
        for plugin in ["old", "catalog"] {
            let sqlite = project.path().join(format!("{plugin}.db"));
            let sqlite = format!("sqlite://{}?mode=rwc", sqlite.display());
            let url = url.unwrap_or(&sqlite);
            if url.starts_with("postgres") {
                project.seedhost(&["reset", "--database-url", url]).ok();
            }
            project
                .seedhost(&["run", plugin, "--env", "staging", "--database-url", url])
                .ok();
            let db = Db::connect(url);
            dumps.push((db.catalog_rows(), db.count("catalog_journey_ratings")));
        }
        assert_eq!(dumps[0], dumps[1], "{url:?}");
        assert_eq!(dumps[0].1, 8, "the staging ratings: {}", dumps[0].0);
    }
}
