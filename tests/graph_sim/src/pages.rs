//! Facebook Pages as far as ads need them: `GET /{page_id}/leadgen_forms`. A page is visible to a
//! token when a lead form or creative of an account the token sees names it.

use crate::store::{Kind, Node, Store, Token};
use serde_json::{json, Value};

fn page_of(n: &Node) -> Option<&str> {
    match n.kind {
        Kind::LeadForm => n.fields.get("page_id").and_then(Value::as_str),
        Kind::Creative => n.at("object_story_spec/page_id").and_then(Value::as_str),
        _ => None,
    }
}

pub fn visible(store: &Store, tok: &Token, page_id: &str) -> bool {
    store.nodes.values().any(|n| page_of(n) == Some(page_id) && crate::graph::can_see(tok, &n.account_id))
}

/// The page's forms from the accounts the token sees, newest first.
pub fn forms<'a>(store: &'a Store, tok: &Token, page_id: &str) -> Vec<&'a Node> {
    let mut forms: Vec<&Node> =
        store.nodes.values().filter(|n| n.kind == Kind::LeadForm && page_of(n) == Some(page_id) && crate::graph::can_see(tok, &n.account_id)).collect();
    forms.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
    forms
}

/// Members of a form listed under its page.
pub fn form_json(n: &Node) -> Value {
    json!({
        "id": n.id,
        "name": n.fields.get("name"),
        "status": n.fields.get("status").and_then(Value::as_str).unwrap_or("ACTIVE"),
        "locale": n.fields.get("locale").and_then(Value::as_str).unwrap_or("en_US"),
        "created_time": Store::iso(n.created),
    })
}

/// The default selection of a page's `leadgen_forms` edge.
pub const FORM_FIELDS: &[&str] = &["id", "name", "status", "locale", "created_time"];
