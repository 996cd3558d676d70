-- PostgreSQL only; SQLite has no functions or row-level security, so this
-- version has no .sqlite.sql twin and does not exist there.
--
-- 1. auth.uid(): Supabase defines it; elsewhere it is created the way Supabase
--    does, from the request's JWT claims, so the policies below work anywhere.
-- 2. custom_access_token_hook: Supabase Auth's hook that adds the learner's
--    access tier to the JWT claims.
-- 3. Row-level security: learners see only their own rows. Table owners (who
--    run migrations and seeds) are not subject to it.

DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'auth' AND p.proname = 'uid'
    ) THEN
        EXECUTE $f$
            CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $body$
                SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid
            $body$
        $f$;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION public.custom_access_token_hook(event jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    claims jsonb := coalesce(event -> 'claims', '{}'::jsonb);
    user_tier text;
BEGIN
    SELECT s.tier INTO user_tier
      FROM public.subscriptions s
     WHERE s.user_id = (event ->> 'user_id')::uuid
       AND s.status IN ('active', 'trialing');
    claims := jsonb_set(claims, '{tier}', to_jsonb(coalesce(user_tier, 'free')));
    RETURN jsonb_set(event, '{claims}', claims);
END;
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'supabase_auth_admin') THEN
        GRANT EXECUTE ON FUNCTION public.custom_access_token_hook(jsonb) TO supabase_auth_admin;
        GRANT SELECT ON public.subscriptions TO supabase_auth_admin;
    END IF;
END
$$;

ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE journeys ENABLE ROW LEVEL SECURITY;
ALTER TABLE learning_events ENABLE ROW LEVEL SECURITY;

CREATE POLICY "own subscription" ON subscriptions FOR SELECT USING (user_id = auth.uid());
CREATE POLICY "own journeys" ON journeys FOR ALL USING (user_id = auth.uid());
CREATE POLICY "own learning events" ON learning_events FOR ALL USING (user_id = auth.uid());
