-- Catalog journeys: the landing-page catalog and its social proof.
-- Portable between PostgreSQL and SQLite: standard types only (SQLite keeps the
-- declared names, and seedhost converts values by them), no dialect functions.

CREATE TABLE catalog_journeys (
    id          UUID PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    level       TEXT NOT NULL DEFAULT 'beginner',
    status      TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE catalog_chapters (
    id                UUID PRIMARY KEY,
    slug              TEXT NOT NULL UNIQUE,
    title             TEXT NOT NULL,
    summary           TEXT NOT NULL DEFAULT '',
    estimated_minutes INTEGER NOT NULL CHECK (estimated_minutes > 0)
);

-- The ordered chapters of a journey.
CREATE TABLE catalog_journey_chapters (
    journey_id UUID NOT NULL REFERENCES catalog_journeys (id) ON DELETE CASCADE,
    chapter_id UUID NOT NULL REFERENCES catalog_chapters (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (journey_id, chapter_id),
    UNIQUE (journey_id, position)
);

-- An insight lives in chapters (catalog_chapter_insights). It is also a journey
-- insight, featured on the journey's landing page, when journey_id is set.
CREATE TABLE catalog_insights (
    id         UUID PRIMARY KEY,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    journey_id UUID REFERENCES catalog_journeys (id) ON DELETE SET NULL
);

CREATE TABLE catalog_chapter_insights (
    chapter_id UUID NOT NULL REFERENCES catalog_chapters (id) ON DELETE CASCADE,
    insight_id UUID NOT NULL REFERENCES catalog_insights (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (chapter_id, insight_id)
);

-- user_id has no foreign key: synthetic learners give realistic counts
-- without auth users.
CREATE TABLE catalog_journey_enrollments (
    journey_id  UUID NOT NULL REFERENCES catalog_journeys (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active',
    enrolled_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (journey_id, user_id)
);

CREATE TABLE catalog_journey_ratings (
    journey_id UUID NOT NULL REFERENCES catalog_journeys (id) ON DELETE CASCADE,
    user_id    UUID NOT NULL,
    rating     INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    review     TEXT,
    rated_at   TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (journey_id, user_id)
);

-- What the journey landing page shows ("stats" in the API):
--   chapter_count       chapters linked to the journey
--   insight_count       journey insights: insights whose journey_id is the journey.
--                       Chapter insights are shown inside chapters, not counted here,
--                       which is why the seeded catalog has 3 insights and a count of 0.
--   learner_count       enrollments
--   average_rating      mean rating to one decimal (NULL without ratings)
--   rating_count        ratings
--   total_time_minutes  sum of the linked chapters' estimated minutes
CREATE VIEW catalog_journey_stats AS
SELECT
    j.id   AS journey_id,
    j.slug AS slug,
    (SELECT COUNT(*) FROM catalog_journey_chapters jc WHERE jc.journey_id = j.id) AS chapter_count,
    (SELECT COUNT(*) FROM catalog_insights i WHERE i.journey_id = j.id) AS insight_count,
    (SELECT COUNT(*) FROM catalog_journey_enrollments e WHERE e.journey_id = j.id) AS learner_count,
    (SELECT ROUND(AVG(r.rating * 1.0), 1) FROM catalog_journey_ratings r WHERE r.journey_id = j.id) AS average_rating,
    (SELECT COUNT(*) FROM catalog_journey_ratings r WHERE r.journey_id = j.id) AS rating_count,
    (SELECT COALESCE(SUM(c.estimated_minutes), 0)
       FROM catalog_journey_chapters jc
       JOIN catalog_chapters c ON c.id = jc.chapter_id
      WHERE jc.journey_id = j.id) AS total_time_minutes
FROM catalog_journeys j;

-- Baseline: the first published journey, present after every reset. The catalog
-- plugin upserts the same values, so on a migrated database it finds it unchanged.
INSERT INTO catalog_journeys (id, slug, title, description, level, status)
VALUES (
    'aaaaaaaa-0001-0001-0001-000000000001',
    'agentic-ai-mastery',
    'Agentic AI Mastery',
    'Design, build and ship AI agents that plan, use tools and work together.',
    'intermediate',
    'published'
);
