-- An enrollment-shaped table: uuid primary key, two uuid foreign keys, text,
-- integer, timestamptz, jsonb, and one more unique index. 100,000 users and
-- 100 journeys for the foreign keys, with the ids bulk's generator uses.
CREATE TABLE bench_users (id UUID PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO bench_users
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(k), 12, '0'))::uuid, 'user ' || k
  FROM generate_series(0, 99999) AS k;

CREATE TABLE bench_journeys (id UUID PRIMARY KEY, title TEXT NOT NULL);
INSERT INTO bench_journeys
SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(j), 12, '0'))::uuid, 'journey ' || j
  FROM generate_series(0, 99) AS j;

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
