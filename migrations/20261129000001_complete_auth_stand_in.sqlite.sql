-- What Supabase Auth (GoTrue) needs of a user made by SQL: the stand-in
-- auth_users of 20260109000001 gains the columns GoTrue scans, and an
-- auth_identities stand-in is created, so the test-users plugin writes one
-- shape on every database.
-- The PostgreSQL twin of this migration is the .postgres.sql file of the same version.

ALTER TABLE auth_users ADD COLUMN confirmation_token VARCHAR(255);
ALTER TABLE auth_users ADD COLUMN recovery_token VARCHAR(255);
ALTER TABLE auth_users ADD COLUMN email_change_token_new VARCHAR(255);
ALTER TABLE auth_users ADD COLUMN email_change VARCHAR(255);
ALTER TABLE auth_users ADD COLUMN last_sign_in_at TIMESTAMPTZ;
ALTER TABLE auth_users ADD COLUMN is_sso_user BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE auth_users ADD COLUMN is_anonymous BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE auth_identities (
    id              UUID PRIMARY KEY,
    provider_id     TEXT NOT NULL,
    user_id         UUID NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    identity_data   JSONB NOT NULL,
    provider        TEXT NOT NULL,
    last_sign_in_at TIMESTAMPTZ,
    created_at      TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ,
    UNIQUE (provider_id, provider)
);
