//! Structure mirrors: which account-level edge holds each kind of object, the fields to ask for,
//! and how a Graph object becomes a row of its mirror table (upserted by Meta id).

use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Campaign,
    AdSet,
    Ad,
    Creative,
}

/// How a column is filled from the Graph object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Text(&'static str),
    /// A money string or number, kept as an integer in minor units (Graph budgets already are).
    Integer(&'static str),
    /// An object or list, kept as JSON text.
    Json(&'static str),
    /// `creative.id` of an ad.
    CreativeId,
}

struct Column {
    name: &'static str,
    source: Source,
}

const fn text(name: &'static str) -> Column {
    Column { name, source: Source::Text(name) }
}
const fn int(name: &'static str) -> Column {
    Column { name, source: Source::Integer(name) }
}
const fn json_col(name: &'static str, member: &'static str) -> Column {
    Column { name, source: Source::Json(member) }
}

const CAMPAIGN: &[Column] = &[
    text("objective"),
    text("buying_type"),
    text("bid_strategy"),
    int("daily_budget"),
    int("lifetime_budget"),
    json_col("special_ad_categories_json", "special_ad_categories"),
    text("start_time"),
    text("stop_time"),
];
const AD_SET: &[Column] = &[
    text("campaign_id"),
    text("optimization_goal"),
    text("billing_event"),
    text("bid_strategy"),
    int("daily_budget"),
    int("lifetime_budget"),
    text("start_time"),
    text("end_time"),
    json_col("targeting_json", "targeting"),
];
const AD: &[Column] = &[text("campaign_id"), text("adset_id"), Column { name: "creative_id", source: Source::CreativeId }];
const CREATIVE: &[Column] = &[json_col("object_story_spec_json", "object_story_spec"), text("title"), text("body"), text("image_hash")];

impl ObjectKind {
    pub const ALL: [ObjectKind; 4] = [ObjectKind::Campaign, ObjectKind::AdSet, ObjectKind::Ad, ObjectKind::Creative];

    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Campaign => "campaigns",
            ObjectKind::AdSet => "adsets",
            ObjectKind::Ad => "ads",
            ObjectKind::Creative => "adcreatives",
        }
    }

    pub fn parse(s: &str) -> Option<ObjectKind> {
        ObjectKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind a webhook's `level` names.
    pub fn from_level(level: &str) -> Option<ObjectKind> {
        match level {
            "CAMPAIGN" => Some(ObjectKind::Campaign),
            "AD_SET" | "ADSET" => Some(ObjectKind::AdSet),
            "AD" => Some(ObjectKind::Ad),
            "CREATIVE" | "AD_CREATIVE" => Some(ObjectKind::Creative),
            _ => None,
        }
    }

    /// The account-level edge: `act_{id}/{edge}`.
    pub fn edge(self) -> &'static str {
        self.as_str()
    }

    pub fn table(self) -> &'static str {
        match self {
            ObjectKind::Campaign => "meta_campaigns",
            ObjectKind::AdSet => "meta_ad_sets",
            ObjectKind::Ad => "meta_ads",
            ObjectKind::Creative => "meta_creatives",
        }
    }

    fn columns(self) -> &'static [Column] {
        match self {
            ObjectKind::Campaign => CAMPAIGN,
            ObjectKind::AdSet => AD_SET,
            ObjectKind::Ad => AD,
            ObjectKind::Creative => CREATIVE,
        }
    }

    /// Members kept only in `raw_json` (no column of their own), asked for so that the mirror
    /// holds what actions check before a change.
    fn raw_only(self) -> &'static [&'static str] {
        match self {
            ObjectKind::Campaign => &["special_ad_category_country", "is_adset_budget_sharing_enabled"],
            ObjectKind::AdSet => &["bid_amount", "destination_type", "promoted_object"],
            ObjectKind::Ad => &[],
            ObjectKind::Creative => &["url_tags"],
        }
    }

    /// Creatives have no `created_time` or `updated_time` on Meta (its AdCreative reference), so
    /// they are read whole each run instead of filtered by change.
    pub fn has_times(self) -> bool {
        self != ObjectKind::Creative
    }

    /// Creatives have no delivery status of their own worth filtering on.
    pub fn has_effective_status(self) -> bool {
        self != ObjectKind::Creative
    }

    /// The `fields` parameter: everything a mirror row keeps.
    pub fn fields(self) -> String {
        let mut f = vec!["id", "account_id", "name", "status"];
        // Meta's ad creative has no created or updated time: asking for one fails the read.
        if self.has_times() {
            f.extend(["created_time", "updated_time"]);
        }
        if self.has_effective_status() {
            f.push("effective_status");
        }
        for c in self.columns() {
            match c.source {
                Source::Text(m) | Source::Integer(m) | Source::Json(m) => f.push(m),
                Source::CreativeId => f.push("creative"),
            }
        }
        f.extend(self.raw_only());
        f.join(",")
    }

    /// Every column of the mirror table, in the order `row` fills them.
    pub fn column_names(self) -> Vec<&'static str> {
        let mut c = vec!["id", "ad_account_id", "workspace_id", "name", "status", "effective_status", "meta_created_time", "meta_updated_time"];
        c.extend(self.columns().iter().map(|c| c.name));
        c.extend(["raw_json", "sync_run_id", "synced_at"]);
        c
    }

    /// The upsert for a page of rows, bound as one JSON array of `row` arrays (one statement and
    /// one parameter per page, whatever its size). A row only moves forward: an older copy of an
    /// object (read before a later change was mirrored) never overwrites a newer one.
    pub fn upsert_page_sql(self) -> String {
        let table = self.table();
        let newer = format!("excluded.meta_updated_time >= {table}.meta_updated_time OR {table}.meta_updated_time IS NULL");
        crate::json_rows::upsert_sql(table, &self.column_names(), &["id"], Some(&newer))
    }
}

fn as_text(v: &Value) -> Value {
    match v {
        Value::String(s) => json!(s),
        Value::Number(n) => json!(n.to_string()),
        _ => Value::Null,
    }
}

fn as_integer(v: &Value) -> Value {
    match v {
        Value::Number(n) => n.as_i64().map(Value::from).unwrap_or(Value::Null),
        Value::String(s) => s.parse::<i64>().map(Value::from).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// A Graph object as its mirror row (values in `column_names` order). Creatives have no status
/// filter on Meta's side, so their effective status is their status.
pub fn row(kind: ObjectKind, obj: &Value, account: &str, workspace: &str, run_id: &str, now: &str) -> Result<Vec<Value>, String> {
    let id = obj["id"].as_str().filter(|s| !s.is_empty()).ok_or_else(|| format!("a {} object without an id", kind.as_str()))?;
    let effective = if kind.has_effective_status() { as_text(&obj["effective_status"]) } else { as_text(&obj["status"]) };
    let mut out = vec![
        json!(id),
        json!(account),
        json!(workspace),
        as_text(&obj["name"]),
        as_text(&obj["status"]),
        effective,
        as_text(&obj["created_time"]),
        as_text(&obj["updated_time"]),
    ];
    for c in kind.columns() {
        out.push(match c.source {
            Source::Text(m) => as_text(&obj[m]),
            Source::Integer(m) => as_integer(&obj[m]),
            Source::Json(m) => {
                if obj[m].is_null() {
                    Value::Null
                } else {
                    json!(obj[m].to_string())
                }
            }
            Source::CreativeId => as_text(&obj["creative"]["id"]),
        });
    }
    out.extend([json!(obj.to_string()), json!(run_id), json!(now)]);
    Ok(out)
}

/// Meta's `updated_time` (`2026-11-23T10:00:00+0000`) as Unix seconds, for the next run's filter.
pub fn updated_unix(obj: &Value) -> Option<i64> {
    let t = obj["updated_time"].as_str()?;
    chrono::DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%z").ok().map(|d| d.timestamp())
}

/// Every delivery status, so deleted and archived objects are mirrored too (Graph leaves them
/// out by default).
pub const ALL_EFFECTIVE_STATUSES: &[&str] = &[
    "ACTIVE",
    "PAUSED",
    "DELETED",
    "ARCHIVED",
    "IN_PROCESS",
    "WITH_ISSUES",
    "PENDING_REVIEW",
    "DISAPPROVED",
    "PREAPPROVED",
    "PENDING_BILLING_INFO",
    "CAMPAIGN_PAUSED",
    "ADSET_PAUSED",
    "CAMPAIGN_GROUP_PAUSED",
];

/// The `filtering` parameter: every status, and only objects changed after `since_unix`.
pub fn filtering(kind: ObjectKind, since_unix: Option<i64>) -> Option<String> {
    let mut f = Vec::new();
    if kind.has_effective_status() {
        f.push(json!({ "field": "effective_status", "operator": "IN", "value": ALL_EFFECTIVE_STATUSES }));
    }
    if let Some(t) = since_unix.filter(|_| kind.has_times()) {
        f.push(json!({ "field": "updated_time", "operator": "GREATER_THAN", "value": t }));
    }
    (!f.is_empty()).then(|| Value::Array(f).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn rows_fill_every_column_in_order() {
        let ad = json!({ "id": "9", "name": "Ad 1", "status": "ACTIVE", "effective_status": "CAMPAIGN_PAUSED", "campaign_id": "7", "adset_id": "8",
            "creative": { "id": "6" }, "updated_time": "2026-11-23T10:00:00+0000", "created_time": "2026-11-01T00:00:00+0000" });
        let r = row(ObjectKind::Ad, &ad, "100", "ws_1", "sync_1", "now").unwrap();
        let cols = ObjectKind::Ad.column_names();
        assert_eq!(r.len(), cols.len());
        let get = |c: &str| r[cols.iter().position(|x| *x == c).unwrap()].clone();
        assert_eq!((get("creative_id"), get("adset_id"), get("effective_status")), (json!("6"), json!("8"), json!("CAMPAIGN_PAUSED")));
        assert_eq!(updated_unix(&ad), Some(1_795_428_000));
        assert!(row(ObjectKind::Ad, &json!({ "name": "x" }), "1", "w", "r", "n").is_err());
    }

    #[test]
    fn budgets_become_integers_and_specs_json() {
        let set = json!({ "id": "8", "daily_budget": "5000", "targeting": { "geo_locations": { "countries": ["US"] } } });
        let r = row(ObjectKind::AdSet, &set, "100", "ws", "s", "n").unwrap();
        let cols = ObjectKind::AdSet.column_names();
        let get = |c: &str| r[cols.iter().position(|x| *x == c).unwrap()].clone();
        assert_eq!(get("daily_budget"), json!(5000));
        assert_eq!(get("lifetime_budget"), Value::Null);
        assert_eq!(serde_json::from_str::<Value>(get("targeting_json").as_str().unwrap()).unwrap()["geo_locations"]["countries"][0], "US");
    }

    #[test]
    fn sql_and_fields_agree_with_columns() {
        for k in ObjectKind::ALL {
            let sql = k.upsert_page_sql();
            let n = k.column_names().len();
            assert!(sql.contains(&format!("'$[{}]'", n - 1)) && !sql.contains(&format!("'$[{n}]'")));
            assert!(k.fields().starts_with("id,account_id,name,status"));
            assert_eq!(ObjectKind::parse(k.as_str()), Some(k));
        }
        assert!(ObjectKind::Ad.fields().contains("creative"));
        assert!(ObjectKind::Ad.fields().contains("updated_time"));
        assert!(!ObjectKind::Creative.fields().contains("_time"), "Meta's creatives have no times: {}", ObjectKind::Creative.fields());
        assert_eq!(filtering(ObjectKind::Creative, Some(5)), None, "creatives are read whole");
        let f: Value = serde_json::from_str(&filtering(ObjectKind::Campaign, Some(5)).unwrap()).unwrap();
        assert!(f[0]["value"].as_array().unwrap().iter().any(|s| s == "DELETED"));
        assert_eq!(f[1], json!({ "field": "updated_time", "operator": "GREATER_THAN", "value": 5 }));
        assert_eq!(filtering(ObjectKind::Creative, None), None);
    }
}
