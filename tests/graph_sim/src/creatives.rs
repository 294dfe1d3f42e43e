//! Ad creative rules: `object_story_spec` (Page, link, uploaded image, call to action and its
//! lead form), no edits to content after creation, and no deleting a creative an ad still uses.

use crate::error::{GraphError, GraphResult};
use crate::objects;
use crate::params::Params;
use crate::store::{Kind, Node, Store};
use crate::subcodes;
use serde_json::{Map, Value};

/// A creative's `status` values, as Meta documents them.
pub const STATUSES: &[&str] = &["ACTIVE", "IN_PROCESS", "WITH_ISSUES", "DELETED"];

/// What can change on a creative after it exists; the rest is its content.
const EDITABLE: &[&str] = &["name", "status", "adlabels"];

pub const CALL_TO_ACTION_TYPES: &[&str] = &[
    "APPLY_NOW",
    "LEARN_MORE",
    "SIGN_UP",
    "CONTACT_US",
    "GET_QUOTE",
    "SUBSCRIBE",
    "DOWNLOAD",
    "BOOK_NOW",
    "SHOP_NOW",
    "ORDER_NOW",
    "CALL_NOW",
    "MESSAGE_PAGE",
    "WHATSAPP_MESSAGE",
    "GET_OFFER",
    "SEE_MORE",
    "WATCH_MORE",
    "INSTALL_MOBILE_APP",
    "OPEN_LINK",
    "REQUEST_TIME",
    "GET_DIRECTIONS",
    "DONATE_NOW",
    "BUY_NOW",
    "NO_BUTTON",
];

fn refusal(subcode: i64, title: &str, msg: &str) -> GraphError {
    GraphError::invalid_param("Invalid parameter").subcode(subcode).user(title, msg)
}

fn check_call_to_action(store: &Store, page_id: &str, cta: &Value) -> GraphResult<()> {
    let kind = cta.get("type").and_then(Value::as_str).unwrap_or_default();
    if !CALL_TO_ACTION_TYPES.contains(&kind) {
        return Err(GraphError::invalid_param(format!(
            "(#100) Param call_to_action[type] must be one of {{{}}} - got \"{kind}\"",
            CALL_TO_ACTION_TYPES.join(", ")
        )));
    }
    if let Some(form) = cta.pointer("/value/lead_gen_form_id").map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())) {
        let of_page = store.nodes.get(&form).is_some_and(|f| f.kind == Kind::LeadForm && f.fields.get("page_id").and_then(Value::as_str) == Some(page_id));
        if !of_page {
            return Err(refusal(
                subcodes::CREATIVE_LEAD_FORM_NOT_OF_PAGE,
                "Lead Form Not Available",
                &format!("The lead form {form} isn't a form of the Page {page_id}. Use a lead_gen_form_id of the Page the creative runs as."),
            ));
        }
    }
    Ok(())
}

fn check_story(store: &Store, account_id: &str, spec: &Value) -> GraphResult<()> {
    let page_id = spec.get("page_id").map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).filter(|s| !s.is_empty());
    let page_id =
        page_id.ok_or_else(|| refusal(subcodes::CREATIVE_PAGE_REQUIRED, "Page Required", "object_story_spec must name the page_id the ad runs as."))?;
    if let Some(link_data) = spec.get("link_data") {
        let link = link_data.get("link").and_then(Value::as_str).filter(|l| !l.is_empty());
        let link = link.ok_or_else(|| refusal(subcodes::CREATIVE_LINK_REQUIRED, "Link Required", "The link field is required."))?;
        if !(link.starts_with("https://") || link.starts_with("http://")) || url::Url::parse(link).is_err() {
            return Err(GraphError::invalid_param(format!("(#100) object_story_spec[link_data][link] must be a valid http or https URL, got {link}")));
        }
        if let Some(hash) = link_data.get("image_hash").and_then(Value::as_str) {
            if store.nodes.get(&format!("{account_id}:{hash}")).is_none_or(|n| n.kind != Kind::AdImage) {
                return Err(refusal(
                    subcodes::CREATIVE_IMAGE_NOT_FOUND,
                    "Image Not Found",
                    &format!("The image_hash {hash} is not an image of this ad account. Upload it with POST /act_{account_id}/adimages first."),
                ));
            }
        }
        if let Some(cta) = link_data.get("call_to_action") {
            check_call_to_action(store, &page_id, cta)?;
        }
    }
    if let Some(cta) = spec.pointer("/video_data/call_to_action") {
        check_call_to_action(store, &page_id, cta)?;
    }
    Ok(())
}

pub fn build(store: &Store, account_id: &str, p: &Params) -> GraphResult<Node> {
    if p.get("object_story_spec").is_none() && p.get("object_story_id").is_none() && p.get("asset_feed_spec").is_none() {
        return Err(GraphError::invalid_param("(#100) Must specify one of object_story_spec, object_story_id or asset_feed_spec"));
    }
    if let Some(spec) = p.get("object_story_spec") {
        check_story(store, account_id, spec)?;
    }
    objects::finish(store, Kind::Creative, account_id, p, Map::new(), (None, None))
}

/// Ads (not deleted) that show this creative.
fn in_use(store: &Store, creative: &Node) -> bool {
    store.children(&creative.account_id, Kind::Ad).any(|a| a.status() != "DELETED" && a.at("creative/id").and_then(Value::as_str) == Some(&creative.id))
}

/// Meta's wording when a creative in use is deleted.
pub fn refuse_if_in_use(store: &Store, creative: &Node) -> GraphResult<()> {
    if in_use(store, creative) {
        return Err(GraphError::invalid_param("(#100) You cannot delete this creative because it is currently in use for existing adgroups.")
            .subcode(subcodes::CREATIVE_IN_USE));
    }
    Ok(())
}

/// Only the name, status and labels change; content needs a new creative swapped onto the ad.
pub fn check_update(store: &Store, node: &Node, p: &Params) -> GraphResult<Map<String, Value>> {
    if let Some(k) = p.0.keys().find(|k| !objects::INFRA.contains(&k.as_str()) && !EDITABLE.contains(&k.as_str())) {
        return Err(refusal(
            subcodes::CREATIVE_NOT_EDITABLE,
            "Ad Creative Can't Be Edited",
            &format!("{k} can't be changed on an existing ad creative. Create a new creative with the change and update the ad to use it."),
        ));
    }
    if p.str("status") == Some("DELETED") {
        refuse_if_in_use(store, node)?;
    }
    Ok(Map::new())
}
