// Seeds the catalog journey `agentic-ai-mastery`: the TypeScript twin of
// plugins/catalog (Rust). Both write exactly the same rows; a test compares them.
import { definePlugin, timestamp, uuid, type Uuid } from '@seedhost/plugin';

const JOURNEY = uuid('aaaaaaaa-0001-0001-0001-000000000001');

/** [id, slug, title, summary, estimated minutes]; the minutes sum to 480. */
const CHAPTERS: [Uuid, string, string, string, number][] = [
  [uuid('cccccccc-0001-0001-0001-000000000001'), 'what-makes-an-agent', 'What Makes an Agent',
    'Perception, reasoning and action: the loop every agent runs.', 60],
  [uuid('cccccccc-0001-0001-0001-000000000002'), 'tools-and-function-calling', 'Tools and Function Calling',
    'Letting a model act on the world through typed tool interfaces.', 75],
  [uuid('cccccccc-0001-0001-0001-000000000003'), 'memory-and-context', 'Memory and Context',
    'Short-term context, long-term memory and retrieval.', 90],
  [uuid('cccccccc-0001-0001-0001-000000000004'), 'planning-and-reflection', 'Planning and Reflection',
    'Decomposing goals, critiquing plans and recovering from failure.', 85],
  [uuid('cccccccc-0001-0001-0001-000000000005'), 'multi-agent-systems', 'Multi-Agent Systems',
    'Orchestrators, specialists and the protocols between them.', 80],
  [uuid('cccccccc-0001-0001-0001-000000000006'), 'shipping-agents-safely', 'Shipping Agents Safely',
    'Evaluation, guardrails and observability in production.', 90],
];

/** [id, title, body]: the insights of chapter 1. */
const INSIGHTS: [Uuid, string, string][] = [
  [uuid('dddddddd-0001-0001-0001-000000000001'), 'Agents close the loop',
    'A chatbot answers; an agent observes the result of its action and decides again.'],
  [uuid('dddddddd-0001-0001-0001-000000000002'), 'Autonomy is a dial',
    'Most useful agents ask for confirmation before irreversible actions.'],
  [uuid('dddddddd-0001-0001-0001-000000000003'), 'The environment is the spec',
    'What an agent can observe and do defines what it can achieve.'],
];

/** Ratings of the first learners: 5 on local (avg 4.6), 8 on staging (4.625). */
const RATINGS = [5, 5, 5, 4, 4, 5, 4, 5];

/** Learner n (1-based): bbbbbbbb-0001-0001-0001-0000000000nn, n in decimal digits. */
const learner = (n: number) => uuid(`bbbbbbbb-0001-0001-0001-${String(n).padStart(12, '0')}`);

/** 2026-02-23T09:00:00Z plus n days: fixed, so re-runs change nothing. */
const day = (n: number) => timestamp((1_771_837_200 + n * 86_400) * 1000);

export const { run, metadata } = definePlugin({
  name: 'catalog-ts',
  description: 'The catalog journey agentic-ai-mastery, in TypeScript.',
  tables: [
    'catalog_journeys',
    'catalog_chapters',
    'catalog_journey_chapters',
    'catalog_insights',
    'catalog_chapter_insights',
    'catalog_journey_enrollments',
    'catalog_journey_ratings',
  ],
  profiles: ['local', 'staging'],
  run(ctx) {
    const sizes: Record<string, [number, number]> = { local: [5, 5], staging: [10, 8] };
    const size = sizes[ctx.env];
    if (!size) throw new Error(`catalog-ts has data for profiles local and staging, not "${ctx.env}"`);
    const [enrollments, ratings] = size;

    // Upsert: the catalog journeys migration already inserted this row.
    ctx.write('catalog_journeys', { columns: ['id', 'slug', 'title', 'description', 'level', 'status'], conflict: ['id'] }, [
      [JOURNEY, 'agentic-ai-mastery', 'Agentic AI Mastery',
        'Design, build and ship AI agents that plan, use tools and work together.', 'intermediate', 'published'],
    ]);
    ctx.write('catalog_chapters', { columns: ['id', 'slug', 'title', 'summary', 'estimated_minutes'], conflict: ['id'] },
      CHAPTERS);
    ctx.write('catalog_journey_chapters', { columns: ['journey_id', 'chapter_id', 'position'], conflict: ['journey_id', 'chapter_id'] },
      CHAPTERS.map(([chapter], i) => [JOURNEY, chapter, i + 1]));
    // Chapter insights: no journey_id, so the landing page's count stays 0.
    ctx.write('catalog_insights', { columns: ['id', 'title', 'body', 'journey_id'], conflict: ['id'] },
      INSIGHTS.map(([id, title, body]) => [id, title, body, null]));
    ctx.write('catalog_chapter_insights', { columns: ['chapter_id', 'insight_id', 'position'], conflict: ['chapter_id', 'insight_id'] },
      INSIGHTS.map(([insight], i) => [CHAPTERS[0]![0], insight, i + 1]));

    const learners = Array.from({ length: enrollments }, (_, i) => i + 1);
    ctx.write('catalog_journey_enrollments', { columns: ['journey_id', 'user_id', 'status', 'enrolled_at'], conflict: ['journey_id', 'user_id'] },
      learners.map((n) => [JOURNEY, learner(n), 'active', day(n)]));
    ctx.write('catalog_journey_ratings', { columns: ['journey_id', 'user_id', 'rating', 'rated_at'], conflict: ['journey_id', 'user_id'] },
      learners.slice(0, ratings).map((n) => [JOURNEY, learner(n), RATINGS[n - 1]!, day(n + 7)]));

    ctx.info(`catalog seeded for ${ctx.env}: ${enrollments} enrollments, ${ratings} ratings`);
  },
});
