package io.fleetshard.router;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs, on one shard, the demo tables ({@code vehicles}, {@code telemetry}) and what enforces tenant isolation in
 * the database for the router's role. Idempotent: safe to run at every start. Run it on the primary with a superuser
 * JDBC URL; physical replicas receive it through replication.
 *
 * <p><b>PostgreSQL</b>: tables owned by a {@code NOLOGIN} role {@code fleetshard_owner}, with row-level security
 * enabled and forced; the policies compare {@code tenant_id} with the tenant of the view
 * {@code fleetshard_private.signed_tenant} (ADR 0041), which yields the session's tenant only when its signature
 * matches the secret kept in {@code fleetshard_private.tenant_secret}, which the router's role cannot read;
 * {@code fleetshard_current_tenant()} returns what the view yields. The router's role (a plain
 * login role, no table ownership, no {@code BYPASSRLS}) sets the tenant only through the procedure
 * {@code fleetshard_bind(...)}:
 * {@code set_config}, {@code TEMP}, the activity and prepared-statement views and session advisory locks are revoked
 * from {@code PUBLIC} in the shard's database, so a statement cannot forge the tenant or leave state on a pooled
 * connection for the next tenant.
 *
 * <p><b>MariaDB</b>: base tables stay in the URL's database (change capture reads them there); a sibling database
 * {@code <db>_rls} holds {@code SQL SECURITY DEFINER} views of the same names that filter on a signed session tenant
 * and {@code WITH CASCADED CHECK OPTION}. The router's account may use those views only. A server running with
 * {@code --skip-grant-tables} is refused: no account could be limited there. Row triggers on the base tables refuse
 * a router account's write of a row of another fleet than the request's (the fleet guard, ADR 0020). See
 * {@code router/README.md} for what remains.
 *
 * <p><b>Both</b>: the write fence of ADR 0013 ({@code docs/adr/0013-online-resharding-protocol.md}, "The write fence
 * lives in the database"): a {@code fleetshard_fence} table the router cannot touch, and triggers on the sharded tables
 * that raise SQLSTATE {@value #FENCED} for a write to a fenced fleet unless the session is the resharder's
 * ({@code SET LOCAL fleetshard.resharder = 'on'} / {@code @fleetshard_resharder = 1}) and not a router account. On
 * PostgreSQL they are AFTER ... FOR EACH STATEMENT triggers with transition tables (one join per statement, none while
 * the fence is empty); on MariaDB, which has no statement triggers, row triggers: AFTER INSERT and AFTER UPDATE,
 * BEFORE DELETE (ADR 0056: MariaDB 11.4.5 fails a multi-row {@code INSERT ... SELECT} with a column list on a table
 * with any BEFORE INSERT or BEFORE UPDATE trigger).
 */
public final class FleetSchema {
    private static final Logger LOG = LoggerFactory.getLogger(FleetSchema.class);

    /** The router's database role unless configured otherwise ({@code router.db.user}). */
    public static final String DEFAULT_APP_ROLE = "fleetshard_app";
    /** Owner of the PostgreSQL tables and functions; cannot log in. */
    public static final String OWNER_ROLE = "fleetshard_owner";
    /** Definer of the MariaDB views and functions; its account is locked. */
    public static final String MARIADB_DEFINER = "'fleetshard_definer'@'localhost'";
    /** Function the router's MariaDB connections call when they open; fails while grant checks are off. */
    static final String MARIADB_GRANTS_GUARD = "fleetshard_require_grants";
    /** Function of the view database: the job fencing the fleet the router's session is bound to, or NULL. */
    static final String MARIADB_FENCED_JOB = "fleetshard_fenced_job";
    private static final String MARIADB_VIEW_SUFFIX = "_rls";

    private static final Pattern ROLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
    private static final Pattern MARIADB_DB = Pattern.compile("[A-Za-z0-9_]{1,60}");
    private static final Set<String> RESERVED_ROLES = Set.of("postgres", "root", OWNER_ROLE, "fleetshard_definer");
    private static final int ATTEMPTS = 5;
    /** SQLSTATE of a write to a fleet that {@code fleetshard_fence} fences on the shard (ADR 0013). */
    static final String FENCED = "FS002";
    /** SQLSTATE of the MariaDB fleet guard: a router's write touched a row of another fleet than its request's. */
    static final String FLEET_GUARD = "42501";

    private FleetSchema() {
    }

    /** Installs with the default router role and no password (trust or embedded setups). */
    public static void install(String superuserJdbcUrl, String tenantSecret) {
        install(superuserJdbcUrl, tenantSecret, DEFAULT_APP_ROLE, "");
    }

    /** Installs with the router role, password and tenant secret of {@code config}. */
    public static void install(String superuserJdbcUrl, RouterConfig config) {
        install(superuserJdbcUrl, config.tenantSecret(), config.dbUser(), config.dbPassword());
    }

    /**
     * Installs the schema on the shard at {@code superuserJdbcUrl} ({@code jdbc:postgresql:} or {@code jdbc:mariadb:}).
     *
     * @param tenantSecret the router's {@code router.tenant.secret}
     * @param appRole the router's {@code router.db.user}
     * @param appPassword its password; empty for none
     * @throws SchemaInstallException naming the shard and the failing step
     */
    public static void install(String superuserJdbcUrl, String tenantSecret, String appRole, String appPassword) {
        Objects.requireNonNull(superuserJdbcUrl, "superuserJdbcUrl");
        if (tenantSecret == null || tenantSecret.length() < RouterConfig.MIN_SECRET_LENGTH) {
            throw new IllegalArgumentException("tenantSecret must be at least " + RouterConfig.MIN_SECRET_LENGTH
                    + " characters");
        }
        if (appRole == null || !ROLE.matcher(appRole).matches() || RESERVED_ROLES.contains(appRole)) {
            throw new IllegalArgumentException("appRole must match " + ROLE.pattern() + " and not be one of "
                    + RESERVED_ROLES + ", got '" + appRole + "'");
        }
        String password = appPassword == null ? "" : appPassword;
        JdbcUrl url = JdbcUrl.parse(superuserJdbcUrl);
        for (int attempt = 1;; attempt++) {
            try (Connection c = DriverManager.getConnection(superuserJdbcUrl)) {
                if (superuserJdbcUrl.startsWith("jdbc:postgresql:")) {
                    installPostgres(c, tenantSecret, appRole, password);
                } else if (superuserJdbcUrl.startsWith("jdbc:mariadb:") || superuserJdbcUrl.startsWith("jdbc:mysql:")) {
                    installMariaDb(c, url, tenantSecret, appRole, password);
                } else {
                    throw new IllegalArgumentException("FleetSchema supports jdbc:postgresql: and jdbc:mariadb: URLs,"
                            + " got " + url);
                }
                LOG.info("fleet schema installed on {} for role {}", url, appRole);
                return;
            } catch (SQLException e) {
                if (attempt < ATTEMPTS && concurrentInstall(e)) {
                    continue; // another shard's install on the same server touched the same role
                }
                throw new SchemaInstallException("could not install the fleet schema on " + url + ": "
                        + e.getMessage() + " (SQLState " + e.getSQLState() + ")", e);
            }
        }
    }

    /** The MariaDB database holding the tenant-filtering views of database {@code db}. */
    static String mariaDbViewDatabase(String db) {
        return db + MARIADB_VIEW_SUFFIX;
    }

    private static boolean concurrentInstall(SQLException e) {
        String state = e.getSQLState();
        return "40001".equals(state) || "40P01".equals(state) || "23505".equals(state)
                || ("XX000".equals(state) && String.valueOf(e.getMessage()).contains("concurrently"));
    }

    // ---------------------------------------------------------------- PostgreSQL

    private static void installPostgres(Connection c, String secret, String app, String password) throws SQLException {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SELECT pg_advisory_xact_lock(4242424242)");
            st.execute("""
                    DO $$
                    BEGIN
                      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%1$s') THEN
                        BEGIN CREATE ROLE %1$s NOLOGIN;
                        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
                      END IF;
                      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%2$s') THEN
                        BEGIN CREATE ROLE %2$s LOGIN;
                        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
                      END IF;
                      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%2$s' AND (rolsuper OR rolbypassrls)) THEN
                        RAISE EXCEPTION 'role %2$s is a superuser or bypasses row-level security: it cannot be the'
                          ' router''s role (pick another router.db.user)';
                      END IF;
                      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%2$s'
                                 AND (NOT rolcanlogin OR rolcreaterole OR rolcreatedb OR rolreplication)) THEN
                        ALTER ROLE %2$s LOGIN NOCREATEROLE NOCREATEDB NOREPLICATION;
                      END IF;
                    END $$""".formatted(OWNER_ROLE, app));
            if (!password.isEmpty()) {
                st.execute("ALTER ROLE " + app + " PASSWORD '" + password.replace("'", "''") + "'");
            }
            for (String sql : postgresObjects(app)) {
                st.execute(sql);
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO fleetshard_private.tenant_secret (id, secret) VALUES (1, ?)
                    ON CONFLICT (id) DO UPDATE SET secret = EXCLUDED.secret
                    WHERE tenant_secret.secret IS DISTINCT FROM EXCLUDED.secret""")) {
                ps.setString(1, secret);
                ps.executeUpdate();
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        }
    }

    private static List<String> postgresObjects(String app) {
        String owner = OWNER_ROLE;
        // fleetshard_stray_fleets (ADR 0051): ANDed with the isolation policy, it can only hide rows: those of the
        // fleets the bind named in fleetshard.hidden_fleets (a scatter leg's fleets that this shard holds but does not
        // own, during and after a reshard job). The setting is read once per statement (init plans); absent or empty
        // (point requests, routers before ADR 0051) it hides nothing, and each row then costs one boolean parameter
        // (the list itself is not compared: that cost ~50 ns a row on a scan)
        String policy = """
                ALTER TABLE public.%1$s ENABLE ROW LEVEL SECURITY;
                ALTER TABLE public.%1$s FORCE ROW LEVEL SECURITY;
                DROP POLICY IF EXISTS fleetshard_tenant_isolation ON public.%1$s;
                CREATE POLICY fleetshard_tenant_isolation ON public.%1$s
                  USING (tenant_id = (SELECT v.tenant_id FROM fleetshard_private.signed_tenant v))
                  WITH CHECK (tenant_id = (SELECT v.tenant_id FROM fleetshard_private.signed_tenant v)
                              AND fleet_id = (SELECT nullif(current_setting('fleetshard.fleet_id', true), '')));
                DROP POLICY IF EXISTS fleetshard_stray_fleets ON public.%1$s;
                CREATE POLICY fleetshard_stray_fleets ON public.%1$s AS RESTRICTIVE FOR SELECT
                  USING ((SELECT COALESCE(pg_catalog.current_setting('fleetshard.hidden_fleets', true), '')
                            OPERATOR(pg_catalog.=) '')
                         OR fleet_id OPERATOR(pg_catalog.<>) ALL ((SELECT pg_catalog.string_to_array(
                           pg_catalog.current_setting('fleetshard.hidden_fleets', true), ','))::pg_catalog.text[]));
                ALTER TABLE public.%1$s OWNER TO %2$s;
                REVOKE ALL ON public.%1$s FROM PUBLIC;
                GRANT SELECT, INSERT, UPDATE, DELETE ON public.%1$s TO %3$s""";
        // the INSERT trigger keeps the name of the row trigger it replaces (BEFORE INSERT OR UPDATE OR DELETE ... FOR
        // EACH ROW, up to 2026-12), which shards installed before still have: dropped here, in the install's transaction
        String fenceTriggers = """
                DO $$
                BEGIN
                  IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = 'public.%1$s'::regclass
                             AND t.tgname = 'fleetshard_fence_guard' AND t.tgtype <> 4) THEN
                    DROP TRIGGER fleetshard_fence_guard ON public.%1$s;
                  END IF;
                END $$;
                CREATE OR REPLACE TRIGGER fleetshard_fence_guard AFTER INSERT ON public.%1$s
                  REFERENCING NEW TABLE AS fleetshard_new_rows
                  FOR EACH STATEMENT EXECUTE FUNCTION public.fleetshard_fence_guard();
                CREATE OR REPLACE TRIGGER fleetshard_fence_guard_update AFTER UPDATE ON public.%1$s
                  REFERENCING OLD TABLE AS fleetshard_old_rows NEW TABLE AS fleetshard_new_rows
                  FOR EACH STATEMENT EXECUTE FUNCTION public.fleetshard_fence_guard();
                CREATE OR REPLACE TRIGGER fleetshard_fence_guard_delete AFTER DELETE ON public.%1$s
                  REFERENCING OLD TABLE AS fleetshard_old_rows
                  FOR EACH STATEMENT EXECUTE FUNCTION public.fleetshard_fence_guard()""";
        List<String> out = new ArrayList<>(List.of(
                "CREATE SCHEMA IF NOT EXISTS fleetshard_private",
                "ALTER SCHEMA fleetshard_private OWNER TO " + owner,
                "REVOKE ALL ON SCHEMA fleetshard_private FROM PUBLIC",
                """
                CREATE TABLE IF NOT EXISTS fleetshard_private.tenant_secret (
                  id integer PRIMARY KEY CHECK (id = 1),
                  secret text NOT NULL)""",
                "ALTER TABLE fleetshard_private.tenant_secret OWNER TO " + owner,
                "REVOKE ALL ON fleetshard_private.tenant_secret FROM PUBLIC",
                """
                CREATE TABLE IF NOT EXISTS public.vehicles (
                  tenant_id  text NOT NULL,
                  fleet_id   text NOT NULL,
                  vehicle_id text NOT NULL,
                  vin        text,
                  status     text,
                  updated_at timestamptz NOT NULL DEFAULT now(),
                  PRIMARY KEY (tenant_id, fleet_id, vehicle_id))""",
                """
                CREATE TABLE IF NOT EXISTS public.telemetry (
                  tenant_id  text NOT NULL,
                  fleet_id   text NOT NULL,
                  vehicle_id text NOT NULL,
                  ts         timestamptz NOT NULL,
                  lat        double precision,
                  lon        double precision,
                  speed_kph  double precision,
                  PRIMARY KEY (tenant_id, fleet_id, vehicle_id, ts))""",
                // ADR 0041: the policies' signature check, a view that the planner inlines into each statement's
                // plan (an init plan, once per statement): no PL/pgSQL call, no SPI query and no search_path switch
                // per statement. The view reads the secret with its owner's rights; the router's role may select
                // from it (the policies run as that role) but cannot name it: it has no USAGE on fleetshard_private.
                // Names are bound when the view is created, and every function and operator is schema-qualified for
                // that statement
                """
                CREATE OR REPLACE VIEW fleetshard_private.signed_tenant WITH (security_barrier) AS
                  SELECT pg_catalog.current_setting('fleetshard.tenant_id', true) AS tenant_id
                  FROM fleetshard_private.tenant_secret s
                  WHERE pg_catalog.current_setting('fleetshard.tenant_id', true) OPERATOR(pg_catalog.<>) ''
                    AND pg_catalog.current_setting('fleetshard.tenant_sig', true) OPERATOR(pg_catalog.=)
                        pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(s.secret OPERATOR(pg_catalog.||) ':'
                          OPERATOR(pg_catalog.||) pg_catalog.current_setting('fleetshard.tenant_id', true), 'UTF8')),
                          'hex')""",
                "ALTER VIEW fleetshard_private.signed_tenant OWNER TO " + owner,
                "REVOKE ALL ON fleetshard_private.signed_tenant FROM PUBLIC",
                "GRANT SELECT ON fleetshard_private.signed_tenant TO " + app,
                // the tenant of the current transaction, if its signature matches the shard's secret; else NULL: the
                // view above, for operators and checks (the policies read the view itself)
                """
                CREATE OR REPLACE FUNCTION public.fleetshard_current_tenant() RETURNS text
                  LANGUAGE plpgsql STABLE SECURITY DEFINER
                  SET search_path = pg_catalog, pg_temp
                AS $$
                BEGIN
                  RETURN (SELECT v.tenant_id FROM fleetshard_private.signed_tenant v);
                END
                $$""",
                "ALTER FUNCTION public.fleetshard_current_tenant() OWNER TO " + owner,
                "REVOKE ALL ON FUNCTION public.fleetshard_current_tenant() FROM PUBLIC",
                "GRANT EXECUTE ON FUNCTION public.fleetshard_current_tenant() TO " + app,
                // raises FS001 unless the signature was made with this shard's secret: the router's connections
                // call it once when they open, so a router with another secret gets no connection and says why
                """
                CREATE OR REPLACE FUNCTION public.fleetshard_check_signature(p_tenant text, p_sig text) RETURNS boolean
                  LANGUAGE plpgsql STABLE SECURITY DEFINER
                  SET search_path = pg_catalog, pg_temp
                AS $$
                DECLARE
                  v_secret text;
                BEGIN
                  SELECT s.secret INTO v_secret FROM fleetshard_private.tenant_secret s WHERE s.id = 1;
                  IF v_secret IS NULL OR p_sig IS DISTINCT FROM
                     encode(sha256(convert_to(v_secret || ':' || p_tenant, 'UTF8')), 'hex') THEN
                    RAISE EXCEPTION 'fleetshard: the tenant signature does not match this shard''s secret'
                      USING ERRCODE = 'FS001';
                  END IF;
                  RETURN true;
                END
                $$""",
                "ALTER FUNCTION public.fleetshard_check_signature(text, text) OWNER TO " + owner,
                "REVOKE ALL ON FUNCTION public.fleetshard_check_signature(text, text) FROM PUBLIC",
                "GRANT EXECUTE ON FUNCTION public.fleetshard_check_signature(text, text) TO " + app,
                // shards installed before fleetshard_bind was a procedure have a function of that name: dropped, for
                // the procedure below (bindProcedure)
                """
                DO $$
                BEGIN
                  IF EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'fleetshard_bind' AND prokind = 'f'
                             AND pronamespace = 'public'::regnamespace) THEN
                    DROP FUNCTION public.fleetshard_bind(text, text, text, integer);
                  END IF;
                END $$"""));
        // the only ways the router's role sets its tenant (set_config is revoked from PUBLIC). ADR 0016: the
        // session's (_connection) keep a pooled connection bound to its tenant, and the router calls them only inside
        // BEGIN ... COMMIT with the client's statement, so a rollback undoes them and the router then forgets the
        // binding. ADR 0051: the five-parameter ones also name the fleets a scatter leg must not see
        // (fleetshard_stray_fleets); the four-parameter ones stay for routers before it and leave that setting unset,
        // which hides nothing
        out.addAll(bindProcedure("fleetshard_bind", true, false, owner, app));
        out.addAll(bindProcedure("fleetshard_bind_connection", false, false, owner, app));
        out.addAll(bindProcedure("fleetshard_bind", true, true, owner, app));
        out.addAll(bindProcedure("fleetshard_bind_connection", false, true, owner, app));
        out.addAll(List.of(
                policy.formatted("vehicles", owner, app),
                policy.formatted("telemetry", owner, app),
                // ADR 0013 "The write fence lives in the database": the resharder fences a moving fleet by a row here
                """
                CREATE TABLE IF NOT EXISTS public.fleetshard_fence (
                  tenant_id text,
                  fleet_id  text,
                  job_id    text NOT NULL,
                  fenced_at timestamptz NOT NULL DEFAULT now(),
                  PRIMARY KEY (tenant_id, fleet_id))""",
                "ALTER TABLE public.fleetshard_fence OWNER TO " + owner,
                "REVOKE ALL ON public.fleetshard_fence FROM PUBLIC, " + app,
                // the router's roles: never the resharder, whatever settings their SQL manages to make
                "CREATE TABLE IF NOT EXISTS fleetshard_private.router_role (role_name text PRIMARY KEY)",
                "ALTER TABLE fleetshard_private.router_role OWNER TO " + owner,
                "REVOKE ALL ON fleetshard_private.router_role FROM PUBLIC",
                "INSERT INTO fleetshard_private.router_role (role_name) VALUES ('" + app + "') ON CONFLICT DO NOTHING",
                // one check per statement, not per row: AFTER ... FOR EACH STATEMENT triggers see the statement's
                // rows in transition tables (one trigger per event: PostgreSQL allows transition tables only on
                // single-event triggers). They run before the statement ends, while the writer still holds its ROW
                // EXCLUSIVE lock, so the fence transaction's SHARE ROW EXCLUSIVE lock orders them as before
                """
                CREATE OR REPLACE FUNCTION public.fleetshard_fence_guard() RETURNS trigger
                  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
                  SET search_path = pg_catalog, pg_temp
                AS $$
                DECLARE
                  v_tenant text;
                  v_fleet text;
                  v_job text;
                BEGIN
                  IF current_setting('fleetshard.resharder', true) = 'on'
                     AND NOT EXISTS (SELECT 1 FROM fleetshard_private.router_role r WHERE r.role_name = session_user) THEN
                    RETURN NULL;
                  END IF;
                  -- no fence on this shard (it never took part in a move): nothing to join
                  PERFORM 1 FROM public.fleetshard_fence LIMIT 1;
                  IF NOT FOUND THEN
                    RETURN NULL;
                  END IF;
                  -- the fleet the router bound the statement to, even when it wrote no row: a stale router's UPDATE
                  -- or DELETE of a moved fleet whose rows were cleaned up here must not succeed with 0 rows (ADR 0062)
                  SELECT f.tenant_id, f.fleet_id, f.job_id INTO v_tenant, v_fleet, v_job
                    FROM public.fleetshard_fence f
                    WHERE f.tenant_id = current_setting('fleetshard.tenant_id', true)
                      AND f.fleet_id = nullif(current_setting('fleetshard.fleet_id', true), '');
                  IF FOUND THEN
                    RAISE EXCEPTION 'fleetshard: fleet % of tenant % is fenced on this shard by reshard job % (moved'
                      ' or moving): write it on its new shard', v_fleet, v_tenant, v_job
                      USING ERRCODE = 'FS002';
                  END IF;
                  IF TG_OP = 'INSERT' THEN
                    SELECT f.tenant_id, f.fleet_id, f.job_id INTO v_tenant, v_fleet, v_job
                      FROM fleetshard_new_rows n JOIN public.fleetshard_fence f
                        ON f.tenant_id = n.tenant_id AND f.fleet_id = n.fleet_id
                      LIMIT 1;
                  ELSIF TG_OP = 'DELETE' THEN
                    SELECT f.tenant_id, f.fleet_id, f.job_id INTO v_tenant, v_fleet, v_job
                      FROM fleetshard_old_rows o JOIN public.fleetshard_fence f
                        ON f.tenant_id = o.tenant_id AND f.fleet_id = o.fleet_id
                      LIMIT 1;
                  ELSE
                    -- the rows before and after: changing a fenced row, or moving a row into a fenced fleet
                    SELECT f.tenant_id, f.fleet_id, f.job_id INTO v_tenant, v_fleet, v_job
                      FROM (SELECT o.tenant_id, o.fleet_id FROM fleetshard_old_rows o
                            UNION ALL
                            SELECT n.tenant_id, n.fleet_id FROM fleetshard_new_rows n) r
                      JOIN public.fleetshard_fence f ON f.tenant_id = r.tenant_id AND f.fleet_id = r.fleet_id
                      LIMIT 1;
                  END IF;
                  IF FOUND THEN
                    RAISE EXCEPTION 'fleetshard: fleet % of tenant % is fenced on this shard by reshard job % (moved'
                      ' or moving): write it on its new shard', v_fleet, v_tenant, v_job
                      USING ERRCODE = 'FS002';
                  END IF;
                  RETURN NULL;
                END
                $$""",
                "ALTER FUNCTION public.fleetshard_fence_guard() OWNER TO " + owner,
                "REVOKE ALL ON FUNCTION public.fleetshard_fence_guard() FROM PUBLIC",
                fenceTriggers.formatted("vehicles"),
                fenceTriggers.formatted("telemetry"),
                "GRANT USAGE ON SCHEMA public TO " + app,
                // on a warm standby the router's prober reads the applier's position table (docs/spec/archive.md);
                // the applier may create it after this install, so a later install (every start) grants it then
                """
                DO $$
                BEGIN
                  IF to_regclass('public.fleetshard_standby_position') IS NOT NULL THEN
                    GRANT SELECT ON public.fleetshard_standby_position TO %s;
                  END IF;
                END $$""".formatted(app),
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                // nothing a statement does may outlive it on a pooled connection that another tenant reuses
                "DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database()); END $$",
                "REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) FROM PUBLIC",
                "GRANT EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) TO " + owner,
                """
                DO $$
                DECLARE f regprocedure;
                BEGIN
                  FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
                           WHERE p.pronamespace = 'pg_catalog'::regnamespace
                             AND p.proname IN ('pg_advisory_lock', 'pg_advisory_lock_shared', 'pg_try_advisory_lock',
                                               'pg_try_advisory_lock_shared')
                  LOOP
                    EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
                  END LOOP;
                END $$""",
                // other sessions' SQL text, and statements other tenants prepared on a pooled connection
                "REVOKE SELECT ON pg_catalog.pg_stat_activity, pg_catalog.pg_prepared_statements,"
                        + " pg_catalog.pg_cursors FROM PUBLIC",
                "REVOKE EXECUTE ON FUNCTION pg_catalog.pg_stat_get_activity(integer),"
                        + " pg_catalog.pg_prepared_statement(), pg_catalog.pg_cursor() FROM PUBLIC",
                "GRANT SELECT ON pg_catalog.pg_stat_activity TO pg_monitor",
                "GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_get_activity(integer) TO pg_monitor"));
        return out;
    }

    /**
     * A bind procedure (ADR 0004): sets the tenant, its signature, the request's fleet and the statement timeout,
     * transaction-local ({@code local}, {@code fleetshard_bind}) or for the session
     * ({@code fleetshard_bind_connection}, ADR 0016); with {@code hidden}, also the fleets a scatter leg must not see
     * (ADR 0051). Not a signature check: {@code fleetshard_current_tenant()} and the policies check on every
     * statement. A procedure, so that CALL returns no rows; every name is schema-qualified, so it needs no search_path
     * of its own.
     */
    private static List<String> bindProcedure(String name, boolean local, boolean hidden, String owner, String app) {
        String types = "text, text, text, integer" + (hidden ? ", text" : "");
        String scope = Boolean.toString(local);
        String hiddenParam = hidden ? ", p_hidden_fleets text" : "";
        String hiddenSetting = hidden ? "  PERFORM pg_catalog.set_config('fleetshard.hidden_fleets',"
                + " coalesce(p_hidden_fleets, ''), " + scope + ");\n" : "";
        String signature = "public." + name + "(" + types + ")";
        return List.of("""
                CREATE OR REPLACE PROCEDURE public.%s(p_tenant text, p_sig text, p_fleet text, p_timeout_ms integer%s)
                  LANGUAGE plpgsql SECURITY DEFINER
                AS $$
                BEGIN
                  PERFORM pg_catalog.set_config('fleetshard.tenant_id', coalesce(p_tenant, ''), %s);
                  PERFORM pg_catalog.set_config('fleetshard.tenant_sig', coalesce(p_sig, ''), %s);
                  PERFORM pg_catalog.set_config('fleetshard.fleet_id', coalesce(p_fleet, ''), %s);
                %s  PERFORM pg_catalog.set_config('statement_timeout',
                                                pg_catalog.int4larger(p_timeout_ms, 1)::pg_catalog.text, %s);
                END
                $$""".formatted(name, hiddenParam, scope, scope, scope, hiddenSetting, scope),
                "ALTER PROCEDURE " + signature + " OWNER TO " + owner,
                "REVOKE ALL ON PROCEDURE " + signature + " FROM PUBLIC",
                "GRANT EXECUTE ON PROCEDURE " + signature + " TO " + app);
    }

    // ---------------------------------------------------------------- MariaDB

    private static void installMariaDb(Connection c, JdbcUrl url, String secret, String app, String password)
            throws SQLException {
        String db = url.database();
        if (!MARIADB_DB.matcher(db).matches()) {
            throw new IllegalArgumentException("the MariaDB URL must name a database of 1-60 characters of"
                    + " [A-Za-z0-9_], got '" + db + "' in " + url);
        }
        String rls = mariaDbViewDatabase(db);
        try (Statement st = c.createStatement()) {
            if (skipGrantTables(st)) {
                throw new SQLException("the server runs with --skip-grant-tables: no account can be limited to the"
                        + " tenant views, so tenant isolation cannot be enforced; start it with grant checks on", "28000");
            }
            st.execute("SELECT GET_LOCK('fleetshard_schema', 60)");
            try {
                for (String sql : mariaDbObjects(db, rls, app, mariaDbString(password))) {
                    st.execute(sql);
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO `" + db + "`.fleetshard_secret (id, secret)"
                        + " VALUES (1, ?) ON DUPLICATE KEY UPDATE secret = VALUES(secret)")) {
                    ps.setString(1, secret);
                    ps.executeUpdate();
                }
                if (mariaDbTableExists(c, db, "fleetshard_standby_position")) {
                    // a warm standby: the router's prober reads the applier's position table (docs/spec/archive.md)
                    st.execute("GRANT SELECT ON `" + db + "`.fleetshard_standby_position TO '" + app + "'@'%', '"
                            + app + "'@'localhost'");
                }
            } finally {
                st.execute("SELECT RELEASE_LOCK('fleetshard_schema')");
            }
        }
    }

    private static boolean mariaDbTableExists(Connection c, String db, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM information_schema.tables WHERE table_schema = ?"
                + " AND table_name = ?")) {
            ps.setString(1, db);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static boolean skipGrantTables(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("SELECT @@skip_grant_tables")) {
            return rs.next() && rs.getInt(1) != 0;
        }
    }

    private static List<String> mariaDbObjects(String db, String rls, String app, String quotedPassword) {
        String definer = MARIADB_DEFINER;
        String d = "`" + db + "`";
        String r = "`" + rls + "`";
        String apps = "'" + app + "'@'%', '" + app + "'@'localhost'";
        List<String> out = new ArrayList<>(List.of(
                """
                CREATE TABLE IF NOT EXISTS %s.vehicles (
                  tenant_id  VARCHAR(64) NOT NULL,
                  fleet_id   VARCHAR(64) NOT NULL,
                  vehicle_id VARCHAR(64) NOT NULL,
                  vin        VARCHAR(32),
                  status     VARCHAR(32),
                  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
                  PRIMARY KEY (tenant_id, fleet_id, vehicle_id)) CHARACTER SET utf8mb4""".formatted(d),
                """
                CREATE TABLE IF NOT EXISTS %s.telemetry (
                  tenant_id  VARCHAR(64) NOT NULL,
                  fleet_id   VARCHAR(64) NOT NULL,
                  vehicle_id VARCHAR(64) NOT NULL,
                  ts         DATETIME(6) NOT NULL,
                  lat        DOUBLE,
                  lon        DOUBLE,
                  speed_kph  DOUBLE,
                  PRIMARY KEY (tenant_id, fleet_id, vehicle_id, ts)) CHARACTER SET utf8mb4""".formatted(d),
                "CREATE TABLE IF NOT EXISTS " + d + ".fleetshard_secret (id INT PRIMARY KEY, secret VARCHAR(512) NOT"
                        + " NULL) CHARACTER SET utf8mb4",
                "CREATE USER IF NOT EXISTS " + definer + " ACCOUNT LOCK",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON " + d + ".vehicles TO " + definer,
                "GRANT SELECT, INSERT, UPDATE, DELETE ON " + d + ".telemetry TO " + definer,
                "GRANT SELECT ON " + d + ".fleetshard_secret TO " + definer,
                // ADR 0053: DETERMINISTIC, so that MariaDB folds the views' tenant filter into a constant once per
                // statement (evaluated while the statement is optimized, again at every execution of a prepared
                // statement) and reads only the tenant's range of the primary key. NOT DETERMINISTIC, it was called
                // for every row of a full table scan, also of other tenants' rows. Within a statement its inputs do
                // not change: the router's scanner refuses user variables, and the secret changes only by an install
                """
                CREATE OR REPLACE DEFINER = %s FUNCTION %s.fleetshard_current_tenant()
                  RETURNS VARCHAR(64) CHARACTER SET utf8mb4
                  DETERMINISTIC READS SQL DATA SQL SECURITY DEFINER
                  RETURN (SELECT CASE WHEN @fleetshard_tenant_sig
                                           = SHA2(CONCAT(s.secret, ':', @fleetshard_tenant_id), 256)
                                      THEN @fleetshard_tenant_id END
                          FROM %s.fleetshard_secret s WHERE s.id = 1)""".formatted(definer, d, d),
                "GRANT EXECUTE ON FUNCTION " + d + ".fleetshard_current_tenant TO " + definer,
                // ADR 0051: the fleets a scatter leg must not see on this shard (comma separated; empty, also when the
                // router did not set it, hides nothing: FIND_IN_SET of any fleet in '' is 0). Views cannot read user
                // variables; a function can. DETERMINISTIC (the variable cannot change within a statement: the
                // router's scanner refuses user variables) makes it one cached constant per statement. The views
                // name it once: with a second test "(list) = ''" MariaDB called it five times per statement (ADR 0053)
                """
                CREATE OR REPLACE DEFINER = %s FUNCTION %s.fleetshard_hidden_fleets()
                  RETURNS TEXT CHARACTER SET utf8mb4
                  DETERMINISTIC NO SQL SQL SECURITY DEFINER
                  RETURN COALESCE(@fleetshard_hidden_fleets, '')""".formatted(definer, d),
                "GRANT EXECUTE ON FUNCTION " + d + ".fleetshard_hidden_fleets TO " + definer,
                "CREATE DATABASE IF NOT EXISTS " + r + " CHARACTER SET utf8mb4",
                """
                CREATE OR REPLACE DEFINER = %s SQL SECURITY DEFINER VIEW %s.vehicles AS
                  SELECT tenant_id, fleet_id, vehicle_id, vin, status, updated_at FROM %s.vehicles
                  WHERE tenant_id = (SELECT %s.fleetshard_current_tenant())
                    AND FIND_IN_SET(fleet_id, (SELECT %s.fleetshard_hidden_fleets())) = 0
                  WITH CASCADED CHECK OPTION""".formatted(definer, r, d, d, d),
                """
                CREATE OR REPLACE DEFINER = %s SQL SECURITY DEFINER VIEW %s.telemetry AS
                  SELECT tenant_id, fleet_id, vehicle_id, ts, lat, lon, speed_kph FROM %s.telemetry
                  WHERE tenant_id = (SELECT %s.fleetshard_current_tenant())
                    AND FIND_IN_SET(fleet_id, (SELECT %s.fleetshard_hidden_fleets())) = 0
                  WITH CASCADED CHECK OPTION""".formatted(definer, r, d, d, d),
                """
                CREATE OR REPLACE DEFINER = %s FUNCTION %s.%s() RETURNS INT
                  NOT DETERMINISTIC NO SQL SQL SECURITY INVOKER
                BEGIN
                  IF @@skip_grant_tables THEN
                    SIGNAL SQLSTATE '28000' SET MESSAGE_TEXT =
                      'fleetshard: this MariaDB server runs with --skip-grant-tables, so the tenant views protect nothing; restart it with grant checks on';
                  END IF;
                  RETURN 1;
                END""".formatted(definer, r, MARIADB_GRANTS_GUARD),
                "CREATE USER IF NOT EXISTS '" + app + "'@'%' IDENTIFIED BY '" + quotedPassword + "'",
                "CREATE USER IF NOT EXISTS '" + app + "'@'localhost' IDENTIFIED BY '" + quotedPassword + "'",
                "ALTER USER '" + app + "'@'%' IDENTIFIED BY '" + quotedPassword + "'",
                "ALTER USER '" + app + "'@'localhost' IDENTIFIED BY '" + quotedPassword + "'",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON " + r + ".vehicles TO " + apps,
                "GRANT SELECT, INSERT, UPDATE, DELETE ON " + r + ".telemetry TO " + apps,
                "GRANT EXECUTE ON FUNCTION " + r + "." + MARIADB_GRANTS_GUARD + " TO " + apps,
                // ADR 0013 "The write fence lives in the database"; the router's account gets no right on it
                """
                CREATE TABLE IF NOT EXISTS %s.fleetshard_fence (
                  tenant_id VARCHAR(64) NOT NULL,
                  fleet_id  VARCHAR(64) NOT NULL,
                  job_id    VARCHAR(64) NOT NULL,
                  PRIMARY KEY (tenant_id, fleet_id)) CHARACTER SET utf8mb4""".formatted(d),
                // the router's accounts: never the resharder, whatever user variables their SQL sets
                "CREATE TABLE IF NOT EXISTS " + d + ".fleetshard_router_account (user_name VARCHAR(128) PRIMARY KEY)"
                        + " CHARACTER SET utf8mb4",
                "INSERT IGNORE INTO " + d + ".fleetshard_router_account (user_name) VALUES ('" + app + "')",
                "GRANT SELECT ON " + d + ".fleetshard_fence TO " + definer,
                "GRANT SELECT ON " + d + ".fleetshard_router_account TO " + definer,
                // ADR 0062: row triggers do not fire for a write that matches no row, so the router asks after such a
                // write whether the fleet it bound the session to is fenced here (its signed tenant, its fleet)
                """
                CREATE OR REPLACE DEFINER = %s FUNCTION %s.%s()
                  RETURNS VARCHAR(64) CHARACTER SET utf8mb4
                  NOT DETERMINISTIC READS SQL DATA SQL SECURITY DEFINER
                  RETURN (SELECT f.job_id FROM %s.fleetshard_fence f
                          WHERE f.tenant_id = %s.fleetshard_current_tenant()
                            AND CAST(f.fleet_id AS BINARY) = CAST(@fleetshard_fleet_id AS BINARY))""".formatted(
                        definer, r, MARIADB_FENCED_JOB, d, d),
                "GRANT EXECUTE ON FUNCTION " + r + "." + MARIADB_FENCED_JOB + " TO " + apps + ", " + definer,
                "GRANT TRIGGER ON " + d + ".vehicles TO " + definer,
                "GRANT TRIGGER ON " + d + ".telemetry TO " + definer));
        // the fence guards first: each fleet guard PRECEDES the fence guard of its table, event and timing. Same names
        // as before ADR 0056, so CREATE OR REPLACE turns a shard's former BEFORE INSERT/UPDATE triggers into AFTER ones
        // in place, each in one DDL statement: a write never meets a table without its guards
        for (String table : List.of("vehicles", "telemetry")) {
            out.add(mariaDbFenceTrigger(d, table, "INSERT", List.of("NEW")));
            out.add(mariaDbFenceTrigger(d, table, "UPDATE", List.of("OLD", "NEW")));
            out.add(mariaDbFenceTrigger(d, table, "DELETE", List.of("OLD")));
        }
        for (String table : List.of("vehicles", "telemetry")) {
            out.add(mariaDbFleetGuard(d, table, "INSERT", List.of("NEW")));
            out.add(mariaDbFleetGuard(d, table, "UPDATE", List.of("OLD", "NEW")));
            out.add(mariaDbFleetGuard(d, table, "DELETE", List.of("OLD")));
        }
        return out;
    }

    /**
     * When the MariaDB guards of {@code event} fire (ADR 0056): AFTER the row is written for INSERT and UPDATE, BEFORE
     * for DELETE. MariaDB 11.4.5 (MDEV-36026) fills the NOT NULL columns without a default of every row after the first
     * of an {@code INSERT ... SELECT} with a column list (any insert through the {@code _rls} views) with NULL as soon
     * as the table has any BEFORE INSERT or BEFORE UPDATE trigger: "Column ... cannot be null". AFTER triggers and
     * DELETE triggers do not trip it. A trigger's error aborts the whole statement either way: InnoDB rolls the
     * statement back, the rows it wrote before the failing one included.
     */
    private static String mariaDbGuardTiming(String event) {
        return event.equals("DELETE") ? "BEFORE" : "AFTER";
    }

    /**
     * The fleet guard of writes on MariaDB (ADR 0020): a row trigger of {@code event} on {@code table} (AFTER INSERT
     * and UPDATE, BEFORE DELETE: {@link #mariaDbGuardTiming}), fired ahead of the fence guard, that signals SQLSTATE
     * {@value #FLEET_GUARD} when a row of {@code rows} ({@code OLD}, {@code NEW}) is not of the fleet the router's
     * {@code SET} named ({@code @fleetshard_fleet_id}, compared byte for byte) and the session is a router account.
     * Other accounts (change capture, the resharder, operators) are not limited. A row of the request's fleet costs
     * one comparison; the account is looked up only on a mismatch. The router's scanner refuses user variables, so a
     * statement sent through it cannot change the fleet it names.
     */
    private static String mariaDbFleetGuard(String d, String table, String event, List<String> rows) {
        StringBuilder checks = new StringBuilder();
        for (String row : rows) {
            String verb = row.equals("NEW") ? "written" : event.equals("DELETE") ? "deleted" : "changed";
            checks.append("""
                    IF NOT (CAST(%1$s.fleet_id AS BINARY) <=> CAST(@fleetshard_fleet_id AS BINARY))
                       AND EXISTS (SELECT 1 FROM %2$s.fleetshard_router_account a
                                   WHERE a.user_name = SUBSTRING_INDEX(SESSION_USER(), '@', 1)) THEN
                      SET v_msg = CONCAT('fleetshard: this request may write rows of fleet ',
                        COALESCE(@fleetshard_fleet_id, '(none: a read-only request)'), ' only; a row of fleet ',
                        %1$s.fleet_id, ' was to be %3$s (send the write for that fleet)');
                      SIGNAL SQLSTATE '%4$s' SET MESSAGE_TEXT = v_msg;
                    END IF;
                    """.formatted(row, d, verb, FLEET_GUARD));
        }
        return """
                CREATE OR REPLACE DEFINER = %1$s TRIGGER %2$s.fleetshard_fleet_guard_%3$s_%4$s
                  %7$s %5$s ON %2$s.%3$s FOR EACH ROW PRECEDES fleetshard_fence_guard_%3$s_%4$s
                BEGIN
                  DECLARE v_msg VARCHAR(512);
                %6$sEND""".formatted(MARIADB_DEFINER, d, table, event.toLowerCase(java.util.Locale.ROOT), event,
                checks.toString().indent(2), mariaDbGuardTiming(event));
    }

    /**
     * A row trigger of {@code event} on {@code table} (AFTER INSERT and UPDATE, BEFORE DELETE:
     * {@link #mariaDbGuardTiming}) that signals {@value #FENCED} when a row of {@code rows} ({@code OLD}, {@code NEW})
     * belongs to a fenced fleet, unless the session is the resharder's ({@code @fleetshard_resharder = 1}, and not a
     * router account). The fence row is read with a shared lock, held to the end of the writer's transaction, so the
     * resharder's fence insert waits for writes in flight and a later write waits for the fence to commit, then fails.
     */
    private static String mariaDbFenceTrigger(String d, String table, String event, List<String> rows) {
        StringBuilder checks = new StringBuilder();
        for (String row : rows) {
            checks.append("""
                    SET v_job = NULL;
                    SELECT f.job_id INTO v_job FROM %1$s.fleetshard_fence f
                      WHERE f.tenant_id = %2$s.tenant_id AND f.fleet_id = %2$s.fleet_id LOCK IN SHARE MODE;
                    IF v_job IS NOT NULL THEN
                      SET v_msg = CONCAT('fleetshard: fleet ', %2$s.fleet_id, ' of tenant ', %2$s.tenant_id,
                        ' is fenced on this shard by reshard job ', v_job, ' (moved or moving): write it on its new shard');
                      SIGNAL SQLSTATE 'FS002' SET MESSAGE_TEXT = v_msg;
                    END IF;
                    """.formatted(d, row));
        }
        return """
                CREATE OR REPLACE DEFINER = %1$s TRIGGER %2$s.fleetshard_fence_guard_%3$s_%4$s
                  %7$s %5$s ON %2$s.%3$s FOR EACH ROW
                BEGIN
                  DECLARE v_job VARCHAR(64);
                  DECLARE v_msg VARCHAR(512);
                  DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_job = NULL;
                  IF NOT (@fleetshard_resharder <=> 1 AND NOT EXISTS (SELECT 1 FROM %2$s.fleetshard_router_account a
                          WHERE a.user_name = SUBSTRING_INDEX(SESSION_USER(), '@', 1))) THEN
                %6$s  END IF;
                END""".formatted(MARIADB_DEFINER, d, table, event.toLowerCase(java.util.Locale.ROOT), event,
                checks.toString().indent(4), mariaDbGuardTiming(event));
    }

    /** {@code s} escaped for a single-quoted MariaDB literal (backslash escapes on). */
    private static String mariaDbString(String s) {
        return s.replace("\\", "\\\\").replace("'", "''");
    }
}
