//! The catalogue: the one list of every action, and the only dispatch point. An entry names an
//! action's module; the module must define `Act` with its `Input` and `META`, or nothing builds.

use super::action::{describe, input_schema, Action, Change, Cx, Meta, Tier};
use super::policy::Flag;
use crate::ports::Fut;
use crate::records::FieldError;
use serde_json::Value;

/// Whether a run may still be held for an approval, or runs what an approval released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Requested,
    Approved,
}

/// Where a run got to: held for an approval (why, and the account it concerns), or applied.
#[derive(Debug)]
pub enum Step {
    Held { account: Option<String>, flags: Vec<Flag> },
    Applied(Box<Change>),
}

/// One action: its metadata, its input schema, its input decoder (typed, then back to the
/// normalised JSON that idempotency hashes and approvals store), and its logic.
pub struct Entry {
    pub meta: &'static Meta,
    pub schema: fn() -> Value,
    pub decode: fn(&Value) -> Result<Value, FieldError>,
    pub run: for<'a> fn(&'a Cx<'a>, &'a Value, Stage) -> Fut<'a, Step>,
}

impl Entry {
    pub fn describe(&self) -> Value {
        describe(self.meta, (self.schema)())
    }
}

fn decode_as<A: Action>(input: &Value) -> Result<Value, FieldError> {
    let typed: A::Input = super::input::decode(input)?;
    serde_json::to_value(typed).map_err(|e| FieldError { field: "input".into(), reason: e.to_string() })
}

/// Prepares, then holds (an execute_high action, or a change a policy flagged) or applies.
/// After an approval `prepare` runs again, so the guardrails hold at execution time too.
fn run_as<'a, A: Action>(cx: &'a Cx<'a>, input: &'a Value, stage: Stage) -> Fut<'a, Step> {
    Box::pin(async move {
        let input: A::Input = super::input::decode(input)?;
        let plan = A::prepare(cx, &input).await?;
        if stage == Stage::Requested && (A::META.tier == Tier::ExecuteHigh || !plan.flags.is_empty()) {
            return Ok(Step::Held { account: plan.account, flags: plan.flags });
        }
        Ok(Step::Applied(Box::new(A::apply(cx, &input, plan.state).await?)))
    })
}

macro_rules! catalog {
    ($($router:ident :: $name:ident),* $(,)?) => {
        /// Every action of every router.
        pub static ALL: &[Entry] = &[
            $(Entry {
                meta: &<super::$router::$name::Act as Action>::META,
                schema: input_schema::<super::$router::$name::Act>,
                decode: decode_as::<super::$router::$name::Act>,
                run: run_as::<super::$router::$name::Act>,
            }),*
        ];
    };
}

catalog![
    admin_meta_ads_governance::list_meta_integrations,
    admin_meta_ads_governance::get_token_health,
    admin_meta_ads_governance::get_meta_api_error_digest,
    admin_meta_ads_governance::get_rate_limit_posture,
    admin_meta_ads_governance::get_audit_events,
    admin_meta_ads_governance::get_approval_status,
    admin_meta_ads_governance::refresh_system_user_token,
    admin_meta_ads_governance::set_campaign_guardrails,
    admin_meta_ads_governance::set_daily_budget_caps,
    admin_meta_ads_governance::set_approval_thresholds,
    admin_meta_ads_governance::set_insights_settings,
    admin_meta_ads_governance::set_optimization_settings,
    admin_meta_ads_governance::set_notification_endpoint,
    admin_meta_ads_governance::quarantine_integration,
    admin_meta_ads_governance::quarantine_ad_account,
    admin_meta_ads_governance::release_ad_account,
    admin_meta_ads_governance::rotate_credentials,
    admin_meta_ads_governance::rebind_ad_account,
    admin_meta_ads_governance::disable_integration,
    admin_meta_ads_governance::get_api_version_status,
    admin_meta_ads_governance::plan_api_version_upgrade,
    admin_meta_ads_governance::apply_api_version_upgrade,
    admin_meta_ads_governance::get_operations_digest,
    admin_meta_ads_governance::set_retention_policy,
    admin_meta_ads_governance::run_audit_completeness_check,
    recruiter_paid_media_analytics::get_insights_campaign_level,
    recruiter_paid_media_analytics::get_insights_adset_level,
    recruiter_paid_media_analytics::get_insights_ad_level,
    recruiter_paid_media_analytics::get_insights_with_breakdowns,
    recruiter_paid_media_analytics::get_creative_performance,
    recruiter_paid_media_analytics::get_placement_performance,
    recruiter_paid_media_analytics::get_frequency_fatigue_alerts,
    recruiter_paid_media_analytics::suggest_budget_reallocation,
    recruiter_paid_media_analytics::suggest_creative_rotation,
    recruiter_paid_media_analytics::suggest_audience_narrowing,
    recruiter_paid_media_analytics::apply_budget_reallocation,
    recruiter_paid_media_analytics::apply_bid_adjustment,
    recruiter_paid_media_analytics::rotate_creative_variant,
    recruiter_paid_media_analytics::rollback_optimization,
    recruiter_paid_media_analytics::create_async_report_job,
    recruiter_paid_media_analytics::get_async_report_status,
    recruiter_paid_media_analytics::download_report,
    recruiter_paid_media_analytics::stop_report_schedule,
    recruiter_paid_media_analytics::list_alerts,
    recruiter_paid_media_analytics::create_rule,
    recruiter_paid_media_analytics::update_rule,
    recruiter_paid_media_analytics::pause_rule,
    recruiter_paid_media_analytics::resume_rule,
    recruiter_paid_media_analytics::delete_rule,
    recruiter_paid_media_analytics::dry_run_rule,
    recruiter_paid_media_analytics::list_rule_runs,
    recruiter_paid_media_analytics::apply_rule_action,
    cross_role_paid_media_pipeline::get_paid_media_to_pipeline_funnel,
    cross_role_paid_media_pipeline::get_cpl_to_hire_trend,
    cross_role_paid_media_pipeline::get_source_quality_score,
    cross_role_paid_media_pipeline::suggest_channel_mix,
    cross_role_paid_media_pipeline::suggest_geo_expansion,
    cross_role_paid_media_pipeline::sync_campaign_taxonomy_to_pipeline,
    cross_role_paid_media_pipeline::backfill_missing_attribution,
    cross_role_paid_media_pipeline::connect_ats,
    cross_role_paid_media_pipeline::set_pipeline_settings,
    cross_role_paid_media_pipeline::set_recruiting_costs,
    recruiter_paid_media::pause_campaign,
    recruiter_paid_media::resume_campaign,
    recruiter_paid_media::delete_campaign,
    recruiter_paid_media::update_ad_set_budget,
    recruiter_paid_media::duplicate_campaign,
    recruiter_paid_media::create_ad_set,
    recruiter_paid_media::create_campaign,
    recruiter_paid_media::delete_ad,
    recruiter_paid_media::delete_ad_set,
    recruiter_paid_media::pause_ad,
    recruiter_paid_media::pause_ad_set,
    recruiter_paid_media::resume_ad,
    recruiter_paid_media::resume_ad_set,
    recruiter_paid_media::update_ad_set_schedule,
    recruiter_paid_media::update_ad_set_targeting,
    recruiter_paid_media::update_campaign,
    recruiter_paid_media::attach_creative_to_ad,
    recruiter_paid_media::create_ad,
    recruiter_paid_media::create_creative,
    recruiter_paid_media::update_ad,
    recruiter_paid_media::archive_creative,
    recruiter_paid_media::update_creative,
    recruiter_paid_media::get_campaign,
    recruiter_paid_media::list_ad_accounts,
    recruiter_paid_media::list_ad_sets,
    recruiter_paid_media::list_ads,
    recruiter_paid_media::list_campaigns,
    recruiter_paid_media::estimate_audience_reach,
    recruiter_paid_media::get_targeting_suggestions,
    recruiter_paid_media::add_custom_audience_users,
    recruiter_paid_media::create_custom_audience,
    recruiter_paid_media::create_lookalike_audience,
    recruiter_paid_media::list_lead_forms,
    recruiter_paid_media::remove_custom_audience_users,
    recruiter_paid_media::upload_ad_image,
    recruiter_paid_media::create_ad_set_draft,
    recruiter_paid_media::create_campaign_draft,
    recruiter_paid_media::create_creative_draft,
    recruiter_paid_media::validate_campaign_draft,
    recruiter_paid_media::launch_campaign_draft,
];

pub fn find(router: &str, name: &str) -> Option<&'static Entry> {
    ALL.iter().find(|e| e.meta.router() == router && e.meta.name() == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::action::Tier;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Reads the source tree: native only.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn every_action_lives_at_the_path_its_url_names() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/actions");
        for e in ALL {
            let (router, name) = (e.meta.router(), e.meta.name());
            assert_eq!(e.meta.module, format!("adgate::actions::{router}::{name}"));
            assert!(root.join(router).join(format!("{name}.rs")).is_file(), "src/actions/{router}/{name}.rs");
        }
        // And every action file (one that implements `Action`) is in the catalogue; a router's
        // other files hold what its actions share.
        for router in ["admin_meta_ads_governance", "cross_role_paid_media_pipeline", "recruiter_paid_media", "recruiter_paid_media_analytics"] {
            for f in std::fs::read_dir(root.join(router)).unwrap() {
                let path = f.unwrap().path();
                let stem = path.file_stem().unwrap().to_string_lossy().to_string();
                let is_action = std::fs::read_to_string(&path).unwrap().contains("impl Action for Act");
                assert!(!is_action || find(router, &stem).is_some(), "{router}/{stem} is not in the catalogue");
            }
        }
    }

    #[test]
    fn names_are_unique_and_tiers_match_what_actions_do() {
        for (i, a) in ALL.iter().enumerate() {
            assert!(ALL[i + 1..].iter().all(|b| (b.meta.router(), b.meta.name()) != (a.meta.router(), a.meta.name())), "{}", a.meta.name());
            let reads = ["get_", "list_", "estimate_", "validate_", "suggest_", "download_", "dry_run_"].iter().any(|p| a.meta.name().starts_with(p));
            assert_eq!(a.meta.tier.is_mutation(), !reads, "{}", a.meta.name());
            assert_eq!(
                a.meta.tier == Tier::Suggest,
                a.meta.name().starts_with("suggest_"),
                "{}: suggestions and only they are the suggest tier",
                a.meta.name()
            );
        }
        for high in ["rotate_credentials", "rebind_ad_account", "disable_integration", "plan_api_version_upgrade", "apply_api_version_upgrade"] {
            assert_eq!(find("admin_meta_ads_governance", high).unwrap().meta.tier, Tier::ExecuteHigh, "{high} needs an approval");
        }
        assert!(find("admin_meta_ads_governance", "nope").is_none());
        assert!(find("recruiter_paid_media", "delete_campaign").unwrap().meta.destructive);
    }

    /// Every integer has a range and every string a length or a pattern, at any depth.
    fn assert_bounded(schema: &Value, at: &str) {
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if types.contains(&"integer") {
            assert!(schema["minimum"].is_number() && schema["maximum"].is_number(), "{at}: {schema}");
        }
        if types.contains(&"string") {
            assert!(schema["maxLength"].is_number() || schema["pattern"].is_string() || schema["enum"].is_array(), "{at}: {schema}");
        }
        assert!(!schema.to_string().contains("\"$ref\""), "{at}: inlined, no $ref: {schema}");
        if types.contains(&"array") {
            assert!(schema["maxItems"].is_number(), "{at}: {schema}");
        }
        if types.contains(&"object") {
            assert!(schema["maxProperties"].is_number() || schema["additionalProperties"] == false, "{at}: {schema}");
        }
        for key in ["items", "additionalProperties", "propertyNames"] {
            if schema[key].is_object() {
                assert_bounded(&schema[key], &format!("{at}.{key}"));
            }
        }
        for (name, p) in schema["properties"].as_object().into_iter().flatten() {
            assert_bounded(p, &format!("{at}.{name}"));
        }
        for alt in schema["anyOf"].as_array().into_iter().chain(schema["oneOf"].as_array()).flatten() {
            assert_bounded(alt, &format!("{at}|"));
        }
    }

    #[test]
    fn schemas_are_derived_with_bounds_docs_and_no_unknown_fields() {
        for e in ALL {
            let s = (e.schema)();
            assert_eq!((s["type"].as_str(), s["additionalProperties"].as_bool()), (Some("object"), Some(false)), "{}: {s}", e.meta.name());
            for (field, p) in s["properties"].as_object().unwrap() {
                assert!(p["description"].as_str().is_some_and(|d| !d.is_empty()), "{}.{field} has a description", e.meta.name());
                assert_bounded(p, &format!("{}.{field}", e.meta.name()));
            }
        }
        let budget = find("recruiter_paid_media", "update_ad_set_budget").unwrap();
        let s = (budget.schema)();
        assert_eq!(s["required"], json!(["ad_account_id", "ad_set_id", "daily_budget_minor"]));
        assert_eq!(s["properties"]["daily_budget_minor"]["maximum"], crate::domain::MAX_BUDGET_MINOR);
        assert_eq!(budget.describe()["requires_idempotency_key"], true);
    }

    #[test]
    fn decoding_normalises_and_names_the_field() {
        let caps = find("admin_meta_ads_governance", "set_daily_budget_caps").unwrap();
        assert_eq!((caps.decode)(&json!({"caps": {"act_7": 100}})).unwrap(), json!({"caps": {"7": 100}}));
        assert_eq!((caps.decode)(&json!({"caps": {"act_7": -1}})).unwrap_err().field, "caps");
        let pause = find("recruiter_paid_media", "pause_campaign").unwrap();
        assert_eq!((pause.decode)(&json!({"ad_account_id": "act_1", "campaign_id": "x"})).unwrap_err().field, "campaign_id");
        assert_eq!((pause.decode)(&json!({"ad_account_id": "act_1", "campaign_id": "2"})).unwrap(), json!({"ad_account_id": "1", "campaign_id": "2"}));
    }
}
