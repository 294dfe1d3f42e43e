//! The `error_subcode`s the simulator answers with, in one place so the gateway's tests and its
//! error mapping can name them. Each says where it comes from: *documented* (Meta's reference
//! pages), *observed* (Meta's answers as client code in the wild records them), or *chosen* (Meta
//! documents none; the simulator picked a plausible number from one block so they are easy to
//! spot and change once Meta's real one is known).

/// Observed: "Budget Is Too Low" / "Your ad set budget must be more than $1.00 or your ads may not be delivered."
pub const BUDGET_TOO_LOW: i64 = 1_885_272;
/// Observed: Meta's 1 million USD cap on one budget (ADPRO2__CAMPAIGN_BUDGET_TOO_HIGH).
pub const BUDGET_TOO_HIGH: i64 = 1_885_261;
/// Observed: an ad set without its own budget in a campaign without a campaign budget.
pub const ADSET_BUDGET_REQUIRED: i64 = 1_487_061;
/// Chosen (the number the gateway's issue names): an ad set budget inside a campaign that has an
/// Advantage campaign budget.
pub const ADSET_BUDGET_UNDER_CAMPAIGN_BUDGET: i64 = 1_885_621;
/// Documented (ad set budget sharing): campaign create without a campaign budget must say
/// `is_adset_budget_sharing_enabled` true or false (v24.0+).
pub const BUDGET_SHARING_FLAG_REQUIRED: i64 = 4_834_011;
/// Documented: ad set budget sharing cannot be combined with a campaign budget.
pub const BUDGET_SHARING_WITH_CAMPAIGN_BUDGET: i64 = 4_834_002;
/// Documented: ad set budget sharing cannot be enabled without a bid strategy.
pub const BUDGET_SHARING_NEEDS_BID_STRATEGY: i64 = 4_834_005;
/// Documented: budget sharing cannot be turned on for a campaign that already exists.
pub const BUDGET_SHARING_NOT_ENABLEABLE: i64 = 3_858_418;
/// Observed: "Bid Amount Or Bid Constraints Required For Bid Strategy".
pub const BID_AMOUNT_REQUIRED: i64 = 2_490_487;
/// Observed: "Location Is Missing" (targeting without geo_locations).
pub const LOCATION_MISSING: i64 = 1_487_756;
/// Documented: a targeting category that does not exist or is no longer available.
pub const TARGETING_OPTION_UNAVAILABLE: i64 = 1_487_694;
/// Observed ("Special Ad Category errors"): ad set locations outside the campaign's
/// `special_ad_category_country`.
pub const SPECIAL_CATEGORY_LOCATION_OUTSIDE_COUNTRY: i64 = 2_909_034;
/// Chosen: a special ad category without `special_ad_category_country`.
pub const SPECIAL_CATEGORY_COUNTRY_REQUIRED: i64 = 3_858_530;
/// Chosen: a targeting option that employment, housing and credit ads may not use.
pub const SPECIAL_CATEGORY_TARGETING: i64 = 3_858_531;
/// Chosen: lead ads (LEAD_GENERATION, QUALITY_LEAD) need `destination_type` ON_AD.
pub const LEAD_ADS_DESTINATION: i64 = 3_858_532;
/// Chosen: lead ads need `promoted_object.page_id`.
pub const LEAD_ADS_PAGE_REQUIRED: i64 = 3_858_533;
/// Chosen: an ad set's `promoted_object` cannot change after creation.
pub const PROMOTED_OBJECT_IMMUTABLE: i64 = 3_858_534;
/// Observed: a creative's content cannot be edited after creation.
pub const CREATIVE_NOT_EDITABLE: i64 = 1_815_573;
/// Observed: "The link field is required" (`object_story_spec.link_data.link`).
pub const CREATIVE_LINK_REQUIRED: i64 = 2_061_015;
/// Chosen: `object_story_spec.page_id` is missing.
pub const CREATIVE_PAGE_REQUIRED: i64 = 3_858_535;
/// Chosen: `image_hash` names no image of this ad account.
pub const CREATIVE_IMAGE_NOT_FOUND: i64 = 3_858_536;
/// Chosen: `call_to_action.value.lead_gen_form_id` is not a form of the creative's page.
pub const CREATIVE_LEAD_FORM_NOT_OF_PAGE: i64 = 3_858_537;
/// Chosen (Meta's message is observed: "You cannot delete this creative because it is currently
/// in use for existing adgroups."): deleting a creative a live ad uses.
pub const CREATIVE_IN_USE: i64 = 3_858_538;
/// Existing: the object was deleted.
pub const OBJECT_DELETED: i64 = 1_487_056;
