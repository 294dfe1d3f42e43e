//! Meta's closed vocabularies as typed values: a value Meta would refuse is refused when the
//! input is decoded, naming the field and listing what is allowed.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::Error;
use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Cow;

/// Declares an enum of Meta's constants, spelled as Meta spells them.
macro_rules! meta_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => stringify!($variant)),+ }
            }
        }
    };
}

meta_enum!(
    /// A campaign objective (Meta's outcome-driven objectives).
    Objective { OUTCOME_LEADS, OUTCOME_TRAFFIC, OUTCOME_AWARENESS, OUTCOME_ENGAGEMENT, OUTCOME_SALES, OUTCOME_APP_PROMOTION }
);

meta_enum!(
    /// A special ad category. Job ads are EMPLOYMENT.
    SpecialAdCategory { NONE, EMPLOYMENT, HOUSING, CREDIT, FINANCIAL_PRODUCTS_SERVICES, ISSUES_ELECTIONS_POLITICS, ONLINE_GAMBLING_AND_GAMING }
);

impl SpecialAdCategory {
    /// Categories whose ads Meta keeps from narrowing by age, gender, postal code and more.
    pub fn is_restricted(self) -> bool {
        matches!(self, SpecialAdCategory::EMPLOYMENT | SpecialAdCategory::HOUSING | SpecialAdCategory::CREDIT | SpecialAdCategory::FINANCIAL_PRODUCTS_SERVICES)
    }

    pub fn parse(s: &str) -> Option<SpecialAdCategory> {
        SpecialAdCategory::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

meta_enum!(
    /// How Meta bids for results.
    BidStrategy { LOWEST_COST_WITHOUT_CAP, LOWEST_COST_WITH_BID_CAP, COST_CAP, LOWEST_COST_WITH_MIN_ROAS }
);

impl BidStrategy {
    /// Strategies that need a `bid_amount`.
    pub fn needs_bid_amount(self) -> bool {
        matches!(self, BidStrategy::LOWEST_COST_WITH_BID_CAP | BidStrategy::COST_CAP)
    }
}

meta_enum!(
    /// What an ad set is charged for.
    BillingEvent { IMPRESSIONS, LINK_CLICKS, THRUPLAY, PAGE_LIKES }
);

meta_enum!(
    /// What an ad set's delivery optimises for.
    OptimizationGoal { LEAD_GENERATION, QUALITY_LEAD, LINK_CLICKS, LANDING_PAGE_VIEWS, IMPRESSIONS, REACH, OFFSITE_CONVERSIONS, THRUPLAY }
);

impl OptimizationGoal {
    /// Instant-form lead ads: on-ad destination and a promoted Page.
    pub fn is_lead_form(self) -> bool {
        matches!(self, OptimizationGoal::LEAD_GENERATION | OptimizationGoal::QUALITY_LEAD)
    }
}

meta_enum!(
    /// Where an ad set sends people.
    DestinationType { WEBSITE, ON_AD, MESSENGER, WHATSAPP }
);

meta_enum!(
    /// A creative's button.
    CallToAction { APPLY_NOW, LEARN_MORE, SIGN_UP, CONTACT_US, GET_QUOTE, SUBSCRIBE, DOWNLOAD, SEE_MORE, NO_BUTTON }
);

meta_enum!(
    /// The status an object is created in. Everything is created PAUSED unless asked otherwise.
    InitialStatus { PAUSED, ACTIVE }
);

meta_enum!(
    /// A distance unit for radius targeting.
    DistanceUnit { mile, kilometer }
);

meta_enum!(
    /// Where an ad may appear.
    PublisherPlatform { facebook, instagram, audience_network, messenger }
);

meta_enum!(
    /// A placement on Facebook (`facebook_positions`).
    FacebookPosition { feed, right_hand_column, marketplace, video_feeds, story, search, instream_video, facebook_reels, facebook_reels_overlay, profile_feed, notification }
);

meta_enum!(
    /// A placement on Instagram (`instagram_positions`).
    InstagramPosition { stream, story, explore, explore_home, reels, profile_feed, ig_search, profile_reels }
);

meta_enum!(
    /// A placement in the Audience Network (`audience_network_positions`).
    AudienceNetworkPosition { classic, rewarded_video }
);

meta_enum!(
    /// A placement in Messenger (`messenger_positions`).
    MessengerPosition { messenger_home, sponsored_messages, story }
);

/// The targeting position (`{platform}_positions`) of an insights `platform_position` value on
/// `platform`: insights name some placements differently (`instagram_stories` is Instagram's
/// `story`, `an_classic` the Audience Network's `classic`).
pub fn targeting_position(platform: &str, insights: &str) -> Option<&'static str> {
    let renamed = match (platform, insights) {
        ("facebook", "facebook_stories") => "story",
        ("facebook", "reels") => "facebook_reels",
        ("instagram", "feed") => "stream",
        ("instagram", "instagram_stories") => "story",
        ("instagram", "instagram_explore") => "explore",
        ("instagram", "instagram_explore_grid_home") => "explore_home",
        ("instagram", "instagram_reels") => "reels",
        ("instagram", "instagram_profile_feed") => "profile_feed",
        ("instagram", "instagram_search") => "ig_search",
        ("instagram", "instagram_profile_reels") => "profile_reels",
        ("audience_network", "an_classic") => "classic",
        ("messenger", "messenger_inbox") => "messenger_home",
        ("messenger", "messenger_stories") => "story",
        (_, other) => other,
    };
    let known: Vec<&'static str> = match platform {
        "facebook" => FacebookPosition::ALL.iter().map(|p| p.as_str()).collect(),
        "instagram" => InstagramPosition::ALL.iter().map(|p| p.as_str()).collect(),
        "audience_network" => AudienceNetworkPosition::ALL.iter().map(|p| p.as_str()).collect(),
        "messenger" => MessengerPosition::ALL.iter().map(|p| p.as_str()).collect(),
        _ => Vec::new(),
    };
    known.into_iter().find(|k| *k == renamed)
}

meta_enum!(
    /// Where a customer list came from (Meta asks for it on every customer-file audience).
    CustomerFileSource { USER_PROVIDED_ONLY, PARTNER_PROVIDED_ONLY, BOTH_USER_AND_PARTNER_PROVIDED }
);

meta_enum!(
    /// What a targeting search looks for.
    TargetingSearch { interest, interest_suggestion, geo, browse }
);

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Country(String);

impl Country {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Country(s))
        } else {
            Err(D::Error::custom("must be an ISO 3166-1 alpha-2 country code such as US"))
        }
    }
}

impl JsonSchema for Country {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Country".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "pattern": "^[A-Z]{2}$" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn constants_are_spelled_as_meta_spells_them() {
        assert_eq!(serde_json::to_value(Objective::OUTCOME_LEADS).unwrap(), json!("OUTCOME_LEADS"));
        assert_eq!(serde_json::from_value::<DistanceUnit>(json!("mile")).unwrap().as_str(), "mile");
        assert!(serde_json::from_value::<Objective>(json!("LEADS")).is_err());
        assert!(SpecialAdCategory::EMPLOYMENT.is_restricted() && !SpecialAdCategory::NONE.is_restricted());
        assert!(serde_json::from_value::<Country>(json!("us")).is_err());
        let s = serde_json::to_value(schemars::schema_for!(BidStrategy)).unwrap();
        assert_eq!(s["enum"].as_array().map(Vec::len), Some(4), "{s}");
    }
}
