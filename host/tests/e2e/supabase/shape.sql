-- shape.sql: make an empty database look like a hosted Supabase project, as far
-- as seeding tools care: Supabase roles, schema `auth` with GoTrue's
-- schema_migrations/users/identities (real columns, generated columns, partial
-- unique indexes, owner supabase_auth_admin, RLS on, no policies), auth.uid()
-- and friends, schema `extensions` with pgcrypto, public's grants and default
-- ACLs, and the empty `supabase_realtime` publication.
-- Facts: shared/findings/supabase-reality.md (beside the repository), sections 0, 1, 3 and 4.
--
-- Order: run hosted_role.sql FIRST (it creates :hosted and makes it the
-- database owner), then this file, as a superuser in the target database:
--   psql -h 127.0.0.1 -U postgres -d DB -v ON_ERROR_STOP=1 -v hosted=ROLE -f shape.sql
-- Variable :hosted = the stand-in for hosted `postgres` (same value as for
-- hosted_role.sql). Memberships anon/authenticated/service_role are granted to
-- it at the end of this file.
--
-- Concurrency: roles are cluster-wide and shared by all test databases. Each is
-- created only if missing, in its own exception sub-block (one DO block) that
-- swallows duplicate_object and unique_violation, so concurrent runs in several
-- databases of one cluster do not fail; existing roles are never altered
-- (concurrent ALTER ROLE can fail with "tuple concurrently updated").
-- Everything else is per database.

\if :{?hosted}
\else
DO $$ BEGIN RAISE EXCEPTION 'shape.sql: pass -v hosted=<role name> (run hosted_role.sql first)'; END $$;
\endif

------------------------------------------------------------------------------
-- Roles (cluster-wide, create-if-missing; settings only applied on creation)
------------------------------------------------------------------------------
DO $$
DECLARE
  spec text[];
BEGIN
  FOREACH spec SLICE 1 IN ARRAY ARRAY[
    -- name, attributes, extra statement run only when we created it
    ['anon',                    'NOLOGIN INHERIT',            'ALTER ROLE anon SET statement_timeout = ''3s'''],
    ['authenticated',           'NOLOGIN INHERIT',            'ALTER ROLE authenticated SET statement_timeout = ''8s'''],
    ['service_role',            'NOLOGIN INHERIT BYPASSRLS',  ''],
    ['supabase_auth_admin',     'NOLOGIN NOINHERIT NOCREATEROLE',
       'ALTER ROLE supabase_auth_admin SET search_path = auth; '
       'ALTER ROLE supabase_auth_admin SET idle_in_transaction_session_timeout = 60000'],
    ['supabase_admin',          'NOLOGIN',                    ''],
    ['supabase_realtime_admin', 'NOLOGIN',                    '']
  ]
  LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = spec[1]) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I %s', spec[1], spec[2]);
        IF spec[3] <> '' THEN
          EXECUTE spec[3];
        END IF;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;  -- created meanwhile by a concurrent run
      END;
    END IF;
  END LOOP;
END $$;

------------------------------------------------------------------------------
-- Schema extensions (owner: hosted postgres) with pgcrypto
------------------------------------------------------------------------------
CREATE SCHEMA IF NOT EXISTS extensions AUTHORIZATION :"hosted";
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
GRANT USAGE ON SCHEMA extensions TO :"hosted", anon, authenticated, service_role;

------------------------------------------------------------------------------
-- Schema auth (owner supabase_admin; hosted postgres: USAGE only, no CREATE)
------------------------------------------------------------------------------
CREATE SCHEMA IF NOT EXISTS auth AUTHORIZATION supabase_admin;
GRANT ALL ON SCHEMA auth TO supabase_auth_admin;
GRANT USAGE ON SCHEMA auth TO :"hosted", anon, authenticated, service_role;

-- GoTrue's own migration history; tools detect Supabase by it.
CREATE TABLE IF NOT EXISTS auth.schema_migrations (
  version varchar(255) NOT NULL,
  CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)
);
INSERT INTO auth.schema_migrations (version) VALUES
  ('20171026211738'), ('20171026211808'), ('20171026211834'),
  ('20180103212743'), ('20180108183307'), ('20180119214651'),
  ('20180125194653'), ('00'), ('20210722035447'), ('20221215195500'),
  ('20231117164230'), ('20240214120130'), ('20240612123726')
ON CONFLICT DO NOTHING;

-- auth.users as GoTrue leaves it. The four token columns confirmation_token,
-- recovery_token, email_change_token_new, email_change have NO default (GoTrue
-- 500s on NULL there); created_at/updated_at have no default either.
CREATE TABLE IF NOT EXISTS auth.users (
  instance_id                 uuid,
  id                          uuid NOT NULL,
  aud                         varchar(255),
  role                        varchar(255),
  email                       varchar(255),
  encrypted_password          varchar(255),
  email_confirmed_at          timestamptz,
  invited_at                  timestamptz,
  confirmation_token          varchar(255),
  confirmation_sent_at        timestamptz,
  recovery_token              varchar(255),
  recovery_sent_at            timestamptz,
  email_change_token_new      varchar(255),
  email_change                varchar(255),
  email_change_sent_at        timestamptz,
  last_sign_in_at             timestamptz,
  raw_app_meta_data           jsonb,
  raw_user_meta_data          jsonb,
  is_super_admin              boolean,
  created_at                  timestamptz,
  updated_at                  timestamptz,
  phone                       text DEFAULT NULL,
  phone_confirmed_at          timestamptz,
  phone_change                text DEFAULT '',
  phone_change_token          varchar(255) DEFAULT '',
  phone_change_sent_at        timestamptz,
  confirmed_at                timestamptz
                              GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
  email_change_token_current  varchar(255) DEFAULT '',
  email_change_confirm_status smallint DEFAULT 0,
  banned_until                timestamptz,
  reauthentication_token      varchar(255) DEFAULT '',
  reauthentication_sent_at    timestamptz,
  is_sso_user                 boolean NOT NULL DEFAULT false,
  deleted_at                  timestamptz,
  is_anonymous                boolean NOT NULL DEFAULT false,
  CONSTRAINT users_pkey PRIMARY KEY (id),
  CONSTRAINT users_phone_key UNIQUE (phone),
  CONSTRAINT users_email_change_confirm_status_check
    CHECK (email_change_confirm_status >= 0 AND email_change_confirm_status <= 2)
);
-- E-mail uniqueness is ONLY this partial index (ON CONFLICT (email) needs
-- "WHERE is_sso_user = false"); it is case-sensitive.
CREATE UNIQUE INDEX IF NOT EXISTS users_email_partial_key
  ON auth.users (email) WHERE is_sso_user = false;
CREATE UNIQUE INDEX IF NOT EXISTS confirmation_token_idx
  ON auth.users (confirmation_token) WHERE confirmation_token !~ '^[0-9 ]*$';
CREATE UNIQUE INDEX IF NOT EXISTS recovery_token_idx
  ON auth.users (recovery_token) WHERE recovery_token !~ '^[0-9 ]*$';
CREATE UNIQUE INDEX IF NOT EXISTS email_change_token_current_idx
  ON auth.users (email_change_token_current) WHERE email_change_token_current !~ '^[0-9 ]*$';
CREATE UNIQUE INDEX IF NOT EXISTS email_change_token_new_idx
  ON auth.users (email_change_token_new) WHERE email_change_token_new !~ '^[0-9 ]*$';
CREATE UNIQUE INDEX IF NOT EXISTS reauthentication_token_idx
  ON auth.users (reauthentication_token) WHERE reauthentication_token !~ '^[0-9 ]*$';
CREATE INDEX IF NOT EXISTS users_instance_id_idx ON auth.users (instance_id);
CREATE INDEX IF NOT EXISTS users_instance_id_email_idx ON auth.users (instance_id, lower(email::text));
CREATE INDEX IF NOT EXISTS users_is_anonymous_idx ON auth.users (is_anonymous);

CREATE TABLE IF NOT EXISTS auth.identities (
  provider_id     text NOT NULL,
  user_id         uuid NOT NULL,
  identity_data   jsonb NOT NULL,
  provider        text NOT NULL,
  last_sign_in_at timestamptz,
  created_at      timestamptz,
  updated_at      timestamptz,
  email           text GENERATED ALWAYS AS (lower(identity_data ->> 'email')) STORED,
  id              uuid NOT NULL DEFAULT gen_random_uuid(),
  CONSTRAINT identities_pkey PRIMARY KEY (id),
  CONSTRAINT identities_provider_id_provider_unique UNIQUE (provider_id, provider),
  CONSTRAINT identities_user_id_fkey FOREIGN KEY (user_id)
    REFERENCES auth.users (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS identities_user_id_idx ON auth.identities (user_id);
CREATE INDEX IF NOT EXISTS identities_email_idx ON auth.identities (email text_pattern_ops);

-- Owner supabase_auth_admin, RLS on, no policies.
ALTER TABLE auth.schema_migrations OWNER TO supabase_auth_admin;
ALTER TABLE auth.users             OWNER TO supabase_auth_admin;
ALTER TABLE auth.identities        OWNER TO supabase_auth_admin;
ALTER TABLE auth.schema_migrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.users             ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.identities        ENABLE ROW LEVEL SECURITY;

-- JWT helpers as GoTrue defines them (20240624145325_recreate_auth_functions).
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid
  LANGUAGE sql STABLE SET search_path TO ''
AS $$
  SELECT coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;
CREATE OR REPLACE FUNCTION auth.role() RETURNS text
  LANGUAGE sql STABLE SET search_path TO ''
AS $$
  SELECT coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;
CREATE OR REPLACE FUNCTION auth.email() RETURNS text
  LANGUAGE sql STABLE SET search_path TO ''
AS $$
  SELECT coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;
CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb
  LANGUAGE sql STABLE SET search_path TO ''
AS $$
  SELECT coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;
ALTER FUNCTION auth.uid()   OWNER TO supabase_auth_admin;
ALTER FUNCTION auth.role()  OWNER TO supabase_auth_admin;
ALTER FUNCTION auth.email() OWNER TO supabase_auth_admin;
ALTER FUNCTION auth.jwt()   OWNER TO supabase_auth_admin;
GRANT EXECUTE ON FUNCTION auth.uid(), auth.role(), auth.email(), auth.jwt() TO PUBLIC;

-- Hosted postgres: ALL on auth's tables/routines (SELECT grantable), and the
-- same for whatever supabase_auth_admin creates later; no CREATE on auth, no
-- membership in supabase_auth_admin.
GRANT ALL ON ALL TABLES    IN SCHEMA auth TO :"hosted";
GRANT SELECT ON ALL TABLES IN SCHEMA auth TO :"hosted" WITH GRANT OPTION;
GRANT ALL ON ALL SEQUENCES IN SCHEMA auth TO :"hosted";
GRANT ALL ON ALL ROUTINES  IN SCHEMA auth TO :"hosted";
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_auth_admin IN SCHEMA auth GRANT ALL ON TABLES    TO :"hosted";
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_auth_admin IN SCHEMA auth GRANT ALL ON SEQUENCES TO :"hosted";
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_auth_admin IN SCHEMA auth GRANT ALL ON ROUTINES  TO :"hosted";

------------------------------------------------------------------------------
-- Schema public: keep owner pg_database_owner (= :hosted, the database owner)
-- and PUBLIC's USAGE; add the API roles and realtime admin.
------------------------------------------------------------------------------
GRANT USAGE ON SCHEMA public TO :"hosted", anon, authenticated, service_role;
GRANT USAGE, CREATE ON SCHEMA public TO supabase_realtime_admin;

-- Six default ACLs, so every table/sequence/function a migration creates in
-- public is reachable by the API roles (RLS is the only gate).
ALTER DEFAULT PRIVILEGES FOR ROLE :"hosted" IN SCHEMA public
  GRANT ALL ON TABLES    TO :"hosted", anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE :"hosted" IN SCHEMA public
  GRANT ALL ON SEQUENCES TO :"hosted", anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE :"hosted" IN SCHEMA public
  GRANT ALL ON FUNCTIONS TO :"hosted", anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public
  GRANT ALL ON TABLES    TO :"hosted", anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public
  GRANT ALL ON SEQUENCES TO :"hosted", anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public
  GRANT ALL ON FUNCTIONS TO :"hosted", anon, authenticated, service_role;

------------------------------------------------------------------------------
-- Realtime publication: empty, owned by hosted postgres.
------------------------------------------------------------------------------
SET client_min_messages = error;  -- silence "wal_level is insufficient" (no subscribers here)
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_publication WHERE pubname = 'supabase_realtime') THEN
    CREATE PUBLICATION supabase_realtime;
  END IF;
END $$;
RESET client_min_messages;
ALTER PUBLICATION supabase_realtime OWNER TO :"hosted";

------------------------------------------------------------------------------
-- Hosted postgres is a member of the API roles (needs them to exist: last).
------------------------------------------------------------------------------
GRANT anon, authenticated, service_role TO :"hosted";
