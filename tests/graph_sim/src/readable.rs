//! The fields each node type can read, as Meta's reference pages list them (Ad Account, Ad
//! Campaign Group, Ad Campaign, Adgroup, Ad Creative, Ads Insights), with the API version that
//! removed any of them; a field outside the list is refused with Meta's error for that node type.

use crate::error::{GraphError, GraphResult};
use crate::fields::Field;
use crate::store::Kind;
use crate::versions::Version;

const ACCOUNT: &[&str] = &[
    "id",
    "account_id",
    "account_status",
    "age",
    "amount_spent",
    "balance",
    "spend_cap",
    "min_campaign_group_spend_cap",
    "min_daily_budget",
    "currency",
    "name",
    "owner",
    "business",
    "business_name",
    "business_city",
    "business_country_code",
    "business_state",
    "business_street",
    "business_street2",
    "business_zip",
    "created_time",
    "disable_reason",
    "funding_source",
    "funding_source_details",
    "timezone_id",
    "timezone_name",
    "timezone_offset_hours_utc",
    "capabilities",
    "user_tasks",
    "tos_accepted",
    "user_tos_accepted",
    "is_personal",
    "is_prepay_account",
    "is_notifications_enabled",
    "is_tax_id_required",
    "is_direct_deals_enabled",
    "is_attribution_spec_system_default",
    "has_migrated_permissions",
    "end_advertiser",
    "end_advertiser_name",
    "media_agency",
    "partner",
    "io_number",
    "tax_id",
    "tax_id_status",
    "tax_id_type",
    "fb_entity",
    "opportunity_score",
    "line_numbers",
    "brand_safety_content_filter_levels",
    "attribution_spec",
    "failed_delivery_checks",
    "default_dsa_payor",
    "default_dsa_beneficiary",
    "all_capabilities",
    "owner_business",
    "user_access_expire_time",
    "campaigns",
    "adsets",
    "ads",
    "adcreatives",
    "insights",
    "customaudiences",
];

const CAMPAIGN: &[&str] = &[
    "id",
    "account_id",
    "name",
    "objective",
    "status",
    "configured_status",
    "effective_status",
    "buying_type",
    "bid_strategy",
    "daily_budget",
    "lifetime_budget",
    "budget_remaining",
    "spend_cap",
    "can_use_spend_cap",
    "start_time",
    "stop_time",
    "created_time",
    "updated_time",
    "last_budget_toggling_time",
    "special_ad_categories",
    "special_ad_category",
    "special_ad_category_country",
    "pacing_type",
    "issues_info",
    "smart_promotion_type",
    "source_campaign_id",
    "source_campaign",
    "topline_id",
    "boosted_object_id",
    "promoted_object",
    "adlabels",
    "primary_attribution",
    "campaign_group_active_time",
    "is_skadnetwork_attribution",
    "is_adset_budget_sharing_enabled",
    "is_budget_schedule_enabled",
    "can_create_brand_lift_study",
    "budget_rebalance_flag",
    "advantage_state_info",
    "recommendations",
    "account",
    "adsets",
    "ads",
    "insights",
];

const AD_SET: &[&str] = &[
    "id",
    "account_id",
    "campaign_id",
    "name",
    "campaign",
    "status",
    "configured_status",
    "effective_status",
    "bid_strategy",
    "bid_amount",
    "bid_info",
    "bid_constraints",
    "bid_adjustments",
    "billing_event",
    "optimization_goal",
    "optimization_sub_event",
    "destination_type",
    "promoted_object",
    "attribution_spec",
    "learning_stage_info",
    "pacing_type",
    "targeting",
    "targeting_optimization_types",
    "start_time",
    "end_time",
    "created_time",
    "updated_time",
    "daily_budget",
    "lifetime_budget",
    "budget_remaining",
    "daily_min_spend_target",
    "daily_spend_cap",
    "lifetime_min_spend_target",
    "lifetime_spend_cap",
    "lifetime_imps",
    "frequency_control_specs",
    "issues_info",
    "recommendations",
    "is_dynamic_creative",
    "instagram_user_id",
    "source_adset_id",
    "source_adset",
    "adset_schedule",
    "creative_sequence",
    "dsa_beneficiary",
    "dsa_payor",
    "review_feedback",
    "regional_regulated_categories",
    "adlabels",
    "anchor_event_attribution_window_days",
    "special_ad_categories",
    "is_budget_schedule_enabled",
    "placement_soft_opt_out",
    "account",
    "ads",
    "insights",
];

const AD: &[&str] = &[
    "id",
    "account_id",
    "adset_id",
    "campaign_id",
    "source_ad_id",
    "ad_active_time",
    "name",
    "conversion_domain",
    "preview_shareable_link",
    "status",
    "configured_status",
    "effective_status",
    "bid_amount",
    "bid_info",
    "bid_type",
    "creative",
    "adset",
    "campaign",
    "source_ad",
    "targeting",
    "tracking_specs",
    "conversion_specs",
    "ad_review_feedback",
    "issues_info",
    "recommendations",
    "failed_delivery_checks",
    "special_ad_categories",
    "adlabels",
    "created_time",
    "updated_time",
    "ad_schedule_start_time",
    "ad_schedule_end_time",
    "display_sequence",
    "priority",
    "engagement_audience",
    "last_updated_by_app_id",
    "account",
    "insights",
    "leads",
];

const CREATIVE: &[&str] = &[
    "id",
    "account_id",
    "actor_id",
    "name",
    "body",
    "title",
    "status",
    "object_type",
    "object_story_id",
    "effective_object_story_id",
    "object_story_spec",
    "object_id",
    "object_url",
    "object_store_url",
    "call_to_action_type",
    "call_to_action",
    "image_hash",
    "image_url",
    "image_crops",
    "thumbnail_url",
    "thumbnail_id",
    "video_id",
    "link_url",
    "link_destination_display_url",
    "url_tags",
    "template_url",
    "instagram_permalink_url",
    "instagram_user_id",
    "effective_instagram_media_id",
    "source_instagram_media_id",
    "asset_feed_spec",
    "degrees_of_freedom_spec",
    "interactive_components_spec",
    "platform_customizations",
    "product_set_id",
    "applink_treatment",
    "authorization_category",
    "effective_authorization_category",
    "use_page_actor_override",
    "adlabels",
    "destination_spec",
    "contextual_multi_ads",
    "branded_content",
    "account",
];

/// Ads Insights fields (the reference's list; the simulator computes the ones adgate and the
/// SDK checks read, and leaves the others out of its rows, as Meta leaves out empty values).
pub const INSIGHTS: &[&str] = &[
    "account_currency",
    "account_id",
    "account_name",
    "ad_id",
    "ad_name",
    "adset_id",
    "adset_name",
    "campaign_id",
    "campaign_name",
    "objective",
    "optimization_goal",
    "buying_type",
    "attribution_setting",
    "created_time",
    "updated_time",
    "date_start",
    "date_stop",
    "adset_start",
    "adset_end",
    "campaign_start",
    "campaign_end",
    "impressions",
    "clicks",
    "reach",
    "frequency",
    "spend",
    "social_spend",
    "cpc",
    "cpm",
    "cpp",
    "ctr",
    "inline_link_clicks",
    "inline_link_click_ctr",
    "cost_per_inline_link_click",
    "inline_post_engagement",
    "cost_per_inline_post_engagement",
    "cost_per_unique_click",
    "cost_per_unique_inline_link_click",
    "unique_clicks",
    "unique_ctr",
    "unique_inline_link_clicks",
    "unique_inline_link_click_ctr",
    "unique_link_clicks_ctr",
    "unique_actions",
    "total_actions",
    "total_unique_actions",
    "total_action_value",
    "cost_per_total_action",
    "actions",
    "action_values",
    "conversions",
    "conversion_values",
    "cost_per_action_type",
    "cost_per_conversion",
    "cost_per_unique_action_type",
    "outbound_clicks",
    "outbound_clicks_ctr",
    "cost_per_outbound_click",
    "cost_per_unique_outbound_click",
    "website_ctr",
    "purchase_roas",
    "website_purchase_roas",
    "quality_ranking",
    "engagement_rate_ranking",
    "conversion_rate_ranking",
    "video_play_actions",
    "video_p25_watched_actions",
    "video_p50_watched_actions",
    "video_p75_watched_actions",
    "video_p95_watched_actions",
    "video_p100_watched_actions",
    "video_avg_time_watched_actions",
    "video_30_sec_watched_actions",
    "video_thruplay_watched_actions",
    "video_continuous_2_sec_watched_actions",
    "cost_per_thruplay",
    "instagram_profile_follow",
    "results",
    "cost_per_result",
];

/// A field a version took away: reading it at that version or later is refused as nonexisting.
pub struct Removal {
    pub node_type: &'static str,
    pub field: &'static str,
    pub from: Version,
}

/// The simulator's next versions (see `versions`): what they remove.
pub const REMOVALS: &[Removal] = &[
    Removal { node_type: "AdCampaignGroup", field: "budget_rebalance_flag", from: Version(27) },
    Removal { node_type: "AdCreative", field: "url_tags", from: Version(28) },
    Removal { node_type: "AdsInsights", field: "social_spend", from: Version(28) },
];

/// Meta's name for a kind's node type in its errors.
pub fn node_type(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::Campaign => "AdCampaignGroup",
        Kind::AdSet => "AdCampaign",
        Kind::Ad => "Adgroup",
        Kind::Creative => "AdCreative",
        _ => return None,
    })
}

fn list(node_type: &str) -> &'static [&'static str] {
    match node_type {
        "AdAccount" => ACCOUNT,
        "AdCampaignGroup" => CAMPAIGN,
        "AdCampaign" => AD_SET,
        "Adgroup" => AD,
        "AdCreative" => CREATIVE,
        _ => INSIGHTS,
    }
}

pub fn readable(node_type: &str, field: &str, v: Version) -> bool {
    list(node_type).contains(&field) && !REMOVALS.iter().any(|r| r.node_type == node_type && r.field == field && v >= r.from)
}

/// The node type an expansion reads (`campaign{name}` on an ad reads a campaign).
fn expansion(field: &str) -> Option<&'static str> {
    Some(match field {
        "campaign" | "source_campaign" => "AdCampaignGroup",
        "adset" | "source_adset" => "AdCampaign",
        "source_ad" => "Adgroup",
        "creative" => "AdCreative",
        "account" => "AdAccount",
        _ => return None,
    })
}

/// Refuses the first field (or nested expansion's field) the node type does not have.
pub fn check(node_type: &str, fields: &[Field], v: Version) -> GraphResult<()> {
    for f in fields {
        if !readable(node_type, &f.name, v) {
            return Err(GraphError::invalid_param(format!("(#100) Tried accessing nonexisting field ({}) on node type ({node_type})", f.name)));
        }
        if let (Some(children), Some(inner)) = (&f.children, expansion(&f.name)) {
            check(inner, children, v)?;
        }
    }
    Ok(())
}

/// Refuses insights fields outside the list, naming every one as Meta does.
pub fn check_insights(fields: &[String], v: Version) -> GraphResult<()> {
    let bad: Vec<&str> = fields.iter().map(String::as_str).filter(|f| !readable("AdsInsights", f, v)).collect();
    match bad.as_slice() {
        [] => Ok(()),
        [one] => Err(GraphError::invalid_param(format!(
            "(#100) {one} is not valid for fields param. please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values"
        ))),
        many => Err(GraphError::invalid_param(format!(
            "(#100) {} are not valid for fields param. please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values",
            many.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str, children: Option<Vec<Field>>) -> Field {
        Field { name: name.into(), modifiers: vec![], children }
    }

    #[test]
    fn unknown_fields_are_refused_with_metas_words_for_the_node_type() {
        let v = Version(26);
        assert!(check("AdCampaignGroup", &[f("name", None), f("budget_remaining", None)], v).is_ok());
        let e = check("AdCampaignGroup", &[f("name", None), f("colour", None)], v).unwrap_err();
        assert_eq!(e.message, "(#100) Tried accessing nonexisting field (colour) on node type (AdCampaignGroup)");
        let e = check("Adgroup", &[f("campaign", Some(vec![f("targeting", None)]))], v).unwrap_err();
        assert!(e.message.ends_with("(targeting) on node type (AdCampaignGroup)"), "{}", e.message);
        let e = check_insights(&["spend".into(), "colour".into(), "size".into()], v).unwrap_err();
        assert!(e.message.starts_with("(#100) colour, size are not valid for fields param."), "{}", e.message);
    }

    #[test]
    fn a_removed_field_is_readable_before_its_version_only() {
        assert!(readable("AdCreative", "url_tags", Version(27)));
        assert!(!readable("AdCreative", "url_tags", Version(28)));
        assert!(!readable("AdCampaignGroup", "budget_rebalance_flag", Version(27)));
    }
}
