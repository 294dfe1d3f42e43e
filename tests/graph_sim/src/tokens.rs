//! Token endpoints: the OAuth dialog (auto-consent), code exchange, long-lived exchange and
//! `debug_token`.

use crate::error::{GraphError, GraphResult};
use crate::graph::Outcome;
use crate::params::Params;
use crate::store::{Store, Token};
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

const SHORT_LIVED_SECS: i64 = 2 * 3600;
const LONG_LIVED_SECS: i64 = 60 * 86_400;
const DATA_ACCESS_SECS: i64 = 90 * 86_400;

fn check_client(store: &Store, p: &Params) -> GraphResult<()> {
    if p.str("client_id") != Some(store.cfg.app_id.as_str()) {
        return Err(GraphError::new(400, "OAuthException", 101, "Error validating application. Invalid application ID."));
    }
    let secret = p.str("client_secret").unwrap_or_default();
    if !bool::from(secret.as_bytes().ct_eq(store.cfg.app_secret.as_bytes())) {
        return Err(GraphError::new(400, "OAuthException", 1, "Error validating client secret."));
    }
    Ok(())
}

fn mint(store: &mut Store, prefix: &str, base: &Token, lifetime: i64) -> (String, i64) {
    let token = format!("{prefix}{}", store.hash(&[prefix, &store.seq.to_string(), &store.now().to_string(), &store.tokens.len().to_string()]));
    store.seq += 1;
    let now = store.now();
    let mut t = base.clone();
    t.expires_at = Some(now + lifetime);
    t.data_access_expires_at = now + DATA_ACCESS_SECS;
    store.add_token(&token, t);
    (token, lifetime)
}

/// `GET /dialog/oauth`: consents at once for the simulated user and redirects with a code.
pub fn dialog(store: &mut Store, p: &Params) -> GraphResult<Outcome> {
    if p.str("client_id") != Some(store.cfg.app_id.as_str()) {
        return Err(GraphError::new(400, "OAuthException", 101, "Error validating application. Invalid application ID."));
    }
    let redirect = p.str("redirect_uri").ok_or_else(|| GraphError::invalid_param("(#100) redirect_uri is required"))?.to_string();
    let scopes: Vec<String> = p.list("scope").unwrap_or_default();
    let code = format!("code-{}", store.hash(&["code", &store.now().to_string(), &store.auth_codes.len().to_string()]));
    store.auth_codes.insert(code.clone(), format!("{redirect}\n{}", scopes.join(",")));
    let mut url = url::Url::parse(&redirect).map_err(|_| GraphError::invalid_param("(#100) redirect_uri is not a URL"))?;
    url.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = p.str("state") {
        url.query_pairs_mut().append_pair("state", state);
    }
    let mut o = Outcome {
        status: 302,
        body: json!({}),
        account: None,
        use_case: crate::usage::UseCase::AdsManagement,
        error_code: None,
        redirect: Some(url.to_string()),
    };
    o.body = json!({ "location": url.to_string() });
    Ok(o)
}

/// `GET /oauth/access_token`: code exchange or `grant_type=fb_exchange_token`.
pub fn exchange(store: &mut Store, p: &Params) -> GraphResult<Outcome> {
    check_client(store, p)?;
    let simulated_user = store.tokens.values().find(|t| t.kind == "USER").cloned().unwrap_or(Token {
        user_id: "10000000000001".into(),
        kind: "USER",
        scopes: vec!["ads_management".into(), "ads_read".into(), "business_management".into()],
        expires_at: None,
        data_access_expires_at: 0,
        revoked: false,
        accounts: vec!["*".into()],
    });
    if p.str("grant_type") == Some("fb_exchange_token") {
        let short = p.str("fb_exchange_token").ok_or_else(|| GraphError::invalid_param("(#100) fb_exchange_token is required"))?;
        let base = store.tokens.get(short).cloned().ok_or_else(GraphError::invalid_token)?;
        if base.expires_at.is_some_and(|e| e <= store.now()) {
            return Err(GraphError::expired_token("an earlier date"));
        }
        let (token, life) = mint(store, "EAAL", &base, LONG_LIVED_SECS);
        return Ok(Outcome::ok(json!({ "access_token": token, "token_type": "bearer", "expires_in": life })));
    }
    let code = p.str("code").ok_or_else(|| GraphError::invalid_param("(#100) code is required"))?;
    let grant =
        store.auth_codes.remove(code).ok_or_else(|| GraphError::new(400, "OAuthException", 100, "This authorization code has been used.").subcode(36_009))?;
    let (redirect, scopes) = grant.split_once('\n').unwrap_or((&grant, ""));
    if p.str("redirect_uri") != Some(redirect) {
        return Err(GraphError::new(
            400,
            "OAuthException",
            100,
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
        )
        .subcode(36_008));
    }
    let mut base = simulated_user;
    if !scopes.is_empty() {
        base.scopes = scopes.split(',').map(str::to_string).collect();
    }
    let (token, life) = mint(store, "EAAS", &base, SHORT_LIVED_SECS);
    Ok(Outcome::ok(json!({ "access_token": token, "token_type": "bearer", "expires_in": life })))
}

/// `GET /debug_token?input_token=...` with an app token (`app_id|app_secret`) or any valid token.
pub fn debug(store: &mut Store, p: &Params) -> GraphResult<Outcome> {
    let caller = p.str("access_token").unwrap_or_default();
    let app_token = format!("{}|{}", store.cfg.app_id, store.cfg.app_secret);
    if !bool::from(caller.as_bytes().ct_eq(app_token.as_bytes())) && !store.tokens.contains_key(caller) {
        return Err(GraphError::invalid_token());
    }
    let input = p.str("input_token").ok_or_else(|| GraphError::invalid_param("(#100) The parameter input_token is required"))?;
    let now = store.now();
    let data: Value = match store.tokens.get(input) {
        None => json!({
            "is_valid": false,
            "error": { "code": 190, "message": "Invalid OAuth access token." },
            "scopes": [],
        }),
        Some(t) => {
            let expired = t.expires_at.is_some_and(|e| e <= now);
            let mut d = json!({
                "app_id": store.cfg.app_id,
                "type": t.kind,
                "application": "adgate simulator",
                "data_access_expires_at": t.data_access_expires_at,
                "expires_at": t.expires_at.unwrap_or(0),
                "is_valid": !expired && !t.revoked,
                "issued_at": now - 60,
                "scopes": t.scopes,
                "user_id": t.user_id,
            });
            if expired {
                d["error"] = json!({ "code": 190, "subcode": 463, "message": "Session has expired" });
            } else if t.revoked {
                d["error"] = json!({ "code": 190, "subcode": 458, "message": "The user has not authorized application." });
            }
            d
        }
    };
    Ok(Outcome::ok(json!({ "data": data })))
}
