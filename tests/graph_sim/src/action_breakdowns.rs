//! `action_breakdowns` beyond `action_type`: every action count of an ad-day (each attribution
//! window, and purchase values) split over the requested breakdowns' values exactly (largest
//! remainder), so the parts of every row sum to its totals at every level.

use crate::error::{GraphError, GraphResult};
use crate::insights::split;
use crate::store::{Node, Store};
use std::collections::BTreeMap;

/// The action breakdowns Meta documents that the simulator reports, with their values. Values
/// marked per ad come from the ad itself (its Page, its destination).
const FIXED: &[(&str, &[&str])] = &[
    ("action_device", &["desktop", "iphone", "ipad", "android_smartphone", "android_tablet", "other"]),
    ("action_reaction", &["like", "love", "care", "haha", "wow", "sad", "angry"]),
    ("action_video_type", &["total", "click_to_play", "auto_play"]),
    ("action_video_sound", &["sound_on", "sound_off"]),
    ("action_carousel_card_id", &["1", "2", "3"]),
    ("action_carousel_card_name", &["Card 1", "Card 2", "Card 3"]),
    ("action_canvas_component_name", &["header", "button"]),
];
const PER_AD: &[&str] = &["action_destination", "action_target_id"];
pub const ACTION_TYPE: &str = "action_type";
/// At most this many breakdowns besides `action_type` in one request, as Meta caps them.
const MAX_EXTRA: usize = 2;

pub fn names() -> impl Iterator<Item = &'static str> {
    std::iter::once(ACTION_TYPE).chain(FIXED.iter().map(|(n, _)| *n)).chain(PER_AD.iter().copied())
}

/// The breakdowns besides `action_type`, checked; `action_type` is always reported.
pub fn parse(list: Option<Vec<String>>) -> GraphResult<Vec<String>> {
    let list = list.unwrap_or_default();
    for (i, name) in list.iter().enumerate() {
        if !names().any(|n| n == name) {
            return Err(GraphError::invalid_param(format!(
                "(#100) action_breakdowns[{i}] must be one of the following values: {}",
                names().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let mut extra: Vec<String> = Vec::new();
    for name in list.into_iter().filter(|n| n != ACTION_TYPE) {
        if !extra.contains(&name) {
            extra.push(name);
        }
    }
    if extra.len() > MAX_EXTRA {
        return Err(GraphError::invalid_param(format!(
            "(#100) Current combination of action breakdown columns ({ACTION_TYPE}, {}) is invalid",
            extra.join(", ")
        )));
    }
    Ok(extra)
}

/// The Page an ad's creative runs as, or the account: where its actions lead.
fn destination(store: &Store, ad: &Node) -> String {
    let creative = ad.at("creative/id").and_then(|v| v.as_str()).and_then(|id| store.nodes.get(id));
    creative
        .and_then(|c| c.at("object_story_spec/page_id"))
        .and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|n| n.to_string())))
        .unwrap_or_else(|| ad.account_id.clone())
}

/// The values of each requested breakdown for this ad. A card's id and name go together: with
/// both asked, they are one dimension, not a cross product.
fn dimensions(store: &Store, ad: &Node, extra: &[String]) -> Vec<Vec<Vec<String>>> {
    let both_cards = extra.iter().any(|e| e == "action_carousel_card_id") && extra.iter().any(|e| e == "action_carousel_card_name");
    let mut dims = Vec::new();
    for name in extra {
        let values: Vec<Vec<String>> = match name.as_str() {
            "action_carousel_card_name" if both_cards => continue,
            "action_carousel_card_id" if both_cards => (1..=3).map(|i| vec![i.to_string(), format!("Card {i}")]).collect(),
            n if PER_AD.contains(&n) => vec![vec![destination(store, ad)]],
            n => FIXED.iter().find(|(f, _)| *f == n).map(|(_, v)| v.iter().map(|s| vec![s.to_string()]).collect()).unwrap_or_default(),
        };
        dims.push(values);
    }
    dims
}

/// The order keys are reported in: the request's, with a card's id and name side by side.
pub fn keys(extra: &[String]) -> Vec<String> {
    let both_cards = extra.iter().any(|e| e == "action_carousel_card_id") && extra.iter().any(|e| e == "action_carousel_card_name");
    let mut out = Vec::new();
    for name in extra {
        match name.as_str() {
            "action_carousel_card_name" if both_cards => continue,
            "action_carousel_card_id" if both_cards => out.extend(["action_carousel_card_id".to_string(), "action_carousel_card_name".to_string()]),
            n => out.push(n.to_string()),
        }
    }
    out
}

/// Splits each (action, window) count of one slice over the breakdown values. `salt` names the
/// slice (day and breakdown values) so each splits on its own but the same way every time.
pub fn parts(store: &Store, ad: &Node, salt: &str, counts: &BTreeMap<(String, String), i64>, extra: &[String]) -> BTreeMap<(String, String, Vec<String>), i64> {
    let mut combos: Vec<Vec<String>> = vec![vec![]];
    for d in dimensions(store, ad, extra) {
        combos = combos.iter().flat_map(|c| d.iter().map(move |v| [c.clone(), v.clone()].concat())).collect();
    }
    let mut out = BTreeMap::new();
    for ((action, window), n) in counts {
        // The weights do not depend on the window, so every window splits alike.
        let weights: Vec<u64> = combos.iter().map(|c| 1 + store.hash(&[&ad.id, salt, action, &c.join("|")]) % 100).collect();
        for (combo, part) in combos.iter().zip(split(*n, &weights)) {
            out.insert((action.clone(), window.clone(), combo.clone()), part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_documented_breakdowns_and_at_most_two_besides_action_type() {
        assert_eq!(parse(Some(vec!["action_type".into(), "action_device".into()])).unwrap(), vec!["action_device".to_string()]);
        assert!(parse(None).unwrap().is_empty());
        let e = parse(Some(vec!["action_colour".into()])).unwrap_err();
        assert!(e.message.starts_with("(#100) action_breakdowns[0] must be one of"), "{}", e.message);
        assert!(parse(Some(vec!["action_device".into(), "action_reaction".into(), "action_video_type".into()])).is_err());
    }

    #[test]
    fn a_cards_id_and_name_are_reported_side_by_side() {
        assert_eq!(keys(&["action_carousel_card_name".into(), "action_carousel_card_id".into()]), vec!["action_carousel_card_id", "action_carousel_card_name"]);
    }
}
