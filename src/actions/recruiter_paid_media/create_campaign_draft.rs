//! `recruiter_paid_media/create_campaign_draft`: Starts a campaign draft (nothing is created on
//! Meta), or replaces the campaign of an existing draft at the revision the caller saw. The
//! campaign is checked against Meta's rules and the workspace's policies as a create would be.

use super::bad;
use super::create_campaign::{check_meta_rules, check_policies, CampaignSpec};
use super::drafts::{self, answer, Draft, Revision, Tree};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, Record, RECRUITER_OR_ADMIN};
use crate::db::{ad_accounts, campaign_drafts};
use crate::domain::{AdAccountId, Text};
use crate::failure::Failure;
use crate::ports::new_id;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Starts a campaign draft, or replaces the campaign of one.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account the campaign will run in.
    pub ad_account_id: AdAccountId,
    /// The campaign's settings.
    pub campaign: CampaignSpec,
    /// An existing draft to replace the campaign of (default: a new draft).
    pub draft_id: Option<Text<64>>,
    /// The draft's revision the caller saw (required with `draft_id`).
    pub revision: Option<Revision>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Draft;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Starts a campaign draft (nothing is created on Meta), or replaces the campaign of a draft at the revision the caller saw; checked as a create would be.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Draft>, Failure> {
        check_meta_rules(&input.campaign)?;
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        check_policies(cx, &account.id, &input.campaign).await?;
        let draft = match (&input.draft_id, input.revision) {
            (Some(id), Some(rev)) => drafts::load_for_edit(cx, id.as_str(), rev).await?,
            (Some(_), None) => return Err(bad("revision", "is required to edit a draft")),
            (None, Some(_)) => return Err(bad("draft_id", "is required with a revision")),
            (None, None) => Draft::default(),
        };
        if !draft.row.id.is_empty() && draft.row.ad_account_id != account.id {
            return Err(bad("ad_account_id", format!("the draft is for act_{}", draft.row.ad_account_id)));
        }
        Ok(Plan::go(Draft { row: campaign_drafts::DraftRow { ad_account_id: account.id, ..draft.row }, tree: draft.tree }))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, mut draft: Draft) -> Result<Change, Failure> {
        let now = cx.ports.now_iso();
        let before = (!draft.row.id.is_empty()).then(|| json!({ "revision": draft.row.revision, "campaign": draft.tree.campaign }));
        draft.tree.campaign = Some(input.campaign.clone());
        let text = serde_json::to_string(&draft.tree).map_err(|e| Failure::Internal(e.to_string()))?;
        let (id, write, revision) = if draft.row.id.is_empty() {
            let id = new_id("drf");
            let q = campaign_drafts::insert(cx.workspace, &id, &draft.row.ad_account_id, &text, &cx.exec.person(), &now);
            (id, q, 1)
        } else {
            let q = campaign_drafts::update(cx.workspace, &draft.row.id, draft.row.revision, &text, &now);
            (draft.row.id.clone(), q, draft.row.revision + 1)
        };
        let record = Record {
            ad_account_id: Some(draft.row.ad_account_id.clone()),
            external_id: Some(id.clone()),
            before,
            after: Some(json!({ "revision": revision, "campaign": input.campaign })),
        };
        Ok(Change::done(if revision == 1 { 201 } else { 200 }, answer(&id, revision, &draft.tree), vec![write], record))
    }
}

/// Saves an edited tree as the next revision (the ad set and creative draft actions).
pub fn save(cx: &Cx<'_>, draft: &Draft, tree: &Tree, what: serde_json::Value) -> Result<Change, Failure> {
    let text = serde_json::to_string(tree).map_err(|e| Failure::Internal(e.to_string()))?;
    let q = campaign_drafts::update(cx.workspace, &draft.row.id, draft.row.revision, &text, &cx.ports.now_iso());
    let revision = draft.row.revision + 1;
    let record = Record {
        ad_account_id: Some(draft.row.ad_account_id.clone()),
        external_id: Some(draft.row.id.clone()),
        before: Some(json!({ "revision": draft.row.revision })),
        after: Some(json!({ "revision": revision, "changed": what })),
    };
    Ok(Change::done(200, answer(&draft.row.id, revision, tree), vec![q], record))
}
