//! The host's layering, checked from its sources: every import points down
//! the row's path (the README's Layout section names each room's job).
//!
//! Each top-level module of `host/src` has a rank in [`LAYERS`]; a module may
//! import only modules of a lower rank, so there is no import circle and no
//! upward import. `contract` (the bindings) imports nothing from the crate,
//! and `db` nothing but the redaction helper. Inside a directory module, the
//! files import each other without a circle, and `mod.rs` is only a facade
//! (module declarations and re-exports). Imports are read from the token
//! stream, macro bodies included, so `bindgen!`'s `with:` counts too.
//!
//!     cargo test -p seedhost --test imports

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// The top-level modules, top of the path first, with their rank: a module
/// imports only modules of a lower rank.
const LAYERS: &[(&str, u8)] = &[
    ("cli", 11),     // flags, help, dispatch
    ("fanout", 10),  // one command on many databases
    ("verify", 9),   // CI checks of plugins
    ("preview", 9),  // seedhost plan: what run would do
    ("template", 9), // template databases: build once, copy fast
    ("init", 8),     // seedhost init
    ("author", 8),   // plugin new, plugin build
    ("runner", 8),   // commands that write
    ("inspect", 8),  // commands that read: status, smoke
    ("plan", 7),     // deciding before connecting
    ("policy", 7),   // run policies against the seed ledger
    ("report", 7),   // what a command did
    ("sandbox", 6),  // wasmtime: engine, cache, host calls
    ("store", 5),    // the checks and the backends' upserts
    ("migrate", 5),  // migration files and records, both histories
    ("ledger", 5),   // the seed ledger: what ran in a database
    ("seedfile", 6), // Supabase's seed files and the CLI's record of them
    ("convert", 4),  // values to column data
    ("smoke", 4),    // smoke checks and their SQL
    ("config", 4),   // seedhost.toml
    ("targets", 4),  // the targets file of a fan-out
    ("schema", 3),   // live tables, columns, keys
    ("grant", 3),    // what a plugin may touch
    ("profile", 3),  // --env and the URL chain
    ("progress", 3), // spinners on a terminal
    ("db", 2),       // connections, transactions, quoting
    ("redact", 1),   // passwords out of URLs
    ("shown", 1),    // plugin text made safe to show
    ("contract", 0), // the WIT bindings
];

/// What a module may import, for the two that are held to less than their rank.
const ONLY: &[(&str, &[&str])] = &[("contract", &[]), ("db", &["redact"])];

/// A module as a path below the crate root: `["store", "session"]`.
type Module = Vec<String>;

struct Source {
    module: Module,
    file: PathBuf,
    tokens: TokenStream,
    facade: bool,
}

fn sources() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    collect(&src, &src, &mut out);
    assert!(
        out.len() > 10,
        "read only {} files of {}",
        out.len(),
        src.display()
    );
    out
}

fn collect(src: &Path, dir: &Path, out: &mut Vec<Source>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(src, &path, out);
            continue;
        }
        if path.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let relative = path.strip_prefix(src).unwrap().with_extension("");
        let mut module: Module = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let facade = module.last().is_some_and(|m| m == "mod");
        if facade {
            module.pop();
        }
        if module == ["lib"] || module == ["main"] {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let tokens = TokenStream::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: cannot tokenize: {e:?}", path.display()));
        out.push(Source {
            module,
            file: path,
            tokens,
            facade,
        });
    }
}

/// Every module path `tokens` names through `crate::` or `super::`, as written
/// (the caller resolves it to a file). `module` is the file's own module,
/// `depth` how many inline `mod { }` blocks surround the tokens.
fn imports(tokens: TokenStream, module: &[String], depth: usize, out: &mut Vec<Module>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let ident = |i: usize| match tokens.get(i) {
        Some(TokenTree::Ident(id)) => Some(id.to_string()),
        _ => None,
    };
    let colons = |i: usize| {
        matches!((tokens.get(i), tokens.get(i + 1)),
            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) if a.as_char() == ':' && b.as_char() == ':')
    };
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Group(group) => {
                // `mod name { ... }`: one level deeper for `super`.
                let inline_mod = i >= 2
                    && ident(i - 2).as_deref() == Some("mod")
                    && group.delimiter() == Delimiter::Brace;
                imports(group.stream(), module, depth + usize::from(inline_mod), out);
            }
            TokenTree::Ident(id) if *id == "crate" && colons(i + 1) => {
                // `crate::a::b` or `crate::{a, b::c}`.
                match tokens.get(i + 3) {
                    Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
                        for item in split_commas(g.stream()) {
                            if let Some(path) = leading_path(&item) {
                                out.push(path);
                            }
                        }
                    }
                    _ => {
                        if let Some(path) = leading_path(&tokens[i + 3..]) {
                            out.push(path);
                        }
                    }
                }
                i += 3;
                continue;
            }
            TokenTree::Ident(id) if *id == "super" && colons(i + 1) => {
                let mut ups = 0;
                let mut j = i;
                while ident(j).as_deref() == Some("super") && colons(j + 1) {
                    ups += 1;
                    j += 3;
                }
                if ups > depth {
                    // Leaves the file: `super` of the file's own module.
                    let keep = module.len().saturating_sub(ups - depth);
                    let path: Module = module[..keep].to_vec();
                    let rest: Vec<Vec<TokenTree>> = match tokens.get(j) {
                        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
                            split_commas(g.stream())
                        }
                        _ => vec![tokens[j..].to_vec()],
                    };
                    for item in rest {
                        let mut p = path.clone();
                        p.extend(leading_path(&item).unwrap_or_default());
                        out.push(p);
                    }
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
}

fn split_commas(stream: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut items = vec![Vec::new()];
    for t in stream {
        match &t {
            TokenTree::Punct(p) if p.as_char() == ',' => items.push(Vec::new()),
            _ => items.last_mut().unwrap().push(t),
        }
    }
    items
}

/// `a::b::c` at the start of `tokens`, as far as it goes.
fn leading_path(tokens: &[TokenTree]) -> Option<Module> {
    let mut path = Vec::new();
    let mut i = 0;
    while let Some(TokenTree::Ident(id)) = tokens.get(i) {
        path.push(id.to_string());
        match (tokens.get(i + 1), tokens.get(i + 2)) {
            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                if a.as_char() == ':' && b.as_char() == ':' =>
            {
                i += 3
            }
            _ => break,
        }
    }
    (!path.is_empty()).then_some(path)
}

/// The longest prefix of `path` that is a module with a file of its own.
fn resolve(path: &[String], modules: &BTreeSet<Module>) -> Option<Module> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|m| modules.contains(m))
}

/// The module graph: file module → file modules it imports.
fn graph(sources: &[Source]) -> BTreeMap<Module, BTreeSet<Module>> {
    let modules: BTreeSet<Module> = sources.iter().map(|s| s.module.clone()).collect();
    let mut graph = BTreeMap::new();
    for source in sources {
        let mut found = Vec::new();
        imports(source.tokens.clone(), &source.module, 0, &mut found);
        let edges: BTreeSet<Module> = found
            .iter()
            .filter_map(|p| resolve(p, &modules))
            .filter(|m| *m != source.module)
            .collect();
        graph.insert(source.module.clone(), edges);
    }
    graph
}

fn rank(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

/// Every violation of the layering in `sources`.
fn violations(sources: &[Source]) -> Vec<String> {
    let mut problems = Vec::new();
    let tops: BTreeSet<&str> = sources.iter().map(|s| s.module[0].as_str()).collect();
    for top in &tops {
        if rank(top).is_none() {
            problems.push(format!(
                "module `{top}` has no place in LAYERS: give it a rank"
            ));
        }
    }
    for (layer, _) in LAYERS {
        if !tops.contains(layer) {
            problems.push(format!("LAYERS names `{layer}`, which has no file"));
        }
    }
    let graph = graph(sources);
    for (from, edges) in &graph {
        for to in edges {
            let (a, b) = (from[0].as_str(), to[0].as_str());
            if a == b {
                continue;
            }
            if let Some((_, allowed)) = ONLY.iter().find(|(m, _)| *m == a)
                && !allowed.contains(&b)
            {
                problems.push(format!(
                    "{} imports {}: `{a}` may import only {allowed:?}",
                    from.join("::"),
                    to.join("::")
                ));
                continue;
            }
            if let (Some(ra), Some(rb)) = (rank(a), rank(b))
                && rb >= ra
            {
                problems.push(format!(
                    "{} imports {}, which is not below it (rank {ra} → {rb})",
                    from.join("::"),
                    to.join("::")
                ));
            }
        }
    }
    problems.extend(circles(&graph));
    for source in sources.iter().filter(|s| s.facade) {
        let mut previous = String::new();
        for t in source.tokens.clone() {
            if let TokenTree::Ident(id) = &t {
                let word = id.to_string();
                let item = [
                    "fn", "struct", "enum", "impl", "const", "static", "trait", "type",
                ];
                if item.contains(&word.as_str()) && previous != "use" {
                    problems.push(format!(
                        "{}: a mod.rs only declares and re-exports, but it defines a `{word}`",
                        source.file.display()
                    ));
                    break;
                }
                previous = word;
            }
        }
    }
    problems
}

/// Import circles among file modules, each named once.
fn circles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<String> {
    fn visit(
        node: &Module,
        graph: &BTreeMap<Module, BTreeSet<Module>>,
        done: &mut BTreeSet<Module>,
        path: &mut Vec<Module>,
        found: &mut Vec<String>,
    ) {
        if let Some(start) = path.iter().position(|m| m == node) {
            let mut circle: Vec<String> = path[start..].iter().map(|m| m.join("::")).collect();
            circle.push(node.join("::"));
            found.push(format!("import circle: {}", circle.join(" → ")));
            return;
        }
        if done.contains(node) {
            return;
        }
        path.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, done, path, found);
        }
        path.pop();
        done.insert(node.clone());
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, graph, &mut done, &mut Vec::new(), &mut found);
    }
    found
}

#[test]
fn every_import_points_down_the_path() {
    let problems = violations(&sources());
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

/// The check itself finds what it is for, on made-up sources.
#[test]
fn the_check_finds_upward_imports_circles_and_busy_facades() {
    let source = |module: &str, text: &str| Source {
        facade: module.ends_with("::mod"),
        module: module
            .trim_end_matches("::mod")
            .split("::")
            .map(str::to_owned)
            .collect(),
        file: PathBuf::from(module),
        tokens: TokenStream::from_str(text).unwrap(),
    };
    let mut tree: Vec<Source> = LAYERS.iter().map(|(m, _)| source(m, "fn f() {}")).collect();
    assert!(violations(&tree).is_empty(), "{:?}", violations(&tree));
    tree.push(source("db", "use crate::{redact::redact, schema::Kind};"));
    tree.push(source(
        "contract",
        "bindgen!({ with: { \"a\": crate::store::WriterHandle } });",
    ));
    tree.push(source(
        "store::mod",
        "mod a; mod b; pub use a::X; fn helper() {}",
    ));
    tree.push(source(
        "store::a",
        "use super::b::Y; mod tests { use super::*; }",
    ));
    tree.push(source("store::b", "fn f() { super::a::g(); }"));
    tree.push(source("schema", "use crate::convert::ColumnData;"));
    let problems = violations(&tree).join("\n");
    for expected in [
        "db imports schema: `db` may import only [\"redact\"]",
        "contract imports store: `contract` may import only []",
        "schema imports convert, which is not below it (rank 3 → 4)",
        "import circle: store::a → store::b → store::a",
        "store::mod: a mod.rs only declares and re-exports, but it defines a `fn`",
    ] {
        assert!(
            problems.contains(expected),
            "missing {expected:?} in:\n{problems}"
        );
    }
    assert!(!problems.contains("db imports redact"), "{problems}");
    assert!(
        !problems.contains("store::a imports store::a"),
        "{problems}"
    );
}
