//! `recruiter_paid_media/create_ad_set`: Creates an ad set in a campaign on Meta, PAUSED unless
//! asked otherwise. Meta's rules are checked first, naming the field: one budget where the
//! campaign has none (and none where it has one), a bid amount for capped strategies, an end
//! time for a lifetime budget, an on-ad destination and a Page for lead forms, and for job,
//! housing and credit ads the audience limits of the category. A daily budget is held to the caps.

use super::{bad, check_audience, find_campaign, graph_read, launch_flags, money, refused, write, Found, Params, Write};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::actions::policy;
use crate::db::{ad_accounts::BoundAccount, governance_policies};
use crate::domain::{
    AdAccountId, BidStrategy, BillingEvent, BudgetMinor, DestinationType, InitialStatus, MetaId, OptimizationGoal, Targeting, Text, Timestamp,
};
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What an ad set promotes: the Page of a lead form, or a pixel event.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PromotedObject {
    /// The Facebook Page (required for lead forms; cannot change later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_id: Option<MetaId>,
    /// A Meta pixel, for conversions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pixel_id: Option<MetaId>,
    /// The pixel event, such as LEAD or COMPLETE_REGISTRATION.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_event_type: Option<Text<40>>,
}

/// An ad set's settings: what a create sends and a draft keeps.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdSetSpec {
    /// The ad set's name.
    pub name: Text<400>,
    /// What delivery optimises for (LEAD_GENERATION for instant forms).
    pub optimization_goal: OptimizationGoal,
    /// What it is charged for (IMPRESSIONS for most goals).
    pub billing_event: BillingEvent,
    /// How Meta bids (default LOWEST_COST_WITHOUT_CAP; not with a campaign budget).
    pub bid_strategy: Option<BidStrategy>,
    /// The bid cap or cost cap in minor units (required for those strategies).
    pub bid_amount_minor: Option<BudgetMinor>,
    /// A daily budget in minor units (not when the campaign has a budget).
    pub daily_budget_minor: Option<BudgetMinor>,
    /// A lifetime budget in minor units (needs `end_time`).
    pub lifetime_budget_minor: Option<BudgetMinor>,
    /// When it starts (RFC 3339).
    pub start_time: Option<Timestamp>,
    /// When it ends (RFC 3339).
    pub end_time: Option<Timestamp>,
    /// Who sees the ads.
    pub targeting: Targeting,
    /// Where people go: ON_AD for instant forms, WEBSITE for a careers site.
    pub destination_type: Option<DestinationType>,
    /// What it promotes (the Page for lead forms).
    pub promoted_object: Option<PromotedObject>,
    /// PAUSED (default) or ACTIVE.
    pub status: Option<InitialStatus>,
}

/// Creates an ad set in a campaign on Meta, PAUSED unless asked otherwise.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The campaign it belongs to.
    pub campaign_id: MetaId,
    /// The ad set's settings.
    pub ad_set: AdSetSpec,
}

impl AdSetSpec {
    pub fn budget(&self) -> Option<i64> {
        self.daily_budget_minor.or(self.lifetime_budget_minor).map(|b| b.get())
    }

    /// Meta's ad set rules that need only the spec and its campaign.
    pub fn check_meta_rules(&self, campaign_budget: bool) -> Result<(), Failure> {
        match (self.daily_budget_minor.is_some(), self.lifetime_budget_minor.is_some(), campaign_budget) {
            (true, true, _) => return Err(bad("lifetime_budget_minor", "set a daily or a lifetime budget, not both")),
            (true, _, true) => return Err(bad("daily_budget_minor", "the campaign has a campaign budget: its ad sets have none of their own")),
            (_, true, true) => return Err(bad("lifetime_budget_minor", "the campaign has a campaign budget: its ad sets have none of their own")),
            (false, false, false) => return Err(bad("daily_budget_minor", "the campaign has no campaign budget: set a daily or a lifetime budget")),
            _ => {}
        }
        if self.lifetime_budget_minor.is_some() && self.end_time.is_none() {
            return Err(bad("end_time", "is required with a lifetime budget"));
        }
        if let (Some(start), Some(end)) = (&self.start_time, &self.end_time) {
            if parse(end) <= parse(start) {
                return Err(bad("end_time", "must be after start_time"));
            }
        }
        if campaign_budget && self.bid_strategy.is_some() {
            return Err(bad("bid_strategy", "the campaign has a campaign budget: set the bid strategy on the campaign"));
        }
        if self.bid_strategy.is_some_and(BidStrategy::needs_bid_amount) && self.bid_amount_minor.is_none() {
            return Err(bad("bid_amount_minor", "is required with a bid cap or cost cap strategy"));
        }
        if self.optimization_goal.is_lead_form() {
            if self.destination_type != Some(DestinationType::ON_AD) {
                return Err(bad("destination_type", "must be ON_AD for instant-form lead ads"));
            }
            if self.promoted_object.as_ref().and_then(|p| p.page_id.as_ref()).is_none() {
                return Err(bad("promoted_object", "needs the page_id of the Page whose lead form the ads use"));
            }
        }
        Ok(())
    }

    /// Meta's parameters for the ad set (without its campaign).
    pub fn params(&self) -> Params {
        Params::new()
            .text("name", self.name.as_str())
            .text("optimization_goal", self.optimization_goal.as_str())
            .text("billing_event", self.billing_event.as_str())
            .opt_text("bid_strategy", self.bid_strategy.map(BidStrategy::as_str))
            .opt_int("bid_amount", self.bid_amount_minor.map(|b| b.get()))
            .opt_int("daily_budget", self.daily_budget_minor.map(|b| b.get()))
            .opt_int("lifetime_budget", self.lifetime_budget_minor.map(|b| b.get()))
            .opt_text("start_time", self.start_time.as_ref().map(Timestamp::as_str))
            .opt_text("end_time", self.end_time.as_ref().map(Timestamp::as_str))
            .json("targeting", &self.targeting.to_meta())
            .opt_text("destination_type", self.destination_type.map(DestinationType::as_str))
            .opt_json("promoted_object", self.promoted_object.as_ref())
            .text("status", self.status.unwrap_or(InitialStatus::PAUSED).as_str())
    }
}

fn parse(t: &Timestamp) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t.as_str()).map(|d| d.timestamp()).unwrap_or_default()
}

/// Whether a campaign as Meta has it carries its own budget.
pub fn has_campaign_budget(campaign: &Value) -> bool {
    money(&campaign["daily_budget"]).or(money(&campaign["lifetime_budget"])).is_some_and(|b| b > 0)
}

/// The account's minimum budgets as Meta lists them (`/minimum_budgets`), read once per check of
/// a whole draft.
pub async fn minimum_budgets(cx: &Cx<'_>, account: &BoundAccount) -> Result<Value, Failure> {
    graph_read(cx, account, &format!("act_{}/minimum_budgets", account.id), &[]).await
}

/// Meta's smallest daily budget for the account and the billing event: per day, or per day of the
/// run for a lifetime budget.
fn check_minimum_budget(cx: &Cx<'_>, minimums: &Value, spec: &AdSetSpec) -> Result<(), Failure> {
    let Some(budget) = spec.budget() else { return Ok(()) };
    let row = &minimums["data"][0];
    let key = match spec.billing_event {
        BillingEvent::IMPRESSIONS => "min_daily_budget_imp",
        BillingEvent::THRUPLAY => "min_daily_budget_video_views",
        _ => "min_daily_budget_high_freq",
    };
    let Some(per_day) = money(&row[key]) else { return Ok(()) };
    let (field, days) = match (spec.lifetime_budget_minor, &spec.start_time, &spec.end_time) {
        (Some(_), Some(start), Some(end)) => ("lifetime_budget_minor", ((parse(end) - parse(start)) / 86_400).max(1)),
        (Some(_), None, Some(end)) => ("lifetime_budget_minor", ((parse(end) - cx.ports.now_millis() / 1000) / 86_400).max(1)),
        _ => ("daily_budget_minor", 1),
    };
    let least = per_day.saturating_mul(days);
    if budget < least {
        let currency = row["currency"].as_str().unwrap_or("the account's currency");
        return Err(bad(field, format!("is below Meta's minimum of {least} minor units ({currency}, {key} {per_day} a day)")));
    }
    Ok(())
}

/// Everything an ad set is held to before Meta sees it: Meta's rules, the audience limits of the
/// campaign's category, and the caps on a daily budget.
pub async fn check(cx: &Cx<'_>, account: &BoundAccount, campaign: &Value, spec: &AdSetSpec, minimums: &Value) -> Result<(), Failure> {
    spec.check_meta_rules(has_campaign_budget(campaign))?;
    check_audience(cx, account, campaign, &spec.targeting).await?;
    check_minimum_budget(cx, minimums, spec)?;
    let [guardrails, caps] = governance_policies::get_many(cx.ports, cx.workspace, ["campaign_guardrails", "daily_budget_caps"]).await?;
    if let Some(daily) = spec.daily_budget_minor {
        policy::check_daily_budget(guardrails.as_ref(), caps.as_ref(), &account.id, "daily_budget_minor", daily.get()).map_err(refused)?;
    }
    Ok(())
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Found;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Creates an ad set in a campaign on Meta, PAUSED unless asked otherwise: Meta's budget, bidding, lead-form and special-category audience rules are checked first, naming the field; a daily budget is held to the caps.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Found>, Failure> {
        let found = find_campaign(cx, &input.ad_account_id, &input.campaign_id).await?;
        let spec = &input.ad_set;
        let minimums = if spec.budget().is_some() { minimum_budgets(cx, &found.account).await? } else { Value::Null };
        check(cx, &found.account, &found.object, spec, &minimums).await?;
        let flags = if spec.status == Some(InitialStatus::ACTIVE) && found.object["status"] == "ACTIVE" {
            launch_flags(cx, &found.account.id, None, spec.budget()).await?
        } else {
            Vec::new()
        };
        Ok(Plan { account: Some(found.account.id.clone()), flags, state: found })
    }

    async fn apply(cx: &Cx<'_>, input: &Input, found: Found) -> Result<Change, Failure> {
        let params = input.ad_set.params().text("campaign_id", input.campaign_id.as_str());
        let path = format!("act_{}/adsets", found.account.id);
        write(cx, &found.account, Write::create(&path, &params.0, ObjectKind::AdSet), &Value::Null).await
    }
}
