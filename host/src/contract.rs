//! The plugin contract as the host sees it: bindings generated from `wit/` and
//! the version check that runs before a component is instantiated.

use wasmtime::Engine;
use wasmtime::component::Component;

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
    with: {
        "seedhost:plugin/store.writer": crate::store::WriterHandle,
    },
});

pub use self::seedhost::plugin::types::{
    Counts, Datetime, Metadata, OnConflict, StoreError, Target, Uuid, Value,
};

/// The WIT package this host implements.
pub const PACKAGE: &str = "seedhost:plugin";
/// Its version: the contract version plugins are built against.
pub const VERSION: &str = "0.1.0";

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
/// the same release track (for 0.x, the same minor version; after 1.0, the
/// same major), as wasmtime's linker resolves semver-compatible imports.
pub fn compatible(theirs: &str) -> bool {
    track(theirs).is_some() && track(theirs) == track(VERSION)
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
        assert!(!compatible("0.2.0"));
        assert!(!compatible("1.1.0"));
        assert!(!compatible(""));
        assert!(!compatible("zero"));
    }
}
