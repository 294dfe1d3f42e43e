//! `recruiter_paid_media_analytics/apply_bid_adjustment`: Changes an ad set's bid (bid cap or cost
//! cap) by at most half at a time, only on fresh data, within the daily cap and the ad set's
//! cooldown, with an approval for a rise above the thresholds. Undone by `rollback_optimization`.

use super::optimize::{self, Edit, Field, Ready};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::actions::recruiter_paid_media::bad;
use crate::db::ad_accounts;
use crate::db::optimizations;
use crate::domain::{AdAccountId, BudgetMinor, MetaId};
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An ad set's new bid.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account.
    pub ad_account_id: AdAccountId,
    /// The Meta ad set id (its bid strategy must take a bid: bid cap or cost cap).
    pub ad_set_id: MetaId,
    /// The new bid in minor units, within half and one and a half times the current one.
    pub bid_amount_minor: BudgetMinor,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Ready;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Changes a bid-cap or cost-cap ad set's bid by at most half at a time, on fresh data only, within cooldowns, the daily cap and approvals; undone with rollback_optimization.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Ready>, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let settings = optimizations::settings(cx.ports, cx.workspace).await?;
        let (data_as_of, _) = optimize::fresh_data(cx, &account, &settings).await?;
        let id = input.ad_set_id.as_str().to_string();
        let object = optimize::read_objects(cx, &account, &[("ad_set_id".into(), id.clone(), ObjectKind::AdSet)]).await?.remove(0);
        let strategy = object["bid_strategy"].as_str().unwrap_or("LOWEST_COST_WITHOUT_CAP");
        let from = Field::BidAmount
            .current(&object)
            .filter(|_| matches!(strategy, "LOWEST_COST_WITH_BID_CAP" | "COST_CAP"))
            .ok_or_else(|| bad("ad_set_id", format!("{id} bids with {strategy}, which takes no bid amount (bid cap or cost cap ad sets do)")))?;
        let (current, to) = (from.parse::<i64>().unwrap_or(0), input.bid_amount_minor.get());
        if to == current {
            return Err(bad("bid_amount_minor", "is the current bid"));
        }
        if i128::from(to) * 2 < i128::from(current) || i128::from(to) * 2 > i128::from(current) * 3 {
            return Err(bad(
                "bid_amount_minor",
                format!("{to} is more than half away from the current bid of {current}; adjust in steps so each can be judged"),
            ));
        }
        let edit = Edit { field: Field::BidAmount, object_id: id, input: "ad_set_id".into(), from, to: to.to_string() };
        optimize::within_limits(cx, &settings, std::slice::from_ref(&edit)).await?;
        let flags = optimize::money_policy(cx, &account, std::slice::from_ref(&edit)).await?;
        Ok(Plan { account: Some(account.id.clone()), flags, state: Ready { account, edits: vec![edit], data_as_of, suggestion_kind: None } })
    }

    async fn apply(cx: &Cx<'_>, _input: &Input, r: Ready) -> Result<Change, Failure> {
        r.apply(cx).await
    }
}
