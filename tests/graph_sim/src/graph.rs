//! Graph request dispatch: authentication, nodes and edges, insights, report runs, tokens and the
//! batch API. Runs under the store lock; the HTTP layer around it adds faults, headers and the ledger.

use crate::error::{GraphError, GraphResult};
use crate::fields::{self, Field};
use crate::insights::{self, Level};
use crate::objects;
use crate::paging;
use crate::params::Params;
use crate::readable;
use crate::store::{Kind, Node, ReportRun, Store, Token};
use crate::usage::{self, UseCase};
use crate::versions::Version;
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// What one Graph call produced, with what the HTTP layer needs to report usage.
pub struct Outcome {
    pub status: u16,
    pub body: Value,
    pub account: Option<String>,
    pub use_case: UseCase,
    pub error_code: Option<i64>,
    pub redirect: Option<String>,
}

impl Outcome {
    pub fn ok(body: Value) -> Self {
        Outcome { status: 200, body, account: None, use_case: UseCase::AdsManagement, error_code: None, redirect: None }
    }
}

pub struct Request<'a> {
    pub method: &'a str,
    /// Path after the version, without leading slash, e.g. `act_1/campaigns`.
    pub path: &'a str,
    pub params: Params,
    pub bearer: Option<String>,
    pub version: String,
}

pub fn appsecret_proof(secret: &str, token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Runs one call. Errors become Graph error bodies with their HTTP status.
pub fn handle(store: &mut Store, req: Request, fbtrace: &str) -> Outcome {
    store.serving = Version::parse(&req.version).unwrap_or(Version(26));
    let mut account = None;
    let mut use_case = UseCase::AdsManagement;
    match route(store, &req, &mut account, &mut use_case) {
        Ok(mut o) => {
            o.account = o.account.or(account);
            o.use_case = use_case;
            o
        }
        Err(e) => Outcome { status: e.http_status, error_code: Some(e.code), body: e.to_json(fbtrace), account, use_case, redirect: None },
    }
}

pub fn token_of<'a>(req: &'a Request) -> Option<&'a str> {
    req.params.str("access_token").or(req.bearer.as_deref()).filter(|t| !t.is_empty())
}

/// Checks the token and the proof; returns the token's record.
fn authenticate(store: &mut Store, req: &Request) -> GraphResult<(String, Token)> {
    let token = token_of(req).ok_or_else(|| GraphError::new(400, "OAuthException", 104, "An access token is required to request this resource."))?.to_string();
    match req.params.str("appsecret_proof") {
        Some(proof) => {
            let want = appsecret_proof(&store.cfg.app_secret, &token);
            if !bool::from(proof.as_bytes().ct_eq(want.as_bytes())) {
                return Err(GraphError::new(400, "GraphMethodException", 100, "Invalid appsecret_proof provided in the API argument"));
            }
        }
        None if store.cfg.require_proof => {
            return Err(GraphError::new(400, "GraphMethodException", 100, "API calls from the server require an appsecret_proof argument"));
        }
        None => {}
    }
    let t = store.tokens.get(&token).cloned().ok_or_else(GraphError::invalid_token)?;
    if t.revoked {
        return Err(GraphError::new(400, "OAuthException", 190, "Error validating access token: The user has not authorized application.").subcode(458));
    }
    if let Some(exp) = t.expires_at {
        if exp <= store.now() {
            return Err(GraphError::expired_token(
                &chrono::DateTime::from_timestamp(exp, 0).unwrap_or_default().format("%A, %d-%b-%y %H:%M:%S UTC").to_string(),
            ));
        }
    }
    Ok((token, t))
}

fn need_scope(t: &Token, scope: &str) -> GraphResult<()> {
    if t.scopes.iter().any(|s| s == scope) || (scope == "ads_read" && t.scopes.iter().any(|s| s == "ads_management")) {
        Ok(())
    } else {
        Err(GraphError::permission(format!("(#200) Requires {scope} permission to manage the object")))
    }
}

pub fn can_see(t: &Token, account_id: &str) -> bool {
    t.accounts.iter().any(|a| a == account_id || a == "*")
}

fn route(store: &mut Store, req: &Request, account: &mut Option<String>, use_case: &mut UseCase) -> GraphResult<Outcome> {
    let segs: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
    // Token endpoints read the caller's token as a parameter; a bearer header counts as one.
    let mut params = req.params.clone();
    if params.get("access_token").is_none() {
        if let Some(b) = &req.bearer {
            params.0.insert("access_token".into(), json!(b));
        }
    }
    match (req.method, segs.as_slice()) {
        ("GET" | "POST", ["oauth", "access_token"]) => return crate::tokens::exchange(store, &params),
        ("GET", ["dialog", "oauth"]) => return crate::tokens::dialog(store, &req.params),
        ("GET", ["debug_token"]) => return crate::tokens::debug(store, &params),
        ("POST", []) => return crate::batch::run(store, req),
        _ => {}
    }
    let (_, tok) = authenticate(store, req)?;
    let write = matches!(req.method, "POST" | "DELETE");
    need_scope(&tok, if write { "ads_management" } else { "ads_read" })?;
    match segs.as_slice() {
        ["me"] => Ok(Outcome::ok(json!({ "id": tok.user_id, "name": format!("Sim User {}", tok.user_id) }))),
        ["me", "business_users"] if req.method == "GET" => {
            let users = crate::people::business_users(store, &tok);
            list(store, req, users)
        }
        // Any other edge of the caller is unknown here (not "object me does not exist").
        ["me", edge] if *edge != "adaccounts" => Err(GraphError::unknown_path(edge)),
        ["me", "adaccounts"] if req.method == "GET" => {
            let accts: Vec<Value> = store
                .accounts
                .values()
                .filter(|a| can_see(&tok, &a.id))
                .map(|a| {
                    let full = crate::full::account(store, a, &req.params);
                    select_account(store, &full, &req.params)
                })
                .collect::<GraphResult<_>>()?;
            list(store, req, accts)
        }
        ["search"] if req.method == "GET" => {
            // Targeting search is no ad account's edge: it needs a valid token, no account.
            usage::admit(store, None, UseCase::AdsManagement)?;
            let items = crate::search::search(&req.params)?;
            list(store, req, items)
        }
        [page, "leadgen_forms"] if req.method == "GET" && !page.starts_with("act_") && !store.nodes.contains_key(*page) => {
            if !crate::pages::visible(store, &tok, page) {
                return Err(GraphError::unknown_object(page));
            }
            *use_case = UseCase::Leadgen;
            usage::admit(store, None, UseCase::Leadgen)?;
            let forms: Vec<Value> = crate::pages::forms(store, &tok, page).into_iter().map(crate::pages::form_json).collect();
            let items = forms.iter().map(|f| select(f, &req.params, crate::pages::FORM_FIELDS)).collect::<GraphResult<Vec<Value>>>()?;
            list(store, req, items)
        }
        [node] if node.starts_with("act_") => {
            let id = account_id(store, &tok, node)?;
            *account = Some(id.clone());
            usage::admit(store, Some(&id), UseCase::AdsManagement)?;
            match req.method {
                "GET" => {
                    let full = crate::full::account(store, &store.accounts[&id], &req.params);
                    Ok(Outcome::ok(select_account(store, &full, &req.params)?))
                }
                _ => Err(GraphError::unknown_path(node)),
            }
        }
        [node, edge] if node.starts_with("act_") => {
            let id = account_id(store, &tok, node)?;
            *account = Some(id.clone());
            *use_case = UseCase::of_edge(edge);
            usage::admit(store, Some(&id), *use_case)?;
            account_edge(store, req, &id, edge)
        }
        [id] => {
            let node = visible_node(store, &tok, id)?;
            *account = Some(node.account_id.clone());
            *use_case = UseCase::of_node(node.kind);
            usage::admit(store, Some(&node.account_id), *use_case)?;
            node_call(store, req, node)
        }
        [id, edge] => {
            let node = visible_node(store, &tok, id)?;
            *account = Some(node.account_id.clone());
            // The more specific of the node's use case and the edge's (an audience's users, a form's leads).
            *use_case = if *edge == "insights" { UseCase::AdsInsights } else { UseCase::of_node(node.kind).max(UseCase::of_edge(edge)) };
            usage::admit(store, Some(&node.account_id), *use_case)?;
            node_edge(store, req, node, edge)
        }
        _ => Err(GraphError::unknown_path(req.path)),
    }
}

fn account_id(store: &Store, tok: &Token, node: &str) -> GraphResult<String> {
    let id = node.trim_start_matches("act_");
    if store.accounts.contains_key(id) && can_see(tok, id) {
        Ok(id.to_string())
    } else {
        Err(GraphError::unknown_object(node))
    }
}

fn visible_node(store: &Store, tok: &Token, id: &str) -> GraphResult<Node> {
    match store.nodes.get(id) {
        Some(n) if can_see(tok, &n.account_id) => Ok(n.clone()),
        _ => Err(GraphError::unknown_object(id)),
    }
}

fn parse_fields(p: &Params) -> GraphResult<Option<Vec<Field>>> {
    match p.str("fields") {
        None => Ok(None),
        Some(s) => fields::parse(s).map(Some).map_err(|e| GraphError::invalid_param(format!("(#100) {e}"))),
    }
}

fn select(full: &Value, p: &Params, default: &[&str]) -> GraphResult<Value> {
    let obj = full.as_object().cloned().unwrap_or_default();
    let wanted = parse_fields(p)?.unwrap_or_else(|| default.iter().map(|n| Field { name: n.to_string(), modifiers: vec![], children: None }).collect());
    let mut out = fields::select_plain(&obj, &wanted);
    // Graph always returns a node's id, whatever the selection.
    if let Some(id) = obj.get("id") {
        out.entry("id").or_insert_with(|| id.clone());
    }
    Ok(Value::Object(out))
}

/// An ad account's members as selected, refusing a field an ad account does not have.
fn select_account(store: &Store, full: &Value, p: &Params) -> GraphResult<Value> {
    if let Some(wanted) = parse_fields(p)? {
        readable::check("AdAccount", &wanted, store.serving)?;
    }
    select(full, p, &["id", "account_id"])
}

/// Parses `fields` and refuses any the kind's node type does not have.
fn checked_fields(store: &Store, p: &Params, kind: Kind) -> GraphResult<Option<Vec<Field>>> {
    let wanted = parse_fields(p)?;
    if let (Some(w), Some(node_type)) = (&wanted, readable::node_type(kind)) {
        readable::check(node_type, w, store.serving)?;
    }
    Ok(wanted)
}

fn validate_only(p: &Params) -> bool {
    p.list("execution_options").is_some_and(|o| o.iter().any(|x| x == "validate_only"))
}

fn list(store: &Store, req: &Request, items: Vec<Value>) -> GraphResult<Outcome> {
    let total = items.len();
    list_window(store, req, total, |start, end| items[start..end].to_vec())
}

/// One page of a list of `total` items; `page_of(start, end)` renders only that window.
fn list_window(store: &Store, req: &Request, total: usize, page_of: impl FnOnce(usize, usize) -> Vec<Value>) -> GraphResult<Outcome> {
    let (page, limit) =
        paging::window(total, req.params.int("limit")?, req.params.str("after"), req.params.str("before")).map_err(GraphError::invalid_param)?;
    let data = page_of(page.start, page.end);
    let mut kept = Vec::new();
    for (k, v) in &req.params.0 {
        if !matches!(k.as_str(), "after" | "before" | "limit" | "appsecret_proof" | "summary") {
            let text = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
            kept.push((k.clone(), text));
        }
    }
    let query = serde_urlencoded::to_string(&kept).unwrap_or_default();
    let next_url = format!("{}/{}/{}?{query}", store.cfg.base_url, req.version, req.path);
    let mut body = paging::envelope(data, &page, total, limit, &next_url);
    if req.params.str("summary").is_some_and(|s| s == "true" || s.contains("total_count")) {
        body["summary"] = json!({ "total_count": total });
    }
    Ok(Outcome::ok(body))
}

/// Renders a node with field selection and the expansions Graph supports on it.
pub fn render(store: &Store, n: &Node, wanted: Option<&[Field]>) -> Value {
    let full = objects::render_full(store, n, &|name| wanted.is_some_and(|w| w.iter().any(|f| f.name == name)));
    let defaults: Vec<Field>;
    let wanted = match wanted {
        Some(w) => w,
        None => {
            defaults = objects::default_fields(n.kind).iter().map(|d| Field { name: d.to_string(), modifiers: vec![], children: None }).collect();
            &defaults
        }
    };
    let mut out = Map::new();
    for f in wanted {
        let related = |id: &Option<String>| id.as_ref().and_then(|i| store.nodes.get(i)).map(|p| render(store, p, Some(f.children.as_deref().unwrap_or(&[]))));
        let value = match f.name.as_str() {
            "campaign" if n.campaign_id.is_some() => related(&n.campaign_id),
            "adset" if n.adset_id.is_some() => related(&n.adset_id),
            "creative" if n.kind == Kind::Ad => {
                let cid = n.fields.get("creative").and_then(|c| c.get("id")).and_then(Value::as_str).map(str::to_string);
                related(&cid).map(|mut v| {
                    v["id"] = json!(cid);
                    v
                })
            }
            "account" => store.accounts.get(&n.account_id).map(|a| {
                let full = crate::full::account(store, a, &Params::default());
                let obj = full.as_object().cloned().unwrap_or_default();
                Value::Object(fields::select_plain(&obj, f.children.as_deref().unwrap_or(&[Field { name: "id".into(), modifiers: vec![], children: None }])))
            }),
            "adsets" | "ads" if matches!(n.kind, Kind::Campaign | Kind::AdSet) => {
                let kind = if f.name == "ads" { Kind::Ad } else { Kind::AdSet };
                let limit = f.modifiers.iter().find(|(m, _)| m == "limit").and_then(|(_, a)| a.parse().ok()).unwrap_or(25usize);
                let kids: Vec<&Node> = store
                    .children(&n.account_id, kind)
                    .filter(|c| c.campaign_id.as_deref() == Some(&n.id) || c.adset_id.as_deref() == Some(&n.id))
                    .filter(|c| !matches!(c.status(), "DELETED" | "ARCHIVED"))
                    .collect();
                let data: Vec<Value> = kids.iter().take(limit).map(|c| render(store, c, f.children.as_deref())).collect();
                Some(json!({ "data": data }))
            }
            name => full.get(name).map(|v| match (&f.children, v) {
                (Some(ch), Value::Object(o)) => Value::Object(fields::select_plain(o, ch)),
                _ => v.clone(),
            }),
        };
        if let Some(v) = value {
            out.insert(f.name.clone(), v);
        }
    }
    out.entry("id").or_insert_with(|| json!(n.id));
    Value::Object(out)
}

fn list_nodes(store: &Store, req: &Request, kind: Kind, nodes: Vec<&Node>) -> GraphResult<Outcome> {
    let wanted = checked_fields(store, &req.params, kind)?;
    let keep = crate::filtering::edge_filter(&req.params, kind)?;
    let mut nodes: Vec<&Node> = nodes.into_iter().filter(|n| keep(store, n)).collect();
    // Newest first, as Graph lists them.
    nodes.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
    let total = nodes.len();
    list_window(store, req, total, |start, end| nodes[start..end].iter().map(|n| render(store, n, wanted.as_deref())).collect())
}

fn create(store: &mut Store, req: &Request, account_id: &str, kind: Kind) -> GraphResult<Outcome> {
    let made = objects::build(store, account_id, kind, &req.params)?;
    if validate_only(&req.params) {
        return Ok(Outcome::ok(json!({ "success": true })));
    }
    // Parents from nested specs are stored first; placeholders become real ids on the way.
    let mut ids: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut last = String::new();
    for mut node in made {
        let id = store.new_id();
        ids.insert(node.id.clone(), id.clone());
        node.id = id.clone();
        for parent in [&mut node.campaign_id, &mut node.adset_id].into_iter().flatten() {
            if let Some(real) = ids.get(parent.as_str()) {
                *parent = real.clone();
            }
        }
        if let Some(real) = node.at("creative/id").and_then(Value::as_str).and_then(|c| ids.get(c)).cloned() {
            node.fields.insert("creative".into(), json!({ "id": real }));
        }
        store.put(node);
        crate::webhooks::object_changed(store, account_id, &id, "created");
        last = id;
    }
    Ok(Outcome::ok(json!({ "id": last })))
}

fn account_edge(store: &mut Store, req: &Request, account_id: &str, edge: &str) -> GraphResult<Outcome> {
    match (req.method, edge) {
        ("GET", "insights") => {
            let today = insights::account_today(store, account_id);
            let created = chrono::DateTime::from_timestamp(store.accounts[account_id].created, 0).unwrap_or_default().date_naive();
            let q = insights::parse_query(&req.params, Level::Account, today, created, store.serving)?;
            let rows = insights::run(store, account_id, None, &q);
            list(store, req, rows)
        }
        ("POST", "insights") => {
            let today = insights::account_today(store, account_id);
            let created = chrono::DateTime::from_timestamp(store.accounts[account_id].created, 0).unwrap_or_default().date_naive();
            insights::parse_query(&req.params, Level::Account, today, created, store.serving)?;
            let id = store.new_id();
            let fail_now = store.fail_next_reports > 0;
            store.fail_next_reports = store.fail_next_reports.saturating_sub(1);
            let run = ReportRun {
                id: id.clone(),
                account_id: account_id.to_string(),
                object_id: format!("act_{account_id}"),
                params: req.params.clone(),
                created: store.now(),
                polls_to_finish: store.report_polls_to_finish,
                polls: 0,
                fail: fail_now || req.params.str("simulate_failure").is_some(),
                rows: None,
            };
            store.report_runs.insert(id.clone(), run);
            let now = store.now();
            store.nodes.insert(
                id.clone(),
                Node {
                    id: id.clone(),
                    kind: Kind::ReportRun,
                    account_id: account_id.to_string(),
                    campaign_id: None,
                    adset_id: None,
                    fields: Map::new(),
                    created: now,
                    updated: now,
                    delivery_override: None,
                },
            );
            Ok(Outcome::ok(json!({ "report_run_id": id })))
        }
        ("GET", "minimum_budgets") => {
            let currency = objects::account_currency(store, account_id);
            list(store, req, vec![crate::budgets::minimum_budgets_json(&currency)])
        }
        ("GET", "targetingbrowse") => {
            let items = crate::search::browse(&req.params)?;
            list(store, req, items)
        }
        ("GET", "reachestimate") => Ok(Outcome::ok(crate::reach::reachestimate(store, account_id, &req.params)?)),
        ("GET", "delivery_estimate") => Ok(Outcome::ok(crate::reach::delivery_estimate(store, account_id, &req.params, None, None)?)),
        ("GET", "adimages") => {
            let nodes: Vec<&Node> = store.children(account_id, Kind::AdImage).collect();
            list_nodes(store, req, Kind::AdImage, nodes)
        }
        ("POST", "adimages") => {
            let bytes = req.params.str("bytes").ok_or_else(|| GraphError::invalid_param("(#100) The parameter bytes is required"))?.to_string();
            let hash = hex::encode(&<Sha256 as sha2::Digest>::digest(bytes.as_bytes())[..16]);
            let name = req.params.str("name").unwrap_or("image.png").to_string();
            let id = format!("{account_id}:{hash}");
            let now = store.now();
            let mut f = Map::new();
            f.insert("hash".into(), json!(hash));
            f.insert("name".into(), json!(name));
            f.insert("url".into(), json!(format!("{}/images/{hash}.png", store.cfg.base_url)));
            store.nodes.insert(
                id.clone(),
                Node {
                    id: id.clone(),
                    kind: Kind::AdImage,
                    account_id: account_id.into(),
                    campaign_id: None,
                    adset_id: None,
                    fields: f,
                    created: now,
                    updated: now,
                    delivery_override: None,
                },
            );
            Ok(Outcome::ok(json!({ "images": { name: { "hash": hash, "url": format!("{}/images/{hash}.png", store.cfg.base_url) } } })))
        }
        ("GET", "assigned_users") => {
            let users = crate::people::assigned_users(store, account_id, &req.params)?;
            list(store, req, users)
        }
        ("GET", "activities") => {
            let events = crate::people::activities(store, account_id, &req.params)?;
            list(store, req, events)
        }
        // Edges of things the simulator holds none of: a list, empty.
        ("GET", "advideos" | "customconversions") => list(store, req, Vec::new()),
        ("GET", e) => {
            let kind = Kind::from_edge(e).ok_or_else(|| GraphError::unknown_path(e))?;
            let nodes: Vec<&Node> = store.children(account_id, kind).collect();
            list_nodes(store, req, kind, nodes)
        }
        ("POST", e) => {
            let kind = Kind::from_edge(e).ok_or_else(|| GraphError::unknown_path(e))?;
            create(store, req, account_id, kind)
        }
        _ => Err(GraphError::unknown_path(edge)),
    }
}

fn node_call(store: &mut Store, req: &Request, node: Node) -> GraphResult<Outcome> {
    if node.kind == Kind::ReportRun {
        return match req.method {
            "GET" => poll_report(store, &node.id).map(Outcome::ok).ok_or_else(|| GraphError::unknown_object(&node.id)),
            _ => Err(GraphError::unknown_path(req.path)),
        };
    }
    match req.method {
        "GET" => {
            let wanted = checked_fields(store, &req.params, node.kind)?;
            Ok(Outcome::ok(render(store, &node, wanted.as_deref())))
        }
        "POST" => {
            let next = objects::apply_update(store, &node, &req.params)?;
            if validate_only(&req.params) {
                return Ok(Outcome::ok(json!({ "success": true })));
            }
            let account = next.account_id.clone();
            store.put(next);
            crate::webhooks::object_changed(store, &account, &node.id, "updated");
            Ok(Outcome::ok(json!({ "success": true })))
        }
        "DELETE" => {
            if node.status() == "DELETED" {
                return Err(GraphError::invalid_param(format!("(#100) Object {} has already been deleted", node.id)).subcode(1_487_056));
            }
            if node.kind == Kind::Creative {
                crate::creatives::refuse_if_in_use(store, &node)?;
            }
            let mut next = node.clone();
            next.fields.insert("status".into(), json!("DELETED"));
            next.updated = store.now();
            store.put(next);
            crate::webhooks::object_changed(store, &node.account_id, &node.id, "deleted");
            Ok(Outcome::ok(json!({ "success": true })))
        }
        _ => Err(GraphError::unknown_path(req.path)),
    }
}

fn node_edge(store: &mut Store, req: &Request, node: Node, edge: &str) -> GraphResult<Outcome> {
    match (req.method, edge, node.kind) {
        ("POST", "events", Kind::Dataset) => crate::capi::receive(store, &node, &req.params).map(Outcome::ok),
        ("GET", "insights", Kind::Campaign | Kind::AdSet | Kind::Ad) => {
            let level = match node.kind {
                Kind::Campaign => Level::Campaign,
                Kind::AdSet => Level::AdSet,
                _ => Level::Ad,
            };
            let today = insights::account_today(store, &node.account_id);
            let created = chrono::DateTime::from_timestamp(store.accounts[&node.account_id].created, 0).unwrap_or_default().date_naive();
            let q = insights::parse_query(&req.params, level, today, created, store.serving)?;
            let rows = insights::run(store, &node.account_id, Some(&node), &q);
            list(store, req, rows)
        }
        ("GET", "insights", Kind::ReportRun) => {
            let run = store.report_runs.get(&node.id).cloned().ok_or_else(|| GraphError::unknown_object(&node.id))?;
            if run.polls < run.polls_to_finish || run.fail {
                return Err(GraphError::invalid_param("(#100) The report is not ready; poll the report run until async_status is Job Completed").subcode(2_601));
            }
            let rows = match run.rows {
                Some(rows) => rows,
                None => {
                    let today = insights::account_today(store, &run.account_id);
                    let created = chrono::DateTime::from_timestamp(store.accounts[&run.account_id].created, 0).unwrap_or_default().date_naive();
                    let q = insights::parse_query(&run.params, Level::Account, today, created, store.serving)?;
                    let rows = std::sync::Arc::new(insights::run(store, &run.account_id, None, &q));
                    if let Some(r) = store.report_runs.get_mut(&node.id) {
                        r.rows = Some(rows.clone());
                    }
                    rows
                }
            };
            list_window(store, req, rows.len(), |start, end| rows[start..end].to_vec())
        }
        ("GET", "adsets" | "ads", Kind::Campaign | Kind::AdSet) => {
            let kind = if edge == "ads" { Kind::Ad } else { Kind::AdSet };
            let nodes: Vec<&Node> = store
                .children(&node.account_id, kind)
                .filter(|c| c.campaign_id.as_deref() == Some(&node.id) || c.adset_id.as_deref() == Some(&node.id))
                .collect();
            list_nodes(store, req, kind, nodes)
        }
        ("POST" | "DELETE", "users", Kind::CustomAudience) => Ok(Outcome::ok(crate::audiences::users(store, &node, req.method == "POST", &req.params)?)),
        ("GET", "delivery_estimate", Kind::AdSet) => {
            let goal = node.fields.get("optimization_goal").and_then(Value::as_str);
            Ok(Outcome::ok(crate::reach::delivery_estimate(store, &node.account_id, &req.params, node.fields.get("targeting"), goal)?))
        }
        ("GET", "leads", Kind::LeadForm) => {
            let nodes: Vec<&Node> = store.nodes.values().filter(|n| n.kind == Kind::Lead && n.campaign_id.as_deref() == Some(&node.id)).collect();
            list_nodes(store, req, Kind::Lead, nodes)
        }
        _ => Err(GraphError::unknown_path(&format!("{}/{edge}", node.id))),
    }
}

/// `GET /{report_run_id}` walks Job Not Started -> Started -> Running -> Completed (or Failed).
pub fn poll_report(store: &mut Store, id: &str) -> Option<Value> {
    let run = store.report_runs.get_mut(id)?;
    run.polls += 1;
    let done = run.polls >= run.polls_to_finish;
    let (status, pct) = match (done, run.fail, run.polls) {
        (true, true, _) => ("Job Failed", 0),
        (true, false, _) => ("Job Completed", 100),
        (false, _, 1) => ("Job Not Started", 0),
        (false, _, 2) => ("Job Started", 10),
        (false, _, n) => ("Job Running", (100 * n / run.polls_to_finish.max(1)).min(99)),
    };
    Some(json!({
        "id": run.id,
        "account_id": run.account_id,
        "async_status": status,
        "async_percent_completion": pct,
        "time_ref": run.created,
        "time_completed": if done { json!(run.created + 5) } else { Value::Null },
        "is_running": !done,
    }))
}

pub fn is_version(s: &str) -> bool {
    s.strip_prefix('v')
        .and_then(|r| r.split_once('.'))
        .is_some_and(|(a, b)| !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit()) && b.bytes().all(|c| c.is_ascii_digit()))
}
