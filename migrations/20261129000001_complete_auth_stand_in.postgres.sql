-- What Supabase Auth (GoTrue) needs of a user made by SQL, on a database that
-- is not Supabase's: the stand-in auth.users of 20260109000001 gains the
-- columns GoTrue scans (four of them have no default and must hold '' for
-- password sign-in to work), and an auth.identities stand-in is created.
--
-- On Supabase both tables exist, complete, and belong to supabase_auth_admin:
-- every step below looks first (in the catalog, which needs no privilege on
-- schema auth) and changes nothing there.
-- The SQLite twin of this migration is the .sqlite.sql file of the same version.

DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_attribute
         WHERE attrelid = 'auth.users'::regclass AND attname = 'confirmation_token'
           AND NOT attisdropped
    ) THEN
        ALTER TABLE auth.users
            ADD COLUMN confirmation_token     VARCHAR(255),
            ADD COLUMN recovery_token         VARCHAR(255),
            ADD COLUMN email_change_token_new VARCHAR(255),
            ADD COLUMN email_change           VARCHAR(255),
            ADD COLUMN last_sign_in_at        TIMESTAMPTZ,
            ADD COLUMN is_sso_user            BOOLEAN NOT NULL DEFAULT false,
            ADD COLUMN is_anonymous           BOOLEAN NOT NULL DEFAULT false,
            ADD COLUMN confirmed_at           TIMESTAMPTZ
                GENERATED ALWAYS AS (email_confirmed_at) STORED;
    END IF;

    IF to_regclass('auth.identities') IS NULL THEN
        CREATE TABLE auth.identities (
            provider_id     TEXT NOT NULL,
            user_id         UUID NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
            identity_data   JSONB NOT NULL,
            provider        TEXT NOT NULL,
            last_sign_in_at TIMESTAMPTZ,
            created_at      TIMESTAMPTZ,
            updated_at      TIMESTAMPTZ,
            email           TEXT GENERATED ALWAYS AS (lower(identity_data ->> 'email')) STORED,
            id              UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
            UNIQUE (provider_id, provider)
        );
    END IF;
END
$$;
