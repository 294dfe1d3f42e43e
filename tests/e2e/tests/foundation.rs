//! The platform foundation, end to end through wrangler dev: health, D1 writes and reads,
//! problem+json shapes, the AdAccountGate's persistence across restarts, cron fan-out through
//! the queue, and the dead-letter path.

use adgate_e2e::{json, Gateway, Value};
use std::time::Duration;

fn assert_problem(r: &adgate_e2e::Resp, status: u16, type_slug: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.content_type, "application/problem+json", "{}", r.text);
    assert_eq!(r.body["status"], status);
    assert_eq!(r.body["type"], format!("https://adgate.dev/problems/{type_slug}"));
    let cid = r.header("x-correlation-id").expect("correlation header");
    assert_eq!(r.body["correlation_id"], cid, "body and header carry the same correlation id");
    assert!(r.body["detail"].as_str().is_some_and(|d| !d.is_empty()));
}

fn create_workspace(gw: &Gateway, currency: &str) -> String {
    let r = gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Fleet hiring", "currency": currency})));
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

fn bind(gw: &Gateway, ws: &str, account: &str, currency: &str) -> adgate_e2e::Resp {
    gw.admin(
        "POST",
        &format!("/v1/workspaces/{ws}/ad-accounts"),
        Some(&json!({"account_id": account, "name": format!("Account {account}"), "currency": currency, "timezone_name": "America/Los_Angeles"})),
    )
}

#[test]
fn health_reports_build_graph_version_and_live_checks() {
    let gw = Gateway::start("health");
    let r = gw.request("GET", "/health", &[("X-Correlation-Id", "health-check-1")], None);
    assert_eq!(r.status, 200, "{}", r.text);
    let cargo = std::fs::read_to_string(adgate_e2e::repo_root().join("Cargo.toml")).unwrap();
    let version = cargo.lines().find_map(|l| l.strip_prefix("version = ")).unwrap().trim_matches('"');
    assert_eq!(r.body["version"], version);
    assert_eq!(r.body["meta_api_version"], "v26.0");
    assert_eq!(r.body["checks"]["d1"]["ok"], true);
    let migrations = std::fs::read_dir(adgate_e2e::repo_root().join("migrations"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "sql"))
        .count();
    assert_eq!(r.body["checks"]["d1"]["migrations_applied"], migrations, "every migration applied");
    assert_eq!(r.body["checks"]["durable_object"]["storage"], "sqlite");
    assert_eq!(r.header("x-correlation-id"), Some("health-check-1"), "a sane id is echoed");

    let r = gw.request("GET", "/health", &[("X-Correlation-Id", "bad id\twith tab")], None);
    let generated = r.header("x-correlation-id").unwrap();
    assert_eq!(generated.len(), 36, "an unsafe id is replaced by a UUID, got {generated}");
}

#[test]
fn workspaces_and_ad_accounts_are_written_to_d1_with_audit_rows() {
    let gw = Gateway::start("d1-round-trip");
    let r = gw.request(
        "POST",
        "/v1/workspaces",
        &[("Authorization", &format!("Bearer {}", adgate_e2e::BOOTSTRAP_KEY)), ("X-Correlation-Id", "create-ws-1")],
        Some(r#"{"name":"Fleet hiring","currency":"USD","timezone_name":"America/Chicago"}"#),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let ws = r.body["id"].as_str().unwrap().to_string();

    // The row is in D1, and reading it back through the API gives the same thing.
    let rows = gw.query("SELECT * FROM workspaces WHERE id = ?1", &[&ws]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["timezone_name"], "America/Chicago");
    assert!(rows[0]["created_at"].as_str().unwrap().ends_with('Z'));
    let got = gw.admin("GET", &format!("/v1/workspaces/{ws}"), None);
    assert_eq!(got.body, rows[0]);

    // The mutation wrote its audit row in the same batch.
    let audit = gw.query("SELECT * FROM audit_log WHERE workspace_id = ?1", &[&ws]);
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["action"], "create_workspace");
    assert_eq!(audit[0]["correlation_id"], "create-ws-1");
    assert_eq!(audit[0]["outcome"], "succeeded");
    let after: Value = serde_json::from_str(audit[0]["after_json"].as_str().unwrap()).unwrap();
    assert_eq!(after["id"], ws.as_str());

    // Binding an account, then the rules: same currency only, one workspace per account.
    assert_eq!(bind(&gw, &ws, "act_2001", "USD").status, 201);
    let wrong_currency = bind(&gw, &ws, "act_2002", "EUR");
    assert_problem(&wrong_currency, 422, "invalid-input");
    assert_eq!(wrong_currency.body["field"], "currency");
    let twice = bind(&gw, &ws, "2001", "USD");
    assert_problem(&twice, 409, "conflict");
    let accounts = gw.query("SELECT id, workspace_id, status FROM ad_accounts", &[]);
    assert_eq!(accounts, vec![json!({"id": "2001", "workspace_id": ws, "status": "active"})]);
    let listed = gw.admin("GET", &format!("/v1/workspaces/{ws}/ad-accounts"), None);
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(gw.query("SELECT COUNT(*) AS n FROM audit_log", &[])[0]["n"], 2, "failed binds write nothing");

    // Audit rows are append-only in the schema itself.
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let migration = std::fs::read_to_string(adgate_e2e::repo_root().join("migrations/0001_foundation.sql")).unwrap();
    conn.execute_batch(&migration).unwrap();
    conn.execute("INSERT INTO audit_log (id, occurred_at, actor, action, correlation_id, outcome, created_at, updated_at) VALUES ('a','t','x','y','c','succeeded','t','t')", []).unwrap();
    let err = conn.execute("UPDATE audit_log SET action = 'z'", []).unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[test]
fn requests_are_authenticated_and_validated_with_named_fields() {
    let gw = Gateway::start("auth-validation");
    let none = gw.request("POST", "/v1/workspaces", &[], Some("{}"));
    assert_problem(&none, 401, "unauthorized");
    let wrong = gw.request("GET", "/v1/cron-runs", &[("Authorization", "Bearer not-the-key-not-the-key-123")], None);
    assert_problem(&wrong, 401, "unauthorized");
    assert!(!wrong.text.contains(adgate_e2e::BOOTSTRAP_KEY));

    let cases = [
        (json!({"name": "x", "currency": "usd"}), "currency"),
        (json!({"name": "x", "currency": "USD", "timezone_name": "Mars/Base"}), "timezone_name"),
        (json!({"name": "x", "currency": "USD", "budget": 5}), "budget"),
        (json!({"currency": "USD"}), "name"),
    ];
    for (body, field) in cases {
        let r = gw.admin("POST", "/v1/workspaces", Some(&body));
        assert_problem(&r, 422, "invalid-input");
        assert_eq!(r.body["field"], field, "{body}");
    }
    let bad_json = gw.request("POST", "/v1/workspaces", &[("Authorization", &format!("Bearer {}", adgate_e2e::BOOTSTRAP_KEY))], Some("{not json"));
    assert_problem(&bad_json, 400, "bad-request");
    assert_eq!(gw.query("SELECT COUNT(*) AS n FROM workspaces", &[])[0]["n"], 0, "nothing was written");
}

#[test]
fn errors_are_problem_json_for_404_405_and_500_including_panics() {
    let gw = Gateway::start("problems");
    let r = gw.get("/no/such/route");
    assert_problem(&r, 404, "not-found");
    assert_eq!(r.body["instance"], "/no/such/route");

    let r = gw.request("DELETE", "/health", &[], None);
    assert_problem(&r, 405, "method-not-allowed");
    assert_eq!(r.header("allow"), Some("GET"));
    assert_eq!(r.body["allow"], json!(["GET"]));

    let r = gw.request("GET", "/__dev/fail", &[("X-Correlation-Id", "boom-1")], None);
    assert_problem(&r, 500, "internal");
    assert_eq!(r.body["correlation_id"], "boom-1");

    // A panic traps the wasm instance; the client still gets problem+json, and the worker recovers.
    let r = gw.request("GET", "/__dev/panic", &[("X-Correlation-Id", "panic-1")], None);
    assert_problem(&r, 500, "internal");
    assert_eq!(r.body["correlation_id"], "panic-1");
    assert!(!r.text.contains("deliberate panic"), "the panic message stays in the logs");
    assert_eq!(gw.get("/health").status, 200, "the next request is served by a fresh instance");
}

#[test]
fn dev_routes_do_not_exist_outside_local() {
    let gw = Gateway::start_with("production-mode", &[("ADGATE_ENV", "production")]);
    assert_problem(&gw.get("/__dev/fail"), 404, "not-found");
    assert_problem(&gw.get("/__dev/panic"), 404, "not-found");
}

#[test]
fn account_gate_state_lives_in_the_durable_object_and_survives_a_restart() {
    let mut gw = Gateway::start_with("gate-restart", &[("GATE_MAX_CALLS", "4"), ("GATE_WINDOW_SECONDS", "3600")]);
    let instances_before = gw.durable_object_files("AdAccountGate").len();
    for expected_remaining in [3, 2, 1] {
        let r = gw.admin("POST", "/v1/ad-accounts/act_3001/gate/admit", None);
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["remaining"], expected_remaining);
    }
    // Another account has its own instance and its own budget.
    assert_eq!(gw.admin("POST", "/v1/ad-accounts/act_3002/gate/admit", None).body["remaining"], 3);
    let instances = gw.durable_object_files("AdAccountGate").len();
    assert_eq!(instances - instances_before, 2, "one SQLite-backed instance per account");

    gw.restart();
    let state = gw.admin("GET", "/v1/ad-accounts/3001/gate", None);
    assert_eq!(state.body["state"]["admitted_total"], 3, "{}", state.text);
    assert_eq!(state.body["state"]["calls_in_window"], 3);
    assert_eq!(gw.admin("POST", "/v1/ad-accounts/act_3001/gate/admit", None).body["remaining"], 0);

    let refused = gw.admin("POST", "/v1/ad-accounts/act_3001/gate/admit", None);
    assert_problem(&refused, 429, "rate-limited");
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_eq!(refused.body["gate"]["rejected_total"], 1);

    let bad = gw.admin("POST", "/v1/ad-accounts/act_12x/gate/admit", None);
    assert_problem(&bad, 422, "invalid-input");
    assert_eq!(bad.body["field"], "account_id");
}

#[test]
fn a_cron_tick_records_its_run_and_fans_out_through_the_queue_to_sync_runs() {
    let gw = Gateway::start("cron-fan-out");
    let ws = create_workspace(&gw, "USD");
    for account in ["act_4001", "act_4002", "act_4003"] {
        assert_eq!(bind(&gw, &ws, account, "USD").status, 201);
    }

    let r = gw.get("/__scheduled?cron=*/15+*+*+*+*");
    assert_eq!(r.status, 200, "{}", r.text);
    let run = gw.wait_for("a finished insights cron run", Duration::from_secs(20), || {
        gw.query("SELECT * FROM cron_runs WHERE tick_kind = 'insights_resync' AND status != 'running'", &[]).pop()
    });
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["accounts_enqueued"], 6, "structure and insights for each account");
    assert_eq!(run["cron"], "*/15 * * * *");

    let run_id = run["id"].as_str().unwrap().to_string();
    let synced = gw.wait_for("six sync runs", Duration::from_secs(30), || {
        let rows = gw.query("SELECT * FROM sync_runs WHERE cron_run_id = ?1 AND status != 'running' ORDER BY ad_account_id, kind", &[&run_id]);
        (rows.len() == 6).then_some(rows)
    });
    let accounts: Vec<(&str, &str)> = synced.iter().map(|r| (r["ad_account_id"].as_str().unwrap(), r["kind"].as_str().unwrap())).collect();
    assert_eq!(
        accounts,
        [
            ("4001", "insights_resync"),
            ("4001", "structure"),
            ("4002", "insights_resync"),
            ("4002", "structure"),
            ("4003", "insights_resync"),
            ("4003", "structure")
        ]
    );
    for row in &synced {
        assert_eq!(row["trigger"], "cron");
        assert_eq!(row["workspace_id"], ws.as_str());
        // These accounts were bound without a Meta integration: nothing to sync through.
        assert_eq!(row["status"], "skipped", "{row}");
        assert!(row["detail"].as_str().unwrap().contains("no Meta integration"), "{row}");
        assert!(row["queue_message_id"].as_str().is_some_and(|m| !m.is_empty()));
    }

    // A second tick within the cooldown sends nothing: every account's runs just finished.
    gw.get("/__scheduled?cron=*/15+*+*+*+*");
    let second = gw.wait_for("a second tick", Duration::from_secs(20), || {
        let rows = gw.query("SELECT accounts_enqueued FROM cron_runs WHERE tick_kind = 'insights_resync' AND status = 'succeeded' ORDER BY started_at", &[]);
        (rows.len() == 2).then(|| rows[1].clone())
    });
    assert_eq!(second["accounts_enqueued"], 0);

    // The daily tick does its token work itself and enqueues nothing; an undeclared cron is
    // recorded as a failed tick.
    gw.get("/__scheduled?cron=17+3+*+*+*");
    let daily = gw.wait_for("the daily tick", Duration::from_secs(20), || {
        gw.query("SELECT * FROM cron_runs WHERE tick_kind = 'daily_maintenance' AND status != 'running'", &[]).pop()
    });
    assert_eq!((daily["status"].as_str(), daily["accounts_enqueued"].as_i64()), (Some("succeeded"), Some(0)), "{daily}");
    gw.get("/__scheduled?cron=0+0+*+*+*");
    let failed =
        gw.wait_for("a failed tick", Duration::from_secs(20), || gw.query("SELECT * FROM cron_runs WHERE cron = '0 0 * * *' AND status = 'failed'", &[]).pop());
    assert!(failed["error"].as_str().unwrap().contains("no tick is declared"), "{failed}");
    assert_eq!(gw.query("SELECT COUNT(*) AS n FROM sync_runs", &[])[0]["n"], 6);
}

#[test]
fn messages_the_consumer_cannot_handle_end_in_the_dead_letter_queue_with_a_reason() {
    let gw = Gateway::start("dead-letters");
    let poison = gw.request("POST", "/__dev/queue/sync", &[], Some(r#"{"hello":"poison"}"#));
    assert_eq!(poison.status, 202, "{}", poison.text);
    let unbound = json!({
        "v": 1, "kind": "insights_resync", "trigger": "manual", "ad_account_id": "999",
        "workspace_id": "ws_none", "enqueued_at": "2026-11-23T00:00:00.000Z"
    });
    assert_eq!(gw.request("POST", "/__dev/queue/sync", &[], Some(&unbound.to_string())).status, 202);

    let letters = gw.wait_for("two dead letters", Duration::from_secs(60), || {
        let rows = gw.query("SELECT * FROM dead_letters ORDER BY reason", &[]);
        (rows.len() == 2).then_some(rows)
    });
    assert_eq!(letters[0]["queue"], "adgate-sync");
    assert!(letters[0]["reason"].as_str().unwrap().contains("ad account 999 is not bound"), "{}", letters[0]);
    assert!(letters[1]["reason"].as_str().unwrap().starts_with("malformed sync message"), "{}", letters[1]);
    assert_eq!(serde_json::from_str::<Value>(letters[1]["body"].as_str().unwrap()).unwrap(), json!({"hello": "poison"}));
    assert_eq!(gw.query("SELECT COUNT(*) AS n FROM sync_runs", &[])[0]["n"], 0);
    let listed = gw.admin("GET", "/v1/dead-letters", None);
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);
}
