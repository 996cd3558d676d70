//! Run policies: whether a selected plugin runs, given the seed ledger of the
//! database. Pure: `run`, `plan` and `status` gather the facts, this decides,
//! so a plan and the run after it cannot disagree.

use std::collections::{BTreeSet, HashSet};

use crate::config::{Config, Policy};
use crate::ledger::{self, LastRun};

/// What is known of a plugin about to run.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its policy.
    pub policy: Policy,
    /// SHA-256 of its component.
    pub digest: &'a str,
    /// SHA-256 of the parameters it would get.
    pub params_digest: &'a str,
    /// The profile it would run in.
    pub profile: &'a str,
}

/// What the database and this invocation say.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The ledger's last run of each seed.
    pub ledger: &'a [LastRun],
    /// The newest migration applied once this run has migrated.
    pub newest_migration: Option<&'a str>,
    /// How many migrations are applied once this run has migrated.
    pub migrations_applied: i64,
    /// Whether a seed file ran earlier in this invocation (every plugin
    /// comes after the seed files).
    pub seeded_now: bool,
    /// Plugins that ran successfully earlier in this invocation.
    pub ran_now: &'a HashSet<String>,
    /// `--ignore-policy`.
    pub ignore: bool,
}

/// Why a plugin does not run, or nothing when it runs.
pub fn skip_reason(config: &Config, plugin: &Candidate, facts: &Facts) -> Option<String> {
    if facts.ignore || plugin.policy == Policy::Always {
        return None;
    }
    let last = |name: &str| {
        facts
            .ledger
            .iter()
            .find(|r| r.kind == ledger::PLUGIN && r.name == name)
    };
    // Never ran here: it runs.
    let mine = last(plugin.name)?;
    match plugin.policy {
        Policy::Always => None,
        Policy::Once => Some(format!("once: ran at {}", mine.finished_at)),
        Policy::OnChange => {
            let changed = mine.digest != plugin.digest
                || mine.params_digest != plugin.params_digest
                || mine.profile != plugin.profile
                || mine.migration_version.as_deref() != facts.newest_migration
                || mine.migrations_applied != facts.migrations_applied
                || facts.seeded_now
                || facts
                    .ledger
                    .iter()
                    .any(|r| r.kind == ledger::SEED_FILE && r.id > mine.id)
                || ancestors(config, plugin.name).iter().any(|before| {
                    facts.ran_now.contains(*before)
                        || last(before).is_some_and(|theirs| theirs.id > mine.id)
                });
            (!changed).then(|| format!("unchanged since {}", mine.finished_at))
        }
    }
}

/// Why a seed file does not run, or nothing when it runs. seedhost's ledger
/// decides where it has the file: its content is what ran last (under
/// `once`: it ran at all). Where it has not, the Supabase CLI's record
/// (`cli`, `(path, hash)`, where its history is kept) does: the same hash
/// (under `once`: the path at all) means the CLI seeded it. (The CLI's
/// `db push --include-seed` updates a changed file's hash without running it,
/// so only the first sight trusts it: a run that skips for the CLI records
/// the file in the ledger.)
pub fn seed_file_skip_reason(
    policy: Policy,
    path: &str,
    hash: &str,
    ledger: &[LastRun],
    cli: &[(String, String)],
    ignore: bool,
) -> Option<String> {
    if ignore {
        return None;
    }
    let ours = ledger
        .iter()
        .find(|r| r.kind == ledger::SEED_FILE && r.name == path);
    let theirs = cli.iter().find(|(p, _)| p == path).map(|(_, h)| h.as_str());
    match (policy, ours, theirs) {
        (Policy::Once, Some(ours), _) => Some(format!("once: ran at {}", ours.finished_at)),
        (Policy::Once, None, Some(_)) => Some("once: the Supabase CLI seeded it".to_owned()),
        (Policy::Once, None, None) => None,
        (_, Some(ours), _) if ours.digest == hash => {
            Some(format!("unchanged since {}", ours.finished_at))
        }
        (_, None, Some(theirs)) if theirs == hash => Some(
            "unchanged since the Supabase CLI seeded it (supabase_migrations.seed_files)"
                .to_owned(),
        ),
        _ => None,
    }
}

/// What changed for a plugin since its last run, for `status`: its component,
/// its parameters, or neither (nothing when it never ran).
pub fn changed_since<'l>(
    ledger: &'l [LastRun],
    name: &str,
    digest: Option<&str>,
    params_digest: &str,
) -> Option<(&'l LastRun, Vec<&'static str>)> {
    let mine = ledger
        .iter()
        .find(|r| r.kind == ledger::PLUGIN && r.name == name)?;
    let mut changed = Vec::new();
    if digest.is_some_and(|d| d != mine.digest) {
        changed.push("component");
    }
    if params_digest != mine.params_digest {
        changed.push("params");
    }
    Some((mine, changed))
}

/// The plugins `name` comes after, directly or not.
fn ancestors<'c>(config: &'c Config, name: &str) -> BTreeSet<&'c str> {
    let mut found = BTreeSet::new();
    let mut todo: Vec<&str> = config
        .plugins
        .get(name)
        .map(|p| p.after.iter().map(String::as_str).collect())
        .unwrap_or_default();
    while let Some(next) = todo.pop() {
        if let Some((key, plugin)) = config.plugins.get_key_value(next)
            && found.insert(key.as_str())
        {
            todo.extend(plugin.after.iter().map(String::as_str));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config() -> Config {
        Config::parse(
            "[plugins.a]\nwasm = 'a.wasm'\ntables = []\nprofiles = ['local']\n\
             [plugins.b]\nwasm = 'b.wasm'\ntables = []\nprofiles = ['local']\nafter = ['a']\npolicy = 'on-change'\n\
             [plugins.c]\nwasm = 'c.wasm'\ntables = []\nprofiles = ['local']\nafter = ['b']\npolicy = 'on-change'\n\
             [plugins.d]\nwasm = 'd.wasm'\ntables = []\nprofiles = ['local']\npolicy = 'once'\n",
            Path::new("seedhost.toml"),
            Path::new("/"),
        )
        .unwrap()
    }

    fn run(id: i64, name: &str) -> LastRun {
        LastRun {
            id,
            kind: ledger::PLUGIN.into(),
            name: name.into(),
            profile: "local".into(),
            digest: "d1".into(),
            params_digest: "p1".into(),
            migration_version: Some("2".into()),
            migrations_applied: 2,
            finished_at: format!("2026-12-03T10:00:0{id}Z"),
        }
    }

    fn candidate(name: &str, policy: Policy) -> Candidate<'_> {
        Candidate {
            name,
            policy,
            digest: "d1",
            params_digest: "p1",
            profile: "local",
        }
    }

    #[test]
    fn on_change_skips_only_what_nothing_changed_for() {
        let config = config();
        let none = HashSet::new();
        let ledger = [run(1, "a"), run(2, "b"), run(3, "c")];
        let facts = Facts {
            ledger: &ledger,
            newest_migration: Some("2"),
            migrations_applied: 2,
            seeded_now: false,
            ran_now: &none,
            ignore: false,
        };
        let c = candidate("c", Policy::OnChange);
        assert_eq!(
            skip_reason(&config, &c, &facts).as_deref(),
            Some("unchanged since 2026-12-03T10:00:03Z")
        );
        // Each change makes it run.
        for changed in [
            Candidate {
                digest: "d2",
                ..c.clone()
            },
            Candidate {
                params_digest: "p2",
                ..c.clone()
            },
            Candidate {
                profile: "staging",
                ..c.clone()
            },
        ] {
            assert_eq!(skip_reason(&config, &changed, &facts), None, "{changed:?}");
        }
        let migrated = Facts {
            newest_migration: Some("3"),
            ..facts.clone()
        };
        assert_eq!(skip_reason(&config, &c, &migrated), None);
        // An older migration merged late: the newest is the same, the count not.
        let late = Facts {
            migrations_applied: 3,
            ..facts.clone()
        };
        assert_eq!(skip_reason(&config, &c, &late), None);
        // A seed file ran since, or runs now: every plugin comes after them.
        let mut seeded = ledger.to_vec();
        seeded.push(LastRun {
            kind: ledger::SEED_FILE.into(),
            ..run(9, "supabase/seed.sql")
        });
        let after_seed = Facts {
            ledger: &seeded,
            ..facts.clone()
        };
        assert_eq!(skip_reason(&config, &c, &after_seed), None);
        let seeding = Facts {
            seeded_now: true,
            ..facts.clone()
        };
        assert_eq!(skip_reason(&config, &c, &seeding), None);
        // A plugin it follows, even through another, ran later: in the ledger
        // or in this invocation.
        let later = [run(1, "b"), run(2, "c"), run(4, "a")];
        let facts_later = Facts {
            ledger: &later,
            ..facts.clone()
        };
        assert_eq!(skip_reason(&config, &c, &facts_later), None);
        let now = HashSet::from(["a".to_owned()]);
        let ran_now = Facts {
            ran_now: &now,
            ..facts.clone()
        };
        assert_eq!(skip_reason(&config, &c, &ran_now), None);
        // Never ran: it runs. --ignore-policy: it runs.
        assert_eq!(
            skip_reason(
                &config,
                &candidate("b", Policy::OnChange),
                &Facts {
                    ledger: &[],
                    ..facts.clone()
                }
            ),
            None
        );
        assert_eq!(
            skip_reason(
                &config,
                &c,
                &Facts {
                    ignore: true,
                    ..facts.clone()
                }
            ),
            None
        );
    }

    #[test]
    fn once_runs_while_the_ledger_holds_no_run_and_always_always_runs() {
        let config = config();
        let none = HashSet::new();
        let facts = Facts {
            ledger: &[],
            newest_migration: None,
            migrations_applied: 0,
            seeded_now: false,
            ran_now: &none,
            ignore: false,
        };
        let d = candidate("d", Policy::Once);
        assert_eq!(skip_reason(&config, &d, &facts), None);
        let ledger = [run(5, "d"), run(6, "a")];
        let ran = Facts {
            ledger: &ledger,
            ..facts.clone()
        };
        assert_eq!(
            skip_reason(
                &config,
                &Candidate {
                    digest: "new",
                    ..d.clone()
                },
                &ran
            )
            .as_deref(),
            Some("once: ran at 2026-12-03T10:00:05Z")
        );
        assert_eq!(
            skip_reason(&config, &candidate("a", Policy::Always), &ran),
            None
        );
    }

    #[test]
    fn a_seed_file_runs_when_its_content_is_new_to_both_records() {
        let mut ours = run(7, "supabase/seed.sql");
        ours.kind = ledger::SEED_FILE.into();
        ours.digest = "h1".into();
        let ledger = [ours];
        let cli = [("supabase/seed.sql".to_owned(), "h2".to_owned())];
        let on_change = |hash, ledger: &[LastRun], cli: &[(String, String)]| {
            seed_file_skip_reason(
                Policy::OnChange,
                "supabase/seed.sql",
                hash,
                ledger,
                cli,
                false,
            )
        };
        assert_eq!(on_change("h3", &ledger, &cli), None, "an edit runs again");
        assert!(
            on_change("h1", &ledger, &cli)
                .unwrap()
                .starts_with("unchanged since 2026")
        );
        // The ledger decides where it has the file: the CLI's push updates a
        // hash without running the file.
        assert_eq!(on_change("h2", &ledger, &cli), None);
        assert!(
            on_change("h2", &[], &cli)
                .unwrap()
                .contains("Supabase CLI seeded it")
        );
        assert_eq!(on_change("h1", &[], &[]), None);
        let once = |ledger: &[LastRun], cli: &[(String, String)]| {
            seed_file_skip_reason(Policy::Once, "supabase/seed.sql", "h9", ledger, cli, false)
        };
        assert!(once(&ledger, &[]).unwrap().starts_with("once: ran at"));
        assert!(
            once(&[], &cli)
                .unwrap()
                .starts_with("once: the Supabase CLI")
        );
        assert_eq!(once(&[], &[]), None);
        assert_eq!(
            seed_file_skip_reason(Policy::Once, "supabase/seed.sql", "h1", &ledger, &cli, true),
            None
        );
    }

    #[test]
    fn status_says_what_changed_since_the_last_run() {
        let ledger = [run(1, "a")];
        assert!(changed_since(&ledger, "b", None, "p1").is_none());
        let (last, changed) = changed_since(&ledger, "a", Some("d2"), "p1").unwrap();
        assert_eq!((last.id, changed), (1, vec!["component"]));
        let (_, changed) = changed_since(&ledger, "a", Some("d1"), "p2").unwrap();
        assert_eq!(changed, vec!["params"]);
    }
}
