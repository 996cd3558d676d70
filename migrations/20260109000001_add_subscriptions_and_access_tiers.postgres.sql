-- Access tiers, subscriptions, learners' journeys and learning events.
--
-- auth.users: on Supabase it exists (Supabase Auth owns it) and is left alone.
-- On any other PostgreSQL this creates a table of the same shape, with the
-- columns Supabase Auth has that seed data uses, so the same migrations and
-- the same test-users plugin run on both.
-- The SQLite twin of this migration is the .sqlite.sql file of the same version.

-- Both steps look in the catalog first: on hosted Supabase the role running
-- migrations has no CREATE on schema auth, and CREATE ... IF NOT EXISTS checks
-- that privilege before it checks existence. (This file was changed after its
-- release for that reason: databases that applied the first version realign its
-- checksum with `seedhost migrate repair 20260109000001`.)
DO $$
BEGIN
    IF to_regnamespace('auth') IS NULL THEN
        CREATE SCHEMA auth;
    END IF;
    IF to_regclass('auth.users') IS NULL THEN
        CREATE TABLE auth.users (
            instance_id        UUID,
            id                 UUID PRIMARY KEY,
            aud                VARCHAR(255),
            role               VARCHAR(255),
            email              VARCHAR(255),
            encrypted_password VARCHAR(255),
            email_confirmed_at TIMESTAMPTZ,
            raw_app_meta_data  JSONB,
            raw_user_meta_data JSONB,
            created_at         TIMESTAMPTZ,
            updated_at         TIMESTAMPTZ
        );
    END IF;
END
$$;

-- Reference rows belong to the schema contract, so they live here.
CREATE TABLE access_tiers (
    id    TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    rank  INTEGER NOT NULL UNIQUE
);
INSERT INTO access_tiers (id, title, rank) VALUES
    ('free', 'Free', 0),
    ('pro', 'Pro', 1),
    ('premium', 'Premium', 2);

CREATE TABLE subscriptions (
    id                   UUID PRIMARY KEY,
    user_id              UUID NOT NULL UNIQUE REFERENCES auth.users (id) ON DELETE CASCADE,
    tier                 TEXT NOT NULL REFERENCES access_tiers (id),
    status               TEXT NOT NULL DEFAULT 'active'
                         CHECK (status IN ('active', 'trialing', 'past_due', 'canceled')),
    current_period_start TIMESTAMPTZ NOT NULL,
    current_period_end   TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- A learner's journey along a trail.
CREATE TABLE journeys (
    id               UUID PRIMARY KEY,
    user_id          UUID NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    trail_id         UUID NOT NULL REFERENCES trails (id),
    status           TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'completed')),
    progress_percent INTEGER NOT NULL DEFAULT 0 CHECK (progress_percent BETWEEN 0 AND 100),
    started_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, trail_id)
);

CREATE TABLE learning_events (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    spark_id    UUID REFERENCES sparks (id),
    kind        TEXT NOT NULL
                CHECK (kind IN ('spark_started', 'spark_completed', 'beacon_passed', 'beacon_failed')),
    occurred_at TIMESTAMPTZ NOT NULL,
    detail      JSONB
);
CREATE INDEX learning_events_by_user ON learning_events (user_id, occurred_at);
