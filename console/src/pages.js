// The console's pages: which surface each belongs to and which catalogue actions it offers. The
// last page of each router's surface offers the rest of that router, so every action a role may
// call is reachable (the parity test walks the pages and checks it against GET /v1/actions).
export const SURFACES = [
  { id: 'outreach', title: 'Recruiter Outreach' },
  { id: 'analytics', title: 'Recruiter Analytics' },
  { id: 'admin', title: 'Admin Platform' },
];

const R = 'recruiter_paid_media';
const A = 'recruiter_paid_media_analytics';
const P = 'cross_role_paid_media_pipeline';
const G = 'admin_meta_ads_governance';

export const PAGES = [
  { id: 'wizard', surface: 'outreach', title: 'New campaign', actions: [`${R}/list_ad_accounts`, `${R}/create_campaign_draft`, `${R}/upload_ad_image`, `${R}/create_creative_draft`, `${R}/estimate_audience_reach`, `${R}/get_targeting_suggestions`, `${R}/create_ad_set_draft`, `${R}/validate_campaign_draft`, `${R}/launch_campaign_draft`] },
  { id: 'campaigns', surface: 'outreach', title: 'Campaigns', rest: R, actions: [`${R}/list_campaigns`, `${R}/pause_campaign`, `${R}/resume_campaign`] },
  { id: 'dashboard', surface: 'analytics', title: 'Dashboard', actions: [`${R}/list_ad_accounts`, `${A}/get_insights_campaign_level`, `${A}/get_insights_adset_level`, `${A}/get_insights_ad_level`, `${A}/get_insights_with_breakdowns`] },
  { id: 'suggestions', surface: 'analytics', title: 'Alerts and suggestions', actions: [`${A}/list_alerts`, `${A}/suggest_budget_reallocation`, `${A}/apply_budget_reallocation`, `${A}/rollback_optimization`, `${A}/suggest_creative_rotation`, `${A}/rotate_creative_variant`, `${A}/suggest_audience_narrowing`, `${A}/apply_bid_adjustment`, `${A}/get_frequency_fatigue_alerts`] },
  { id: 'reports', surface: 'analytics', title: 'Reports and rules', rest: A, actions: [`${A}/create_async_report_job`, `${A}/get_async_report_status`, `${A}/download_report`, `${A}/stop_report_schedule`] },
  { id: 'funnel', surface: 'analytics', title: 'Funnel to hire', rest: P, actions: [`${P}/get_paid_media_to_pipeline_funnel`, `${P}/get_cpl_to_hire_trend`] },
  { id: 'approvals', surface: 'admin', title: 'Approvals', admin: true, actions: [`${G}/get_approval_status`] },
  { id: 'audit', surface: 'admin', title: 'Audit timeline', admin: true, actions: [`${G}/get_audit_events`] },
  { id: 'integrations', surface: 'admin', title: 'Integrations and tokens', admin: true, actions: [`${G}/list_meta_integrations`, `${G}/get_token_health`, `${G}/rotate_credentials`, `${G}/refresh_system_user_token`, `${G}/quarantine_integration`, `${G}/disable_integration`, `${G}/quarantine_ad_account`, `${G}/release_ad_account`, `${G}/rebind_ad_account`, `${G}/get_api_version_status`, `${G}/plan_api_version_upgrade`, `${G}/apply_api_version_upgrade`] },
  { id: 'posture', surface: 'admin', title: 'Rate limits and errors', admin: true, actions: [`${G}/get_rate_limit_posture`, `${G}/get_meta_api_error_digest`, `${G}/get_operations_digest`] },
  { id: 'policies', surface: 'admin', title: 'Policies', admin: true, rest: G, actions: [] },
  { id: 'keys', surface: 'admin', title: 'Members and keys', admin: true, actions: [] },
];

/** The actions a page offers: its own, then (for a `rest` page) every action of the router no page names. */
export function actionsOf(page, catalogue) {
  if (!page.rest) return page.actions;
  const named = new Set(PAGES.flatMap((p) => p.actions));
  const rest = catalogue.filter((a) => a.router === page.rest && !named.has(`${a.router}/${a.action}`)).map((a) => `${a.router}/${a.action}`);
  return [...page.actions, ...rest];
}
