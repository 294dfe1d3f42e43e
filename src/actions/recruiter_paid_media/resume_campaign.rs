//! `recruiter_paid_media/resume_campaign`: Sets a campaign ACTIVE (a launch): held to the campaign
//! guardrails (naming pattern, required special ad categories); the first launch on an ad account
//! needs an approval.

use super::{find_campaign, refused, set_status, str_list, Found};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::actions::policy::{self, Flag};
use crate::db::{audit_log, governance_policies};
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;

pub type Input = super::CampaignRef;

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Found;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Sets a campaign ACTIVE (a launch): held to the campaign guardrails; the first launch on an ad account needs an approval.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Found>, Failure> {
        let found = find_campaign(cx, &input.ad_account_id, &input.campaign_id).await?;
        let (account, object) = (&found.account.id, &found.object);
        let guardrails = governance_policies::get(cx.ports, cx.workspace, "campaign_guardrails").await?;
        policy::check_launch(guardrails.as_ref(), object["name"].as_str().unwrap_or_default(), &str_list(&object["special_ad_categories"])).map_err(refused)?;
        let mut flags = Vec::new();
        if object["status"] != "ACTIVE" && !audit_log::has_launched(cx.ports, cx.workspace, account).await? {
            flags.push(Flag::FirstLaunch { ad_account_id: account.clone() });
        }
        Ok(Plan { account: Some(account.clone()), flags, state: found })
    }

    async fn apply(cx: &Cx<'_>, _input: &Input, found: Found) -> Result<Change, Failure> {
        set_status(cx, found, ObjectKind::Campaign, "ACTIVE").await
    }
}
