//! `recruiter_paid_media/duplicate_campaign`: Copies a campaign's settings into a new PAUSED
//! campaign, in the same or another bound ad account; a copy into another account needs an approval.

use super::{find_campaign, money, refused, str_list, write, Found, Write};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::actions::policy::{self, Flag};
use crate::db::{ad_accounts, governance_policies};
use crate::domain::{AdAccountId, MetaId, Text};
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Copies a campaign's settings into a new PAUSED campaign, in the same or another bound ad account; a copy into another account needs an approval.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account the source campaign is in.
    pub ad_account_id: AdAccountId,
    /// The campaign to copy.
    pub campaign_id: MetaId,
    /// The bound ad account to copy into (default: the same one).
    pub target_ad_account_id: Option<AdAccountId>,
    /// The copy's name (default: the source's name with " (copy)").
    pub name: Option<Text<400>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Found;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Copies a campaign's settings into a new PAUSED campaign, in the same or another bound ad account; a copy into another account needs an approval.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Found>, Failure> {
        let (ports, ws) = (cx.ports, cx.workspace);
        let Found { account, object, .. } = find_campaign(cx, &input.ad_account_id, &input.campaign_id).await?;
        let [guardrails, caps] = governance_policies::get_many(ports, ws, ["campaign_guardrails", "daily_budget_caps"]).await?;
        let target = match &input.target_ad_account_id {
            Some(t) => ad_accounts::bound(ports, ws, "target_ad_account_id", t).await?,
            None => account.clone(),
        };
        if let Some(daily) = money(&object["daily_budget"]) {
            policy::check_daily_budget(guardrails.as_ref(), caps.as_ref(), &target.id, "campaign_id", daily).map_err(refused)?;
        }
        let mut flags = Vec::new();
        if target.id != account.id {
            flags.push(Flag::CrossAccountDuplication { from_account: account.id.clone(), to_account: target.id.clone() });
        }
        Ok(Plan { account: Some(account.id.clone()), flags, state: Found { account, object, target: Some(target) } })
    }

    async fn apply(cx: &Cx<'_>, input: &Input, found: Found) -> Result<Change, Failure> {
        let source = &found.object;
        let target = found.target.as_ref().unwrap_or(&found.account);
        let name = input.name.as_ref().map(|n| n.as_str().to_string()).unwrap_or_else(|| format!("{} (copy)", source["name"].as_str().unwrap_or("Campaign")));
        let mut params = vec![
            ("name".to_string(), name),
            ("status".to_string(), "PAUSED".to_string()),
            ("special_ad_categories".to_string(), json!(str_list(&source["special_ad_categories"])).to_string()),
        ];
        let categories = str_list(&source["special_ad_categories"]);
        if !categories.is_empty() {
            params.push(("special_ad_category_country".to_string(), source["special_ad_category_country"].to_string()));
        }
        if money(&source["daily_budget"]).or(money(&source["lifetime_budget"])).is_none() {
            let sharing = source["is_adset_budget_sharing_enabled"].as_bool().unwrap_or(false);
            params.push(("is_adset_budget_sharing_enabled".to_string(), sharing.to_string()));
        }
        for k in ["objective", "buying_type", "bid_strategy", "daily_budget", "lifetime_budget"] {
            if let Some(v) = source.get(k).and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|n| n.to_string()))) {
                params.push((k.to_string(), v));
            }
        }
        let path = format!("act_{}/campaigns", target.id);
        write(cx, target, Write::create(&path, &params, ObjectKind::Campaign), source).await
    }
}
