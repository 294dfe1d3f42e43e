//! The D1 migrations on data that existed before them: applied in order to a SQLite database
//! holding keys and approvals from before members existed, each key becomes one member, and
//! pending approvals name the person who asked.

use adgate_e2e::repo_root;
use rusqlite::Connection;

/// Applies the migrations whose file names sort after `after` and up to `upto`.
fn apply(conn: &Connection, after: &str, upto: &str) {
    let mut files: Vec<_> = std::fs::read_dir(repo_root().join("migrations")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files.into_iter().filter(|f| (after..=upto).contains(&f.file_name().unwrap().to_str().unwrap())) {
        conn.execute_batch(&std::fs::read_to_string(&f).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
}

#[test]
fn existing_keys_become_one_member_each_and_approvals_name_people() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    apply(&conn, "", "0006_zz");
    conn.execute_batch(
        "INSERT INTO workspaces VALUES ('ws_1', 'Fleet', 'USD', 'UTC', 't', 't');
         INSERT INTO api_keys (id, workspace_id, prefix, key_hash, role, label, created_at, updated_at) VALUES
           ('key_aaa', 'ws_1', 'adg_1', 'h1', 'admin', 'Alice laptop', 't', 't'),
           ('key_bbb', 'ws_1', 'adg_2', 'h2', 'admin', NULL, 't', 't'),
           ('key_ccc', 'ws_1', 'adg_3', 'h3', 'recruiter', 'Rita', 't', 't');
         INSERT INTO approvals (id, workspace_id, router, action, input_json, requested_by, correlation_id, status, expires_at, created_at, updated_at)
           VALUES ('apr_1', 'ws_1', 'r', 'a', '{}', 'key_aaa', 'c', 'pending', 'z', 't', 't'),
                  ('apr_2', 'ws_1', 'r', 'a', '{}', 'bootstrap', 'c', 'pending', 'z', 't', 't');
         INSERT INTO ad_accounts (id, workspace_id, integration_id, name, currency, timezone_name, created_at, updated_at)
           VALUES ('42', 'ws_1', NULL, 'Manual', 'USD', 'UTC', 't', 't');",
    )
    .unwrap();
    apply(&conn, "0006_zz", "9999");
    let members: Vec<(String, String, String)> = conn
        .prepare("SELECT id, name, role FROM members ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        members,
        vec![
            ("mem_aaa".into(), "Alice laptop".into(), "admin".into()),
            ("mem_bbb".into(), "adg_2".into(), "admin".into()),
            ("mem_ccc".into(), "Rita".into(), "recruiter".into())
        ]
    );
    let unowned: i64 = conn.query_row("SELECT COUNT(*) FROM api_keys WHERE member_id IS NULL", [], |r| r.get(0)).unwrap();
    assert_eq!(unowned, 0, "every key has its member");
    let asked: Vec<String> =
        conn.prepare("SELECT requested_by_member FROM approvals ORDER BY id").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    assert_eq!(asked, ["mem_aaa", "bootstrap"]);
    let verified: i64 = conn.query_row("SELECT verified FROM ad_accounts WHERE id = '42'", [], |r| r.get(0)).unwrap();
    assert_eq!(verified, 0, "a manual binding is unverified");
}
