//! Ad rules: the parent ad set (or an `adset_spec` to create it, with its own `campaign_spec` or
//! `campaign_id`), and the creative: an existing one by `creative_id` or an inline creative spec.

use crate::error::{GraphError, GraphResult};
use crate::objects::{self, live_parent, required};
use crate::params::Params;
use crate::store::{Kind, Node, Store};
use serde_json::{json, Map, Value};

fn creative_id(v: &Value) -> Option<String> {
    v.get("creative_id").and_then(|c| c.as_str().map(str::to_string).or_else(|| c.as_i64().map(|n| n.to_string())))
}

fn is_inline_creative(v: &Value) -> bool {
    v.is_object() && ["object_story_spec", "object_story_id", "asset_feed_spec"].iter().any(|k| v.get(k).is_some())
}

pub fn build(store: &Store, account_id: &str, p: &Params) -> GraphResult<Vec<Node>> {
    required(p, "name")?;
    let (mut made, adset) = match (p.get("adset_id"), p.get("adset_spec")) {
        (Some(id), _) => {
            let id = id.as_str().map(str::to_string).unwrap_or_else(|| id.to_string());
            (Vec::new(), live_parent(store, account_id, &id, Kind::AdSet, "adset_id")?)
        }
        (None, Some(spec)) => {
            let made = objects::build(store, account_id, Kind::AdSet, &objects::spec_params(spec, "adset_spec")?)?;
            let adset = made.last().cloned().expect("an ad set create makes an ad set");
            (made, adset)
        }
        (None, None) => return Err(GraphError::invalid_param("(#100) The parameter adset_id is required")),
    };
    let creative = required(p, "creative")?;
    let cid = match creative_id(creative) {
        Some(id) => live_parent(store, account_id, &id, Kind::Creative, "creative.creative_id")?.id,
        None if is_inline_creative(creative) => {
            let node = crate::creatives::build(store, account_id, &objects::spec_params(creative, "creative")?)?;
            let id = node.id.clone();
            made.push(node);
            id
        }
        None => return Err(GraphError::invalid_param("(#100) creative must be an object with creative_id, or a creative spec")),
    };
    let mut fields = Map::new();
    fields.insert("creative".into(), json!({ "id": cid }));
    made.push(objects::finish(store, Kind::Ad, account_id, p, fields, (adset.campaign_id.clone(), Some(adset.id.clone())))?);
    Ok(made)
}

/// An ad may swap creatives (`creative={"creative_id": ...}`): a live creative of its account.
pub fn check_update(store: &Store, node: &Node, p: &Params) -> GraphResult<Map<String, Value>> {
    let mut out = Map::new();
    if let Some(c) = p.get("creative") {
        let id = creative_id(c).ok_or_else(|| GraphError::invalid_param("(#100) creative must be an object with creative_id"))?;
        live_parent(store, &node.account_id, &id, Kind::Creative, "creative.creative_id")?;
        out.insert("creative".into(), json!({ "id": id }));
    }
    Ok(out)
}
