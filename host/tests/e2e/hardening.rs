//! Faults found by trying seedhost as an operator and an attacker would
//! (shared/findings/reliability.md, security.md), each with the test that
//! failed before its fix.

use crate::harness::*;

const CHATTY: &str = r#"
[plugins.chatty]
wasm = "{wasm}/chatty.wasm"
tables = []
profiles = ["local"]
"#;

#[test]
fn verify_survives_a_plugin_that_prints_from_its_metadata() {
    let project = Project::new(CHATTY);
    let junit = project.path().join("verify.xml");
    let run = project.seedhost(&["verify", "--junit", junit.to_str().unwrap()]);
    let out = format!("{}\n{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), Some(0), "{out}");
    assert!(out.contains("chatty 1.0.0: tables and profiles within the grant"), "{out}");
    assert!(out.contains("describing myself"), "the plugin's output reaches the log: {out}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<testsuite name=\"chatty\" tests=\"3\" failures=\"0\">"), "{xml}");
}
