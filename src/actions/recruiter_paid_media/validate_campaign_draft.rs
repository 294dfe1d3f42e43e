//! `recruiter_paid_media/validate_campaign_draft`: Checks a whole draft before anything exists:
//! every object against our policies (naming, categories, caps, audience limits) and Meta's
//! rules, then by Meta itself with `execution_options=["validate_only"]` (the campaign, each ad
//! set with the draft campaign as its `campaign_spec`, each creative). Lists every problem with
//! the object and the field; creates nothing.

use super::create_ad_set::{self, AdSetSpec};
use super::create_ad_set_draft::draft_campaign;
use super::create_campaign::{self, check_meta_rules, check_policies};
use super::create_creative::utm_template;
use super::drafts::{self, Draft};
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::actions::objects::{batch_answer, graph_batch, Params};
use crate::db::ad_accounts::{self, BoundAccount};
use crate::domain::{AdAccountId, Text};
use crate::failure::Failure;
use crate::graph::BatchCall;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Checks a whole draft, by our policies and by Meta, creating nothing.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The draft.
    pub draft_id: Text<64>,
}

/// One problem: the object (`campaign`, `ad_sets.{key}`, `creatives.{key}`, `ads.{key}`), the
/// field, why, and Meta's error when Meta found it.
fn problem(object: &str, f: &Failure) -> Value {
    let p = f.to_problem();
    let field = p.as_ref().and_then(|p| p.field.clone());
    let meta = p.as_ref().filter(|p| p.extensions.contains_key("graph_code")).map(|p| Value::Object(p.extensions.clone()));
    json!({ "object": object, "field": field, "reason": p.map(|p| p.detail).unwrap_or_else(|| f.summary()), "meta": meta })
}

/// Problems found so far; a failure of our own (not of the input) stops the check.
#[derive(Default)]
struct Problems(Vec<Value>);

impl Problems {
    fn note(&mut self, object: &str, r: Result<(), Failure>) -> Result<(), Failure> {
        match r {
            Err(e @ Failure::Internal(_)) => Err(e),
            Err(e) => {
                self.0.push(problem(object, &e));
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    }
}

/// Our checks, then (`with_meta`, and only if ours pass) Meta's: every problem found, in order.
pub async fn problems(cx: &Cx<'_>, draft: &Draft, account: &BoundAccount, with_meta: bool) -> Result<Vec<Value>, Failure> {
    let mut found = Problems::default();
    let Some(campaign) = draft.tree.campaign.as_ref() else {
        return Ok(vec![json!({ "object": "campaign", "field": "campaign", "reason": "the draft has no campaign" })]);
    };
    found.note("campaign", check_meta_rules(campaign))?;
    found.note("campaign", check_policies(cx, &account.id, campaign).await)?;
    let as_meta = draft_campaign(draft)?;
    let budgets = draft.tree.ad_sets.iter().any(|s| s.ad_set.budget().is_some());
    let minimums = if budgets { create_ad_set::minimum_budgets(cx, account).await? } else { Value::Null };
    if draft.tree.ad_sets.is_empty() {
        found.note("campaign", Err(super::bad("ad_sets", "the draft has no ad set")))?;
    }
    for set in &draft.tree.ad_sets {
        let object = format!("ad_sets.{}", set.key);
        found.note(&object, create_ad_set::check(cx, account, &as_meta, &set.ad_set, &minimums).await)?;
        if set.ads.is_empty() {
            found.note(&object, Err(super::bad("ads", "an ad set needs at least one ad")))?;
        }
        for ad in &set.ads {
            if !draft.tree.creatives.iter().any(|c| c.key == ad.creative_key.as_str()) {
                found.note(
                    &format!("ads.{}", ad.key.as_str()),
                    Err(super::bad("creative_key", format!("no creative {} in the draft", ad.creative_key.as_str()))),
                )?;
            }
        }
    }
    for c in &draft.tree.creatives {
        found.note(&format!("creatives.{}", c.key), c.creative.check())?;
    }
    if !with_meta || !found.0.is_empty() {
        return Ok(found.0);
    }
    // Every object checked by Meta in one batch (Meta counts each call; the request is one).
    let validate = |params: Params| params.json("execution_options", &["validate_only"]).0;
    let acct = format!("act_{}", account.id);
    let template = utm_template(cx).await?;
    let mut objects = vec!["campaign".to_string()];
    let mut calls = vec![BatchCall::write("POST", format!("{acct}/campaigns"), &validate(create_campaign::params(campaign)))];
    for set in &draft.tree.ad_sets {
        objects.push(format!("ad_sets.{}", set.key));
        calls.push(BatchCall::write("POST", format!("{acct}/adsets"), &validate(ad_set_params(&set.ad_set, campaign))));
    }
    for c in &draft.tree.creatives {
        objects.push(format!("creatives.{}", c.key));
        calls.push(BatchCall::write("POST", format!("{acct}/adcreatives"), &validate(c.creative.params(&template))));
    }
    for (object, result) in objects.iter().zip(graph_batch(cx, account, &calls).await?) {
        found.note(object, batch_answer(result).map(drop))?;
    }
    Ok(found.0)
}

/// An ad set's parameters with its draft campaign inline (`campaign_spec`), as Meta validates
/// an ad set whose campaign does not exist yet.
fn ad_set_params(set: &AdSetSpec, campaign: &create_campaign::CampaignSpec) -> Params {
    let spec: serde_json::Map<String, Value> = create_campaign::params(campaign)
        .0
        .into_iter()
        .map(|(k, v)| {
            let value = serde_json::from_str(&v).unwrap_or(Value::String(v));
            (k, value)
        })
        .collect();
    set.params().json("campaign_spec", &spec)
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "Checks a whole draft before anything exists: our policies and Meta's rules, then Meta itself with validate_only; lists every problem with the object and the field, creating nothing.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let draft = drafts::load(cx, input.draft_id.as_str()).await?;
        let id = AdAccountId::parse(&draft.row.ad_account_id).ok_or_else(|| Failure::Internal("draft account".into()))?;
        let account = ad_accounts::bound(cx.ports, cx.workspace, "draft_id", &id).await?;
        let found = problems(cx, &draft, &account, true).await?;
        Ok(Change::read(json!({ "draft_id": draft.row.id, "revision": draft.row.revision, "valid": found.is_empty(), "problems": found })))
    }
}
