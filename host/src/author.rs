//! For plugin authors: `seedhost plugin new NAME --lang rust|ts|python` writes a
//! plugin from a template and its entry in seedhost.toml; `seedhost plugin build
//! NAME` builds a plugin of any of the three languages with that language's
//! toolchain, then compiles the component into the cache so the first run does
//! not wait for Cranelift.
//!
//! The SDKs and the contract travel inside this binary ([`sdk`]): a plugin
//! names the copy written into its project's `.seedhost/sdk/<version>/`, by a
//! path relative to itself, so the project builds wherever it is cloned.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::config::{self, Config, PluginConfig};
use crate::plan;

pub mod sdk;

/// componentize-py, pinned: 0.25.1 is the release measured with this contract.
pub const COMPONENTIZE_PY: &str = "componentize-py==0.25.1";

/// A plugin's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Rust with `seedhost-sdk`, built by cargo for wasm32-wasip2.
    Rust,
    /// TypeScript with `@seedhost/plugin`, built by esbuild and componentize-js.
    TypeScript,
    /// Python with the `seedhost` module, built by componentize-py.
    Python,
}

impl Lang {
    fn label(self) -> &'static str {
        match self {
            Lang::Rust => "Rust",
            Lang::TypeScript => "TypeScript",
            Lang::Python => "Python",
        }
    }

    /// The language of the plugin in `dir`, from the file that builds it.
    pub fn of(dir: &Path) -> Option<Lang> {
        if dir.join("Cargo.toml").is_file() {
            Some(Lang::Rust)
        } else if dir.join("package.json").is_file() {
            Some(Lang::TypeScript)
        } else if dir.join("app.py").is_file() {
            Some(Lang::Python)
        } else {
            None
        }
    }
}

/// Why a plugin could not be made or built.
#[derive(Debug, Error)]
pub enum AuthorError {
    /// The name is not one seedhost.toml accepts.
    #[error(
        "plugin name {0:?}: use lowercase letters, digits, '-' and '_', starting with a letter"
    )]
    Name(String),
    /// `plugin new` would overwrite something.
    #[error("{0}")]
    Exists(String),
    /// The plugin is not in seedhost.toml.
    #[error("{0}")]
    Unknown(String),
    /// The source directory does not say which language it is.
    #[error(
        "plugin `{plugin}`: {dir} has no Cargo.toml (Rust), package.json (TypeScript) or app.py \
         (Python); set `source` in its seedhost.toml entry to the directory that has"
    )]
    NoSource {
        /// The plugin.
        plugin: String,
        /// Where its source was looked for.
        dir: PathBuf,
    },
    /// The SDKs are not where they were looked for.
    #[error(
        "the seedhost SDKs are not at {0} (it needs plugin-sdk/, sdk/typescript/, sdk/python/ and \
         wit/): point the plugin's `sdk` in seedhost.toml (or SEEDHOST_SDK_DIR) at a directory that \
         has them, or remove `sdk` to build with the SDK this seedhost carries"
    )]
    NoSdk(PathBuf),
    /// The plugin was made with an SDK this binary does not carry.
    #[error(
        "plugin `{plugin}` was made with seedhost SDK {version}, which is not in \
         .seedhost/sdk/{version}/ and which this seedhost (SDK {current}) does not carry: to move it \
         to {current}, replace `.seedhost/sdk/{version}` with `.seedhost/sdk/{current}` in its \
         seedhost.toml entry (`sdk`){files}, then `seedhost plugin build {plugin}`; or build it with \
         seedhost {version}",
        current = sdk::VERSION
    )]
    OldSdk {
        /// The plugin.
        plugin: String,
        /// The SDK version it names.
        version: String,
        /// The files of its source that name it too, as ` and in a, b`.
        files: String,
    },
    /// A tool the language needs is missing.
    #[error("{lang} plugins need `{tool}`, which is not installed or not on PATH: {hint}")]
    Missing {
        /// The language.
        lang: &'static str,
        /// The program.
        tool: String,
        /// How to get it.
        hint: &'static str,
    },
    /// A build step failed; its own output went to stderr above.
    #[error("plugin `{plugin}`: {step} failed ({status}){hint}")]
    Step {
        /// The plugin.
        plugin: String,
        /// The command, as a user would type it.
        step: String,
        /// Its exit status.
        status: String,
        /// What usually fixes it.
        hint: String,
    },
    /// The build ran but the component is not where seedhost.toml says.
    #[error("plugin `{plugin}`: the build wrote no component at {path}")]
    NoComponent {
        /// The plugin.
        plugin: String,
        /// The configured component path.
        path: PathBuf,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The built component does not load.
    #[error(transparent)]
    Load(#[from] crate::sandbox::SandboxError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AuthorError + '_ {
    move |source| AuthorError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The SDK directory for `plugin` (or, for `plugin new`, none yet), made
/// ready: see [`sdk::locate`].
fn sdk_for(
    config: &Config,
    plugin: Option<&PluginConfig>,
    env: &HashMap<String, String>,
) -> Result<PathBuf, AuthorError> {
    let override_dir = env
        .get("SEEDHOST_SDK_DIR")
        .filter(|d| !d.is_empty())
        .map(|d| config.root.join(d));
    let name = plugin.map_or("", |p| p.name.as_str());
    let configured = plugin.and_then(|p| p.sdk.as_deref());
    sdk::locate(&config.root, name, configured, override_dir.as_deref()).map_err(|e| match e {
        AuthorError::OldSdk {
            plugin, version, ..
        } => {
            let source = plugin_source(config, &plugin);
            let files = sdk::naming(&source, &version);
            let files = if files.is_empty() {
                String::new()
            } else {
                let shown: Vec<String> = files
                    .iter()
                    .map(|f| {
                        f.strip_prefix(&config.root)
                            .unwrap_or(f)
                            .display()
                            .to_string()
                    })
                    .collect();
                format!(" and in {}", shown.join(", "))
            };
            AuthorError::OldSdk {
                plugin,
                version,
                files,
            }
        }
        other => other,
    })
}

fn plugin_source(config: &Config, name: &str) -> PathBuf {
    config.plugins.get(name).map_or_else(
        || config.root.join("plugins").join(name),
        |p| p.source.clone(),
    )
}

/// What `plugin new` wrote.
#[derive(Debug)]
pub struct Created {
    /// The plugin's directory.
    pub dir: PathBuf,
    /// The files written, relative to the project root.
    pub files: Vec<PathBuf>,
    /// The component path its seedhost.toml entry names.
    pub wasm: PathBuf,
}

/// Writes plugin `name` in `lang` under `plugins/NAME` of the project and adds
/// its entry to seedhost.toml. Overwrites nothing.
pub fn create(
    config: &Config,
    name: &str,
    lang: Lang,
    env: &HashMap<String, String>,
) -> Result<Created, AuthorError> {
    if !config::is_plugin_name(name) || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(AuthorError::Name(name.to_owned()));
    }
    if config.plugins.contains_key(name) {
        return Err(AuthorError::Exists(format!(
            "plugin `{name}` is already in {}",
            config.path.display()
        )));
    }
    let relative = Path::new("plugins").join(name);
    let dir = config.root.join(&relative);
    if dir.exists() {
        return Err(AuthorError::Exists(format!(
            "{} exists; choose another name or remove it",
            dir.display()
        )));
    }
    // seedhost.toml must be readable and writable before anything is made,
    // and a failure after that removes what was made: nothing half-written.
    let config_text = std::fs::read_to_string(&config.path).map_err(io(&config.path))?;
    std::fs::OpenOptions::new()
        .append(true)
        .open(&config.path)
        .map_err(io(&config.path))?;
    let sdk = sdk_for(config, None, env)?;
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let made = write_plugin(config, &dir, &relative, name, lang, &sdk, config_text);
    if made.is_err() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    made
}

/// The files of `create`, then the entry; `create` undoes them on error.
fn write_plugin(
    config: &Config,
    dir: &Path,
    relative: &Path,
    name: &str,
    lang: Lang,
    sdk: &Path,
    mut text: String,
) -> Result<Created, AuthorError> {
    let sdk_path = relative_path(dir, sdk);
    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{sdk}}", &sdk_path)
            .replace("{{version}}", sdk::VERSION)
    };
    let files: Vec<(&str, &str)> = match lang {
        Lang::Rust => vec![
            ("Cargo.toml", include_str!("../templates/rust/Cargo.toml")),
            ("src/lib.rs", include_str!("../templates/rust/lib.rs")),
            (".gitignore", include_str!("../templates/rust/gitignore")),
        ],
        Lang::TypeScript => vec![
            (
                "package.json",
                include_str!("../templates/typescript/package.json"),
            ),
            (
                "tsconfig.json",
                include_str!("../templates/typescript/tsconfig.json"),
            ),
            (
                "src/index.ts",
                include_str!("../templates/typescript/index.ts"),
            ),
            (
                ".gitignore",
                include_str!("../templates/typescript/gitignore"),
            ),
        ],
        Lang::Python => vec![
            ("app.py", include_str!("../templates/python/app.py")),
            (".gitignore", include_str!("../templates/python/gitignore")),
        ],
    };
    let mut written = Vec::new();
    for (file, template) in files {
        let path = dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, fill(template)).map_err(io(&path))?;
        written.push(relative.join(file));
    }
    let wasm = relative.join("dist").join(format!("{name}.wasm"));
    let entry = format!(
        "\n# A {} plugin: `seedhost plugin build {name}`, then `seedhost run {name}`.\n\
         [plugins.{name}]\n\
         wasm = \"{}\"\n\
         sdk = \"{}\"   # the seedhost SDK it was made with\n\
         tables = []            # the tables it may write\n\
         profiles = [\"local\"]   # the profiles it may run in\n\
         policy = \"always\"      # when `run` runs it: always; on-change (its component, params, \
         profile, a migration or a plugin it comes after changed); once\n",
        lang.label(),
        wasm.display(),
        relative_path(&config.root, sdk),
    );
    if !text.ends_with('\n') && !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&entry);
    std::fs::write(&config.path, text).map_err(io(&config.path))?;
    Ok(Created {
        dir: dir.to_owned(),
        files: written,
        wasm,
    })
}

/// `to` as seen from the directory `from`: relative when both are in one
/// top-level directory (a project inside the checkout), else absolute.
fn relative_path(from: &Path, to: &Path) -> String {
    let from = std::fs::canonicalize(from).unwrap_or_else(|_| from.to_owned());
    let to = std::fs::canonicalize(to).unwrap_or_else(|_| to.to_owned());
    let shared = from
        .components()
        .zip(to.components())
        .take_while(|(a, b)| a == b)
        .count();
    match pathdiff::diff_paths(&to, &from) {
        Some(relative) if shared >= 2 => relative,
        _ => to,
    }
    .display()
    .to_string()
}

/// What `plugin build` did.
#[derive(Debug)]
pub struct Built {
    /// The plugin's language.
    pub lang: &'static str,
    /// The component.
    pub wasm: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// The toolchain's time.
    pub build_time: Duration,
    /// Cranelift's time (nothing when the cache already had it).
    pub compile_time: Duration,
    /// Whether the cache already had it.
    pub cached: bool,
}

/// Builds plugin `name` with its language's toolchain, then compiles its
/// component into the cache. Tool output goes to stderr.
pub fn build(
    config: &Config,
    name: &str,
    env: &HashMap<String, String>,
) -> Result<Built, AuthorError> {
    let mut plugin = config.plugin(name).map_err(AuthorError::Unknown)?.clone();
    let sdk = &sdk_for(config, Some(&plugin), env)?;
    // The tools run in the source directory: paths from a relative --config
    // must not be read from there.
    for path in [&mut plugin.wasm, &mut plugin.source] {
        *path = std::path::absolute(&*path).map_err(io(path))?;
    }
    let plugin = &plugin;
    let lang = Lang::of(&plugin.source).ok_or_else(|| AuthorError::NoSource {
        plugin: name.to_owned(),
        dir: plugin.source.clone(),
    })?;
    let started = Instant::now();
    if let Some(parent) = plugin.wasm.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    // What is there now may be an old build: only a component written by
    // this build counts.
    let before = modified(&plugin.wasm);
    match lang {
        Lang::Rust => build_rust(plugin)?,
        Lang::TypeScript => build_typescript(plugin, sdk)?,
        Lang::Python => build_python(plugin, sdk)?,
    }
    // cargo may rightly find nothing to do; the other builds always write.
    let after = modified(&plugin.wasm);
    let stale = after == before && lang != Lang::Rust;
    if after.is_none() || stale {
        return Err(AuthorError::NoComponent {
            plugin: name.to_owned(),
            path: plugin.wasm.clone(),
        });
    }
    let build_time = started.elapsed();
    let bytes = std::fs::metadata(&plugin.wasm)
        .map_err(io(&plugin.wasm))?
        .len();
    let loaded = plan::sandbox(config, env)?.load(name, &plugin.wasm)?;
    Ok(Built {
        lang: lang.label(),
        wasm: plugin.wasm.clone(),
        bytes,
        build_time,
        compile_time: loaded.load_time,
        cached: loaded.cached,
    })
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Runs `program args` in `dir` with its output on stderr.
fn step(
    plugin: &PluginConfig,
    dir: &Path,
    program: &Path,
    args: &[&str],
    lang: Lang,
    hint: &str,
) -> Result<(), AuthorError> {
    let name = program
        .file_name()
        .unwrap_or(program.as_os_str())
        .to_string_lossy();
    let command = format!("{name} {}", args.join(" "));
    eprintln!("seedhost: {command} in {}", dir.display());
    let shown = format!("`{command}`");
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(std::io::stderr())
        .status()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => missing(lang, program),
            _ => AuthorError::Step {
                plugin: plugin.name.clone(),
                step: shown.clone(),
                status: e.to_string(),
                hint: String::new(),
            },
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(AuthorError::Step {
            plugin: plugin.name.clone(),
            step: shown,
            status: status.to_string(),
            hint: hint.to_owned(),
        })
    }
}

fn missing(lang: Lang, program: &Path) -> AuthorError {
    AuthorError::Missing {
        lang: lang.label(),
        tool: program.display().to_string(),
        hint: match lang {
            Lang::Rust => "install Rust with rustup (https://rustup.rs)",
            Lang::TypeScript => "install Node.js 20 or newer, which comes with npm",
            Lang::Python => "install Python 3.11 or newer with its venv module",
        },
    }
}

fn build_rust(plugin: &PluginConfig) -> Result<(), AuthorError> {
    let cargo = std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
    let manifest = plugin.source.join("Cargo.toml");
    eprintln!(
        "seedhost: cargo build --release --target wasm32-wasip2 --manifest-path {}",
        manifest.display()
    );
    let output = Command::new(&cargo)
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .args([
            "--message-format",
            "json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(&manifest)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => missing(Lang::Rust, &cargo),
            _ => AuthorError::Io {
                path: cargo.clone(),
                source: e,
            },
        })?;
    if !output.status.success() {
        return Err(AuthorError::Step {
            plugin: plugin.name.clone(),
            step: "`cargo build --release --target wasm32-wasip2`".into(),
            status: output.status.to_string(),
            hint:
                " (if it says the target may not be installed: `rustup target add wasm32-wasip2`)"
                    .into(),
        });
    }
    let artifact = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter(|m| {
            m["manifest_path"]
                .as_str()
                .and_then(|p| std::fs::canonicalize(p).ok())
                == std::fs::canonicalize(&manifest).ok()
        })
        .flat_map(|m| {
            m["filenames"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter_map(|f| f.as_str().map(PathBuf::from))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
        .rfind(|f| f.extension().is_some_and(|e| e == "wasm"))
        .ok_or_else(|| AuthorError::NoComponent {
            plugin: plugin.name.clone(),
            path: plugin.wasm.clone(),
        })?;
    let same = std::fs::canonicalize(&artifact).ok() == std::fs::canonicalize(&plugin.wasm).ok();
    if !same {
        std::fs::copy(&artifact, &plugin.wasm).map_err(io(&plugin.wasm))?;
    }
    Ok(())
}

fn build_typescript(plugin: &PluginConfig, sdk: &Path) -> Result<(), AuthorError> {
    let npm = PathBuf::from("npm");
    let node = PathBuf::from("node");
    let ts_sdk = sdk.join("sdk/typescript");
    // The SDK's build tools (componentize-js, esbuild) live in the SDK's own
    // node_modules, shared by every plugin that depends on it by path.
    if !ts_sdk
        .join("node_modules/@bytecodealliance/componentize-js")
        .is_dir()
    {
        let install = if ts_sdk.join("package-lock.json").is_file() {
            ["ci", "--no-audit", "--no-fund"]
        } else {
            ["install", "--no-audit", "--no-fund"]
        };
        step(
            plugin,
            &ts_sdk,
            &npm,
            &install,
            Lang::TypeScript,
            " (is the npm registry reachable?)",
        )?;
    }
    if !plugin.source.join("node_modules/@seedhost/plugin").exists() {
        step(
            plugin,
            &plugin.source,
            &npm,
            &["install", "--no-audit", "--no-fund"],
            Lang::TypeScript,
            "",
        )?;
    }
    let tool = ts_sdk.join("bin/build.mjs");
    let wit = sdk.join("wit");
    step(
        plugin,
        &plugin.source,
        &node,
        &[
            &tool.to_string_lossy(),
            "src/index.ts",
            &plugin.wasm.to_string_lossy(),
            "--wit",
            &wit.to_string_lossy(),
        ],
        Lang::TypeScript,
        "",
    )
}

fn build_python(plugin: &PluginConfig, sdk: &Path) -> Result<(), AuthorError> {
    let py_sdk = sdk.join("sdk/python");
    let venv = py_sdk.join(".venv");
    let componentize = venv.join("bin/componentize-py");
    if !componentize.is_file() {
        step(
            plugin,
            &py_sdk,
            Path::new("python3"),
            &["-m", "venv", ".venv"],
            Lang::Python,
            " (on Debian and Ubuntu: `apt-get install python3-venv`)",
        )?;
        step(
            plugin,
            &py_sdk,
            &venv.join("bin/pip"),
            &["install", "--quiet", COMPONENTIZE_PY],
            Lang::Python,
            " (is PyPI reachable?)",
        )?;
    }
    step(
        plugin,
        &plugin.source,
        &componentize,
        &[
            "-d",
            &sdk.join("wit").to_string_lossy(),
            "-w",
            "described-plugin",
            "componentize",
            "app",
            "-p",
            ".",
            "-p",
            &py_sdk.to_string_lossy(),
            "-o",
            &plugin.wasm.to_string_lossy(),
        ],
        Lang::Python,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seedhost.toml");
        std::fs::write(&path, "# mine\nmigrations = \"migrations\"").unwrap();
        let config = Config::load(&path).unwrap();
        (dir, config)
    }

    #[test]
    fn new_writes_the_template_and_an_entry_that_loads() {
        let env = HashMap::new();
        for (name, lang, file) in [
            ("seed-rs", Lang::Rust, "src/lib.rs"),
            ("seed-ts", Lang::TypeScript, "src/index.ts"),
            ("seed-py", Lang::Python, "app.py"),
        ] {
            let (dir, config) = project();
            let created = create(&config, name, lang, &env).unwrap();
            let source = std::fs::read_to_string(created.dir.join(file)).unwrap();
            assert!(source.contains(name) && !source.contains("{{"), "{source}");
            assert_eq!(Lang::of(&created.dir), Some(lang));
            let config = Config::load(&dir.path().join("seedhost.toml")).unwrap();
            let plugin = &config.plugins[name];
            assert_eq!(plugin.source, dir.path().join("plugins").join(name));
            assert!(plugin.wasm.ends_with(format!("dist/{name}.wasm")));
            let text = std::fs::read_to_string(&config.path).unwrap();
            assert!(
                text.starts_with("# mine\n"),
                "the file is appended to: {text}"
            );
            // Nothing is overwritten.
            assert!(matches!(
                create(&config, name, lang, &env),
                Err(AuthorError::Exists(_))
            ));
        }
    }

    #[test]
    fn new_refuses_bad_names_and_existing_directories() {
        let env = HashMap::new();
        let (dir, config) = project();
        for bad in ["", "Seed", "9seed", "a b", "../x"] {
            assert!(
                matches!(
                    create(&config, bad, Lang::Rust, &env),
                    Err(AuthorError::Name(_))
                ),
                "{bad}"
            );
        }
        std::fs::create_dir_all(dir.path().join("plugins/taken")).unwrap();
        let err = create(&config, "taken", Lang::Python, &env).unwrap_err();
        assert!(err.to_string().contains("plugins/taken exists"), "{err}");
        let text = std::fs::read_to_string(&config.path).unwrap();
        assert!(!text.contains("taken"), "no entry for a refused plugin");
    }

    #[test]
    fn new_makes_nothing_when_seedhost_toml_cannot_be_used() {
        let (dir, config) = project();
        // Gone since it was loaded, and a directory in its place: unreadable
        // and unwritable, even for root.
        std::fs::remove_file(&config.path).unwrap();
        std::fs::create_dir(&config.path).unwrap();
        let err = create(&config, "seed", Lang::Python, &HashMap::new()).unwrap_err();
        assert!(err.to_string().contains("seedhost.toml"), "{err}");
        assert!(!dir.path().join("plugins/seed").exists());
    }

    #[test]
    fn new_names_the_carried_sdk_by_a_relative_path_with_its_version() {
        let env = HashMap::new();
        let carried = format!(".seedhost/sdk/{}", sdk::VERSION);
        for (name, lang, files) in [
            ("seed-rs", Lang::Rust, &["Cargo.toml"][..]),
            (
                "seed-ts",
                Lang::TypeScript,
                &["package.json", "tsconfig.json"][..],
            ),
            ("seed-py", Lang::Python, &[][..]),
        ] {
            let (dir, config) = project();
            let created = create(&config, name, lang, &env).unwrap();
            for file in files {
                let text = std::fs::read_to_string(created.dir.join(file)).unwrap();
                assert!(
                    text.contains(&format!("../../{carried}/")),
                    "{file}: {text}"
                );
            }
            for file in &created.files {
                let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
                let root = dir.path().to_string_lossy();
                assert!(!text.contains(&*root), "{}: {text}", file.display());
                assert!(!text.contains(env!("CARGO_MANIFEST_DIR")), "{text}");
            }
            let config = Config::load(&dir.path().join("seedhost.toml")).unwrap();
            assert_eq!(config.plugins[name].sdk, Some(dir.path().join(&carried)));
            // The SDK is there for an editor at once, and built with later.
            assert!(dir.path().join(&carried).join("wit/plugin.wit").is_file());
        }
    }

    #[test]
    fn template_paths_to_the_sdk_are_relative_inside_one_tree() {
        let root = tempfile::tempdir().unwrap();
        let from = root.path().join("project/plugins/x");
        let sdk = root.path().join("checkout");
        std::fs::create_dir_all(&from).unwrap();
        std::fs::create_dir_all(&sdk).unwrap();
        assert_eq!(relative_path(&from, &sdk), "../../../checkout");
        assert_eq!(relative_path(&from, Path::new("/")), "/");
    }
}
