//! Seeds the catalog journey `agentic-ai-mastery`: its 6 chapters, the 3 insights
//! of chapter 1, and synthetic enrollments and ratings that give the landing page
//! realistic social proof (5 and 5 on `local`, 10 and 8 on `staging`).
//!
//! The resulting stats (the `catalog_journey_stats` view): 6 chapters, 0 journey
//! insights (the 3 insights belong to chapter 1, not to the journey), 480 minutes,
//! and on `local` 5 learners rating 4.6 over 5 ratings; on `staging` 10 learners
//! rating 4.6 over 8 ratings (37 / 8 = 4.625, shown to one decimal).

use seedhost_sdk::{Context, Datetime, Plugin, Result, Uuid, export_plugin, info, row, uuid};

struct Catalog;

const JOURNEY: Uuid = uuid!("aaaaaaaa-0001-0001-0001-000000000001");

/// (id, slug, title, summary, estimated minutes); the minutes sum to 480.
const CHAPTERS: [(Uuid, &str, &str, &str, i64); 6] = [
    (
        uuid!("cccccccc-0001-0001-0001-000000000001"),
        "what-makes-an-agent",
        "What Makes an Agent",
        "Perception, reasoning and action: the loop every agent runs.",
        60,
    ),
    (
        uuid!("cccccccc-0001-0001-0001-000000000002"),
        "tools-and-function-calling",
        "Tools and Function Calling",
        "Letting a model act on the world through typed tool interfaces.",
        75,
    ),
    (
        uuid!("cccccccc-0001-0001-0001-000000000003"),
        "memory-and-context",
        "Memory and Context",
        "Short-term context, long-term memory and retrieval.",
        90,
    ),
    (
        uuid!("cccccccc-0001-0001-0001-000000000004"),
        "planning-and-reflection",
        "Planning and Reflection",
        "Decomposing goals, critiquing plans and recovering from failure.",
        85,
    ),
    (
        uuid!("cccccccc-0001-0001-0001-000000000005"),
        "multi-agent-systems",
        "Multi-Agent Systems",
        "Orchestrators, specialists and the protocols between them.",
        80,
    ),
    (
        uuid!("cccccccc-0001-0001-0001-000000000006"),
        "shipping-agents-safely",
        "Shipping Agents Safely",
        "Evaluation, guardrails and observability in production.",
        90,
    ),
];

/// (id, title, body): the insights of chapter 1.
const INSIGHTS: [(Uuid, &str, &str); 3] = [
    (
        uuid!("dddddddd-0001-0001-0001-000000000001"),
        "Agents close the loop",
        "A chatbot answers; an agent observes the result of its action and decides again.",
    ),
    (
        uuid!("dddddddd-0001-0001-0001-000000000002"),
        "Autonomy is a dial",
        "Most useful agents ask for confirmation before irreversible actions.",
    ),
    (
        uuid!("dddddddd-0001-0001-0001-000000000003"),
        "The environment is the spec",
        "What an agent can observe and do defines what it can achieve.",
    ),
];

/// Ratings given by the first learners, in order: 5 on local (avg 4.6),
/// 8 on staging (avg 4.625 → 4.6).
const RATINGS: [i64; 8] = [5, 5, 5, 4, 4, 5, 4, 5];

/// The synthetic learner `n` (1-based): `bbbbbbbb-0001-0001-0001-0000000000nn`.
/// No foreign key on `user_id`, so no auth user is needed.
fn learner(n: u64) -> Uuid {
    // The last group is read as decimal digits so learner 10 is ...000000000010.
    let digits: u128 = format!("{n}").chars().fold(0, |acc, c| {
        (acc << 4) | u128::from(c.to_digit(10).expect("decimal digit"))
    });
    Uuid::from_u128(uuid!("bbbbbbbb-0001-0001-0001-000000000000").as_u128() | digits)
}

/// A fixed instant: re-runs write identical values, so they change nothing.
fn day(n: u64) -> Datetime {
    // 2026-02-23T09:00:00Z, the day the catalog journeys migration landed.
    Datetime::from_unix(1_771_837_200 + n as i64 * 86_400, 0)
}

impl Plugin for Catalog {
    const TABLES: &'static [&'static str] = &[
        "catalog_journeys",
        "catalog_chapters",
        "catalog_journey_chapters",
        "catalog_insights",
        "catalog_chapter_insights",
        "catalog_journey_enrollments",
        "catalog_journey_ratings",
    ];
    const PROFILES: &'static [&'static str] = &["local", "staging"];

    fn run(ctx: &Context) -> Result<()> {
        let (enrollments, ratings) = match ctx.env() {
            "local" => (5, 5),
            "staging" => (10, 8),
            other => {
                return Err(format!(
                    "catalog has data for profiles local and staging, not {other:?}"
                )
                .into());
            }
        };

        // Upsert: the catalog journeys migration already inserted this row.
        let mut journeys = ctx
            .table("catalog_journeys")
            .columns(&["id", "slug", "title", "description", "level", "status"])
            .conflict(&["id"])
            .open()?;
        journeys.push(row![
            JOURNEY,
            "agentic-ai-mastery",
            "Agentic AI Mastery",
            "Design, build and ship AI agents that plan, use tools and work together.",
            "intermediate",
            "published"
        ])?;
        journeys.finish()?;

        let mut chapters = ctx
            .table("catalog_chapters")
            .columns(&["id", "slug", "title", "summary", "estimated_minutes"])
            .conflict(&["id"])
            .open()?;
        for (id, slug, title, summary, minutes) in CHAPTERS {
            chapters.push(row![id, slug, title, summary, minutes])?;
        }
        chapters.finish()?;

        let mut links = ctx
            .table("catalog_journey_chapters")
            .columns(&["journey_id", "chapter_id", "position"])
            .conflict(&["journey_id", "chapter_id"])
            .open()?;
        for (position, (chapter, ..)) in (1i64..).zip(CHAPTERS) {
            links.push(row![JOURNEY, chapter, position])?;
        }
        links.finish()?;

        let mut insights = ctx
            .table("catalog_insights")
            .columns(&["id", "title", "body", "journey_id"])
            .conflict(&["id"])
            .open()?;
        for (id, title, body) in INSIGHTS {
            // Chapter insights: no journey_id, so the landing page's count stays 0.
            insights.push(row![id, title, body, None::<Uuid>])?;
        }
        insights.finish()?;

        let mut chapter_insights = ctx
            .table("catalog_chapter_insights")
            .columns(&["chapter_id", "insight_id", "position"])
            .conflict(&["chapter_id", "insight_id"])
            .open()?;
        for (position, (insight, ..)) in (1i64..).zip(INSIGHTS) {
            chapter_insights.push(row![CHAPTERS[0].0, insight, position])?;
        }
        chapter_insights.finish()?;

        let mut enrolled = ctx
            .table("catalog_journey_enrollments")
            .columns(&["journey_id", "user_id", "status", "enrolled_at"])
            .conflict(&["journey_id", "user_id"])
            .open()?;
        for n in 1..=enrollments {
            enrolled.push(row![JOURNEY, learner(n), "active", day(n)])?;
        }
        enrolled.finish()?;

        let mut rated = ctx
            .table("catalog_journey_ratings")
            .columns(&["journey_id", "user_id", "rating", "rated_at"])
            .conflict(&["journey_id", "user_id"])
            .open()?;
        for (n, rating) in (1..=ratings).zip(RATINGS) {
            rated.push(row![JOURNEY, learner(n), rating, day(n + 7)])?;
        }
        rated.finish()?;

        info!(
            "catalog seeded for {}: {enrollments} enrollments, {ratings} ratings",
            ctx.env()
        );
        Ok(())
    }
}

export_plugin!(Catalog);
