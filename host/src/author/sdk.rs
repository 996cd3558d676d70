//! The SDKs this binary carries. `plugin new` and `plugin build` need the Rust
//! SDK crate, the TypeScript SDK with its build script, the Python module and
//! the contract: they are compiled into the binary and written, when missing,
//! under the project's `.seedhost/sdk/<version>/`, laid out as a seedhost
//! checkout is (`plugin-sdk/`, `sdk/typescript/`, `sdk/python/`, `wit/`). So a
//! plugin names its SDK by a path inside its own project, with the version it
//! was made with, and builds on any machine that has this binary.
//!
//! The toolchains these install (componentize-js and esbuild from npm,
//! componentize-py from PyPI) are fetched on first use into that directory.

use std::path::{Path, PathBuf};

use super::AuthorError;

/// The SDK version this binary carries: the host's own.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where, below a project's root, the carried SDKs are written.
const SDK_HOME: &str = ".seedhost/sdk";

/// The files of an SDK, by their path in an SDK directory (a checkout's layout).
const FILES: &[(&str, &str)] = &[
    ("wit/plugin.wit", include_str!("../../../wit/plugin.wit")),
    (
        "plugin-sdk/Cargo.toml",
        include_str!("../../../plugin-sdk/Cargo.toml"),
    ),
    (
        "plugin-sdk/src/lib.rs",
        include_str!("../../../plugin-sdk/src/lib.rs"),
    ),
    (
        "plugin-sdk/src/determinism.rs",
        include_str!("../../../plugin-sdk/src/determinism.rs"),
    ),
    (
        "plugin-sdk/src/table.rs",
        include_str!("../../../plugin-sdk/src/table.rs"),
    ),
    (
        "plugin-sdk/src/value.rs",
        include_str!("../../../plugin-sdk/src/value.rs"),
    ),
    (
        "sdk/typescript/package.json",
        include_str!("../../../sdk/typescript/package.json"),
    ),
    (
        "sdk/typescript/package-lock.json",
        include_str!("../../../sdk/typescript/package-lock.json"),
    ),
    (
        "sdk/typescript/tsconfig.json",
        include_str!("../../../sdk/typescript/tsconfig.json"),
    ),
    (
        "sdk/typescript/bin/build.mjs",
        include_str!("../../../sdk/typescript/bin/build.mjs"),
    ),
    (
        "sdk/typescript/src/index.ts",
        include_str!("../../../sdk/typescript/src/index.ts"),
    ),
    (
        "sdk/typescript/src/contract.d.ts",
        include_str!("../../../sdk/typescript/src/contract.d.ts"),
    ),
    (
        "sdk/python/seedhost.py",
        include_str!("../../../sdk/python/seedhost.py"),
    ),
];

/// What every SDK directory holds.
const PARTS: [&str; 4] = ["plugin-sdk", "sdk/typescript", "sdk/python", "wit"];

/// The directory of the carried SDK in the project at `root`.
pub fn carried(root: &Path) -> PathBuf {
    root.join(SDK_HOME).join(VERSION)
}

/// The SDK a plugin builds with: its `sdk`, else `SEEDHOST_SDK_DIR` (for work
/// on the SDKs themselves), else the carried one. The carried one is written
/// first where missing or changed; any other must be complete.
pub fn locate(
    root: &Path,
    plugin: &str,
    configured: Option<&Path>,
    override_dir: Option<&Path>,
) -> Result<PathBuf, AuthorError> {
    let own = carried(root);
    let dir = match (configured, override_dir) {
        (Some(dir), _) => dir.to_owned(),
        (None, Some(dir)) => dir.to_owned(),
        (None, None) => own.clone(),
    };
    if dir == own {
        write(&own)?;
    } else if !complete(&dir) {
        return Err(match older(root, &dir) {
            Some(version) => AuthorError::OldSdk {
                plugin: plugin.to_owned(),
                version,
                files: String::new(),
            },
            None => AuthorError::NoSdk(dir),
        });
    }
    Ok(std::fs::canonicalize(&dir).unwrap_or(dir))
}

/// Whether `dir` holds every SDK.
fn complete(dir: &Path) -> bool {
    PARTS.iter().all(|part| dir.join(part).is_dir())
}

/// The version of another carried SDK that `dir` names, if it names one.
fn older(root: &Path, dir: &Path) -> Option<String> {
    let version = dir.strip_prefix(root.join(SDK_HOME)).ok()?;
    let version = version.to_str()?;
    (!version.is_empty() && !version.contains('/') && version != VERSION)
        .then(|| version.to_owned())
}

/// Writes the carried SDK into `dir`: each file that is missing or differs,
/// through a temporary file renamed into place, so a file is never half
/// written; what the toolchains installed beside them is kept. The project's
/// `.seedhost/` keeps itself out of git.
pub fn write(dir: &Path) -> Result<(), AuthorError> {
    for (file, text) in FILES {
        let path = dir.join(file);
        if std::fs::read(&path).is_ok_and(|old| old == text.as_bytes()) {
            continue;
        }
        let parent = path.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent).map_err(super::io(parent))?;
        let partial = path.with_extension(format!("partial-{}", std::process::id()));
        std::fs::write(&partial, text).map_err(super::io(&partial))?;
        std::fs::rename(&partial, &path).map_err(super::io(&path))?;
    }
    if let Some(home) = dir.ancestors().find(|d| d.ends_with(".seedhost")) {
        let ignore = home.join(".gitignore");
        if !ignore.exists() {
            std::fs::write(
                &ignore,
                "# Written by seedhost: local state, never committed.\n*\n",
            )
            .map_err(super::io(&ignore))?;
        }
    }
    Ok(())
}

/// How a plugin made with SDK `version` moves to this one: the files of its
/// source directory that name the old SDK.
pub fn naming(source: &Path, version: &str) -> Vec<PathBuf> {
    let old = format!("{SDK_HOME}/{version}");
    ["Cargo.toml", "package.json", "tsconfig.json"]
        .iter()
        .map(|file| source.join(file))
        .filter(|path| std::fs::read_to_string(path).is_ok_and(|text| text.contains(&old)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_carried_sdk_is_complete_and_written_only_where_it_differs() {
        let root = tempfile::tempdir().unwrap();
        let dir = locate(root.path(), "p", None, None).unwrap();
        assert!(complete(&dir), "{}", dir.display());
        assert!(dir.ends_with(format!(".seedhost/sdk/{VERSION}")));
        let ignore = root.path().join(".seedhost/.gitignore");
        assert!(std::fs::read_to_string(ignore).unwrap().contains("\n*\n"));
        // A changed file is put back; what npm installed beside it stays.
        let index = dir.join("sdk/typescript/src/index.ts");
        std::fs::write(&index, "edited").unwrap();
        std::fs::create_dir_all(dir.join("sdk/typescript/node_modules/x")).unwrap();
        locate(root.path(), "p", None, None).unwrap();
        assert_ne!(std::fs::read_to_string(&index).unwrap(), "edited");
        assert!(dir.join("sdk/typescript/node_modules/x").is_dir());
        let leftovers: Vec<_> = walk(&dir)
            .into_iter()
            .filter(|p| p.to_string_lossy().contains(".partial-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
        found
    }

    #[test]
    fn the_rust_sdk_stands_alone_with_the_workspaces_pins() {
        let manifest: toml::Table = FILES
            .iter()
            .find(|(f, _)| *f == "plugin-sdk/Cargo.toml")
            .map(|(_, text)| text.parse().unwrap())
            .unwrap();
        let text = manifest.to_string();
        assert!(!text.contains("workspace"), "{text}");
        let workspace: toml::Table = include_str!("../../../Cargo.toml").parse().unwrap();
        let pins = &workspace["workspace"]["dependencies"];
        let deps = &manifest["dependencies"];
        assert_eq!(deps["wit-bindgen"], pins["wit-bindgen"]);
        assert_eq!(deps["sha1_smol"].as_str(), pins["sha1_smol"].as_str());
        let package = &workspace["workspace"]["package"];
        for key in ["edition", "rust-version", "license"] {
            assert_eq!(manifest["package"][key], package[key], "{key}");
        }
        // The SDK's version is the host's: the binary carries it.
        assert_eq!(manifest["package"]["version"].as_str(), Some(VERSION));
    }

    #[test]
    fn the_typescript_sdk_has_the_hosts_version_and_every_source_file() {
        let package: serde_json::Value = FILES
            .iter()
            .find(|(f, _)| *f == "sdk/typescript/package.json")
            .map(|(_, text)| serde_json::from_str(text).unwrap())
            .unwrap();
        assert_eq!(package["version"], VERSION);
        // Every file of the checkout's SDKs that a build reads is carried.
        let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for part in [
            "plugin-sdk/src",
            "sdk/typescript/src",
            "sdk/typescript/bin",
            "wit",
        ] {
            for file in walk(&checkout.join(part)) {
                let relative = file.strip_prefix(&checkout).unwrap();
                assert!(
                    FILES.iter().any(|(f, _)| Path::new(f) == relative),
                    "{} is not carried",
                    relative.display()
                );
            }
        }
    }

    #[test]
    fn an_sdk_this_binary_does_not_carry_is_named_by_version() {
        let root = tempfile::tempdir().unwrap();
        let old = root.path().join(".seedhost/sdk/0.0.1");
        let err = locate(root.path(), "p", Some(&old), None).unwrap_err();
        assert!(
            matches!(&err, AuthorError::OldSdk { version, .. } if version == "0.0.1"),
            "{err}"
        );
        // An older SDK still on disk keeps building.
        for part in PARTS {
            std::fs::create_dir_all(old.join(part)).unwrap();
        }
        assert!(locate(root.path(), "p", Some(&old), None).is_ok());
        let elsewhere = root.path().join("checkout");
        let err = locate(root.path(), "p", Some(&elsewhere), None).unwrap_err();
        assert!(matches!(err, AuthorError::NoSdk(_)), "{err}");
    }
}
