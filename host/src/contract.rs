//! The plugin contract as the host sees it: the types generated from `wit/`,
//! and the version check that runs before a component is instantiated.
//!
//! A leaf: it imports nothing from the rest of the crate, and every layer may
//! import it. The guest's `writer` resource is a bare handle here (`Writer`,
//! an empty type behind `Resource<Writer>`): the host side keeps each writer in
//! the store session's own table and the handle carries only its number, the
//! way Spin's factors hand out `Resource::new_own(id)` and read `rep()`.

use wasmtime::Engine;
use wasmtime::component::Component;

/// The bindings `wasmtime::component::bindgen!` generates for the `plugin` world.
mod bindings {
    #![allow(missing_docs)]
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "plugin",
        additional_derives: [PartialEq],
    });
}

/// The interfaces a plugin imports, whose host sides the sandbox implements.
pub use bindings::seedhost::plugin::{log, params, store, types};
pub use bindings::{Plugin, PluginPre};
pub use types::{Counts, Datetime, Metadata, OnConflict, StoreError, Target, Uuid, Value};

impl Counts {
    /// No rows.
    pub fn zero() -> Counts {
        Counts {
            inserted: 0,
            updated: 0,
            unchanged: 0,
        }
    }

    /// Adds what `more` counted.
    pub fn add(&mut self, more: Counts) {
        self.inserted += more.inserted;
        self.updated += more.updated;
        self.unchanged += more.unchanged;
    }
}

impl StoreError {
    /// The error's text, whatever its kind.
    pub fn message(&self) -> &str {
        match self {
            StoreError::Denied(m)
            | StoreError::Schema(m)
            | StoreError::Value(m)
            | StoreError::Database(m)
            | StoreError::Usage(m) => m,
        }
    }
}

/// The WIT package this host implements.
pub const PACKAGE: &str = "seedhost:plugin";
/// Its version: the contract version plugins are built against.
pub const VERSION: &str = "0.2.0";

/// Every version this host loads, oldest first. The older ones are linked to
/// the same host calls (a later version only adds); see `sandbox::compat`.
pub const RELEASES: [&str; 2] = ["0.1.0", VERSION];

/// The contract version a component was built against, read from the names of
/// its `seedhost:plugin/...@VERSION` imports. `None` when it imports nothing of
/// ours (it cannot write, but it is not incompatible either).
pub fn component_version(engine: &Engine, component: &Component) -> Option<String> {
    let prefix = format!("{PACKAGE}/");
    component
        .component_type()
        .imports(engine)
        .find_map(|(name, _)| {
            let rest = name.strip_prefix(&prefix)?;
            Some(rest.split_once('@').map_or("", |(_, v)| v).to_owned())
        })
}

/// Whether a component built against `theirs` can link against this host:
/// the release track of one of [`RELEASES`] (for 0.x, the same minor version;
/// after 1.0, the same major), as wasmtime's linker resolves semver-compatible
/// imports.
pub fn compatible(theirs: &str) -> bool {
    track(theirs).is_some() && RELEASES.iter().any(|ours| track(theirs) == track(ours))
}

fn track(version: &str) -> Option<(u64, Option<u64>)> {
    let mut parts = version.split('.');
    let major: u64 = parts.next()?.parse().ok()?;
    let minor: u64 = parts.next()?.parse().ok()?;
    Some(if major == 0 {
        (0, Some(minor))
    } else {
        (major, None)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_track_is_compatible() {
        assert!(compatible("0.1.0"));
        assert!(compatible("0.1.7"));
        assert!(compatible("0.2.0"));
        assert!(!compatible("0.3.0"));
        assert!(!compatible("1.1.0"));
        assert!(!compatible(""));
        assert!(!compatible("zero"));
    }

    #[test]
    fn counts_add_up() {
        let mut total = Counts::zero();
        total.add(Counts {
            inserted: 1,
            updated: 2,
            unchanged: 3,
        });
        total.add(Counts {
            inserted: 10,
            updated: 0,
            unchanged: 1,
        });
        assert_eq!((total.inserted, total.updated, total.unchanged), (11, 2, 4));
    }
}
