//! End-to-end harness: starts `wrangler dev` (workerd with local D1, Durable Objects, Queues and
//! cron) on free ports with its own state folder, drives it over HTTP, reads D1 straight from the
//! local SQLite file, and always stops what it started. A failed test keeps its logs and state
//! under `target/e2e-runs/<name>/` and prints where.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::thread::sleep;
use std::time::{Duration, Instant};

pub use serde_json::{json, Value};

pub const BOOTSTRAP_KEY: &str = "e2e-bootstrap-key-4f0c1a9e2b7d5c3a";
/// A test vault key (32 bytes of 0x2a); never used outside the tests.
pub const VAULT_KEYS: &str = "e2e1:KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
pub const WEBHOOK_VERIFY_TOKEN: &str = "e2e-webhook-verify-7b1e";
const READY_TIMEOUT: Duration = Duration::from_secs(120);

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

fn wrangler() -> PathBuf {
    repo_root().join("node_modules/.bin/wrangler")
}

/// Builds the worker and the simulator once per test process (no-ops when current).
fn ensure_built() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        assert!(wrangler().exists(), "wrangler is not installed: run scripts/setup");
        let status = Command::new("bash").arg(repo_root().join("scripts/build-worker")).current_dir(repo_root()).status().expect("run scripts/build-worker");
        assert!(status.success(), "scripts/build-worker failed");
        let status = Command::new("cargo").args(["build", "--quiet", "-p", "graph-sim"]).current_dir(repo_root()).status().expect("cargo build -p graph-sim");
        assert!(status.success(), "building the simulator failed");
    });
}

/// The Meta Graph API simulator (tests/graph_sim) as a child process on a free port.
pub struct Simulator {
    pub base: String,
    child: Child,
}

impl Simulator {
    /// Starts it with a demo ad account (act_100200300) that `demo_token` can see.
    pub fn start(demo_token: &str) -> Simulator {
        ensure_built();
        use std::io::{BufRead, BufReader};
        // Benchmarks point GRAPH_SIM_BIN at a release build; tests use the debug one.
        let bin = std::env::var_os("GRAPH_SIM_BIN").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target/debug/graph-sim"));
        let mut child = Command::new(bin)
            .args(["--port", "0", "--demo-token", demo_token])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start graph-sim");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("graph-sim prints its address");
        let base = line.trim().strip_prefix("listening on ").expect("listening line").to_string();
        Simulator { base, child }
    }

    pub fn control(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/__control{path}", self.base);
        let r = if method == "GET" { ureq::get(&url).call() } else { ureq::request(method, &url).send_json(body) };
        match r {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r.into_json().unwrap_or(Value::Null),
            Err(e) => panic!("simulator control {path}: {e}"),
        }
    }

    /// Every call the simulator received, as Meta would have seen them.
    pub fn ledger(&self) -> Vec<Value> {
        self.control("GET", "/ledger", Value::Null)["entries"].as_array().cloned().unwrap_or_default()
    }

    /// An ad account `token` sees, of `shape` (the simulator's account fields: campaigns, ad sets
    /// per campaign, ads per ad set, days...).
    pub fn seed_account(&self, account: &str, token: &str, shape: Value) -> Value {
        let mut spec = shape;
        spec["account_id"] = json!(account);
        spec["access_token"] = json!(token);
        self.control("POST", "/accounts", spec)
    }

    /// The objects Meta created (`validate_only` checks left out), by edge: `/campaigns`,
    /// `/adsets`, `/ads`, `/adcreatives`, one entry per create.
    pub fn creates(&self) -> Vec<String> {
        self.ledger()
            .iter()
            .filter(|e| e["method"] == "POST" && e["status"] == 200 && !e["params"].to_string().contains("validate_only"))
            .filter_map(|e| ["/campaigns", "/adsets", "/ads", "/adcreatives"].iter().find(|p| e["path"].as_str().unwrap().ends_with(*p)).map(|p| p.to_string()))
            .collect()
    }

    /// A Graph read straight from the simulator (not through adgate), as `token` sees it.
    pub fn graph_get(&self, path: &str, token: &str) -> Value {
        let url = format!("{}/v26.0/{}", self.base, path.trim_start_matches('/'));
        let sep = if url.contains('?') { '&' } else { '?' };
        match ureq::get(&format!("{url}{sep}access_token={token}")).call() {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r.into_json().unwrap_or(Value::Null),
            Err(e) => panic!("simulator GET {path}: {e}"),
        }
    }

    /// A Graph write straight to the simulator (someone changing an object in Ads Manager).
    pub fn graph_post(&self, path: &str, token: &str, params: &[(&str, &str)]) -> Value {
        let url = format!("{}/v26.0/{}", self.base, path.trim_start_matches('/'));
        let mut form: Vec<(&str, &str)> = params.to_vec();
        form.push(("access_token", token));
        match ureq::post(&url).send_form(&form) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r.into_json().unwrap_or(Value::Null),
            Err(e) => panic!("simulator POST {path}: {e}"),
        }
    }

    /// Gateway settings that point the Graph client and the OAuth dialog here.
    pub fn gateway_vars(&self) -> Vec<(String, String)> {
        vec![("META_API_BASE_URL".into(), self.base.clone()), ("META_DIALOG_BASE_URL".into(), self.base.clone())]
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().unwrap().port()
}

/// An HTTP response: status, headers we care about, and the body as JSON (or Null).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn into_resp(r: ureq::Response) -> Resp {
    let status = r.status();
    let content_type = r.header("content-type").unwrap_or_default().to_string();
    let headers = r.headers_names().into_iter().map(|n| {
        let v = r.header(&n).unwrap_or_default().to_string();
        (n, v)
    });
    let headers: Vec<_> = headers.collect();
    // Whole bodies of any size (a report's CSV is tens of megabytes; `into_string` stops at 10).
    let mut text = String::new();
    let _ = std::io::Read::read_to_string(&mut r.into_reader(), &mut text);
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp { status, content_type, headers, body, text }
}

pub struct Gateway {
    pub name: String,
    pub base: String,
    run_dir: PathBuf,
    vars: Vec<(String, String)>,
    child: Option<Child>,
    agent: ureq::Agent,
}

impl Gateway {
    /// Starts a gateway with fresh local state, migrations applied.
    pub fn start(name: &str) -> Gateway {
        Self::start_with(name, &[])
    }

    /// Starts a gateway with extra `--var NAME:VALUE` settings.
    pub fn start_with(name: &str, vars: &[(&str, &str)]) -> Gateway {
        ensure_built();
        let run_dir = repo_root().join("target/e2e-runs").join(name);
        let _ = fs::remove_dir_all(&run_dir);
        fs::create_dir_all(&run_dir).expect("create run dir");
        // Defaults first: wrangler keeps the last --var of a name, so the caller's win.
        let mut all = vec![
            ("ADGATE_ENV".to_string(), "local".to_string()),
            ("ADGATE_BOOTSTRAP_KEY".into(), BOOTSTRAP_KEY.into()),
            ("TOKEN_VAULT_KEYS".into(), VAULT_KEYS.into()),
            ("ADGATE_STATE_SECRET".into(), "e2e-state-secret-0c9d8e7f".into()),
            ("META_APP_ID".into(), "1000000000000001".into()),
            ("META_APP_SECRET".into(), "sim-app-secret".into()),
            ("META_WEBHOOK_VERIFY_TOKEN".into(), WEBHOOK_VERIFY_TOKEN.into()),
            // Binding an account starts its backfill; tests about other things turn that off.
            ("BACKFILL_ON_BIND".into(), "false".into()),
        ];
        all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let vars = all;
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
        let mut gw = Gateway { name: name.to_string(), base: String::new(), run_dir, vars, child: None, agent };
        gw.apply_migrations();
        gw.spawn();
        gw
    }

    fn state_dir(&self) -> PathBuf {
        self.run_dir.join("state")
    }

    fn apply_migrations(&self) {
        let out = Command::new(wrangler())
            .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
            .arg(self.state_dir())
            .current_dir(repo_root())
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CI", "true")
            .output()
            .expect("run wrangler d1 migrations apply");
        assert!(out.status.success(), "migrations failed:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }

    fn spawn(&mut self) {
        self.spawn_attempt(1);
    }

    fn spawn_attempt(&mut self, attempt: u32) {
        let log_start = self.log_text().len();
        let port = free_port();
        let inspector = free_port();
        self.base = format!("http://127.0.0.1:{port}");
        let log = fs::OpenOptions::new().create(true).append(true).open(self.run_dir.join("wrangler.log")).expect("open log");
        let mut cmd = Command::new(wrangler());
        cmd.args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--inspector-port", &inspector.to_string()])
            .args(["--test-scheduled", "--show-interactive-dev-session=false", "--persist-to"])
            .arg(self.state_dir());
        for (k, v) in &self.vars {
            cmd.args(["--var", &format!("{k}:{v}")]);
        }
        use std::os::unix::process::CommandExt;
        cmd.current_dir(repo_root()).env("WRANGLER_SEND_METRICS", "false").stdin(Stdio::null()).stdout(log.try_clone().unwrap()).stderr(log).process_group(0);
        self.child = Some(cmd.spawn().expect("spawn wrangler dev"));
        if !self.wait_ready(log_start) {
            // A port taken between free_port() and wrangler binding it, or a runtime that did not
            // start: try again on new ports.
            assert!(attempt < 5, "wrangler dev could not start in {attempt} attempts; log: {}", self.log_tail());
            self.child = None;
            self.spawn_attempt(attempt + 1);
        }
    }

    /// True when the gateway answers; false when wrangler could not bind its port or start workerd.
    fn wait_ready(&mut self, log_start: usize) -> bool {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                // Another process took the port, or workerd failed to start (seen when wrangler's
                // file watcher restarts the build while the runtime is starting): start again.
                let retryable = ["Address already in use", "The Workers runtime failed to start"];
                if self.log_text().get(log_start..).is_some_and(|l| retryable.iter().any(|r| l.contains(r))) {
                    return false;
                }
                panic!("wrangler dev exited early ({status}); log: {}", self.log_tail());
            }
            if let Ok(r) = self.agent.get(&format!("{}/health", self.base)).timeout(Duration::from_secs(5)).call() {
                if r.status() == 200 {
                    return true;
                }
            }
            assert!(Instant::now() < deadline, "gateway not ready in {READY_TIMEOUT:?}; log: {}", self.log_tail());
            sleep(Duration::from_millis(250));
        }
    }

    /// Everything wrangler and the worker printed so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(self.run_dir.join("wrangler.log")).unwrap_or_default()
    }

    pub fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.run_dir.join("wrangler.log")).unwrap_or_default();
        let start = log.len().saturating_sub(4_000);
        log[log.floor_char_boundary(start)..].to_string()
    }

    /// Stops the whole process group (wrangler and its workerd), waiting for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pgid = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-TERM", "--", &pgid]).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                sleep(Duration::from_millis(100));
            }
            let _ = Command::new("kill").args(["-KILL", "--", &pgid]).stderr(Stdio::null()).status();
            let _ = child.wait();
        }
    }

    /// The resident memory of the gateway's runtime (`workerd`) in KiB, for a soak's memory check.
    pub fn runtime_rss_kib(&self) -> Option<u64> {
        let group = self.child.as_ref()?.id().to_string();
        let out = Command::new("ps").args(["-eo", "pgid=,rss=,comm="]).output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let rss = text
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() >= 3 && f[0] == group && f[2].contains("workerd")).then(|| f[1].parse::<u64>().ok()).flatten()
            })
            .sum::<u64>();
        (rss > 0).then_some(rss)
    }

    /// Kills the runtime at once (SIGKILL: no shutdown, whatever is mid-call stops there), as a
    /// host failure or a Durable Object reset would; `restart` starts it again on the same state.
    pub fn crash(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).stderr(Stdio::null()).status();
            let _ = child.wait();
        }
    }

    /// Restarts with some settings changed (later values win).
    pub fn restart_with(&mut self, vars: &[(&str, &str)]) {
        self.vars.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.restart();
    }

    /// Stops and starts again on the same state folder (a new port).
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Resp {
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let result = match body {
            Some(b) => req.set("Content-Type", "application/json").send_string(b),
            None => req.call(),
        };
        match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => into_resp(r),
            Err(e) => panic!("{method} {path}: {e}"),
        }
    }

    /// A request with exactly these headers and this body (no Content-Type is added).
    pub fn request_raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Resp {
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.set(k, v);
        }
        match req.send_string(body) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => into_resp(r),
            Err(e) => panic!("{method} {path}: {e}"),
        }
    }

    pub fn get(&self, path: &str) -> Resp {
        self.request("GET", path, &[], None)
    }

    /// Runs an action as `key`, with an `Idempotency-Key` no other call of this process uses.
    pub fn act(&self, key: &str, router: &str, action: &str, body: &Value) -> Resp {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
        let idem = format!("{action}-{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        self.request(
            "POST",
            &format!("/v1/actions/{router}/{action}"),
            &[("Authorization", &format!("Bearer {key}")), ("Idempotency-Key", &idem)],
            Some(&body.to_string()),
        )
    }

    /// An authenticated call with the bootstrap admin key.
    pub fn admin(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let auth = format!("Bearer {BOOTSTRAP_KEY}");
        let text = body.map(Value::to_string);
        self.request(method, path, &[("Authorization", &auth)], text.as_deref())
    }

    /// Adds a member (a person of its own) to `ws` with the bootstrap key; returns its first key.
    pub fn member_key(&self, ws: &str, role: &str) -> String {
        self.new_member(ws, role).1
    }

    /// Adds a member with the bootstrap key; returns (member id, its first key).
    pub fn new_member(&self, ws: &str, role: &str) -> (String, String) {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let body = json!({"name": format!("{role} {n}"), "email": format!("{role}{n}@example.test"), "role": role});
        let r = self.admin("POST", &format!("/v1/workspaces/{ws}/members"), Some(&body));
        assert_eq!(r.status, 201, "{}", r.text);
        (r.body["member"]["id"].as_str().unwrap().to_string(), r.body["key"]["key"].as_str().unwrap().to_string())
    }

    /// A read-only connection to the local D1 database file.
    pub fn d1(&self) -> rusqlite::Connection {
        rusqlite::Connection::open_with_flags(self.d1_file(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open D1")
    }

    /// Writes rows straight into D1, as a sync would have written them (for data the simulator
    /// cannot produce yet).
    pub fn plant(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) {
        self.try_plant(sql, params).expect("plant");
    }

    /// `plant`, answering SQLite's error instead of failing (for what the schema must refuse).
    pub fn try_plant(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> rusqlite::Result<usize> {
        let conn = rusqlite::Connection::open(self.d1_file()).expect("open D1");
        conn.busy_timeout(Duration::from_secs(10)).expect("busy timeout");
        conn.execute(sql, params)
    }

    /// Runs a query against D1 and returns each row as a JSON object.
    pub fn query(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Vec<Value> {
        rows_of(&self.d1(), sql, params)
    }

    /// Runs a query over every fact wherever it lives: an in-memory `insights_facts` holding
    /// D1's rows and every account fact object's (`AccountFacts`), so a check sees one table.
    pub fn facts_query(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Vec<Value> {
        let conn = rusqlite::Connection::open_in_memory().expect("memory");
        let d1 = self.d1();
        let schema: String = d1.query_row("SELECT sql FROM sqlite_master WHERE name = 'insights_facts'", [], |r| r.get(0)).expect("schema");
        conn.execute(&schema, []).expect("create");
        let mut files = vec![self.d1_file()];
        files.extend(self.durable_object_files("AccountFacts"));
        for (i, f) in files.iter().enumerate() {
            let uri = format!("file:{}?mode=ro", f.display());
            conn.execute(&format!("ATTACH DATABASE ?1 AS s{i}"), [uri]).expect("attach");
            let has: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM s{i}.sqlite_master WHERE name = 'insights_facts'"), [], |r| r.get(0)).expect("look");
            if has == 1 {
                conn.execute(&format!("INSERT INTO main.insights_facts SELECT * FROM s{i}.insights_facts"), []).expect("gather facts");
            }
            conn.execute(&format!("DETACH DATABASE s{i}"), []).expect("detach");
        }
        rows_of(&conn, sql, params)
    }

    /// The rows a query answers in one account's fact object (none if it has none yet).
    pub fn object_facts(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Vec<Value> {
        let mut out = Vec::new();
        for f in self.durable_object_files("AccountFacts") {
            let conn = rusqlite::Connection::open_with_flags(f, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open object");
            out.extend(rows_of(&conn, sql, params));
        }
        out
    }

    /// Writes straight into the fact object holding `account`'s facts (for data a sync cannot
    /// produce, such as rows older than any retention window).
    pub fn plant_object(&self, account: &str, sql: &str, params: &[&dyn rusqlite::ToSql]) -> usize {
        for f in self.durable_object_files("AccountFacts") {
            let conn = rusqlite::Connection::open(f).expect("open object");
            conn.busy_timeout(Duration::from_secs(10)).expect("busy timeout");
            let held: i64 = conn.query_row("SELECT COUNT(*) FROM insights_facts WHERE ad_account_id = ?1", [account], |r| r.get(0)).unwrap_or(0);
            if held > 0 {
                return conn.execute(sql, params).expect("plant in the object");
            }
        }
        panic!("no fact object holds account {account}")
    }

    fn d1_file(&self) -> PathBuf {
        let dir = self.state_dir().join("v3/d1/miniflare-D1DatabaseObject");
        fs::read_dir(&dir)
            .expect("D1 state folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "sqlite") && !p.ends_with("metadata.sqlite"))
            .expect("D1 database file")
    }
}

/// A query's rows, each a JSON object by column name.
pub fn rows_of(conn: &rusqlite::Connection, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Vec<Value> {
    {
        let mut stmt = conn.prepare(sql).expect("prepare");
        let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
        let rows = stmt
            .query_map(params, |row| {
                let mut obj = serde_json::Map::new();
                for (i, n) in names.iter().enumerate() {
                    let v = match row.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => Value::Null,
                        rusqlite::types::ValueRef::Integer(n) => json!(n),
                        rusqlite::types::ValueRef::Real(f) => json!(f),
                        rusqlite::types::ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
                        rusqlite::types::ValueRef::Blob(b) => json!(b.len()),
                    };
                    obj.insert(n.clone(), v);
                }
                Ok(Value::Object(obj))
            })
            .expect("query");
        rows.map(|r| r.expect("row")).collect()
    }
}

impl Gateway {
    /// The Durable Object SQLite files of one class, for checks that storage really persisted.
    pub fn durable_object_files(&self, class: &str) -> Vec<PathBuf> {
        let dir = self.state_dir().join(format!("v3/do/adgate-{class}"));
        fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "sqlite") && !p.ends_with("metadata.sqlite")).collect()
            })
            .unwrap_or_default()
    }

    /// Fails if `secret` appears in any D1 row or in the gateway's log.
    pub fn assert_nowhere(&self, secret: &str) {
        self.assert_not_in_d1(secret);
        assert!(!self.log_text().contains(secret), "secret in the gateway log");
    }

    /// Fails if `secret` appears in any D1 row.
    pub fn assert_not_in_d1(&self, secret: &str) {
        let conn = self.d1();
        let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").unwrap();
        let tables: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        for t in tables {
            for row in self.query(&format!("SELECT * FROM \"{t}\""), &[]) {
                assert!(!row.to_string().contains(secret), "secret in table {t}");
            }
        }
    }

    /// Polls `check` until it returns Some, or fails after `timeout` with `what`.
    pub fn wait_for<T>(&self, what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = check() {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; log: {}", self.log_tail());
            sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!("[e2e] {} failed: logs and state kept in {}", self.name, self.run_dir.display());
        } else {
            let _ = fs::remove_dir_all(&self.run_dir);
        }
    }
}

/// The `X-Hub-Signature-256` Meta puts on a notification, with the simulator's app secret.
pub fn sign_webhook(body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"sim-app-secret").unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A gateway pointed at its own simulator (demo account act_100200300 seen by `demo_token`),
/// with one USD workspace.
pub struct Connected {
    pub sim: Simulator,
    pub gw: Gateway,
    pub ws: String,
}

impl Connected {
    pub fn start(name: &str, demo_token: &str, extra_vars: &[(&str, &str)]) -> Connected {
        let sim = Simulator::start(demo_token);
        let mut vars = sim.gateway_vars();
        vars.extend(extra_vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let gw = Gateway::start_with(name, &vars);
        let r = gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Fleet", "currency": "USD"})));
        assert_eq!(r.status, 201, "{}", r.text);
        let ws = r.body["id"].as_str().unwrap().to_string();
        Connected { sim, gw, ws }
    }

    /// Meta's truth per day (the simulator's) and D1's account-level daily aggregates, each row
    /// `[date, impressions, cents, clicks, leads]`, for an exact comparison.
    pub fn days_against_truth(&self, account: &str, since: &str, until: &str) -> (Vec<Value>, Vec<Value>) {
        let truth = self.sim.control("GET", &format!("/truth?account_id={account}&since={since}&until={until}"), Value::Null);
        let theirs =
            truth["days"].as_array().unwrap().iter().map(|d| json!([d["date"], d["impressions"], d["spend_cents"], d["clicks"], d["leads"]])).collect();
        let ours = self
            .gw
            .query(
                "SELECT date, impressions, spend_minor, clicks, leads FROM insights_daily WHERE ad_account_id = ?1 AND level = 'account' \
                 AND attribution_window = 'default' AND date BETWEEN ?2 AND ?3 ORDER BY date",
                &[&account, &since, &until],
            )
            .iter()
            .map(|r| json!([r["date"], r["impressions"], r["spend_minor"], r["clicks"], r["leads"]]))
            .collect();
        (theirs, ours)
    }

    /// `count` ad accounts in the simulator, ids `{prefix}00000` on, that `token` sees, each of
    /// `shape` (campaigns, ad sets, ads, days: the simulator's account fields), with Graph budgets
    /// no benchmark or soak exhausts; their ids.
    pub fn seed_fleet(&self, prefix: &str, count: usize, token: &str, shape: Value) -> Vec<String> {
        self.sim.control("POST", "/config", json!({"app_call_budget": 1_000_000_000}));
        let ids: Vec<String> = (0..count).map(|i| format!("{prefix}{i:05}")).collect();
        for id in &ids {
            let mut spec = shape.clone();
            spec["call_budget"] = json!(1_000_000_000);
            let r = self.sim.seed_account(id, token, spec);
            assert_eq!(r["account_id"], json!(id), "{r}");
        }
        ids
    }

    /// Sets the workspace's insights settings as a new admin (breakdown sets, backfill days...).
    pub fn set_insights(&self, settings: Value) {
        let admin = self.key("admin");
        let r = self.gw.act(&admin, "admin_meta_ads_governance", "set_insights_settings", &settings);
        assert_eq!(r.status, 200, "{}", r.text);
    }

    /// The key of a new member (a person of its own) with this role.
    pub fn key(&self, role: &str) -> String {
        self.gw.member_key(&self.ws, role)
    }

    /// Connects a Meta token as an integration and returns its id.
    pub fn connect(&self, token: &str) -> String {
        let r = self.gw.admin("POST", &format!("/v1/workspaces/{}/integrations", self.ws), Some(&json!({"access_token": token})));
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["integration"]["id"].as_str().unwrap().to_string()
    }

    /// Connects `token`, binds ad account `account` (digits) through it and waits for the
    /// backfill that binding starts (structure and insights) to succeed.
    pub fn bind_and_backfill(&self, token: &str, account: &str) {
        let iid = self.connect(token);
        let r = self.gw.admin("POST", &format!("/v1/workspaces/{}/integrations/{iid}/bind", self.ws), Some(&json!({"account_id": format!("act_{account}")})));
        assert_eq!(r.status, 201, "{}", r.text);
        self.gw.wait_for("the backfill", Duration::from_secs(180), || {
            let rows = self.gw.query("SELECT status FROM sync_runs WHERE ad_account_id = ?1", &[&account]);
            (rows.len() >= 2 && rows.iter().all(|r| r["status"] == "succeeded")).then_some(())
        });
    }
}
