"""Seeds the catalog journey `agentic-ai-mastery`: the Python twin of
plugins/catalog (Rust) and plugins/catalog-ts. All three write the same rows."""

from datetime import datetime, timedelta, timezone

import seedhost
from seedhost import uuid

JOURNEY = uuid("aaaaaaaa-0001-0001-0001-000000000001")

# (id, slug, title, summary, estimated minutes); the minutes sum to 480.
CHAPTERS = [
    (uuid("cccccccc-0001-0001-0001-000000000001"), "what-makes-an-agent", "What Makes an Agent",
     "Perception, reasoning and action: the loop every agent runs.", 60),
    (uuid("cccccccc-0001-0001-0001-000000000002"), "tools-and-function-calling", "Tools and Function Calling",
     "Letting a model act on the world through typed tool interfaces.", 75),
    (uuid("cccccccc-0001-0001-0001-000000000003"), "memory-and-context", "Memory and Context",
     "Short-term context, long-term memory and retrieval.", 90),
    (uuid("cccccccc-0001-0001-0001-000000000004"), "planning-and-reflection", "Planning and Reflection",
     "Decomposing goals, critiquing plans and recovering from failure.", 85),
    (uuid("cccccccc-0001-0001-0001-000000000005"), "multi-agent-systems", "Multi-Agent Systems",
     "Orchestrators, specialists and the protocols between them.", 80),
    (uuid("cccccccc-0001-0001-0001-000000000006"), "shipping-agents-safely", "Shipping Agents Safely",
     "Evaluation, guardrails and observability in production.", 90),
]

# (id, title, body): the insights of chapter 1.
INSIGHTS = [
    (uuid("dddddddd-0001-0001-0001-000000000001"), "Agents close the loop",
     "A chatbot answers; an agent observes the result of its action and decides again."),
    (uuid("dddddddd-0001-0001-0001-000000000002"), "Autonomy is a dial",
     "Most useful agents ask for confirmation before irreversible actions."),
    (uuid("dddddddd-0001-0001-0001-000000000003"), "The environment is the spec",
     "What an agent can observe and do defines what it can achieve."),
]

# Ratings of the first learners: 5 on local (avg 4.6), 8 on staging (4.625).
RATINGS = [5, 5, 5, 4, 4, 5, 4, 5]
SIZES = {"local": (5, 5), "staging": (10, 8)}


def learner(n: int):
    """Learner n (1-based): bbbbbbbb-0001-0001-0001-0000000000nn, n in decimal digits."""
    return uuid(f"bbbbbbbb-0001-0001-0001-{n:012d}")


def day(n: int) -> datetime:
    """2026-02-23T09:00:00Z plus n days: fixed, so re-runs change nothing."""
    return datetime(2026, 2, 23, 9, tzinfo=timezone.utc) + timedelta(days=n)


class Catalog(seedhost.Plugin):
    name = "catalog-py"
    description = "The catalog journey agentic-ai-mastery, in Python."
    tables = [
        "catalog_journeys",
        "catalog_chapters",
        "catalog_journey_chapters",
        "catalog_insights",
        "catalog_chapter_insights",
        "catalog_journey_enrollments",
        "catalog_journey_ratings",
    ]
    profiles = ["local", "staging"]

    def run(self, ctx: seedhost.Context) -> None:
        if ctx.env not in SIZES:
            raise ValueError(f'catalog-py has data for profiles local and staging, not "{ctx.env}"')
        enrollments, ratings = SIZES[ctx.env]
        ctx.write("catalog_journeys", [(
            JOURNEY, "agentic-ai-mastery", "Agentic AI Mastery",
            "Design, build and ship AI agents that plan, use tools and work together.",
            "intermediate", "published",
        )], columns=["id", "slug", "title", "description", "level", "status"], conflict=["id"])
        ctx.write("catalog_chapters", CHAPTERS,
                  columns=["id", "slug", "title", "summary", "estimated_minutes"], conflict=["id"])
        ctx.write("catalog_journey_chapters", [(JOURNEY, c[0], i) for i, c in enumerate(CHAPTERS, 1)],
                  columns=["journey_id", "chapter_id", "position"], conflict=["journey_id", "chapter_id"])
        # Chapter insights: no journey_id, so the landing page's count stays 0.
        ctx.write("catalog_insights", [(i, t, b, None) for i, t, b in INSIGHTS],
                  columns=["id", "title", "body", "journey_id"], conflict=["id"])
        ctx.write("catalog_chapter_insights", [(CHAPTERS[0][0], ins[0], i) for i, ins in enumerate(INSIGHTS, 1)],
                  columns=["chapter_id", "insight_id", "position"], conflict=["chapter_id", "insight_id"])
        ctx.write("catalog_journey_enrollments",
                  [(JOURNEY, learner(n), "active", day(n)) for n in range(1, enrollments + 1)],
                  columns=["journey_id", "user_id", "status", "enrolled_at"], conflict=["journey_id", "user_id"])
        ctx.write("catalog_journey_ratings",
                  [(JOURNEY, learner(n), RATINGS[n - 1], day(n + 7)) for n in range(1, ratings + 1)],
                  columns=["journey_id", "user_id", "rating", "rated_at"], conflict=["journey_id", "user_id"])
        ctx.info(f"catalog seeded for {ctx.env}: {enrollments} enrollments, {ratings} ratings")


WitWorld = seedhost.world(Catalog)
