//! The pipeline's tables. `pipeline_applications`: applications upserted by their source's key, stage times kept as
//! the first time each stage was reached, and Instant Form leads held as applications of the
//! source `meta_lead` until an application from a recruiting system names the lead.

use super::attribution::{JoinKey, META_UTM_SOURCES};
use super::events::{Stage, APPLICATION_COLUMNS, META_LEAD_SOURCE};
use super::funnel::{Counts, MetaFigures};
use crate::binds;
use crate::failure::Failure;
use crate::ports::{Bind, Ports, Query};
use serde_json::{json, Map, Value};

/// The earlier of two stage times, either of which may be missing.
fn earliest(a: &str, b: &str) -> String {
    format!("COALESCE(min({a}, {b}), {a}, {b})")
}

/// Upserts a page of application rows (a JSON array of `APPLICATION_COLUMNS` arrays). The source
/// fields are replaced, the stages kept, and the join cleared so the passes join it afresh.
pub fn upsert(workspace: &str, rows_json: String, now: &str) -> Query {
    let picks: Vec<String> = (0..APPLICATION_COLUMNS.len()).map(|i| format!("json_extract(value, '$[{i}]')")).collect();
    let updates: Vec<String> = APPLICATION_COLUMNS[2..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
    let cleared = "join_key = NULL, confidence = NULL, ad_account_id = NULL, campaign_id = NULL, adset_id = NULL, ad_id = NULL, attribution_run = NULL, attribution_prior = NULL, attributed_at = NULL";
    Query::new(
        format!(
            "INSERT INTO pipeline_applications (workspace_id, {}, created_at, updated_at) SELECT ?1, {}, ?3, ?3 FROM json_each(?2) WHERE true \
             ON CONFLICT (workspace_id, source, application_id) DO UPDATE SET {}, {cleared}, updated_at = excluded.updated_at",
            APPLICATION_COLUMNS.join(", "),
            picks.join(", "),
            updates.join(", ")
        ),
        vec![workspace.into(), rows_json.into(), now.into()],
    )
}

/// Records stage times from a JSON array of `[source, application_id, stage, at]`: per
/// application and stage the earliest time given or already held.
pub fn record_stages(workspace: &str, events_json: String, now: &str) -> Query {
    let sets: Vec<String> =
        Stage::ALL.iter().map(|s| format!("{c} = {}", earliest(&format!("a.{}", s.column()), &format!("j.{}", s.column())), c = s.column())).collect();
    let pivots: Vec<String> = Stage::ALL
        .iter()
        .map(|s| format!("MIN(CASE json_extract(value, '$[2]') WHEN '{}' THEN json_extract(value, '$[3]') END) AS {}", s.as_str(), s.column()))
        .collect();
    Query::new(
        format!(
            "UPDATE pipeline_applications AS a SET {}, updated_at = ?3 \
             FROM (SELECT json_extract(value, '$[0]') AS source, json_extract(value, '$[1]') AS application_id, {} FROM json_each(?2) GROUP BY 1, 2) AS j \
             WHERE a.workspace_id = ?1 AND a.source = j.source AND a.application_id = j.application_id",
            sets.join(", "),
            pivots.join(", ")
        ),
        vec![workspace.into(), events_json.into(), now.into()],
    )
}

/// Which of these (source, application id) pairs (a JSON array of pairs) the workspace holds.
pub fn known(workspace: &str, pairs_json: String) -> Query {
    Query::new(
        "SELECT source, application_id FROM pipeline_applications WHERE workspace_id = ?1 \
         AND (source, application_id) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?2))",
        vec![workspace.into(), pairs_json.into()],
    )
}

/// For these Meta lead ids (a JSON array): the applications naming them, and whether the lead
/// is in the mirror (`application_id` null then).
pub fn by_leads(workspace: &str, leads_json: String) -> Query {
    Query::new(
        "SELECT source, application_id, meta_lead_id AS lead_id FROM pipeline_applications WHERE workspace_id = ?1 AND meta_lead_id IN (SELECT value FROM json_each(?2)) \
         UNION ALL SELECT NULL, NULL, id FROM meta_leads WHERE workspace_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
        vec![workspace.into(), leads_json.into()],
    )
}

/// The application time of a mirrored lead: Meta's `created_time` (`+0000`) as stored times are.
const LEAD_TIME: &str = "COALESCE(CASE WHEN l.created_time LIKE '%+0000' THEN substr(l.created_time, 1, 19) || 'Z' ELSE strftime('%Y-%m-%dT%H:%M:%SZ', l.created_time) END, l.synced_at)";

/// Holds mirrored Instant Form leads as applications of their own, unless one already names the
/// lead: the leads in a JSON array of ids (`Some`) or created on these days.
pub fn lead_stubs(workspace: &str, leads: LeadPick, now: &str) -> Query {
    let (pick, mut binds): (&str, Vec<Bind>) = match leads {
        LeadPick::Ids(json) => ("l.id IN (SELECT value FROM json_each(?3))", vec![json.into()]),
        LeadPick::Days { since, until } => ("substr(l.created_time, 1, 10) BETWEEN ?3 AND ?4", vec![since.into(), until.into()]),
    };
    let mut all: Vec<Bind> = vec![workspace.into(), now.into()];
    all.append(&mut binds);
    Query::new(
        format!(
            "INSERT INTO pipeline_applications (workspace_id, source, application_id, meta_lead_id, applied_at, applied_date, created_at, updated_at) \
             SELECT ?1, '{META_LEAD_SOURCE}', l.id, l.id, {LEAD_TIME}, substr({LEAD_TIME}, 1, 10), ?2, ?2 FROM meta_leads l \
             WHERE l.workspace_id = ?1 AND {pick} AND NOT EXISTS (SELECT 1 FROM pipeline_applications p WHERE p.workspace_id = ?1 AND p.meta_lead_id = l.id) \
             ON CONFLICT DO NOTHING"
        ),
        all,
    )
}

/// Which mirrored leads to hold as applications.
pub enum LeadPick {
    Ids(String),
    Days { since: String, until: String },
}

/// When applications from a recruiting system (a JSON array of pairs) name leads held on their
/// own, the stages reached so far move to them and the leads' own rows go: one application each.
pub fn absorb_lead_stubs(workspace: &str, pairs_json: &str, now: &str) -> Vec<Query> {
    let sets: Vec<String> =
        Stage::ALL.iter().map(|s| format!("{c} = {}", earliest(&format!("a.{}", s.column()), &format!("s.{}", s.column())), c = s.column())).collect();
    let named = "SELECT a.meta_lead_id FROM pipeline_applications a WHERE a.workspace_id = ?1 AND a.meta_lead_id IS NOT NULL AND a.source <> 'meta_lead' \
                 AND (a.source, a.application_id) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?2))";
    vec![
        Query::new(
            format!(
                "UPDATE pipeline_applications AS a SET {}, updated_at = ?3 FROM pipeline_applications AS s \
                 WHERE s.workspace_id = ?1 AND s.source = '{META_LEAD_SOURCE}' AND s.application_id = a.meta_lead_id AND a.workspace_id = ?1 AND a.source <> '{META_LEAD_SOURCE}' \
                 AND (a.source, a.application_id) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?2))",
                sets.join(", ")
            ),
            vec![workspace.into(), pairs_json.into(), now.into()],
        ),
        Query::new(
            format!("DELETE FROM pipeline_applications WHERE workspace_id = ?1 AND source = '{META_LEAD_SOURCE}' AND application_id IN ({named})"),
            vec![workspace.into(), pairs_json.into()],
        ),
    ]
}

/// The stage counts of applications grouped by `dim` (an SQL expression over the table, from a
/// fixed list), applied on these days and joined to this account: per group the applications,
/// how many reached each stage, and how many each key joined.
pub async fn stage_counts(ports: &dyn Ports, ws: &str, account: &str, since: &str, until: &str, dim: &str) -> Result<Vec<StageRow>, Failure> {
    let by_key: Vec<String> = JoinKey::ALL.iter().map(|k| format!("SUM(join_key = '{0}') AS by_{0}", k.as_str())).collect();
    let q = Query::new(
        format!(
            "SELECT {dim} AS k, COUNT(*) AS applications, COUNT(COALESCE(qualified_at, interviewed_at, offered_at, hired_at)) AS qualified, \
             COUNT(COALESCE(interviewed_at, offered_at, hired_at)) AS interviewed, COUNT(COALESCE(offered_at, hired_at)) AS offered, COUNT(hired_at) AS hired, \
             COUNT(rejected_at) AS rejected, COUNT(withdrawn_at) AS withdrawn, ROUND(AVG(confidence), 3) AS confidence, {} \
             FROM pipeline_applications a WHERE workspace_id = ?1 AND ad_account_id = ?2 AND applied_date BETWEEN ?3 AND ?4 GROUP BY 1",
            by_key.join(", ")
        ),
        binds![ws, account, since, until],
    );
    Ok(ports
        .rows(q)
        .await?
        .into_iter()
        .map(|r| {
            let n = |k: &str| r[k].as_i64().unwrap_or(0);
            let joined_by: Map<String, Value> = JoinKey::ALL
                .iter()
                .filter(|k| n(&format!("by_{}", k.as_str())) > 0)
                .map(|k| (k.as_str().to_string(), json!(n(&format!("by_{}", k.as_str())))))
                .collect();
            StageRow {
                key: r["k"].as_str().map(str::to_string),
                counts: Counts {
                    meta: None,
                    applications: n("applications"),
                    qualified: n("qualified"),
                    interviewed: n("interviewed"),
                    offered: n("offered"),
                    hired: n("hired"),
                },
                rejected: n("rejected"),
                withdrawn: n("withdrawn"),
                confidence: r["confidence"].as_f64(),
                joined_by,
            }
        })
        .collect())
}

/// One group of `stage_counts`.
#[derive(Debug, Clone)]
pub struct StageRow {
    pub key: Option<String>,
    pub counts: Counts,
    pub rejected: i64,
    pub withdrawn: i64,
    pub confidence: Option<f64>,
    pub joined_by: Map<String, Value>,
}

/// Meta's figures for the account over these days from the daily aggregates, grouped by `dim`
/// (`object_id` at `level`, or an expression over `date` at campaign level).
pub async fn meta_figures(
    ports: &dyn Ports,
    ws: &str,
    account: &str,
    since: &str,
    until: &str,
    level: &str,
    dim: &str,
) -> Result<Vec<(String, MetaFigures)>, Failure> {
    let q = Query::new(
        format!(
            "SELECT {dim} AS k, SUM(impressions) AS impressions, SUM(clicks) AS clicks, SUM(leads) AS leads, SUM(spend_minor) AS spend_minor \
             FROM insights_daily WHERE workspace_id = ?1 AND ad_account_id = ?2 AND level = ?3 AND attribution_window = 'default' AND date BETWEEN ?4 AND ?5 GROUP BY 1"
        ),
        binds![ws, account, level, since, until],
    );
    Ok(ports
        .rows(q)
        .await?
        .into_iter()
        .map(|r| {
            let n = |k: &str| r[k].as_i64().unwrap_or(0);
            (
                r["k"].as_str().unwrap_or_default().to_string(),
                MetaFigures { impressions: n("impressions"), clicks: n("clicks"), leads: n("leads"), spend_minor: n("spend_minor") },
            )
        })
        .collect())
}

/// Why applications applied on these days have no join, most telling reason first, and the
/// UTM campaigns and ATS sources that most need a mapping.
pub async fn unattributed(ports: &dyn Ports, ws: &str, since: &str, until: &str) -> Result<Value, Failure> {
    let meta: Vec<String> = META_UTM_SOURCES.iter().map(|s| format!("'{s}'")).collect();
    let reason = format!(
        "CASE WHEN meta_lead_id IS NOT NULL THEN 'lead_not_mirrored' WHEN ad_id_hint IS NOT NULL THEN 'ad_not_mirrored' \
         WHEN COALESCE(utm_campaign, utm_term, utm_content) IS NOT NULL AND utm_source IS NOT NULL AND lower(utm_source) NOT IN ({}) THEN 'not_from_meta' \
         WHEN COALESCE(utm_campaign, utm_term, utm_content) IS NOT NULL THEN 'utm_unmapped' WHEN ats_source IS NOT NULL THEN 'ats_source_unmapped' ELSE 'no_source_fields' END",
        meta.join(", ")
    );
    let scope = "workspace_id = ?1 AND join_key IS NULL AND applied_date BETWEEN ?2 AND ?3";
    let reasons = ports
        .rows(Query::new(
            format!("SELECT {reason} AS reason, COUNT(*) AS n FROM pipeline_applications WHERE {scope} GROUP BY 1 ORDER BY 2 DESC"),
            binds![ws, since, until],
        ))
        .await?;
    let top = |col: &str| {
        Query::new(
            format!("SELECT lower({col}) AS value, COUNT(*) AS n FROM pipeline_applications WHERE {scope} AND {col} IS NOT NULL AND meta_lead_id IS NULL AND ad_id_hint IS NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"),
            binds![ws, since, until],
        )
    };
    let utm = ports.rows(top("utm_campaign")).await?;
    let ats = ports.rows(top("ats_source")).await?;
    let total: i64 = reasons.iter().filter_map(|r| r["n"].as_i64()).sum();
    let by_reason: Map<String, Value> = reasons.iter().map(|r| (r["reason"].as_str().unwrap_or_default().to_string(), r["n"].clone())).collect();
    Ok(json!({ "applications": total, "by_reason": by_reason, "unmapped_utm_campaigns": utm, "unmapped_ats_sources": ats }))
}

/// Days from application to hire of the account's most recent hires (at most 5,000).
pub async fn hire_lags(ports: &dyn Ports, ws: &str, account: &str) -> Result<Vec<f64>, Failure> {
    let q = Query::new(
        "SELECT julianday(hired_at) - julianday(applied_at) AS days FROM pipeline_applications \
         WHERE workspace_id = ?1 AND ad_account_id = ?2 AND hired_at IS NOT NULL ORDER BY hired_at DESC LIMIT 5000",
        binds![ws, account],
    );
    Ok(ports.rows(q).await?.iter().filter_map(|r| r["days"].as_f64()).map(|d| d.max(0.0)).collect())
}

/// Hires made on these days (by when they were hired) that joined this account.
pub async fn hires_in(ports: &dyn Ports, ws: &str, account: &str, since: &str, until: &str) -> Result<i64, Failure> {
    let q = Query::new(
        "SELECT COUNT(*) AS n FROM pipeline_applications WHERE workspace_id = ?1 AND ad_account_id = ?2 AND hired_at IS NOT NULL AND substr(hired_at, 1, 10) BETWEEN ?3 AND ?4",
        binds![ws, account, since, until],
    );
    Ok(ports.rows(q).await?.first().and_then(|r| r["n"].as_i64()).unwrap_or(0))
}

/// A kind of mapping and the mirror it is published from: (kind, objects as rows of obj, name,
/// campaign_id, adset_id, ad_id of the workspace `?1` and account `?2`).
const TAXONOMY: [(&str, &str); 3] = [
    (
        "utm_campaign",
        "SELECT id AS obj, name, id AS campaign_id, NULL AS adset_id, NULL AS ad_id FROM meta_campaigns WHERE workspace_id = ?1 AND ad_account_id = ?2",
    ),
    ("utm_term", "SELECT id AS obj, name, campaign_id, id AS adset_id, NULL AS ad_id FROM meta_ad_sets WHERE workspace_id = ?1 AND ad_account_id = ?2"),
    ("utm_content", "SELECT id AS obj, name, campaign_id, adset_id, id AS ad_id FROM meta_ads WHERE workspace_id = ?1 AND ad_account_id = ?2"),
];

/// The mappings the account's mirrors publish: each object's id, and its name (trimmed, lower
/// case) where no other object of the kind shares it; values that another account or a manual
/// mapping holds are left to them.
fn taxonomy_select(kind: &str, objects: &str) -> String {
    format!(
        "SELECT ?1 AS workspace_id, '{kind}' AS kind, v.value, ?2 AS ad_account_id, v.campaign_id, v.adset_id, v.ad_id, 'taxonomy' AS origin, ?3 AS published_at FROM (\
         SELECT lower(trim(name)) AS value, MIN(campaign_id) AS campaign_id, MIN(adset_id) AS adset_id, MIN(ad_id) AS ad_id FROM ({objects}) \
         WHERE trim(COALESCE(name, '')) <> '' GROUP BY 1 HAVING COUNT(*) = 1 \
         UNION ALL SELECT obj, campaign_id, adset_id, ad_id FROM ({objects})) AS v \
         WHERE NOT EXISTS (SELECT 1 FROM pipeline_mappings p WHERE p.workspace_id = ?1 AND p.kind = '{kind}' AND p.value = v.value AND (p.origin = 'manual' OR p.ad_account_id <> ?2))"
    )
}

/// How many values each kind would publish now, and the names two objects share (not published).
pub async fn taxonomy_preview(ports: &dyn Ports, ws: &str, account: &str, now: &str) -> Result<(Map<String, Value>, Vec<Value>), Failure> {
    let (mut counts, mut shared) = (Map::new(), Vec::new());
    for (kind, objects) in TAXONOMY {
        let n = ports.rows(Query::new(format!("SELECT COUNT(*) AS n FROM ({})", taxonomy_select(kind, objects)), binds![ws, account, now])).await?;
        counts.insert(kind.into(), n.first().map_or(json!(0), |r| r["n"].clone()));
        let q = format!("SELECT '{kind}' AS kind, lower(trim(name)) AS value, COUNT(*) AS objects FROM ({objects}) WHERE trim(COALESCE(name, '')) <> '' GROUP BY 2 HAVING COUNT(*) > 1 ORDER BY 3 DESC, 2 LIMIT 20");
        shared.extend(ports.rows(Query::new(q, binds![ws, account])).await?);
    }
    Ok((counts, shared))
}

/// Replaces the account's published mappings with what its mirrors say now, after upserting the
/// manual ones (rows of kind, value, campaign_id, adset_id, ad_id, as a JSON array).
pub fn publish_taxonomy(ws: &str, account: &str, manual_json: String, now: &str) -> Vec<Query> {
    let mut writes = vec![
        Query::new("DELETE FROM pipeline_mappings WHERE workspace_id = ?1 AND ad_account_id = ?2 AND origin = 'taxonomy'", binds![ws, account]),
        Query::new(
            "INSERT INTO pipeline_mappings (workspace_id, kind, value, ad_account_id, campaign_id, adset_id, ad_id, origin, published_at) \
             SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?2, json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'), 'manual', ?3 \
             FROM json_each(?4) WHERE true ON CONFLICT (workspace_id, kind, value) DO UPDATE SET ad_account_id = excluded.ad_account_id, campaign_id = excluded.campaign_id, \
             adset_id = excluded.adset_id, ad_id = excluded.ad_id, origin = 'manual', published_at = excluded.published_at",
            binds![ws, account, now, manual_json],
        ),
    ];
    for (kind, objects) in TAXONOMY {
        writes.push(Query::new(
            format!(
                "INSERT INTO pipeline_mappings (workspace_id, kind, value, ad_account_id, campaign_id, adset_id, ad_id, origin, published_at) {} ON CONFLICT DO NOTHING",
                taxonomy_select(kind, objects)
            ),
            binds![ws, account, now],
        ));
    }
    writes
}

/// The mappings the workspace holds for an account, counted by kind and origin.
pub async fn mapping_counts(ports: &dyn Ports, ws: &str, account: &str) -> Result<Vec<Value>, Failure> {
    ports
        .rows(Query::new(
            "SELECT kind, origin, COUNT(*) AS n FROM pipeline_mappings WHERE workspace_id = ?1 AND ad_account_id = ?2 GROUP BY 1, 2 ORDER BY 1, 2",
            binds![ws, account],
        ))
        .await
}

/// The object a manual mapping names, found in the account's mirror: (campaign, ad set, ad).
pub async fn mirrored_object(ports: &dyn Ports, ws: &str, account: &str, table: &str, id: &str) -> Result<Option<(Value, Value, Value)>, Failure> {
    let cols = match table {
        "meta_campaigns" => "id AS campaign_id, NULL AS adset_id, NULL AS ad_id",
        "meta_ad_sets" => "campaign_id, id AS adset_id, NULL AS ad_id",
        _ => "campaign_id, adset_id, id AS ad_id",
    };
    let rows = ports
        .rows(Query::new(format!("SELECT {cols} FROM {table} WHERE workspace_id = ?1 AND ad_account_id = ?2 AND id = ?3"), binds![ws, account, id]))
        .await?;
    Ok(rows.first().map(|r| (r["campaign_id"].clone(), r["adset_id"].clone(), r["ad_id"].clone())))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn an_upsert_replaces_source_fields_but_keeps_stages_and_the_first_insert_time() {
        let q = upsert("w", "[]".into(), "now");
        assert!(q.sql.contains("utm_campaign = excluded.utm_campaign") && q.sql.contains("join_key = NULL"));
        assert!(!q.sql.contains("hired_at") && !q.sql.contains("created_at = excluded"), "{}", q.sql);
        let s = record_stages("w", "[]".into(), "now");
        assert!(s.sql.contains("hired_at = COALESCE(min(a.hired_at, j.hired_at), a.hired_at, j.hired_at)"), "{}", s.sql);
        assert!(s.sql.contains("GROUP BY 1, 2"), "several stages of one application in one batch all land");
    }
}
