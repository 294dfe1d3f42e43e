//! `recruiter_paid_media/launch_campaign_draft`: Builds a draft's tree on Meta in order (campaign,
//! creatives, ad sets, ads), all PAUSED, recording each Meta id against the draft as it goes;
//! then, unless `activate` is false, sets the ads, ad sets and finally the campaign ACTIVE.
//!
//! Resumable and idempotent: an object already recorded is not created again, and one whose
//! create was sent but not recorded (the worker stopped in between) is looked up on Meta by its
//! name before anything is sent. A failure stops the launch with nothing ACTIVE (the campaign is
//! paused again if activation had begun) and says which objects exist; launching again resumes.
//! Activation is a launch: the first on an ad account, a budget above the approval threshold and
//! the workspace's policies hold it for an approval (with `activate: false` nothing is held: the
//! tree is built PAUSED and can be activated by a later launch).

use super::create_creative::utm_template;
use super::drafts::{self, Draft, Revision};
use super::validate_campaign_draft::problems;
use super::{bad, create_campaign, graph_all, graph_read, graph_write, launch_flags, mirror, Params};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, Record, RECRUITER_OR_ADMIN};
use crate::db::ad_accounts::{self, BoundAccount};
use crate::db::campaign_drafts;
use crate::domain::{AdAccountId, Text};
use crate::failure::Failure;
use crate::problem::Problem;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Builds a draft on Meta, PAUSED, then activates it.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The draft.
    pub draft_id: Text<64>,
    /// The draft's revision the caller validated.
    pub revision: Revision,
    /// Set everything ACTIVE once built (default true); false builds it PAUSED.
    pub activate: Option<bool>,
}

#[derive(Debug, Default)]
pub struct Ready {
    draft: Draft,
    account: BoundAccount,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Ready;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Builds a draft's tree on Meta in order, all PAUSED, recording each id as it goes, then activates it; resumable without creating anything twice, and activation is held for an approval when policies flag it.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Ready>, Failure> {
        let draft = drafts::load(cx, input.draft_id.as_str()).await?;
        if draft.row.revision != input.revision.get() {
            let mut p = Problem::conflict(format!(
                "draft is at revision {}, not {}: validate the current revision and launch that",
                draft.row.revision,
                input.revision.get()
            ));
            p.field = Some("revision".into());
            return Err(p.into());
        }
        if draft.row.status == "launched" && input.activate == Some(false) {
            return Err(Problem::conflict("the draft is launched already").into());
        }
        let id = AdAccountId::parse(&draft.row.ad_account_id).ok_or_else(|| Failure::Internal("draft account".into()))?;
        let account = ad_accounts::bound(cx.ports, cx.workspace, "draft_id", &id).await?;
        let found = problems(cx, &draft, &account, false).await?;
        if let Some(first) = found.first() {
            let mut p = Problem::new(
                "draft-invalid",
                "Draft Has Problems",
                422,
                format!(
                    "{} problem(s); first: {}: {}",
                    found.len(),
                    first["object"].as_str().unwrap_or_default(),
                    first["reason"].as_str().unwrap_or_default()
                ),
            );
            p.field = first["field"].as_str().map(str::to_string).or(Some("draft_id".into()));
            return Err(p.with_extension("problems", json!(found)).into());
        }
        let flags = if input.activate != Some(false) {
            let budget = draft.tree.campaign.as_ref().and_then(|c| c.campaign_budget());
            let sets: i64 = draft.tree.ad_sets.iter().filter_map(|s| s.ad_set.budget()).sum();
            launch_flags(cx, &account.id, None, budget.or((sets > 0).then_some(sets))).await?
        } else {
            Vec::new()
        };
        Ok(Plan { account: Some(account.id.clone()), flags, state: Ready { draft, account } })
    }

    async fn apply(cx: &Cx<'_>, input: &Input, ready: Ready) -> Result<Change, Failure> {
        let Ready { draft, account } = ready;
        let mut launch = Launch { cx, account: &account, draft: &draft, ids: BTreeMap::new(), rows: BTreeMap::new() };
        for r in campaign_drafts::objects(cx.ports, &draft.row.id).await? {
            launch.rows.insert(r.key.clone(), r);
        }
        let mut record = Record { ad_account_id: Some(account.id.clone()), external_id: Some(draft.row.id.clone()), ..Record::default() };
        let now = cx.ports.now_iso();
        cx.ports.batch(vec![campaign_drafts::set_status(cx.workspace, &draft.row.id, "launching", &now)]).await?;
        let built = launch.build().await;
        let activated = match (&built, input.activate != Some(false)) {
            (Ok(()), true) => launch.activate().await,
            _ => Ok(()),
        };
        let objects = json!(launch.ids);
        if let Err(e) = built.and(activated) {
            if let Failure::Internal(_) = e {
                return Err(e);
            }
            record.after = Some(json!({ "objects": objects, "status": "failed" }));
            // A failed change's rows are not committed with its audit row; the draft's state is
            // progress, like the object rows, and is written now.
            cx.ports.batch(vec![campaign_drafts::set_status(cx.workspace, &draft.row.id, "failed", &cx.ports.now_iso())]).await?;
            let e = match e.to_problem() {
                Some(p) => Failure::from(p.with_extension("created", objects.clone()).with_extension("draft_id", json!(draft.row.id))),
                None => e,
            };
            return Ok(Change { result: Err(e), writes: Vec::new(), record });
        }
        let mut writes = vec![campaign_drafts::set_status(cx.workspace, &draft.row.id, "launched", &cx.ports.now_iso())];
        writes.extend(launch.mirror_rows().await);
        let campaign_id = launch.ids.get("campaign").cloned().unwrap_or_default();
        record.after = Some(json!({ "campaign_id": campaign_id, "objects": objects, "activated": input.activate != Some(false) }));
        let body = json!({ "draft_id": draft.row.id, "ad_account_id": account.id, "campaign_id": campaign_id, "objects": objects, "activated": input.activate != Some(false) });
        Ok(Change::done(201, body, writes, record))
    }
}

struct Launch<'a> {
    cx: &'a Cx<'a>,
    account: &'a BoundAccount,
    draft: &'a Draft,
    /// Draft key (`campaign`, `creatives.k`, `ad_sets.k`, `ads.k`) to Meta id.
    ids: BTreeMap<String, String>,
    rows: BTreeMap<String, campaign_drafts::ObjectRow>,
}

impl Launch<'_> {
    fn mark(&self, key: &str, kind: &str, id: Option<&str>, status: &str) -> crate::ports::Query {
        campaign_drafts::mark(&self.draft.row.id, key, kind, id, status, &self.cx.ports.now_iso())
    }

    /// Creates one object unless the draft records it, or Meta has it from an attempt that
    /// stopped before recording it (found by name under its parent, created since that attempt).
    async fn ensure(&mut self, key: &str, kind: &str, edge: &str, lookup: &str, params: Params) -> Result<String, Failure> {
        if let Some(id) = self.rows.get(key).and_then(|r| r.meta_id.clone()) {
            self.ids.insert(key.to_string(), id.clone());
            return Ok(id);
        }
        let name = params.0.iter().find(|(k, _)| k == "name").map(|(_, v)| v.clone()).unwrap_or_default();
        if let Some(row) = self.rows.get(key).filter(|r| r.status == "creating") {
            let filtering = json!([{ "field": "name", "operator": "EQUAL", "value": name }]).to_string();
            let q = [("fields".to_string(), "id,name,created_time".to_string()), ("filtering".to_string(), filtering), ("limit".to_string(), "50".to_string())];
            let since = chrono::DateTime::parse_from_rfc3339(&row.started_at).map(|d| d.timestamp()).unwrap_or(0);
            let same = graph_all(self.cx, self.account, lookup, &q).await?;
            if let Some(found) = same.iter().find(|o| o["name"] == name.as_str() && meta_time(&o["created_time"]).is_some_and(|t| t >= since - 300)) {
                let id = found["id"].as_str().unwrap_or_default().to_string();
                self.cx.ports.batch(vec![self.mark(key, kind, Some(&id), "created")]).await?;
                self.ids.insert(key.to_string(), id.clone());
                return Ok(id);
            }
        }
        self.cx.ports.batch(vec![self.mark(key, kind, None, "creating")]).await?;
        let created = graph_write(self.cx, self.account, "POST", edge, &params.0).await?;
        let id = created["id"].as_str().filter(|s| !s.is_empty()).ok_or_else(|| Failure::Internal(format!("Meta created {key} without an id")))?.to_string();
        self.cx.ports.batch(vec![self.mark(key, kind, Some(&id), "created")]).await?;
        self.ids.insert(key.to_string(), id.clone());
        Ok(id)
    }

    async fn build(&mut self) -> Result<(), Failure> {
        let tree = &self.draft.tree;
        let acct = format!("act_{}", self.account.id);
        let campaign = tree.campaign.as_ref().ok_or_else(|| bad("draft_id", "the draft has no campaign"))?;
        let mut campaign_params = create_campaign::params(campaign);
        campaign_params.0.retain(|(k, _)| k != "status");
        let campaign_id =
            self.ensure("campaign", "campaign", &format!("{acct}/campaigns"), &format!("{acct}/campaigns"), campaign_params.text("status", "PAUSED")).await?;
        let template = utm_template(self.cx).await?;
        for c in &tree.creatives {
            let key = format!("creatives.{}", c.key);
            self.ensure(&key, "creative", &format!("{acct}/adcreatives"), &format!("{acct}/adcreatives"), c.creative.params(&template)).await?;
        }
        for set in &tree.ad_sets {
            let key = format!("ad_sets.{}", set.key);
            let mut params = set.ad_set.params();
            params.0.retain(|(k, _)| k != "status");
            let params = params.text("status", "PAUSED").text("campaign_id", &campaign_id);
            let set_id = self.ensure(&key, "adset", &format!("{acct}/adsets"), &format!("{campaign_id}/adsets"), params).await?;
            for ad in &set.ads {
                let creative = self.ids.get(&format!("creatives.{}", ad.creative_key.as_str())).cloned().unwrap_or_default();
                let params = Params::new()
                    .text("name", ad.name.as_str())
                    .text("adset_id", &set_id)
                    .json("creative", &json!({ "creative_id": creative }))
                    .text("status", "PAUSED");
                self.ensure(&format!("ads.{}", ad.key.as_str()), "ad", &format!("{acct}/ads"), &format!("{set_id}/ads"), params).await?;
            }
        }
        Ok(())
    }

    /// Ads, then ad sets, then the campaign: nothing delivers until the last call. If a call
    /// fails, the campaign is paused again so nothing is left ACTIVE.
    async fn activate(&mut self) -> Result<(), Failure> {
        let order: Vec<(String, String)> = {
            let pick = |prefix: &str| self.ids.iter().filter(|(k, _)| k.starts_with(prefix)).map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>();
            [pick("ads."), pick("ad_sets."), pick("campaign")].concat()
        };
        let active = Params::new().text("status", "ACTIVE");
        for (key, id) in &order {
            if self.rows.get(key).is_some_and(|r| r.status == "active") {
                continue;
            }
            if let Err(e) = graph_write(self.cx, self.account, "POST", id, &active.0).await {
                if let Some(c) = self.ids.get("campaign") {
                    let _ = graph_write(self.cx, self.account, "POST", c, &Params::new().text("status", "PAUSED").0).await;
                }
                return Err(e);
            }
            self.cx.ports.batch(vec![self.mark(key, kind_of(key), Some(id), "active")]).await?;
        }
        Ok(())
    }

    /// The mirror rows of what was built, read back in one call per kind under the campaign.
    async fn mirror_rows(&self) -> Vec<crate::ports::Query> {
        let Some(campaign) = self.ids.get("campaign") else { return Vec::new() };
        let mut out = Vec::new();
        let one = [("fields".to_string(), ObjectKind::Campaign.fields())];
        if let Ok(c) = graph_read(self.cx, self.account, campaign, &one).await {
            out.extend(mirror(self.cx, self.account, ObjectKind::Campaign, &c));
        }
        for kind in [ObjectKind::AdSet, ObjectKind::Ad] {
            let q = [("fields".to_string(), kind.fields()), ("limit".to_string(), "500".to_string())];
            let rows: Vec<Value> = graph_all(self.cx, self.account, &format!("{campaign}/{}", kind.edge()), &q).await.unwrap_or_default();
            out.extend(rows.iter().filter_map(|o| mirror(self.cx, self.account, kind, o)));
        }
        out
    }
}

/// The kind of object a draft key names (`ads.k`, `ad_sets.k`, `creatives.k`, `campaign`).
fn kind_of(key: &str) -> &'static str {
    match key.split('.').next() {
        Some("ads") => "ad",
        Some("ad_sets") => "adset",
        Some("creatives") => "creative",
        _ => "campaign",
    }
}

/// Meta's `2026-11-23T10:00:00+0000` as Unix seconds.
fn meta_time(v: &Value) -> Option<i64> {
    chrono::DateTime::parse_from_str(v.as_str()?, "%Y-%m-%dT%H:%M:%S%z").ok().map(|d| d.timestamp())
}
