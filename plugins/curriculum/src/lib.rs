//! Seeds the full Agentic AI curriculum where the baseline migration has not:
//! staging and production databases whose history predates it, or whose content
//! was cleared. The rows are exactly the migration's (`data.rs` and
//! `20241229000002_seed_agentic_ai_curriculum.sql` were generated together), so
//! on a migrated database every row is reported unchanged.

mod data;

use data::{BEACONS, CONCEPTS, PREREQUISITES, SPARKS, TRAILS};
use seedhost_sdk::{
    Context, Datetime, Plugin, Result, Table, Uuid, export_plugin, info, row, uuid,
};

struct Curriculum;

const SNAPSHOT: Uuid = uuid!("66666666-0001-0001-0001-000000000001");
const DOMAIN: Uuid = uuid!("11111111-0001-0001-0001-000000000001");

/// `PREFIX-0001-0001-0001-<n>` with `n` written in decimal digits, as the
/// migration spells them.
fn id(prefix: u32, n: usize) -> Uuid {
    let digits = format!("{n:012}");
    Uuid::parse(&format!("{prefix:08x}-0001-0001-0001-{digits}")).expect("a valid uuid")
}

fn trail(i: usize) -> Uuid {
    id(0x2222_2222, i + 1)
}

fn concept(i: usize) -> Uuid {
    id(0x3333_3333, i + 1)
}

fn spark(i: usize) -> Uuid {
    id(0x4444_4444, i + 1)
}

fn beacon(i: usize) -> Uuid {
    id(0x5555_5555, i + 1)
}

/// 1-based positions of items within their parent, in order of appearance.
fn positions(parents: impl Iterator<Item = usize>) -> Vec<i64> {
    let mut seen = std::collections::HashMap::new();
    parents
        .map(|p| {
            let n = seen.entry(p).or_insert(0);
            *n += 1;
            *n
        })
        .collect()
}

fn open(ctx: &Context, table: &str, columns: &[&str], conflict: &[&str]) -> Result<Table> {
    ctx.table(table).columns(columns).conflict(conflict).open()
}

impl Plugin for Curriculum {
    const TABLES: &'static [&'static str] = &[
        "content_snapshots",
        "domains",
        "trails",
        "concepts",
        "concept_prerequisites",
        "sparks",
        "beacons",
    ];

    fn run(ctx: &Context) -> Result<()> {
        let mut snapshots = open(
            ctx,
            "content_snapshots",
            &["id", "version", "status", "description", "published_at"],
            &["id"],
        )?;
        // 2024-12-29T00:00:00Z
        let published = Datetime::from_unix(1_735_430_400, 0);
        snapshots.push(row![
            SNAPSHOT,
            1,
            "published",
            "Initial Agentic AI curriculum",
            published
        ])?;
        snapshots.finish()?;

        let mut domains = open(
            ctx,
            "domains",
            &[
                "id",
                "snapshot_id",
                "slug",
                "title",
                "description",
                "position",
            ],
            &["id"],
        )?;
        domains.push(row![
            DOMAIN,
            SNAPSHOT,
            "agentic-ai",
            "Agentic AI",
            "Design, build and run AI agents.",
            1
        ])?;
        domains.finish()?;

        let mut trails = open(
            ctx,
            "trails",
            &[
                "id",
                "snapshot_id",
                "domain_id",
                "slug",
                "title",
                "description",
                "position",
            ],
            &["id"],
        )?;
        for (i, (slug, title, description)) in TRAILS.into_iter().enumerate() {
            trails.push(row![
                trail(i),
                SNAPSHOT,
                DOMAIN,
                slug,
                title,
                description,
                i as i64 + 1
            ])?;
        }
        trails.finish()?;

        let mut concepts = open(
            ctx,
            "concepts",
            &[
                "id",
                "snapshot_id",
                "trail_id",
                "slug",
                "title",
                "summary",
                "position",
            ],
            &["id"],
        )?;
        let position = positions(CONCEPTS.iter().map(|c| c.0));
        for (i, (t, slug, title, summary)) in CONCEPTS.into_iter().enumerate() {
            concepts.push(row![
                concept(i),
                SNAPSHOT,
                trail(t),
                slug,
                title,
                summary,
                position[i]
            ])?;
        }
        concepts.finish()?;

        let mut prerequisites = open(
            ctx,
            "concept_prerequisites",
            &["concept_id", "prerequisite_id"],
            &["concept_id", "prerequisite_id"],
        )?;
        for (c, p) in PREREQUISITES {
            prerequisites.push(row![concept(c), concept(p)])?;
        }
        prerequisites.finish()?;

        let mut sparks = open(
            ctx,
            "sparks",
            &[
                "id",
                "snapshot_id",
                "concept_id",
                "slug",
                "title",
                "body",
                "estimated_minutes",
                "position",
            ],
            &["id"],
        )?;
        let position = positions(SPARKS.iter().map(|s| s.0));
        for (i, (c, slug, title, body, minutes)) in SPARKS.into_iter().enumerate() {
            sparks.push(row![
                spark(i),
                SNAPSHOT,
                concept(c),
                slug,
                title,
                body,
                minutes,
                position[i]
            ])?;
        }
        sparks.finish()?;

        let mut beacons = open(
            ctx,
            "beacons",
            &[
                "id",
                "snapshot_id",
                "spark_id",
                "slug",
                "title",
                "prompt",
                "kind",
            ],
            &["id"],
        )?;
        for (i, (s, slug, title, prompt, kind)) in BEACONS.into_iter().enumerate() {
            beacons.push(row![
                beacon(i),
                SNAPSHOT,
                spark(s),
                slug,
                title,
                prompt,
                kind
            ])?;
        }
        beacons.finish()?;

        info!(
            "curriculum: 1 domain, {} trails, {} concepts, {} sparks, {} beacons, {} prerequisites",
            TRAILS.len(),
            CONCEPTS.len(),
            SPARKS.len(),
            BEACONS.len(),
            PREREQUISITES.len()
        );
        Ok(())
    }
}

export_plugin!(Curriculum);
