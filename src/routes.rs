//! The HTTP route table: method and path in, a route with its path parameters out.
//! Pure, so 404 and 405 decisions are tested natively.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Health,
    /// Telemetry in the OpenMetrics text format, for the operator's scraper.
    Metrics,
    OpenApi,
    CreateWorkspace,
    GetWorkspace,
    BindAdAccount,
    ListAdAccounts,
    CreateApiKey,
    ListApiKeys,
    RevokeApiKey,
    CreateMember,
    ListMembers,
    /// Who the presented key is: workspace, member and role (what a console shows and hides).
    Me,
    AccountFromMeta,
    GateState,
    GateAdmit,
    ListCronRuns,
    ListSyncRuns,
    ListDeadLetters,
    ListActions,
    RunAction,
    Approve,
    Reject,
    ListApprovals,
    ConnectSystemUser,
    ListIntegrations,
    IntegrationHealth,
    DiscoverAdAccounts,
    BindDiscovered,
    ConnectStart,
    ConnectCallback,
    StartSync,
    SyncProgress,
    IngestMetrics,
    IngestPipelineEvents,
    Mcp,
    WebhookHandshake,
    WebhookNotification,
    /// A recruiting system's webhook, verified by its connection's secret.
    AtsWebhook,
    /// A report's CSV by its signed link.
    DownloadReport,
    /// Local development only: put a raw message on the sync queue.
    DevQueueSend,
    /// Local development only: fail inside the handler, to exercise the 500 path.
    DevFail,
    /// Local development only: panic inside the handler, to exercise the wasm-trap path.
    DevPanic,
}

impl Route {
    /// Routes that exist only when `ADGATE_ENV` is `local`.
    pub fn is_dev_only(self) -> bool {
        matches!(self, Route::DevQueueSend | Route::DevFail | Route::DevPanic)
    }
}

const TABLE: &[(&str, &str, Route)] = &[
    ("GET", "/health", Route::Health),
    ("GET", "/metrics", Route::Metrics),
    ("GET", "/openapi.json", Route::OpenApi),
    ("POST", "/v1/workspaces", Route::CreateWorkspace),
    ("GET", "/v1/workspaces/{}", Route::GetWorkspace),
    ("POST", "/v1/workspaces/{}/ad-accounts", Route::BindAdAccount),
    ("GET", "/v1/workspaces/{}/ad-accounts", Route::ListAdAccounts),
    ("POST", "/v1/workspaces/{}/api-keys", Route::CreateApiKey),
    ("GET", "/v1/workspaces/{}/api-keys", Route::ListApiKeys),
    ("POST", "/v1/workspaces/{}/api-keys/{}/revoke", Route::RevokeApiKey),
    ("POST", "/v1/workspaces/{}/members", Route::CreateMember),
    ("GET", "/v1/workspaces/{}/members", Route::ListMembers),
    ("GET", "/v1/me", Route::Me),
    ("GET", "/v1/ad-accounts/{}/meta", Route::AccountFromMeta),
    ("GET", "/v1/ad-accounts/{}/gate", Route::GateState),
    ("POST", "/v1/ad-accounts/{}/gate/admit", Route::GateAdmit),
    ("GET", "/v1/cron-runs", Route::ListCronRuns),
    ("GET", "/v1/sync-runs", Route::ListSyncRuns),
    ("GET", "/v1/dead-letters", Route::ListDeadLetters),
    ("GET", "/v1/actions", Route::ListActions),
    ("POST", "/v1/actions/{}/{}", Route::RunAction),
    ("POST", "/v1/approvals/{}/approve", Route::Approve),
    ("POST", "/v1/approvals/{}/reject", Route::Reject),
    ("GET", "/v1/workspaces/{}/approvals", Route::ListApprovals),
    ("POST", "/v1/workspaces/{}/integrations", Route::ConnectSystemUser),
    ("GET", "/v1/workspaces/{}/integrations", Route::ListIntegrations),
    ("GET", "/v1/workspaces/{}/integrations/{}/token-health", Route::IntegrationHealth),
    ("GET", "/v1/workspaces/{}/integrations/{}/adaccounts", Route::DiscoverAdAccounts),
    ("POST", "/v1/workspaces/{}/integrations/{}/bind", Route::BindDiscovered),
    ("GET", "/v1/meta/connect/start", Route::ConnectStart),
    ("GET", "/v1/meta/connect/callback", Route::ConnectCallback),
    ("POST", "/v1/accounts/{}/sync", Route::StartSync),
    ("GET", "/v1/accounts/{}/sync/{}", Route::SyncProgress),
    ("POST", "/v1/workspaces/{}/metrics/ingest", Route::IngestMetrics),
    ("POST", "/v1/workspaces/{}/pipeline/events", Route::IngestPipelineEvents),
    ("POST", "/mcp", Route::Mcp),
    ("GET", "/webhooks/meta", Route::WebhookHandshake),
    ("POST", "/webhooks/meta", Route::WebhookNotification),
    ("POST", "/webhooks/ats/{}", Route::AtsWebhook),
    ("GET", "/v1/reports/download/{}", Route::DownloadReport),
    ("POST", "/__dev/queue/sync", Route::DevQueueSend),
    ("GET", "/__dev/fail", Route::DevFail),
    ("GET", "/__dev/panic", Route::DevPanic),
];

/// Every route: method, pattern (`{}` for a parameter) and route.
pub fn table() -> impl Iterator<Item = (&'static str, &'static str, Route)> {
    TABLE.iter().copied()
}

#[derive(Debug, PartialEq, Eq)]
pub enum RouteMatch {
    Found { route: Route, params: Vec<String> },
    MethodNotAllowed { allowed: Vec<&'static str> },
    NotFound,
}

fn match_pattern(pattern: &str, path: &str) -> Option<Vec<String>> {
    let mut want = pattern.split('/');
    let mut got = path.split('/');
    let mut params = Vec::new();
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(params),
            (Some("{}"), Some(seg)) if !seg.is_empty() => params.push(seg.to_string()),
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

/// Resolves a request. `dev_routes` says whether local-only routes exist in this deployment.
pub fn resolve(method: &str, path: &str, dev_routes: bool) -> RouteMatch {
    // A trailing slash names the same resource.
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    let mut allowed = Vec::new();
    for &(m, pattern, route) in TABLE {
        if route.is_dev_only() && !dev_routes {
            continue;
        }
        if let Some(params) = match_pattern(pattern, path) {
            if m == method || (method == "HEAD" && m == "GET") {
                return RouteMatch::Found { route, params };
            }
            allowed.push(m);
        }
    }
    if allowed.is_empty() {
        RouteMatch::NotFound
    } else {
        RouteMatch::MethodNotAllowed { allowed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn found(method: &str, path: &str) -> (Route, Vec<String>) {
        match resolve(method, path, false) {
            RouteMatch::Found { route, params } => (route, params),
            other => panic!("{method} {path}: {other:?}"),
        }
    }

    #[test]
    fn matches_static_and_parameterised_paths() {
        assert_eq!(found("GET", "/health"), (Route::Health, vec![]));
        assert_eq!(found("GET", "/metrics"), (Route::Metrics, vec![]));
        assert_eq!(found("GET", "/health/"), (Route::Health, vec![]));
        assert_eq!(found("POST", "/v1/workspaces/ws_1/ad-accounts"), (Route::BindAdAccount, vec!["ws_1".to_string()]));
        assert_eq!(found("POST", "/v1/ad-accounts/act_9/gate/admit"), (Route::GateAdmit, vec!["act_9".to_string()]));
    }

    #[test]
    fn head_is_served_by_get() {
        assert_eq!(found("HEAD", "/health").0, Route::Health);
    }

    #[test]
    fn unknown_paths_are_not_found_and_empty_segments_do_not_match() {
        assert_eq!(resolve("GET", "/nope", false), RouteMatch::NotFound);
        assert_eq!(resolve("GET", "/v1/workspaces//ad-accounts", false), RouteMatch::NotFound);
        assert_eq!(resolve("GET", "/v1/workspaces/a/b/c", false), RouteMatch::NotFound);
    }

    #[test]
    fn wrong_method_lists_the_allowed_ones() {
        assert_eq!(resolve("DELETE", "/v1/workspaces/ws_1/ad-accounts", false), RouteMatch::MethodNotAllowed { allowed: vec!["POST", "GET"] });
        assert_eq!(resolve("PUT", "/v1/workspaces", false), RouteMatch::MethodNotAllowed { allowed: vec!["POST"] });
    }

    #[test]
    fn dev_routes_exist_only_when_enabled() {
        assert_eq!(resolve("GET", "/__dev/fail", false), RouteMatch::NotFound);
        assert!(matches!(resolve("GET", "/__dev/fail", true), RouteMatch::Found { route: Route::DevFail, .. }));
    }
}
