//! Components built against earlier contract versions, linked to the same
//! host calls. Each version only adds to the one before (0.2.0 added
//! `writer.write-json`), and the component model checks types by structure,
//! so an earlier version's imports are the current host functions under the
//! earlier instance names, minus what was added since. The bindings that
//! `bindgen!` generates register only the current names; this registers
//! the others.

use wasmtime::component::{Linker, Resource, ResourceType};

use crate::contract::store::{HostWriter, Writer};
use crate::contract::{Counts, StoreError, Target, Value, log, params, store};

use super::host::HostState;

/// Registers `seedhost:plugin@0.1.0`'s interfaces.
pub fn add_0_1_0(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    const V: &str = "0.1.0";
    // Types only: the instance exists, its records and variants are
    // checked against the component's by structure.
    linker.instance(&format!("seedhost:plugin/types@{V}"))?;

    let mut store = linker.instance(&format!("seedhost:plugin/store@{V}"))?;
    store.resource("writer", ResourceType::host::<Writer>(), |mut cx, rep| {
        HostWriter::drop(cx.data_mut(), Resource::new_own(rep))
    })?;
    store.func_wrap(
        "[static]writer.open",
        |mut cx,
         (target,): (Target,)|
         -> wasmtime::Result<(Result<Resource<Writer>, StoreError>,)> {
            Ok((HostWriter::open(cx.data_mut(), target),))
        },
    )?;
    store.func_wrap(
        "[method]writer.write",
        |mut cx,
         (writer, values): (Resource<Writer>, Vec<Value>)|
         -> wasmtime::Result<(Result<(), StoreError>,)> {
            Ok((HostWriter::write(cx.data_mut(), writer, values),))
        },
    )?;
    store.func_wrap(
        "[method]writer.finish",
        |mut cx,
         (writer,): (Resource<Writer>,)|
         -> wasmtime::Result<(Result<Counts, StoreError>,)> {
            Ok((HostWriter::finish(cx.data_mut(), writer),))
        },
    )?;
    store.func_wrap(
        "upsert",
        |mut cx,
         (target, values): (Target, Vec<Value>)|
         -> wasmtime::Result<(Result<Counts, StoreError>,)> {
            Ok((store::Host::upsert(cx.data_mut(), target, values),))
        },
    )?;

    let mut log = linker.instance(&format!("seedhost:plugin/log@{V}"))?;
    log.func_wrap(
        "log",
        |mut cx, (level, message): (log::Level, String)| -> wasmtime::Result<()> {
            log::Host::log(cx.data_mut(), level, message);
            Ok(())
        },
    )?;

    let mut params = linker.instance(&format!("seedhost:plugin/params@{V}"))?;
    params.func_wrap(
        "get",
        |mut cx, (key,): (String,)| -> wasmtime::Result<(Option<String>,)> {
            Ok((params::Host::get(cx.data_mut(), key),))
        },
    )?;
    params.func_wrap(
        "all",
        |mut cx, (): ()| -> wasmtime::Result<(Vec<(String, String)>,)> {
            Ok((params::Host::all(cx.data_mut()),))
        },
    )?;
    Ok(())
}
