//! Reading performance from the mirrors: `insights_daily` (whole days, by level) for plain
//! questions, `insights_facts` (ad-level facts) for breakdowns and hours. Every query names the
//! workspace and one account; sums stay integers (money in minor units) and ratios are derived
//! from them by the caller.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Bind, Ports, Query};
use serde::Deserialize;
use serde_json::Value;

/// The level rows are grouped at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Account,
    Campaign,
    #[serde(rename = "adset")]
    AdSet,
    Ad,
}

impl Level {
    /// As `insights_daily.level` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Account => "account",
            Level::Campaign => "campaign",
            Level::AdSet => "adset",
            Level::Ad => "ad",
        }
    }

    /// The column of `insights_facts` holding this level's id.
    fn fact_column(self) -> &'static str {
        match self {
            Level::Account => "d.ad_account_id",
            Level::Campaign => "d.campaign_id",
            Level::AdSet => "d.adset_id",
            Level::Ad => "d.object_id",
        }
    }

    /// The mirror table naming this level's objects.
    pub fn table(self) -> Option<&'static str> {
        match self {
            Level::Account => None,
            Level::Campaign => Some("meta_campaigns"),
            Level::AdSet => Some("meta_ad_sets"),
            Level::Ad => Some("meta_ads"),
        }
    }
}

/// The sums every metric is derived from.
pub const SUMS: &str = "SUM(d.impressions) AS impressions, SUM(d.reach) AS reach, SUM(d.clicks) AS clicks, SUM(d.link_clicks) AS link_clicks, \
     SUM(d.spend_minor) AS spend_minor, SUM(d.leads) AS leads, SUM(d.purchases) AS purchases, SUM(d.purchase_value_minor) AS purchase_value_minor";

/// One grouped row: its keys and sums.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Row {
    pub object_id: Option<String>,
    pub date: Option<String>,
    pub hour: Option<i64>,
    pub breakdown_key: Option<String>,
    #[serde(flatten)]
    pub sums: Sums,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
pub struct Sums {
    #[serde(default)]
    pub impressions: i64,
    #[serde(default)]
    pub reach: i64,
    #[serde(default)]
    pub clicks: i64,
    #[serde(default)]
    pub link_clicks: i64,
    #[serde(default)]
    pub spend_minor: i64,
    #[serde(default)]
    pub leads: i64,
    #[serde(default)]
    pub purchases: i64,
    #[serde(default)]
    pub purchase_value_minor: i64,
}

/// Where the rows come from: whole days by level, or facts of one breakdown set.
#[derive(Debug, Clone)]
pub enum Source {
    Daily,
    /// The set's name as stored (`country`, `publisher_platform,platform_position`, `hourly`).
    Breakdown(String),
}

/// A question about one account's performance.
#[derive(Debug, Clone)]
pub struct Ask {
    pub workspace: String,
    pub account: String,
    pub level: Level,
    pub source: Source,
    pub window: String,
    pub since: String,
    pub until: String,
    pub by_day: bool,
    /// Only these objects (of the level).
    pub ids: Vec<String>,
    pub campaign_id: Option<String>,
    pub adset_id: Option<String>,
    /// An SQL expression over the sums (from a fixed list, never from input) and its direction.
    pub order_by: &'static str,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

impl Ask {
    /// Each of `ids` (ad sets) summed over a range in the default window, from `source`: what
    /// suggestions weigh.
    pub fn adsets_over(workspace: &str, account: &str, source: Source, (since, until): (&str, &str), ids: &[String], limit: i64) -> Ask {
        Ask {
            workspace: workspace.into(),
            account: account.into(),
            level: Level::AdSet,
            source,
            window: "default".into(),
            since: since.into(),
            until: until.into(),
            by_day: false,
            ids: ids.to_vec(),
            campaign_id: None,
            adset_id: None,
            order_by: "object_id",
            descending: false,
            limit,
            offset: 0,
        }
    }

    /// `FROM ... WHERE ...` with its binds.
    fn scope(&self) -> (String, Vec<Bind>) {
        let mut binds = binds![self.workspace.as_str(), self.account.as_str(), self.window.as_str(), self.since.as_str(), self.until.as_str()];
        let mut sql = match &self.source {
            Source::Daily => {
                binds.push(self.level.as_str().into());
                "FROM insights_daily d WHERE d.workspace_id = ?1 AND d.ad_account_id = ?2 AND d.attribution_window = ?3 AND d.date BETWEEN ?4 AND ?5 AND d.level = ?6"
                    .to_string()
            }
            Source::Breakdown(set) => {
                binds.push(set.as_str().into());
                let hours = if set == "hourly" { " AND d.hour >= 0" } else { " AND d.hour = -1" };
                format!("FROM insights_facts d WHERE d.workspace_id = ?1 AND d.ad_account_id = ?2 AND d.attribution_window = ?3 AND d.date BETWEEN ?4 AND ?5 AND d.breakdown_set = ?6 AND d.source = 'meta'{hours}")
            }
        };
        let id = self.id_column();
        if !self.ids.is_empty() {
            binds.push(Value::from(self.ids.clone()).to_string().into());
            sql.push_str(&format!(" AND {id} IN (SELECT value FROM json_each(?{}))", binds.len()));
        }
        for (parent, column, value) in [("campaign_id", "campaign_id", &self.campaign_id), ("adset_id", "adset_id", &self.adset_id)] {
            let Some(v) = value else { continue };
            binds.push(v.as_str().into());
            let n = binds.len();
            // The daily rows of a level carry only their own id: a parent is found in the mirror.
            let clause = match (&self.source, self.level, parent) {
                (Source::Breakdown(_), _, _) => format!("d.{column} = ?{n}"),
                (Source::Daily, Level::Campaign, "campaign_id") | (Source::Daily, Level::AdSet, "adset_id") => format!("d.object_id = ?{n}"),
                (Source::Daily, Level::AdSet, _) => format!("d.object_id IN (SELECT id FROM meta_ad_sets WHERE workspace_id = ?1 AND {parent} = ?{n})"),
                (Source::Daily, _, _) => format!("d.object_id IN (SELECT id FROM meta_ads WHERE workspace_id = ?1 AND {parent} = ?{n})"),
            };
            sql.push_str(" AND ");
            sql.push_str(&clause);
        }
        (sql, binds)
    }

    fn id_column(&self) -> &'static str {
        match self.source {
            Source::Daily => "d.object_id",
            Source::Breakdown(_) => self.level.fact_column(),
        }
    }

    /// The column splitting an object's rows within a day: the hour or the breakdown values.
    fn split_column(&self) -> Option<&'static str> {
        match &self.source {
            Source::Daily => None,
            Source::Breakdown(set) if set == "hourly" => Some("d.hour"),
            Source::Breakdown(_) => Some("d.breakdown_key"),
        }
    }

    /// The selected keys and the GROUP BY columns, in order.
    fn keys(&self) -> (Vec<String>, Vec<String>) {
        let id = self.id_column();
        let mut keys = vec![format!("{id} AS object_id")];
        let mut group = vec![id.to_string()];
        if self.by_day {
            keys.push("d.date AS date".into());
            group.push("d.date".into());
        }
        if let Some(split) = self.split_column() {
            keys.push(format!("{split} AS {}", &split[2..]));
            group.push(split.into());
        }
        (keys, group)
    }

    /// Up to `limit` grouped rows after `after` in key order: how a report walks a range of any
    /// size with every query bounded (no OFFSET rescans what came before).
    pub fn keyset_query(&self, after: Option<&Row>, limit: i64) -> Query {
        let (mut from, mut binds) = self.scope();
        let id = self.id_column();
        if let Some(r) = after {
            binds.push(r.object_id.clone().unwrap_or_default().into());
            let n = binds.len();
            match self.split_column() {
                None => from.push_str(&format!(" AND {id} > ?{n}")),
                Some(split) => {
                    binds.push(match split {
                        "d.hour" => Bind::from(r.hour.unwrap_or(-1)),
                        _ => Bind::from(r.breakdown_key.clone().unwrap_or_default()),
                    });
                    from.push_str(&format!(" AND ({id}, {split}) > (?{n}, ?{})", n + 1));
                }
            }
        }
        let (keys, group) = self.keys();
        binds.push(limit.into());
        let n = binds.len();
        Query::new(format!("SELECT {}, {SUMS} {from} GROUP BY {} ORDER BY {} LIMIT ?{n}", keys.join(", "), group.join(", "), group.join(", ")), binds)
    }

    /// The page of grouped rows.
    pub fn rows_query(&self) -> Query {
        let (from, mut binds) = self.scope();
        let (keys, group) = self.keys();
        let direction = if self.descending { "DESC" } else { "ASC" };
        binds.push(self.limit.into());
        binds.push(self.offset.into());
        let n = binds.len();
        let sql = format!(
            "SELECT {}, {SUMS} {from} GROUP BY {} ORDER BY {} {direction} NULLS LAST, {} LIMIT ?{} OFFSET ?{n}",
            keys.join(", "),
            group.join(", "),
            self.order_by,
            group.join(", "),
            n - 1
        );
        Query::new(sql, binds)
    }

    /// The sums over everything the question covers (every page).
    pub fn totals_query(&self) -> Query {
        let (from, binds) = self.scope();
        Query::new(format!("SELECT {SUMS} {from}"), binds)
    }
}

/// Day by day, per ad or per creative (an ad's creative from the mirror), in the default window:
/// the series that fatigue is read from.
pub async fn daily_series(ports: &dyn Ports, ws: &str, account: &str, since: &str, until: &str, per_creative: bool) -> Result<Vec<Row>, Failure> {
    let (key, join) =
        if per_creative { ("a.creative_id", " JOIN meta_ads a ON a.id = d.object_id AND a.workspace_id = d.workspace_id") } else { ("d.object_id", "") };
    let sql = format!(
        "SELECT {key} AS object_id, d.date AS date, {SUMS} FROM insights_daily d{join} WHERE d.workspace_id = ?1 AND d.ad_account_id = ?2 AND d.level = 'ad' \
         AND d.attribution_window = 'default' AND d.date BETWEEN ?3 AND ?4 AND {key} IS NOT NULL GROUP BY {key}, d.date ORDER BY {key}, d.date"
    );
    super::all(ports, Query::new(sql, binds![ws, account, since, until])).await
}

/// Statements of `ask` answered where their rows live: whole days in D1, breakdown and hourly
/// facts wherever the account's placement says (`crate::facts`), each statement's rows in order.
async fn answer_each(ports: &dyn Ports, ask: &Ask, queries: Vec<Query>) -> Result<Vec<Vec<Value>>, Failure> {
    match ask.source {
        Source::Daily => crate::facts::in_d1(ports, queries).await,
        Source::Breakdown(_) => crate::facts::rows_of_each(ports, &ask.account, queries).await,
    }
}

async fn answer<T: serde::de::DeserializeOwned>(ports: &dyn Ports, ask: &Ask, q: Query) -> Result<Vec<T>, Failure> {
    answer_each(ports, ask, vec![q]).await?.pop().unwrap_or_default().into_iter().map(super::decode).collect()
}

pub async fn rows(ports: &dyn Ports, ask: &Ask) -> Result<Vec<Row>, Failure> {
    answer(ports, ask, ask.rows_query()).await
}

/// The page of rows and the totals together: for partitioned facts one placement read and one
/// request to the account's object, not two of each.
pub async fn page_and_totals(ports: &dyn Ports, ask: &Ask) -> Result<(Vec<Row>, Sums), Failure> {
    let mut both = answer_each(ports, ask, vec![ask.rows_query(), ask.totals_query()]).await?.into_iter();
    let rows = both.next().unwrap_or_default().into_iter().map(super::decode).collect::<Result<Vec<Row>, _>>()?;
    let totals = both.next().unwrap_or_default().into_iter().next().map(super::decode).transpose()?.unwrap_or_default();
    Ok((rows, totals))
}

/// `keyset_query`'s rows, from where they live.
pub async fn keyset(ports: &dyn Ports, ask: &Ask, after: Option<&Row>, limit: i64) -> Result<Vec<Row>, Failure> {
    answer(ports, ask, ask.keyset_query(after, limit)).await
}

/// Names of mirrored objects (`meta_campaigns`, `meta_ad_sets`, `meta_ads`, `meta_creatives`) by id.
pub async fn names(ports: &dyn Ports, ws: &str, table: Option<&'static str>, ids: &[String]) -> Result<Vec<(String, String)>, Failure> {
    let Some(table) = table else { return Ok(Vec::new()) };
    #[derive(Deserialize)]
    struct Named {
        id: String,
        name: Option<String>,
    }
    let q = Query::new(
        format!("SELECT id, name FROM {table} WHERE workspace_id = ?1 AND id IN (SELECT value FROM json_each(?2))"),
        binds![ws, Value::from(ids.to_vec()).to_string()],
    );
    let rows: Vec<Named> = super::all(ports, q).await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name.unwrap_or_default())).collect())
}

/// When the account's insights were last synced whole (a succeeded insights run), and its zone.
pub async fn freshness(ports: &dyn Ports, ws: &str, account: &str) -> Result<(Option<String>, String), Failure> {
    #[derive(Deserialize)]
    struct Fresh {
        synced_at: Option<String>,
        timezone_name: Option<String>,
    }
    let q = Query::new(
        "SELECT (SELECT MAX(finished_at) FROM sync_runs WHERE workspace_id = ?1 AND ad_account_id = ?2 AND kind = 'insights_resync' AND status = 'succeeded') AS synced_at, \
         (SELECT timezone_name FROM ad_accounts WHERE workspace_id = ?1 AND id = ?2) AS timezone_name",
        binds![ws, account],
    );
    let f: Option<Fresh> = super::first(ports, q).await?;
    let f = f.unwrap_or(Fresh { synced_at: None, timezone_name: None });
    Ok((f.synced_at, f.timezone_name.unwrap_or_else(|| "UTC".into())))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn ask(source: Source, level: Level) -> Ask {
        Ask {
            workspace: "ws".into(),
            account: "1".into(),
            level,
            source,
            window: "default".into(),
            since: "2026-11-01".into(),
            until: "2026-11-07".into(),
            by_day: true,
            ids: vec!["9".into()],
            campaign_id: Some("c1".into()),
            adset_id: None,
            order_by: "SUM(d.spend_minor)",
            descending: true,
            limit: 10,
            offset: 20,
        }
    }

    #[test]
    fn every_question_is_bound_to_its_workspace_and_account_and_binds_every_value() {
        for (source, level) in [(Source::Daily, Level::AdSet), (Source::Daily, Level::Ad), (Source::Breakdown("country".into()), Level::Campaign)] {
            let q = ask(source, level).rows_query();
            assert!(q.sql.contains("d.workspace_id = ?1 AND d.ad_account_id = ?2"), "{}", q.sql);
            let placeholders = (1..=q.binds.len()).all(|n| q.sql.contains(&format!("?{n}")));
            assert!(placeholders && !q.sql.contains(&format!("?{}", q.binds.len() + 1)), "{} {:?}", q.sql, q.binds);
            assert!(!q.sql.contains("c1") && !q.sql.contains("2026"), "values are bound, never written in: {}", q.sql);
        }
        let hourly = ask(Source::Breakdown("hourly".into()), Level::Ad).rows_query();
        assert!(hourly.sql.contains("d.hour >= 0") && hourly.sql.contains("d.hour AS hour"), "{}", hourly.sql);
        let totals = ask(Source::Daily, Level::Campaign).totals_query();
        assert!(!totals.sql.contains("GROUP BY") && !totals.sql.contains("LIMIT"), "{}", totals.sql);
    }
}
