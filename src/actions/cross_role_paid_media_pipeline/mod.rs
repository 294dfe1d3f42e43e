//! The `cross_role_paid_media_pipeline` router: paid media followed into the recruiting pipeline.
//! Applications come in through `POST /v1/workspaces/{id}/pipeline/events` (or CSV, or an ATS
//! adapter) and are joined to Meta's objects; these actions publish the mappings the join uses,
//! re-run it, and read the funnel from impression to hire with its costs.
//!
//! Cohorts: an application belongs to the day (and week) it was applied, and counts at every
//! stage it has reached since; Meta's figures are those of the same days. Hires arrive weeks
//! after the spend that brought them, so recent weeks are marked immature.

pub mod backfill_missing_attribution;
pub mod connect_ats;
pub mod get_cpl_to_hire_trend;
pub mod get_paid_media_to_pipeline_funnel;
pub mod get_source_quality_score;
pub mod set_pipeline_settings;
pub mod set_recruiting_costs;
pub mod suggest_channel_mix;
pub mod suggest_geo_expansion;
pub mod sync_campaign_taxonomy_to_pipeline;

pub use crate::actions::recruiter_paid_media_analytics::days;

/// Which cost per hire is shown (ANSI/SHRM 06001 leaves internal costs to the employer).
pub const COST_PER_HIRE_VARIANT: &str =
    "ANSI/SHRM 06001 cost per hire, external paid-media cost only: Meta ad spend over hires; internal recruiting costs and other external costs are not included";

/// The bound account and the range of days a pipeline question names, checked by field.
pub async fn account_days(
    cx: &crate::actions::action::Cx<'_>,
    account: &crate::domain::AdAccountId,
    since: crate::domain::Day,
    until: crate::domain::Day,
) -> Result<(crate::db::ad_accounts::BoundAccount, String, String), crate::failure::Failure> {
    let bound = crate::db::ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", account).await?;
    let (since, until) = days(since, until)?;
    Ok((bound, since, until))
}

/// The Monday that starts the week of an SQL date expression.
pub fn week_sql(date: &str) -> String {
    format!("date({date}, '-6 days', 'weekday 1')")
}
