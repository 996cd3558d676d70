//! Plugins in TypeScript and Python, built with the SDKs of this repository
//! by `seedhost plugin build`: the examples write exactly the Rust catalog's
//! rows, `plugin new` → `plugin build` → `run` works in all three languages,
//! and a failing plugin's own words reach the report.
//!
//! These tests need node and npm, and python3 (with venv), and fail saying
//! so when they are missing. Each component is built once per test process.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::harness::*;

/// Fails, naming the tool, when a toolchain a test builds with is missing.
fn need(tool: &str, why: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "this test {why}, and `{tool}` is not installed or not on PATH \
         (TypeScript plugins need Node.js 20+ with npm; Python plugins need python3 with venv)"
    );
}

/// One build at a time: npm and pip installs into the shared SDK directories
/// must not race, and the machine's cores are few.
fn builds() -> MutexGuard<'static, ()> {
    static BUILDS: Mutex<()> = Mutex::new(());
    BUILDS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `seedhost` in `dir` with the shared cache. Scaffolded Rust plugins
/// are workspaces of their own: one target directory for all of them keeps
/// their dependencies built once.
fn seedhost_at(dir: &Path, args: &[&str]) -> Run {
    let targets = workspace().join("target/scaffolds");
    let targets = targets.to_str().unwrap();
    seedhost_in(dir, &shared_cache(), args, &[("CARGO_TARGET_DIR", targets)])
}

/// The repository's TypeScript and Python catalogs, built once.
fn examples() -> &'static (PathBuf, PathBuf) {
    static BUILT: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    BUILT.get_or_init(|| {
        need("npm", "builds plugins/catalog-ts");
        need("node", "builds plugins/catalog-ts");
        need("python3", "builds plugins/catalog-py");
        let _one = builds();
        for name in ["catalog-ts", "catalog-py"] {
            seedhost_at(&workspace(), &["plugin", "build", name]).ok();
        }
        (
            workspace().join("plugins/catalog-ts/dist/catalog-ts.wasm"),
            workspace().join("plugins/catalog-py/dist/catalog-py.wasm"),
        )
    })
}

const CATALOGS: [&str; 3] = ["catalog", "catalog-ts", "catalog-py"];

#[test]
fn typescript_and_python_catalogs_write_exactly_the_rust_catalogs_rows() {
    let (ts, py) = examples();
    let project = Project::new(&format!(
        "{CATALOG}{}{}",
        catalog_entry("catalog-ts", ts),
        catalog_entry("catalog-py", py)
    ));
    for env in ["local", "staging"] {
        let sqlite: Vec<String> = CATALOGS
            .iter()
            .map(|p| {
                let file = project.path().join(format!("{p}-{env}.db"));
                format!("sqlite://{}?mode=rwc", file.display())
            })
            .collect();
        let postgres: Vec<PgDb> = CATALOGS.iter().map(|_| PgDb::create()).collect();
        for urls in [sqlite, postgres.iter().map(|d| d.url.clone()).collect()] {
            let mut dumps = Vec::new();
            for (plugin, url) in CATALOGS.iter().zip(&urls) {
                let args = ["run", plugin, "--env", env, "--database-url", url, "--json"];
                let first = project.seedhost(&args).ok_json();
                let inserted: u64 = counts(&first, 0).iter().map(|(_, c)| c[0]).sum();
                assert!(inserted > 0, "{plugin} on {url}: {first}");
                // A second run changes nothing, in every language.
                let again = project.seedhost(&args).ok_json();
                for (table, [inserted, updated, _]) in counts(&again, 0) {
                    assert_eq!(
                        (inserted, updated),
                        (0, 0),
                        "{plugin} re-run, {table}: {again}"
                    );
                }
                dumps.push(Db::connect(url).catalog_rows());
            }
            assert!(
                dumps[0].contains("catalog_journey_ratings:\n"),
                "{}",
                dumps[0]
            );
            assert_eq!(
                dumps[1], dumps[0],
                "TypeScript vs Rust on {env}, {}",
                urls[1]
            );
            assert_eq!(dumps[2], dumps[0], "Python vs Rust on {env}, {}", urls[2]);
        }
    }
}

#[test]
fn the_examples_pass_verify_on_both_profiles() {
    let (ts, py) = examples();
    let project = Project::new(&format!(
        "{}{}",
        catalog_entry("catalog-ts", ts),
        catalog_entry("catalog-py", py)
    ));
    for env in ["local", "staging"] {
        let pg = PgDb::create();
        let report = project
            .seedhost(&["verify", "--env", env, "--database-url", &pg.url, "--json"])
            .ok_json();
        let passed = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["passed"] == true && c["skipped"] == false)
            .count();
        assert_eq!(passed, 8, "load, grant, dry-run, idempotent × 2: {report}");
    }
}

#[test]
fn unbuilt_examples_are_skipped_by_all_and_verify_and_refused_by_name() {
    let project = Project::repo();
    // The repository's entries for the examples, pointing into this project,
    // where nothing is built.
    let repo = std::fs::read_to_string(workspace().join("seedhost.toml")).unwrap();
    let examples = repo.split(EXAMPLES_MARKER).nth(1).unwrap();
    let config = project.path().join("seedhost.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(EXAMPLES_MARKER);
    text.push_str(examples);
    std::fs::write(&config, text).unwrap();

    let run = project.seedhost(&["run", "catalog-ts"]);
    let out = run.failed();
    assert!(
        out.contains("plugins/catalog-ts/dist/catalog-ts.wasm is not built")
            && out.contains("`seedhost plugin build catalog-ts`"),
        "{out}"
    );
    let report = project.seedhost(&["run", "--all", "--json"]).ok_json();
    let text = report.to_string();
    for name in ["catalog-ts", "catalog-py"] {
        assert!(
            text.contains(&format!("seedhost plugin build {name}")),
            "{name} is listed as skipped: {report}"
        );
    }
    let verify = project.seedhost(&["verify", "--json"]).ok_json();
    let skipped: Vec<&str> = verify["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["skipped"] == true)
        .map(|c| c["plugin"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["catalog-py", "catalog-ts"], "{verify}");
    let human = project.seedhost(&["verify"]).ok().stdout();
    assert!(human.contains("skip catalog-ts"), "{human}");
}

/// A project with a migration, for scaffolds.
fn scaffold_project() -> Project {
    Project::new("")
}

/// The `seedhost` binary copied out of the checkout, as an install would put it.
fn installed_binary() -> &'static Path {
    static COPY: OnceLock<PathBuf> = OnceLock::new();
    COPY.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("seedhost-installed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join("seedhost");
        std::fs::copy(env!("CARGO_BIN_EXE_seedhost"), &bin).unwrap();
        bin
    })
}

/// Runs the installed binary in `dir` with this checkout hidden from it: a
/// private mount namespace with an empty tmpfs over the checkout. Its cache
/// and the scaffolds' cargo target directory are outside the checkout.
fn seedhost_hidden(dir: &Path, args: &[&str]) -> Run {
    assert!(
        Command::new("id").arg("-u").output().unwrap().stdout == b"0\n",
        "this test hides the checkout with `unshare -m` and a tmpfs mount, which needs root"
    );
    let outside = std::env::temp_dir().join("seedhost-hidden-checkout");
    let output = Command::new("unshare")
        .args(["--mount", "--", "sh", "-c"])
        .arg(r#"mount -t tmpfs -o size=1m,mode=0755 hidden "$0" && exec "$@""#)
        .arg(workspace())
        .arg(installed_binary())
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("SUPABASE_DB_URL")
        .env_remove("RUST_LOG")
        .env_remove("SEEDHOST_SDK_DIR")
        .env("SEEDHOST_CACHE_DIR", outside.join("cache"))
        .env("CARGO_TARGET_DIR", outside.join("scaffolds"))
        .output()
        .expect("unshare runs (util-linux)");
    Run(output)
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_project_made_here_builds_and_runs_in_a_clone_without_the_checkout() {
    need("npm", "builds a TypeScript plugin");
    need("python3", "builds a Python plugin");
    let made = tempfile::tempdir().unwrap();
    let langs = ["rust", "ts", "python"];
    seedhost_hidden(made.path(), &["init"]).ok();
    for lang in langs {
        let name = format!("hello-{lang}");
        let out = seedhost_hidden(made.path(), &["plugin", "new", &name, "--lang", lang])
            .ok()
            .stdout();
        assert!(
            out.contains(&format!("seedhost plugin build {name}")),
            "{out}"
        );
    }
    // What is committed names neither the checkout nor the project's own path.
    git(made.path(), &["init", "-q"]);
    git(made.path(), &["add", "."]);
    git(made.path(), &["commit", "-q", "-m", "seed plugins"]);
    let committed = git(made.path(), &["ls-files"]);
    assert!(!committed.contains(".seedhost/"), "{committed}");
    for file in committed.lines() {
        let text = std::fs::read_to_string(made.path().join(file)).unwrap();
        for path in [workspace(), made.path().to_owned()] {
            assert!(
                !text.contains(&*path.to_string_lossy()),
                "{file} names {}:\n{text}",
                path.display()
            );
        }
    }

    let clones = tempfile::tempdir().unwrap();
    let clone = clones.path().join("elsewhere");
    git(
        clones.path(),
        &["clone", "-q", &made.path().to_string_lossy(), "elsewhere"],
    );
    let pg = PgDb::create();
    for lang in langs {
        let name = format!("hello-{lang}");
        {
            let _one = builds();
            let out = seedhost_hidden(&clone, &["plugin", "build", &name])
                .ok()
                .stdout();
            assert!(out.contains(&format!("built {name}")), "{out}");
        }
        for url in [None, Some(pg.url.as_str())] {
            let mut args = vec!["run", name.as_str(), "--now", "2026-05-01T12:00:00Z"];
            if let Some(url) = url {
                args.extend(["--database-url", url]);
            }
            let said = seedhost_hidden(&clone, &args).ok().stderr();
            assert!(
                said.contains(&format!(
                    "{name} ran for local (reference time 2026-05-01T12:00:00"
                )),
                "{lang} on {url:?}: {said}"
            );
        }
    }
    // npm's lock records the SDK inside the project.
    let lock = std::fs::read_to_string(clone.join("plugins/hello-ts/package-lock.json")).unwrap();
    let carried = format!(".seedhost/sdk/{}/sdk/typescript", env!("CARGO_PKG_VERSION"));
    assert!(lock.contains(&format!("\"../../{carried}\"")), "{lock}");
    assert!(!lock.contains("../../../"), "{lock}");

    // A plugin made with an SDK this binary does not carry: the error says
    // which, and what to change.
    let config = clone.join("seedhost.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let old = text.replacen(
        &format!(".seedhost/sdk/{}", env!("CARGO_PKG_VERSION")),
        ".seedhost/sdk/0.0.9",
        1,
    );
    std::fs::write(&config, old).unwrap();
    let package = clone.join("plugins/hello-rust/Cargo.toml");
    let manifest = std::fs::read_to_string(&package)
        .unwrap()
        .replace(&format!("sdk/{}/", env!("CARGO_PKG_VERSION")), "sdk/0.0.9/");
    std::fs::write(&package, manifest).unwrap();
    let out = seedhost_hidden(&clone, &["plugin", "build", "hello-rust"]).failed();
    assert!(
        out.contains("plugin `hello-rust` was made with seedhost SDK 0.0.9")
            && out.contains(&format!(
                "replace `.seedhost/sdk/0.0.9` with `.seedhost/sdk/{}`",
                env!("CARGO_PKG_VERSION")
            ))
            && out.contains("plugins/hello-rust/Cargo.toml"),
        "{out}"
    );
}

#[test]
fn the_examples_build_in_a_fresh_clone_with_a_binary_built_elsewhere() {
    need("npm", "builds plugins/catalog-ts");
    need("python3", "builds plugins/catalog-py");
    // This repository as committed, cloned where nothing was installed, and
    // a binary whose own checkout is hidden: each example builds with the
    // clone's SDKs (`sdk = "."`), not the checkout the binary came from.
    let clones = tempfile::tempdir().unwrap();
    git(
        clones.path(),
        &["clone", "-q", &workspace().to_string_lossy(), "seedhost"],
    );
    let clone = clones.path().join("seedhost");
    for name in ["catalog-ts", "catalog-py"] {
        let _one = builds();
        let out = seedhost_hidden(&clone, &["plugin", "build", name])
            .ok()
            .stdout();
        assert!(out.contains(&format!("built {name}")), "{out}");
    }
    assert!(
        clone
            .join("sdk/typescript/node_modules/@bytecodealliance/componentize-js")
            .is_dir()
    );
    assert!(
        !clone.join(".seedhost/sdk").exists(),
        "the clone's own SDKs were used"
    );
}

#[test]
fn a_raw_javascript_components_complaint_survives_its_stack_and_abort() {
    // The examples' build installs the SDK's toolchain.
    examples();
    let out = tempfile::tempdir().unwrap();
    let wasm = out.path().join("raw-throw.wasm");
    let built = Command::new("node")
        .arg(workspace().join("sdk/typescript/bin/build.mjs"))
        .arg(workspace().join("host/tests/fixtures-js/raw-throw.js"))
        .arg(&wasm)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let project = Project::new(&format!(
        "\n[plugins.raw-throw]\nwasm = \"{}\"\ntables = []\nprofiles = [\"local\"]\n",
        wasm.display()
    ));
    let run = project.seedhost(&["run", "raw-throw", "--json"]);
    let report = run.json();
    let error = report["plugins"][0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("expected a string") && !error.contains("mozalloc_abort"),
        "{error}"
    );
}

#[test]
fn a_missing_toolchain_is_named() {
    let project = scaffold_project();
    seedhost_at(project.path(), &["plugin", "new", "lost", "--lang", "ts"]).ok();
    let run = seedhost_in(
        project.path(),
        &shared_cache(),
        &["plugin", "build", "lost"],
        &[("PATH", "/nonexistent")],
    );
    let out = run.failed();
    assert!(
        out.contains("TypeScript plugins need `npm`, which is not installed or not on PATH")
            || out
                .contains("TypeScript plugins need `node`, which is not installed or not on PATH"),
        "{out}"
    );
}

#[test]
fn a_failing_plugins_own_words_reach_the_report_in_every_language() {
    need("npm", "builds a TypeScript plugin");
    need("python3", "builds a Python plugin");
    let project = scaffold_project();
    let config = project.path().join("seedhost.toml");
    for (name, lang) in [("probe-ts", "ts"), ("probe-py", "python")] {
        seedhost_at(project.path(), &["plugin", "new", name, "--lang", lang]).ok();
    }
    // Both may write fixture_items: the store error below is a schema error,
    // not a grant refusal.
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("tables = []", "tables = [\"fixture_items\"]");
    std::fs::write(&config, text).unwrap();
    std::fs::write(
        project.path().join("plugins/probe-ts/src/index.ts"),
        r#"import { definePlugin, uuidV5 } from '@seedhost/plugin';
export const { run, metadata } = definePlugin({
  name: 'probe-ts',
  run(ctx) {
    if (ctx.param('mode') === 'same') {
      const r = ctx.random;
      const dns = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
      ctx.info(`same: ${[r.nextU64(), r.nextU64(), r.nextU64()].map((n) => n.toString(16)).join(' ')} ${uuidV5(dns, 'seedhost')} ${ctx.now().toISOString()}`);
      return;
    }
    if (ctx.param('mode') === 'throw') throw new Error('boom 42');
    // No try/catch: the store's refusal escapes.
    ctx.write('fixture_items', { columns: ['id', 'nmae'], conflict: ['id'] }, [[1, 'x']]);
  },
});
"#,
    )
    .unwrap();
    std::fs::write(
        project.path().join("plugins/probe-py/app.py"),
        r#"import seedhost

class Probe(seedhost.Plugin):
    name = "probe-py"

    def run(self, ctx):
        if ctx.param("mode") == "same":
            r = ctx.random
            dns = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
            ctx.info(f"same: {' '.join(format(r.next_u64(), 'x') for _ in range(3))} "
                     f"{seedhost.uuid_v5(dns, 'seedhost')} {ctx.now().isoformat()}")
            return
        raise ValueError("boom 42 from python")

WitWorld = seedhost.world(Probe)
"#,
    )
    .unwrap();
    for name in ["probe-ts", "probe-py"] {
        let _one = builds();
        seedhost_at(project.path(), &["plugin", "build", name]).ok();
    }
    for (args, words) in [
        (vec!["run", "probe-ts", "--param", "mode=throw"], "boom 42"),
        (
            vec!["run", "probe-ts"],
            "table fixture_items has no column \"nmae\"",
        ),
        (vec!["run", "probe-py"], "ValueError: boom 42 from python"),
    ] {
        let mut json = args.clone();
        json.push("--json");
        let run = seedhost_at(project.path(), &json);
        let report = run.json();
        let plugin = &report["plugins"][0];
        let error = plugin["error"].as_str().unwrap_or_default();
        assert_eq!(plugin["name"], args[1], "{report}");
        assert!(error.contains(words), "{args:?}: the report says {error:?}");
        let human = seedhost_at(project.path(), &args).failed();
        assert!(
            human.contains(&format!("plugin `{}`", args[1])) && human.contains(words),
            "{human}"
        );
        assert!(!error.contains("unreachable"), "{error}");
        assert_eq!(plugin["rolled_back"], true, "{report}");
    }
    assert_eq!(
        Db::connect(&format!("sqlite://{}", project.local_db().display())).count("fixture_items"),
        0
    );

    // The deterministic helpers give what the Rust SDK's unit tests pin:
    // the seeded generator (FNV-1a + SplitMix64), UUID v5 and the host's
    // reference time.
    for name in ["probe-ts", "probe-py"] {
        let args = [
            "run",
            name,
            "--param",
            "mode=same",
            "--param",
            "seed=catalog/local",
            "--now",
            "2026-05-01T12:00:00Z",
        ];
        let said = seedhost_at(project.path(), &args).ok().stderr();
        assert!(
            said.contains(
                "same: dbc0ab10d01c6974 f51d0dffd0c2f8ba 9c5d8b72dba4e997 \
                 2e7f4654-5827-5c45-a764-1661a6eb0d5f 2026-05-01T12:00:00"
            ),
            "{name}: {said}"
        );
    }
}
