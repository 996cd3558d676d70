-- The microlearning content model: a domain has trails, a trail has concepts,
-- a concept has sparks (short lessons), a spark has a beacon (its check).
-- Concepts depend on other concepts. Every content row belongs to a content
-- snapshot, so content can be versioned and published as a whole.
-- Portable between PostgreSQL and SQLite.

CREATE TABLE content_snapshots (
    id           UUID PRIMARY KEY,
    version      INTEGER NOT NULL UNIQUE,
    status       TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    description  TEXT NOT NULL DEFAULT '',
    published_at TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE domains (
    id          UUID PRIMARY KEY,
    snapshot_id UUID NOT NULL REFERENCES content_snapshots (id),
    slug        TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL,
    UNIQUE (snapshot_id, slug)
);

CREATE TABLE trails (
    id          UUID PRIMARY KEY,
    snapshot_id UUID NOT NULL REFERENCES content_snapshots (id),
    domain_id   UUID NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    slug        TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL,
    UNIQUE (snapshot_id, slug)
);

CREATE TABLE concepts (
    id          UUID PRIMARY KEY,
    snapshot_id UUID NOT NULL REFERENCES content_snapshots (id),
    trail_id    UUID NOT NULL REFERENCES trails (id) ON DELETE CASCADE,
    slug        TEXT NOT NULL,
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL,
    UNIQUE (snapshot_id, slug)
);

-- concept_id cannot be started before prerequisite_id is understood.
CREATE TABLE concept_prerequisites (
    concept_id      UUID NOT NULL REFERENCES concepts (id) ON DELETE CASCADE,
    prerequisite_id UUID NOT NULL REFERENCES concepts (id) ON DELETE CASCADE,
    PRIMARY KEY (concept_id, prerequisite_id),
    CHECK (concept_id <> prerequisite_id)
);

CREATE TABLE sparks (
    id                UUID PRIMARY KEY,
    snapshot_id       UUID NOT NULL REFERENCES content_snapshots (id),
    concept_id        UUID NOT NULL REFERENCES concepts (id) ON DELETE CASCADE,
    slug              TEXT NOT NULL,
    title             TEXT NOT NULL,
    body              TEXT NOT NULL,
    estimated_minutes INTEGER NOT NULL CHECK (estimated_minutes > 0),
    position          INTEGER NOT NULL,
    UNIQUE (snapshot_id, slug)
);

CREATE TABLE beacons (
    id          UUID PRIMARY KEY,
    snapshot_id UUID NOT NULL REFERENCES content_snapshots (id),
    spark_id    UUID NOT NULL REFERENCES sparks (id) ON DELETE CASCADE,
    slug        TEXT NOT NULL,
    title       TEXT NOT NULL,
    prompt      TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('quiz', 'reflection', 'exercise')),
    UNIQUE (snapshot_id, slug)
);

-- Counts of the published curriculum, per domain (what the graph API shows).
CREATE VIEW curriculum_stats AS
SELECT
    d.id   AS domain_id,
    d.slug AS slug,
    (SELECT COUNT(*) FROM trails t WHERE t.domain_id = d.id) AS trail_count,
    (SELECT COUNT(*) FROM concepts c JOIN trails t ON t.id = c.trail_id WHERE t.domain_id = d.id) AS concept_count,
    (SELECT COUNT(*) FROM sparks s JOIN concepts c ON c.id = s.concept_id JOIN trails t ON t.id = c.trail_id
      WHERE t.domain_id = d.id) AS spark_count,
    (SELECT COUNT(*) FROM beacons b JOIN sparks s ON s.id = b.spark_id JOIN concepts c ON c.id = s.concept_id
       JOIN trails t ON t.id = c.trail_id WHERE t.domain_id = d.id) AS beacon_count,
    (SELECT COALESCE(SUM(s.estimated_minutes), 0) FROM sparks s JOIN concepts c ON c.id = s.concept_id
       JOIN trails t ON t.id = c.trail_id WHERE t.domain_id = d.id) AS total_minutes
FROM domains d
JOIN content_snapshots cs ON cs.id = d.snapshot_id AND cs.status = 'published';
