//! `recruiter_paid_media_analytics/suggest_audience_narrowing`: For each active ad set, the
//! placements and countries where its leads cost far more than the ad set's own (or where it
//! spent a lead's worth for none), and the narrower audience without them, ready for
//! `update_ad_set_targeting`. Never by age, gender or postal code: recruiting ads run under
//! Meta's EMPLOYMENT rules, which forbid narrowing a job ad's audience by who people are.

use super::{bad, breakdown_object, look_back, synced_sets, LookBack, Metric};
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::insights_read::{self, Ask, Source, Sums};
use crate::db::{ad_accounts, insights_settings, parsed};
use crate::domain::{targeting_position, AdAccountId, Bounded, MetaId};
use crate::failure::Failure;
use crate::ports::Query;
use crate::sync::insights::set_name;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The breakdowns narrowing reads; any other (age, gender, region, ...) is never used.
const PLACEMENTS: &[&str] = &["publisher_platform", "platform_position"];
const COUNTRIES: &[&str] = &["country"];

/// Where to look for segments to drop.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account.
    pub ad_account_id: AdAccountId,
    /// Only this ad set (default: every active one, at most 200).
    pub ad_set_id: Option<MetaId>,
    /// Whole days looked back, ending yesterday in the account's zone (default 14).
    pub look_back_days: Option<Bounded<3, 28>>,
    /// A segment is judged once it took at least this share of the ad set's spend, in percent (default 10).
    pub min_spend_share_pct: Option<Bounded<1, 100>>,
    /// ...and dropped when its cost per lead is at least this percent of the ad set's (default 150).
    pub cpl_ratio_pct: Option<Bounded<110, 1_000>>,
}

pub struct Act;

#[derive(Deserialize)]
struct AdSetRow {
    id: String,
    name: Option<String>,
    targeting_json: Option<String>,
    special_ad_categories_json: Option<String>,
}

/// A segment's key (`name=value|...`) and sums within one ad set.
struct Segment<'a> {
    key: &'a str,
    sums: Sums,
}

/// The segments to drop: a big enough share of spend, and leads far dearer than the ad set's
/// (or none for a lead's worth of spend). The best segment always stays.
fn poor<'a>(segments: &[Segment<'a>], share_pct: i64, ratio_pct: i64) -> Vec<&'a str> {
    let spend: i128 = segments.iter().map(|s| i128::from(s.sums.spend_minor)).sum();
    let leads: i128 = segments.iter().map(|s| i128::from(s.sums.leads)).sum();
    if spend == 0 || leads == 0 {
        return Vec::new();
    }
    let mut out: Vec<&str> = segments
        .iter()
        .filter(|s| {
            let (sp, l) = (i128::from(s.sums.spend_minor), i128::from(s.sums.leads));
            let big = sp.saturating_mul(100) >= spend.saturating_mul(i128::from(share_pct));
            // cpl_s >= ratio * cpl  <=>  sp * leads * 100 >= ratio * spend * l
            let dear = if l == 0 {
                sp.saturating_mul(leads) >= spend
            } else {
                sp.saturating_mul(leads).saturating_mul(100) >= spend.saturating_mul(l).saturating_mul(i128::from(ratio_pct))
            };
            big && dear
        })
        .map(|s| s.key)
        .collect();
    if out.len() == segments.len() {
        out.clear();
    }
    out
}

/// The targeting without the dropped placements (explicit placements: those that stay).
fn without_placements(targeting: &Value, kept: &[Value]) -> Value {
    let mut t = targeting.clone();
    let mut platforms: Vec<String> = Vec::new();
    let mut positions: Vec<(String, String)> = Vec::new();
    for k in kept {
        let Some(p) = k["publisher_platform"].as_str() else { continue };
        let Some(pos) = k["platform_position"].as_str().and_then(|pos| targeting_position(p, pos)) else { continue };
        if !platforms.iter().any(|x| x == p) {
            platforms.push(p.to_string());
        }
        positions.push((p.to_string(), pos.to_string()));
    }
    t["publisher_platforms"] = json!(platforms);
    for p in &platforms {
        let list: Vec<&str> = positions.iter().filter(|(pl, _)| pl == p).map(|(_, pos)| pos.as_str()).collect();
        t[format!("{p}_positions")] = json!(list);
    }
    t
}

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Suggest, summary: "Suggests dropping placements and countries where an ad set's leads cost far more than its own, with evidence and the narrower targeting; never by age, gender or postal code (EMPLOYMENT rules).");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let LookBack { since, until, synced_at, .. } = look_back(cx, &account, input.look_back_days.map_or(14, |d| d.get())).await?;
        let settings = insights_settings::get(cx.ports, cx.workspace).await?.unwrap_or(Value::Null);
        let sets = synced_sets(&settings);
        let synced = |wanted: &[&str]| sets.iter().find(|s| s.len() == wanted.len() && wanted.iter().all(|w| s.iter().any(|m| m == w))).map(|s| set_name(s));
        let readable: Vec<(&str, String)> =
            [("placement", synced(PLACEMENTS)), ("country", synced(COUNTRIES))].into_iter().filter_map(|(k, s)| s.map(|s| (k, s))).collect();
        if readable.is_empty() {
            return Err(bad(
                "ad_account_id",
                "narrowing reads the placement (publisher_platform,platform_position) or country breakdown, and neither is synced; an admin can turn one on with set_insights_settings",
            ));
        }
        let mut sql =
            "SELECT s.id, s.name, s.targeting_json, c.special_ad_categories_json FROM meta_ad_sets s LEFT JOIN meta_campaigns c ON c.id = s.campaign_id \
                       AND c.workspace_id = s.workspace_id WHERE s.workspace_id = ?1 AND s.ad_account_id = ?2 AND s.effective_status = 'ACTIVE'"
                .to_string();
        let mut binds = crate::binds![cx.workspace, account.id.as_str()];
        if let Some(id) = &input.ad_set_id {
            sql.push_str(" AND s.id = ?3");
            binds.push(id.as_str().into());
        }
        sql.push_str(" ORDER BY s.id LIMIT 201");
        let adsets: Vec<AdSetRow> = crate::db::all(cx.ports, Query::new(sql, binds)).await?;
        if adsets.len() > 200 {
            return Err(bad("ad_set_id", "more than 200 active ad sets: name one"));
        }
        if let (Some(id), true) = (&input.ad_set_id, adsets.is_empty()) {
            return Err(bad("ad_set_id", format!("{} is not an active ad set of act_{} in the mirror", id.as_str(), account.id)));
        }
        let ids: Vec<String> = adsets.iter().map(|a| a.id.clone()).collect();
        let (share, ratio) = (input.min_spend_share_pct.map_or(10, |p| p.get()), input.cpl_ratio_pct.map_or(150, |p| p.get()));
        let mut per_set: Vec<(&str, Vec<insights_read::Row>)> = Vec::new();
        for (kind, set) in &readable {
            let ask = Ask::adsets_over(cx.workspace, &account.id, Source::Breakdown(set.clone()), (&since, &until), &ids, 20_000);
            per_set.push((kind, if ids.is_empty() { Vec::new() } else { insights_read::rows(cx.ports, &ask).await? }));
        }
        let mut suggestions = Vec::new();
        for a in &adsets {
            let before = parsed(a.targeting_json.as_deref());
            let mut after = before.clone();
            let mut dropped = Vec::new();
            for (kind, rows) in &per_set {
                let segments: Vec<Segment> = rows
                    .iter()
                    .filter(|r| r.object_id.as_deref() == Some(a.id.as_str()))
                    .filter_map(|r| r.breakdown_key.as_deref().map(|key| Segment { key, sums: r.sums }))
                    .collect();
                let spend: i64 = segments.iter().map(|s| s.sums.spend_minor).fold(0, i64::saturating_add);
                let out = poor(&segments, share, ratio);
                if out.is_empty() {
                    continue;
                }
                for s in segments.iter().filter(|s| out.contains(&s.key)) {
                    dropped.push(json!({
                        "by": kind, "segment": breakdown_object(s.key), "spend_minor": s.sums.spend_minor, "leads": s.sums.leads,
                        "cpl_minor": Metric::Cpl.value(&s.sums), "spend_share_pct": if spend > 0 { (s.sums.spend_minor as f64 * 1000.0 / spend as f64).round() / 10.0 } else { 0.0 },
                    }));
                }
                let kept: Vec<Value> = segments.iter().filter(|s| !out.contains(&s.key)).map(|s| breakdown_object(s.key)).collect();
                if *kind == "placement" {
                    after = without_placements(&after, &kept);
                } else if let Some(countries) = after["geo_locations"]["countries"].as_array().cloned() {
                    let gone: Vec<&str> = out.iter().filter_map(|k| k.strip_prefix("country=")).collect();
                    let left: Vec<Value> = countries.into_iter().filter(|c| !c.as_str().is_some_and(|c| gone.contains(&c))).collect();
                    if !left.is_empty() {
                        after["geo_locations"]["countries"] = json!(left);
                    }
                }
            }
            if dropped.is_empty() {
                continue;
            }
            let category = parsed(a.special_ad_categories_json.as_deref()).as_array().cloned().unwrap_or_default();
            suggestions.push(json!({
                "ad_set_id": a.id, "name": a.name, "special_ad_categories": category, "drop": dropped,
                "targeting_before": before, "targeting_after": after,
                "apply_with": { "action": "update_ad_set_targeting", "input": { "ad_account_id": format!("act_{}", account.id), "ad_set_id": a.id, "targeting": after } },
            }));
        }
        Ok(Change::read(json!({
            "ad_account_id": format!("act_{}", account.id), "since": since, "until": until, "data_as_of": synced_at,
            "read_by": readable.iter().map(|(k, _)| *k).collect::<Vec<_>>(), "min_spend_share_pct": share, "cpl_ratio_pct": ratio,
            "suggestions": suggestions,
            "never_narrowed_by": ["age", "gender", "zip"],
            "why_not": "job ads run under Meta's EMPLOYMENT special ad category, which forbids targeting (and so narrowing) by age, gender or postal code",
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn seg(key: &str, spend_minor: i64, leads: i64) -> Segment<'_> {
        Segment { key, sums: Sums { spend_minor, leads, ..Sums::default() } }
    }

    #[test]
    fn dear_segments_with_a_real_share_are_dropped_and_the_best_always_stays() {
        // Ad set CPL: 20000 / 20 = 1000. feed 500, an_classic 4000 (20% of spend), stories 1000.
        let s = [seg("p=feed", 10_000, 20 - 2 - 6), seg("p=an", 4_000, 1), seg("p=stories", 6_000, 7)];
        assert_eq!(poor(&s, 10, 150), vec!["p=an"]);
        // A small share is not judged, however dear.
        assert!(poor(&[seg("a", 19_500, 20), seg("b", 500, 0)], 10, 150).is_empty());
        // Spending a lead's worth for none is dear.
        assert_eq!(poor(&[seg("a", 8_000, 10), seg("b", 2_000, 0)], 10, 150), vec!["b"]);
        // Never everything; nothing without leads.
        assert!(poor(&[seg("a", 1_000, 0), seg("b", 1_000, 0)], 10, 150).is_empty());
    }

    #[test]
    fn dropping_placements_makes_them_explicit_without_the_dropped_ones() {
        let kept = [
            json!({"publisher_platform": "facebook", "platform_position": "feed"}),
            json!({"publisher_platform": "instagram", "platform_position": "instagram_stories"}),
            json!({"publisher_platform": "instagram", "platform_position": "feed"}),
        ];
        let t = without_placements(&json!({"geo_locations": {"countries": ["US"]}}), &kept);
        assert_eq!(t["publisher_platforms"], json!(["facebook", "instagram"]));
        assert_eq!(t["facebook_positions"], json!(["feed"]));
        assert_eq!(t["instagram_positions"], json!(["story", "stream"]), "insights' names become targeting's");
        assert_eq!(t["geo_locations"], json!({"countries": ["US"]}));
    }
}
