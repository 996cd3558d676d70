//! One command on many databases (`--targets FILE`): each target gets exactly
//! the transactions of a single run, at most `--jobs` at a time, with the
//! components compiled once and shared. One target's failure neither stops
//! nor rolls back the others (`--fail-fast` stops starting new ones).
//!
//! Connections: a target in flight holds its own (the single-run pool of
//! one) and, for a moment while it connects, the pooler check's second one;
//! a target waiting for its turn holds none. So at most `2 × jobs`.

use std::fmt::Write as _;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::Semaphore;

use crate::report::{Case, Report, Summary, new_table};
use crate::targets::Target;
use crate::verify::escape;

/// How a fan-out runs.
#[derive(Debug, Clone, Copy)]
pub struct FanOptions {
    /// How many targets are in flight at once (at least 1).
    pub jobs: usize,
    /// Start no new target once one has failed.
    pub fail_fast: bool,
    /// A progress bar over the targets, on stderr.
    pub progress: bool,
}

/// The default `--jobs`: the number of cores.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// One target's outcome.
#[derive(Debug, Clone)]
pub struct TargetOutcome {
    /// The target as reports show it (password redacted).
    pub target: String,
    /// Its single-target report, as `--json` prints it; `None` when it never
    /// started (`--fail-fast`, a signal).
    pub report: Option<serde_json::Value>,
    /// Its summary line.
    pub summary: Summary,
    /// Its single-target exit status.
    pub exit_status: u8,
    /// Wall time, from the moment it started.
    pub duration: Duration,
}

/// What a fan-out did, target by target, in the order of the targets file.
#[derive(Debug, Clone)]
pub struct FanoutReport {
    /// The command (`run`, `migrate`, `verify`, `status`, `plan`, `setup`).
    pub command: String,
    /// `--jobs`.
    pub jobs: usize,
    /// Every target, in the file's order.
    pub targets: Vec<TargetOutcome>,
    /// Wall time of the whole fan-out.
    pub duration: Duration,
    /// The exit status a signal that stopped it calls for (130, 143).
    pub interrupted: Option<u8>,
}

/// Runs `one` on every target, at most `options.jobs` at once, and gathers
/// their reports. Never fails as a whole: a target's failure is in its report.
pub async fn fan_out<R, F, Fut>(
    command: &str,
    targets: Vec<Target>,
    options: FanOptions,
    one: F,
) -> FanoutReport
where
    R: Report + Send + 'static,
    F: Fn(Target) -> Fut,
    Fut: Future<Output = R> + Send + 'static,
{
    let started = Instant::now();
    let jobs = options.jobs.max(1);
    let slots = Arc::new(Semaphore::new(jobs));
    // Set by a failure under --fail-fast, or by a signal: no new target starts.
    let stop = Arc::new(AtomicBool::new(false));
    let signal = Arc::new(AtomicU8::new(0));
    let bar = options
        .progress
        .then(|| crate::progress::counter(targets.len() as u64, "targets"));
    let watcher = {
        let (stop, signal) = (stop.clone(), signal.clone());
        tokio::spawn(async move {
            let (_, status) = crate::runner::interrupted().await;
            signal.store(status, Ordering::SeqCst);
            stop.store(true, Ordering::SeqCst);
        })
    };
    let mut tasks = tokio::task::JoinSet::new();
    let mut outcomes: Vec<Option<TargetOutcome>> = vec![None; targets.len()];
    for (index, target) in targets.iter().enumerate() {
        // Taken here, in the file's order, before the target's task exists:
        // targets start in order, and a stop is seen before the next starts.
        let slot = slots.clone().acquire_owned().await.expect("never closed");
        if stop.load(Ordering::SeqCst) {
            outcomes[index] = Some(not_started(target.label()));
            continue;
        }
        let label = target.label();
        let work = one(target.clone());
        let (stop, bar) = (stop.clone(), bar.clone());
        let fail_fast = options.fail_fast;
        tasks.spawn(async move {
            let _slot = slot;
            let clock = Instant::now();
            let report = work.await;
            let outcome = TargetOutcome::of(label, &report, clock.elapsed());
            if fail_fast && outcome.exit_status == 1 {
                stop.store(true, Ordering::SeqCst);
            }
            if let Some(bar) = &bar {
                bar.inc(1);
            }
            (index, outcome)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, outcome)) => outcomes[index] = Some(outcome),
            Err(e) => tracing::error!("a target's task ended abnormally: {e}"),
        }
    }
    watcher.abort();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let targets = outcomes
        .into_iter()
        .zip(&targets)
        .map(|(outcome, target)| {
            outcome.unwrap_or_else(|| TargetOutcome {
                summary: Summary {
                    error: Some("its task ended abnormally (see the log)".into()),
                    ..Summary::default()
                },
                exit_status: 1,
                ..not_started(target.label())
            })
        })
        .collect();
    let interrupted = match signal.load(Ordering::SeqCst) {
        0 => None,
        status => Some(status),
    };
    FanoutReport {
        command: command.to_owned(),
        jobs,
        targets,
        duration: started.elapsed(),
        interrupted,
    }
}

fn not_started(target: String) -> TargetOutcome {
    TargetOutcome {
        target,
        report: None,
        summary: Summary::default(),
        exit_status: 0,
        duration: Duration::ZERO,
    }
}

impl TargetOutcome {
    /// `report`'s outcome on `target`, which took `duration`.
    pub fn of(target: String, report: &impl Report, duration: Duration) -> TargetOutcome {
        TargetOutcome {
            target,
            report: serde_json::to_value(report).ok(),
            summary: report.summary(),
            exit_status: report.exit_status(),
            duration,
        }
    }

    fn started(&self) -> bool {
        self.report.is_some()
    }

    fn status(&self) -> &'static str {
        match (self.started(), self.exit_status) {
            (false, 0) => "not started",
            (false, _) => "failed",
            (true, 0) => "ok",
            // `plan --detailed-exitcode`: something would change.
            (true, 2) if self.summary.error.is_none() => "changes",
            (true, _) => "failed",
        }
    }
}

impl FanoutReport {
    /// A command's report on one database, as a fan-out of one (for `--junit`).
    pub fn single(command: &str, outcome: TargetOutcome) -> FanoutReport {
        FanoutReport {
            command: command.to_owned(),
            jobs: 1,
            duration: outcome.duration,
            targets: vec![outcome],
            interrupted: None,
        }
    }

    fn count(&self, status: &str) -> usize {
        self.targets.iter().filter(|t| t.status() == status).count()
    }

    /// Whether the fan-out was cut short: targets left unstarted.
    fn cut_short(&self) -> bool {
        self.count("not started") > 0
    }

    /// JUnit XML: one test suite per target, a test case per step of it.
    pub fn to_junit(&self) -> String {
        let cases = |t: &TargetOutcome| -> Vec<Case> {
            if t.started() {
                t.summary.cases.clone()
            } else {
                vec![Case {
                    name: self.command.clone(),
                    skipped: Some("not started".into()),
                    ..Case::default()
                }]
            }
        };
        let all: Vec<(&TargetOutcome, Vec<Case>)> =
            self.targets.iter().map(|t| (t, cases(t))).collect();
        let failures = |cases: &[Case]| cases.iter().filter(|c| c.failure.is_some()).count();
        let total: usize = all.iter().map(|(_, c)| c.len()).sum();
        let failed: usize = all.iter().map(|(_, c)| failures(c)).sum();
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            xml,
            "<testsuites name=\"seedhost {}\" tests=\"{total}\" failures=\"{failed}\" time=\"{:.3}\">",
            escape(&self.command),
            self.duration.as_secs_f64()
        );
        for (t, cases) in &all {
            let skipped = cases.iter().filter(|c| c.skipped.is_some()).count();
            let _ = writeln!(
                xml,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{skipped}\" time=\"{:.3}\">",
                escape(&t.target),
                cases.len(),
                failures(cases),
                t.duration.as_secs_f64()
            );
            for c in cases {
                let _ = write!(
                    xml,
                    "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                    escape(&t.target),
                    escape(&c.name),
                    c.duration_ms as f64 / 1000.0
                );
                match (&c.failure, &c.skipped) {
                    (Some(failure), _) => {
                        let _ = writeln!(
                            xml,
                            ">\n      <failure message=\"{}\"/>\n    </testcase>",
                            escape(failure)
                        );
                    }
                    (None, Some(reason)) => {
                        let _ = writeln!(
                            xml,
                            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                            escape(reason)
                        );
                    }
                    (None, None) => xml.push_str("/>\n"),
                }
            }
            xml.push_str("  </testsuite>\n");
        }
        xml.push_str("</testsuites>\n");
        xml
    }
}

impl Serialize for FanoutReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let targets: Vec<serde_json::Value> = self
            .targets
            .iter()
            .map(|t| {
                let mut entry = serde_json::json!({
                    "target": t.target,
                    "status": t.status(),
                    "duration_ms": t.duration.as_millis() as u64,
                });
                match &t.report {
                    // The single-target report, with the target's name and time.
                    Some(serde_json::Value::Object(report)) => {
                        let mut merged = report.clone();
                        if let serde_json::Value::Object(extra) = entry {
                            merged.extend(extra);
                        }
                        entry = serde_json::Value::Object(merged);
                    }
                    _ => {
                        entry["error"] = serde_json::json!(t.summary.error);
                    }
                }
                entry
            })
            .collect();
        serde_json::json!({
            "command": self.command,
            "jobs": self.jobs,
            "duration_ms": self.duration.as_millis() as u64,
            "succeeded": self.count("ok") + self.count("changes"),
            "failed": self.count("failed"),
            "not_started": self.count("not started"),
            "targets": targets,
        })
        .serialize(serializer)
    }
}

impl Report for FanoutReport {
    /// Every target succeeded (under `plan --detailed-exitcode`, without error).
    fn succeeded(&self) -> bool {
        self.exit_status() == 0
    }

    /// A signal's status; else 1 when a target failed or never started; else
    /// the highest target's (`plan --detailed-exitcode`: 2, something would change).
    fn exit_status(&self) -> u8 {
        if let Some(status) = self.interrupted {
            return status;
        }
        if self.count("failed") > 0 || self.cut_short() {
            return 1;
        }
        self.targets
            .iter()
            .map(|t| t.exit_status)
            .max()
            .unwrap_or(0)
    }

    fn to_human(&self) -> String {
        let reads = matches!(self.command.as_str(), "status" | "plan");
        let migrations = if reads {
            "migrations pending"
        } else {
            "migrations applied"
        };
        let plugins = if self.command == "plan" {
            "would run / skip"
        } else {
            "run / skipped"
        };
        let mut table = new_table([
            "target",
            migrations,
            plugins,
            "rows inserted / updated",
            "status",
            "time",
        ]);
        for t in &self.targets {
            let s = &t.summary;
            let started = t.started();
            let show = |text: String| if started { text } else { "-".to_owned() };
            table.add_row([
                t.target.clone(),
                show(s.migrations.to_string()),
                show(format!("{} / {}", s.plugins_run, s.plugins_skipped)),
                show(format!("{} / {}", s.inserted, s.updated)),
                t.status().to_owned(),
                show(format!("{:.2} s", t.duration.as_secs_f64())),
            ]);
        }
        let mut out = format!("{table}\n");
        for t in &self.targets {
            if let Some(error) = t.summary.error.as_ref().filter(|_| t.started()) {
                let _ = writeln!(out, "{}: {error}", t.target);
            }
        }
        let _ = write!(
            out,
            "{} targets, {} ok, {} failed",
            self.targets.len(),
            self.count("ok") + self.count("changes"),
            self.count("failed")
        );
        if self.cut_short() {
            let why = if self.interrupted.is_some() {
                "interrupted"
            } else {
                "--fail-fast"
            };
            let _ = write!(out, ", {} not started ({why})", self.count("not started"));
        }
        let _ = writeln!(
            out,
            " · {} at a time · {:.2} s",
            self.jobs,
            self.duration.as_secs_f64()
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Fake {
        ok: bool,
        error: Option<String>,
    }

    impl Report for Fake {
        fn succeeded(&self) -> bool {
            self.ok
        }
        fn to_human(&self) -> String {
            String::new()
        }
    }

    fn targets(n: usize) -> Vec<Target> {
        (1..=n)
            .map(|i| Target::Url {
                url: format!("postgres://u:pw{i}@h/db{i}"),
                line: i,
            })
            .collect()
    }

    fn options(jobs: usize, fail_fast: bool) -> FanOptions {
        FanOptions {
            jobs,
            fail_fast,
            progress: false,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn never_more_in_flight_than_jobs_and_reports_in_file_order() {
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let report = fan_out("run", targets(9), options(3, false), |t| {
            let (running, peak) = (running.clone(), peak.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                // Later targets finish first.
                let wait = 30 - 3 * t.line() as u64;
                tokio::time::sleep(Duration::from_millis(wait)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                Fake {
                    ok: t.line() != 4,
                    error: None,
                }
            }
        })
        .await;
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        let order: Vec<&str> = report.targets.iter().map(|t| t.target.as_str()).collect();
        assert_eq!(order[0], "postgres://u:***@h/db1");
        assert_eq!(order[8], "postgres://u:***@h/db9");
        // One failure fails the fan-out but stops nothing.
        assert_eq!(report.count("failed"), 1);
        assert_eq!(report.count("ok"), 8);
        assert_eq!(report.exit_status(), 1);
        let json = report.to_json();
        assert!(!json.contains("pw1"), "{json}");
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["targets"].as_array().unwrap().len(), 9);
        assert_eq!(parsed["targets"][3]["status"], "failed");
        assert_eq!(parsed["targets"][3]["ok"], false);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fail_fast_starts_nothing_after_a_failure() {
        let report = fan_out("migrate", targets(6), options(1, true), |t| async move {
            Fake {
                ok: t.line() != 2,
                error: None,
            }
        })
        .await;
        let statuses: Vec<&str> = report.targets.iter().map(TargetOutcome::status).collect();
        assert_eq!(
            statuses,
            [
                "ok",
                "failed",
                "not started",
                "not started",
                "not started",
                "not started"
            ]
        );
        assert_eq!(report.exit_status(), 1);
        let human = report.to_human();
        assert!(human.contains("4 not started (--fail-fast)"), "{human}");
        let junit = report.to_junit();
        assert!(
            junit.contains("<skipped message=\"not started\"/>"),
            "{junit}"
        );
        assert_eq!(junit.matches("<testsuite ").count(), 6, "{junit}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn all_ok_exits_zero() {
        let report = fan_out("status", targets(2), options(8, false), |_| async {
            Fake {
                ok: true,
                error: None,
            }
        })
        .await;
        assert_eq!(report.exit_status(), 0);
        assert!(report.to_human().contains("2 targets, 2 ok, 0 failed"));
    }
}
