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
use super::{bad, create_campaign, graph_all, graph_write, launch_flags, mirror, Params};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, Record, RECRUITER_OR_ADMIN};
use crate::actions::objects::{batch_answer, graph_batch};
use crate::db::ad_accounts::{self, BoundAccount};
use crate::db::campaign_drafts;
use crate::domain::{AdAccountId, Text};
use crate::failure::Failure;
use crate::graph::BatchCall;
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
            return Ok(Change { result: Err(e), writes: Vec::new(), record, then_enqueue: Vec::new() });
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

/// One object to create: where, with what, and which other objects' ids it needs.
struct Step {
    key: String,
    /// The edge it is created on (`act_1/adsets`).
    edge: String,
    params: Params,
    /// (parameter, key of the object whose id it takes); an ad's creative goes in as
    /// `{"creative_id": ...}`.
    needs: Vec<(&'static str, String)>,
    /// The object it is listed under on Meta (`None`: the account), and the edge there.
    under: Option<String>,
    listed_as: &'static str,
}

impl Step {
    /// 0: campaign and creatives, 1: ad sets, 2: ads. Each level's parents are in the level before.
    fn level(&self) -> usize {
        match kind_of(&self.key) {
            "adset" => 1,
            "ad" => 2,
            _ => 0,
        }
    }
}

impl Launch<'_> {
    fn mark(&self, key: &str, id: Option<&str>, status: &str) -> crate::ports::Query {
        campaign_drafts::mark(&self.draft.row.id, key, kind_of(key), id, status, &self.cx.ports.now_iso())
    }

    /// Every object of the draft in creation order: campaign, creatives, ad sets, ads.
    async fn steps(&self) -> Result<Vec<Step>, Failure> {
        let tree = &self.draft.tree;
        let acct = format!("act_{}", self.account.id);
        let campaign = tree.campaign.as_ref().ok_or_else(|| bad("draft_id", "the draft has no campaign"))?;
        let mut campaign_params = create_campaign::params(campaign);
        campaign_params.0.retain(|(k, _)| k != "status");
        let mut steps = vec![Step {
            key: "campaign".into(),
            edge: format!("{acct}/campaigns"),
            params: campaign_params.text("status", "PAUSED"),
            needs: Vec::new(),
            under: None,
            listed_as: "campaigns",
        }];
        let template = utm_template(self.cx).await?;
        for c in &tree.creatives {
            let key = format!("creatives.{}", c.key);
            steps.push(Step {
                key,
                edge: format!("{acct}/adcreatives"),
                params: c.creative.params(&template),
                needs: Vec::new(),
                under: None,
                listed_as: "adcreatives",
            });
        }
        let mut ads = Vec::new();
        for set in &tree.ad_sets {
            let key = format!("ad_sets.{}", set.key);
            let mut params = set.ad_set.params();
            params.0.retain(|(k, _)| k != "status" && k != "campaign_id");
            let needs = vec![("campaign_id", "campaign".to_string())];
            steps.push(Step {
                key: key.clone(),
                edge: format!("{acct}/adsets"),
                params: params.text("status", "PAUSED"),
                needs,
                under: Some("campaign".into()),
                listed_as: "adsets",
            });
            for ad in &set.ads {
                let needs = vec![("adset_id", key.clone()), ("creative", format!("creatives.{}", ad.creative_key.as_str()))];
                let params = Params::new().text("name", ad.name.as_str()).text("status", "PAUSED");
                ads.push(Step {
                    key: format!("ads.{}", ad.key.as_str()),
                    edge: format!("{acct}/ads"),
                    params,
                    needs,
                    under: Some(key.clone()),
                    listed_as: "ads",
                });
            }
        }
        steps.extend(ads);
        Ok(steps)
    }

    /// Objects whose create was sent but not recorded (the worker stopped, or a request failed
    /// without an answer) are looked up on Meta by name under their parent, created since that
    /// attempt: one batch per level, so each level's parents are known.
    async fn recover(&mut self, steps: &[Step]) -> Result<(), Failure> {
        for level in 0..3 {
            let mut asked: Vec<(&Step, String, String)> = Vec::new();
            let mut calls = Vec::new();
            for step in steps.iter().filter(|s| s.level() == level && !self.ids.contains_key(&s.key)) {
                let Some(row) = self.rows.get(&step.key).filter(|r| r.status == "creating") else { continue };
                let parent = match &step.under {
                    None => format!("act_{}", self.account.id),
                    // A parent that does not exist has no children to find.
                    Some(k) => match self.ids.get(k) {
                        Some(id) => id.clone(),
                        None => continue,
                    },
                };
                let name = step.params.0.iter().find(|(k, _)| k == "name").map(|(_, v)| v.clone()).unwrap_or_default();
                let filtering = json!([{ "field": "name", "operator": "EQUAL", "value": name }]).to_string();
                // A kind without times on Meta (creatives) is known by its name alone.
                let timed = ObjectKind::parse(step.listed_as).is_none_or(|k| k.has_times());
                let fields = if timed { "id,name,created_time" } else { "id,name" };
                let q = [("fields".to_string(), fields.to_string()), ("filtering".to_string(), filtering), ("limit".to_string(), "50".to_string())];
                calls.push(BatchCall::get(format!("{parent}/{}", step.listed_as), &q));
                asked.push((step, name, row.started_at.clone()));
            }
            if calls.is_empty() {
                continue;
            }
            let mut marks = Vec::new();
            for ((step, name, started_at), result) in asked.into_iter().zip(graph_batch(self.cx, self.account, &calls).await?) {
                let listed = batch_answer(result)?;
                let since = chrono::DateTime::parse_from_rfc3339(&started_at).map(|d| d.timestamp()).unwrap_or(0);
                let same = listed["data"].as_array().cloned().unwrap_or_default();
                let recent = |o: &Value| o.get("created_time").is_none() || meta_time(&o["created_time"]).is_some_and(|t| t >= since - 300);
                let named: Vec<&Value> = same.iter().filter(|o| o["name"] == name.as_str()).collect();
                // Without a time, only a name no other creative has says it is the one this launch made.
                let timeless = named.iter().any(|o| o.get("created_time").is_none());
                if let Some(found) = named.iter().find(|o| recent(o)).filter(|_| !timeless || named.len() == 1) {
                    let id = found["id"].as_str().unwrap_or_default().to_string();
                    marks.push(self.mark(&step.key, Some(&id), "created"));
                    self.ids.insert(step.key.clone(), id);
                }
            }
            self.cx.ports.batch(marks).await?;
        }
        Ok(())
    }

    /// Creates what the draft does not record yet, all in one batch (the gateway splits it into
    /// requests of 50): each object is marked `creating` before the batch goes and `created`
    /// with its id after; one Meta refused is forgotten, and its dependents are not sent.
    async fn build(&mut self) -> Result<(), Failure> {
        let steps = self.steps().await?;
        for step in &steps {
            if let Some(id) = self.rows.get(&step.key).and_then(|r| r.meta_id.clone()) {
                self.ids.insert(step.key.clone(), id);
            }
        }
        self.recover(&steps).await?;
        let pending: Vec<&Step> = steps.iter().filter(|s| !self.ids.contains_key(&s.key)).collect();
        if pending.is_empty() {
            return Ok(());
        }
        let name_of: BTreeMap<&str, String> = pending.iter().enumerate().map(|(i, s)| (s.key.as_str(), format!("o{i}"))).collect();
        let mut calls = Vec::with_capacity(pending.len());
        for step in &pending {
            let mut params = step.params.clone();
            for (param, key) in &step.needs {
                let id = match (self.ids.get(key), name_of.get(key.as_str())) {
                    (Some(id), _) => id.clone(),
                    (None, Some(name)) => BatchCall::id_of(name),
                    (None, None) => return Err(Failure::Internal(format!("{} needs {key}, which is neither built nor planned", step.key))),
                };
                params = if *param == "creative" { params.json(param, &json!({ "creative_id": id })) } else { params.text(param, id) };
            }
            calls.push(BatchCall::write("POST", step.edge.clone(), &params.0).named(name_of[step.key.as_str()].clone()));
        }
        self.cx.ports.batch(pending.iter().map(|s| self.mark(&s.key, None, "creating")).collect()).await?;
        let results = graph_batch(self.cx, self.account, &calls).await?;
        let mut marks = Vec::new();
        let mut first_failure = None;
        for (step, result) in pending.iter().zip(results) {
            match batch_answer(result).map(|v| v["id"].as_str().unwrap_or_default().to_string()) {
                Ok(id) if !id.is_empty() => {
                    marks.push(self.mark(&step.key, Some(&id), "created"));
                    self.ids.insert(step.key.clone(), id);
                }
                Ok(_) => first_failure = first_failure.or(Some(Failure::Internal(format!("Meta created {} without an id", step.key)))),
                Err(e) => {
                    marks.push(campaign_drafts::forget(&self.draft.row.id, &step.key));
                    first_failure = first_failure.or(Some(e));
                }
            }
        }
        self.cx.ports.batch(marks).await?;
        first_failure.map_or(Ok(()), Err)
    }

    /// Ads and ad sets in one batch while the campaign is still PAUSED, then the campaign alone:
    /// nothing delivers until that last call. If any fails, the campaign is paused again so
    /// nothing is left ACTIVE.
    async fn activate(&mut self) -> Result<(), Failure> {
        let active = Params::new().text("status", "ACTIVE");
        let campaign = self.ids.get("campaign").cloned().ok_or_else(|| Failure::Internal("activating a draft without a campaign".into()))?;
        let todo: Vec<(String, String)> = self
            .ids
            .iter()
            .filter(|(k, _)| (k.starts_with("ads.") || k.starts_with("ad_sets.")) && self.rows.get(*k).is_none_or(|r| r.status != "active"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let calls: Vec<BatchCall> = todo.iter().map(|(_, id)| BatchCall::write("POST", id.clone(), &active.0)).collect();
        let mut outcome = Ok(());
        if !calls.is_empty() {
            match graph_batch(self.cx, self.account, &calls).await {
                Ok(results) => {
                    let mut marks = Vec::new();
                    for ((key, id), result) in todo.iter().zip(results) {
                        match batch_answer(result) {
                            Ok(_) => marks.push(self.mark(key, Some(id), "active")),
                            Err(e) => outcome = outcome.and(Err(e)),
                        }
                    }
                    self.cx.ports.batch(marks).await?;
                }
                Err(e) => outcome = Err(e),
            }
        }
        if outcome.is_ok() && self.rows.get("campaign").is_none_or(|r| r.status != "active") {
            outcome = graph_write(self.cx, self.account, "POST", &campaign, &active.0).await.map(drop);
            if outcome.is_ok() {
                self.cx.ports.batch(vec![self.mark("campaign", Some(&campaign), "active")]).await?;
            }
        }
        if outcome.is_err() {
            let _ = graph_write(self.cx, self.account, "POST", &campaign, &Params::new().text("status", "PAUSED").0).await;
        }
        outcome
    }

    /// The mirror rows of what was built, read back in one batch: the campaign, its ad sets and
    /// ads (an edge with more than one page is read to the end), and each creative.
    async fn mirror_rows(&self) -> Vec<crate::ports::Query> {
        let Some(campaign) = self.ids.get("campaign") else { return Vec::new() };
        let fields = |kind: ObjectKind| vec![("fields".to_string(), kind.fields()), ("limit".to_string(), "500".to_string())];
        let creatives: Vec<&String> = self.ids.iter().filter(|(k, _)| k.starts_with("creatives.")).map(|(_, v)| v).collect();
        let mut reads = vec![
            (ObjectKind::Campaign, BatchCall::get(campaign.clone(), &[("fields".to_string(), ObjectKind::Campaign.fields())])),
            (ObjectKind::AdSet, BatchCall::get(format!("{campaign}/adsets"), &fields(ObjectKind::AdSet))),
            (ObjectKind::Ad, BatchCall::get(format!("{campaign}/ads"), &fields(ObjectKind::Ad))),
        ];
        reads.extend(
            creatives.iter().map(|id| (ObjectKind::Creative, BatchCall::get(id.to_string(), &[("fields".to_string(), ObjectKind::Creative.fields())]))),
        );
        let calls: Vec<BatchCall> = reads.iter().map(|(_, c)| c.clone()).collect();
        let Ok(results) = graph_batch(self.cx, self.account, &calls).await else { return Vec::new() };
        let mut out = Vec::new();
        for ((kind, call), result) in reads.iter().zip(results) {
            let Ok(answer) = batch_answer(result) else { continue };
            let objects = match answer.get("data") {
                Some(_) if answer["paging"]["next"].is_string() => {
                    let edge = call.relative_url.split('?').next().unwrap_or_default();
                    graph_all(self.cx, self.account, edge, &fields(*kind)).await.unwrap_or_default()
                }
                Some(data) => data.as_array().cloned().unwrap_or_default(),
                None => vec![answer],
            };
            out.extend(objects.iter().filter_map(|o| mirror(self.cx, self.account, *kind, o)));
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
