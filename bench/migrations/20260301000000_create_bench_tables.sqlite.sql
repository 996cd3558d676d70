-- The SQLite twin of the PostgreSQL benchmark schema.
CREATE TABLE bench_users (id UUID PRIMARY KEY, name TEXT NOT NULL);
WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < 99999)
INSERT INTO bench_users SELECT '00000000-0000-4000-8000-' || printf('%012x', n), 'user ' || n FROM k;

CREATE TABLE bench_journeys (id UUID PRIMARY KEY, title TEXT NOT NULL);
WITH RECURSIVE j(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM j WHERE n < 99)
INSERT INTO bench_journeys SELECT '00000000-0000-4000-9000-' || printf('%012x', n), 'journey ' || n FROM j;

CREATE TABLE bench_enrollments (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES bench_users (id),
    journey_id  UUID NOT NULL REFERENCES bench_journeys (id),
    status      TEXT NOT NULL,
    progress    INTEGER NOT NULL,
    enrolled_at TIMESTAMPTZ NOT NULL,
    meta        JSONB NOT NULL,
    UNIQUE (user_id, journey_id)
);
