//! Signals caught from `runner::listen` on, each test in a process of its own
//! (the first signal is kept for the process's life, and a second one ends
//! it): the test re-runs this binary with `SEEDHOST_SIGNALS_CHILD` naming the
//! part to play.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Runs `part` in a child process of this test binary; returns it with its
/// stdout piped.
fn child(test: &str, part: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .env("SEEDHOST_SIGNALS_CHILD", part)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn kill(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_signal_before_anyone_waits_is_kept_for_every_waiter() {
    if std::env::var("SEEDHOST_SIGNALS_CHILD").as_deref() != Ok("kept") {
        let out = child(
            "a_signal_before_anyone_waits_is_kept_for_every_waiter",
            "kept",
        )
        .wait_with_output()
        .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("both waiters saw SIGTERM"),
            "{:?}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    runtime().block_on(async {
        seedhost::runner::listen();
        // Sent before anything waits, as a signal during a run's start-up is:
        // without the handler installed by `listen`, it would end this process.
        kill("TERM", std::process::id());
        tokio::time::sleep(Duration::from_millis(200)).await;
        for _ in 0..2 {
            let seen =
                tokio::time::timeout(Duration::from_secs(5), seedhost::runner::interrupted())
                    .await
                    .expect("the signal was kept");
            assert_eq!(seen, ("SIGTERM", 143));
        }
        println!("both waiters saw SIGTERM");
    });
}

#[test]
fn a_second_signal_ends_the_process_at_once() {
    if std::env::var("SEEDHOST_SIGNALS_CHILD").as_deref() != Ok("second") {
        let mut waiting = child("a_second_signal_ends_the_process_at_once", "second");
        // A child that never gets as far ends, and the test fails, in 60 s.
        let pid = waiting.id();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(60));
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        });
        let mut lines = BufReader::new(waiting.stdout.take().unwrap()).lines();
        for wanted in ["listening", "stopping"] {
            loop {
                let line = lines.next().expect("the child printed").unwrap();
                // libtest's "test NAME ... " may begin the line.
                if line.ends_with(wanted) {
                    break;
                }
            }
            if wanted == "listening" {
                kill("INT", waiting.id());
            }
        }
        // The child now waits on as a commit that never ends would.
        kill("TERM", waiting.id());
        let out = waiting.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(143), "{out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("a second signal (SIGTERM)"),
            "{out:?}"
        );
        return;
    }
    runtime().block_on(async {
        seedhost::runner::listen();
        println!("listening");
        assert_eq!(seedhost::runner::interrupted().await, ("SIGINT", 130));
        println!("stopping");
        std::future::pending::<()>().await;
    });
}
