-- hosted_role.sql: the stand-in for a hosted Supabase project's `postgres` role.
--
-- Locally `postgres` is the bootstrap superuser and cannot be demoted, so tests
-- run seeding as a per-run NOSUPERUSER role with hosted `postgres`'s attributes
-- (NOSUPERUSER CREATEDB CREATEROLE BYPASSRLS LOGIN) that owns the database, and
-- thereby schema `public` through pg_database_owner.
-- Facts: shared/findings/supabase-reality.md (beside the repository), sections 0 and 1.
--
-- Order: run this FIRST, then shape.sql, both as a superuser connected to the
-- target (empty) database, both with the same variable:
--   psql -h 127.0.0.1 -U postgres -d DB -v ON_ERROR_STOP=1 -v hosted=ROLE -f hosted_role.sql
--   psql -h 127.0.0.1 -U postgres -d DB -v ON_ERROR_STOP=1 -v hosted=ROLE -f shape.sql
-- The hosted role's memberships in anon/authenticated/service_role are granted at
-- the end of shape.sql, which creates those roles. Here: only the per-run role,
-- its built-in role memberships, its search_path, and the database ownership.
--
-- Variable :hosted = the role name; meant to be unique per run (it is altered,
-- not just created). Drop it after the database it owns.
-- Not reproduced: REPLICATION, and supautils' extra rights/limits (section 0).

\if :{?hosted}
\else
DO $$ BEGIN RAISE EXCEPTION 'hosted_role.sql: pass -v hosted=<role name>'; END $$;
\endif

SELECT set_config('shape.hosted', :'hosted', false) AS shape_hosted \gset

DO $$
DECLARE
  r text := current_setting('shape.hosted');
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = r AND rolsuper) THEN
    RAISE EXCEPTION 'hosted role % is a superuser; pick a fresh per-run name', r;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
    BEGIN
      EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER CREATEDB CREATEROLE BYPASSRLS', r);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
END $$;

-- Re-assert the attributes in case the role already existed (re-run).
ALTER ROLE :"hosted" LOGIN NOSUPERUSER CREATEDB CREATEROLE BYPASSRLS;

-- Hosted `postgres` is a member of these built-in roles
-- (supabase/postgres 20230201083204, 20230306081037, 20240606060239).
GRANT pg_monitor, pg_read_all_data, pg_signal_backend TO :"hosted";

-- Hosted value, backslash included (00000000000003-post-setup.sql writes "\$user").
ALTER ROLE :"hosted" SET search_path = "\$user", public, extensions;

-- Own the database, as `postgres` does on hosted; public (owner
-- pg_database_owner) thereby belongs to it.
SELECT format('ALTER DATABASE %I OWNER TO %I', current_database(), :'hosted') \gexec
