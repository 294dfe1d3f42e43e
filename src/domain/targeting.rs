//! An ad set's audience as Meta's `targeting` spec, typed and bounded, and the limits Meta puts
//! on audiences of special ad categories (job, housing and credit ads), checked before any call.

use super::{
    AudienceNetworkPosition, Bounded, Country, DistanceUnit, FacebookPosition, InstagramPosition, List, MessengerPosition, MetaId, PublisherPlatform,
    SpecialAdCategory, Text,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A detailed-targeting entry (interest, behaviour, work position ...), by Meta's id.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Detail {
    /// Meta's id for the entry (from `get_targeting_suggestions`).
    pub id: MetaId,
    /// Its name, for people reading the spec.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Text<200>>,
}

/// A location by Meta's key (from `get_targeting_suggestions` with `kind: geo`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GeoKey {
    /// Meta's location key, such as 2420379 for a city or US:94304 for a postal code.
    pub key: Text<40>,
    /// A radius around a city (cities only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub radius: Option<Bounded<1, 80>>,
    /// The radius's unit (default mile).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_unit: Option<DistanceUnit>,
}

/// A point and a radius around it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomLocation {
    /// Latitude, -90 to 90, in millionths of a degree.
    pub latitude: Bounded<-90_000_000, 90_000_000>,
    /// Longitude, -180 to 180, in millionths of a degree.
    pub longitude: Bounded<-180_000_000, 180_000_000>,
    /// The radius around the point.
    pub radius: Bounded<1, 80>,
    /// The radius's unit (default mile).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_unit: Option<DistanceUnit>,
}

/// Where the audience is.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GeoLocations {
    /// Countries (ISO codes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub countries: Option<List<Country, 25>>,
    /// Regions (states, provinces) by key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regions: Option<List<GeoKey, 200>>,
    /// Cities by key, with an optional radius.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cities: Option<List<GeoKey, 250>>,
    /// Postal codes by key (not allowed for special ad categories).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zips: Option<List<GeoKey, 2500>>,
    /// Points with a radius.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_locations: Option<List<CustomLocation, 200>>,
}

impl GeoLocations {
    fn is_empty(&self) -> bool {
        let none = |n: usize| n == 0;
        none(self.countries.as_ref().map_or(0, |l| l.items().len()))
            && none(self.regions.as_ref().map_or(0, |l| l.items().len()))
            && none(self.cities.as_ref().map_or(0, |l| l.items().len()))
            && none(self.zips.as_ref().map_or(0, |l| l.items().len()))
            && none(self.custom_locations.as_ref().map_or(0, |l| l.items().len()))
    }
}

/// One group of detailed targeting: people matching any entry of the group (groups are ANDed).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DetailGroup {
    /// Interests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interests: Option<List<Detail, 200>>,
    /// Behaviours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub behaviors: Option<List<Detail, 200>>,
    /// Job titles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_positions: Option<List<Detail, 200>>,
    /// Employers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_employers: Option<List<Detail, 200>>,
}

impl DetailGroup {
    pub fn entries(&self) -> impl Iterator<Item = &Detail> {
        [&self.interests, &self.behaviors, &self.work_positions, &self.work_employers].into_iter().flatten().flat_map(|l| l.items())
    }
}

/// An audience by Meta's id.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AudienceRef {
    /// The custom or lookalike audience's id.
    pub id: MetaId,
}

/// An ad set's audience (Meta's `targeting`).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Targeting {
    /// Where the audience is (required).
    pub geo_locations: GeoLocations,
    /// Locations left out (not allowed for special ad categories).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_geo_locations: Option<GeoLocations>,
    /// Youngest age, 18 to 65.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_min: Option<Bounded<18, 65>>,
    /// Oldest age, 18 to 65 (65 means 65 and over).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_max: Option<Bounded<18, 65>>,
    /// 1 men, 2 women (not allowed for special ad categories).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub genders: Option<List<Bounded<1, 2>, 2>>,
    /// Detailed targeting groups, ANDed together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flexible_spec: Option<List<DetailGroup, 10>>,
    /// Detailed targeting to leave out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclusions: Option<DetailGroup>,
    /// Custom or lookalike audiences to reach.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_audiences: Option<List<AudienceRef, 50>>,
    /// Custom audiences to leave out (not allowed for special ad categories).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_custom_audiences: Option<List<AudienceRef, 50>>,
    /// Where ads may appear (default: everywhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher_platforms: Option<List<PublisherPlatform, 4>>,
    /// Placements on Facebook (default: all of them, where Facebook is a platform).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facebook_positions: Option<List<FacebookPosition, 11>>,
    /// Placements on Instagram.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instagram_positions: Option<List<InstagramPosition, 8>>,
    /// Placements in the Audience Network.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience_network_positions: Option<List<AudienceNetworkPosition, 2>>,
    /// Placements in Messenger.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messenger_positions: Option<List<MessengerPosition, 3>>,
}

/// Meta's smallest radius around a place for special ad categories: 15 miles.
pub const MIN_RESTRICTED_RADIUS_MILES: i64 = 15;

fn radius_in_miles(radius: i64, unit: Option<DistanceUnit>) -> f64 {
    match unit {
        Some(DistanceUnit::kilometer) => radius as f64 / 1.609_344,
        _ => radius as f64,
    }
}

/// A refusal of part of the spec: the path under `targeting` and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub path: String,
    pub reason: String,
}

impl Targeting {
    /// What Meta refuses in any audience: a spec without a location.
    pub fn missing_location(&self) -> Option<Refusal> {
        self.geo_locations.is_empty().then(|| Refusal { path: "geo_locations".into(), reason: "name at least one location".into() })
    }

    /// Every detailed-targeting entry the spec names (included and excluded).
    pub fn details(&self) -> Vec<&Detail> {
        let groups = self.flexible_spec.iter().flat_map(|g| g.items());
        groups.chain(self.exclusions.iter()).flat_map(DetailGroup::entries).collect()
    }

    /// What Meta refuses for an ad in `category` (job, housing and credit ads): narrowing by
    /// age or gender, postal codes, excluded places, radii under 15 miles, excluded audiences.
    /// Lookalikes and non-allowed detailed options need Meta's answer and are checked there.
    pub fn restricted_refusals(&self, category: SpecialAdCategory) -> Vec<Refusal> {
        let mut out = Vec::new();
        let mut refuse = |path: String, what: &str| out.push(Refusal { path, reason: format!("{} ads cannot {what}", category.as_str()) });
        if self.age_min.is_some_and(|a| a.get() != 18) {
            refuse("age_min".into(), "narrow the age range (age_min must be 18)");
        }
        if self.age_max.is_some_and(|a| a.get() != 65) {
            refuse("age_max".into(), "narrow the age range (age_max must be 65)");
        }
        if self.genders.as_ref().is_some_and(|g| !g.is_empty()) {
            refuse("genders".into(), "target by gender");
        }
        if self.geo_locations.zips.as_ref().is_some_and(|z| !z.is_empty()) {
            refuse("geo_locations.zips".into(), "target by postal code");
        }
        if self.excluded_geo_locations.as_ref().is_some_and(|x| !x.is_empty()) {
            refuse("excluded_geo_locations".into(), "exclude locations");
        }
        for (i, c) in self.geo_locations.cities.iter().flat_map(|l| l.items()).enumerate() {
            if c.radius.is_some_and(|r| radius_in_miles(r.get(), c.distance_unit) < MIN_RESTRICTED_RADIUS_MILES as f64 - 0.01) {
                refuse(format!("geo_locations.cities[{i}].radius"), "use a radius under 15 miles (25 km)");
            }
        }
        for (i, c) in self.geo_locations.custom_locations.iter().flat_map(|l| l.items()).enumerate() {
            if radius_in_miles(c.radius.get(), c.distance_unit) < MIN_RESTRICTED_RADIUS_MILES as f64 - 0.01 {
                refuse(format!("geo_locations.custom_locations[{i}].radius"), "use a radius under 15 miles (25 km)");
            }
        }
        if self.excluded_custom_audiences.as_ref().is_some_and(|x| !x.is_empty()) {
            refuse("excluded_custom_audiences".into(), "exclude audiences");
        }
        if self.exclusions.as_ref().is_some_and(|x| x.entries().next().is_some()) {
            refuse("exclusions".into(), "exclude people by detailed targeting");
        }
        out
    }

    /// Meta's JSON for the spec; coordinates back in degrees.
    pub fn to_meta(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        for geo in ["geo_locations", "excluded_geo_locations"] {
            if let Some(points) = v.pointer_mut(&format!("/{geo}/custom_locations")).and_then(|p| p.as_array_mut()) {
                for p in points {
                    for k in ["latitude", "longitude"] {
                        if let Some(n) = p[k].as_i64() {
                            p[k] = serde_json::json!(n as f64 / 1_000_000.0);
                        }
                    }
                }
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn spec(v: serde_json::Value) -> Targeting {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn job_ads_may_not_narrow_by_age_gender_postcode_or_small_radius() {
        let open =
            spec(json!({ "geo_locations": { "countries": ["US"], "cities": [{ "key": "2420379", "radius": 15, "distance_unit": "mile" }] }, "age_min": 18 }));
        assert!(open.restricted_refusals(SpecialAdCategory::EMPLOYMENT).is_empty());
        assert_eq!(open.missing_location(), None);
        let narrow = spec(json!({
            "geo_locations": { "zips": [{ "key": "US:94304" }], "cities": [{ "key": "1", "radius": 20, "distance_unit": "kilometer" }],
                "custom_locations": [{ "latitude": 40_712_800, "longitude": -74_006_000, "radius": 10 }] },
            "excluded_geo_locations": { "countries": ["CA"] }, "age_min": 25, "age_max": 40, "genders": [1],
            "excluded_custom_audiences": [{ "id": "5" }]
        }));
        let paths: Vec<String> = narrow.restricted_refusals(SpecialAdCategory::EMPLOYMENT).into_iter().map(|r| r.path).collect();
        assert_eq!(
            paths,
            [
                "age_min",
                "age_max",
                "genders",
                "geo_locations.zips",
                "excluded_geo_locations",
                "geo_locations.cities[0].radius",
                "geo_locations.custom_locations[0].radius",
                "excluded_custom_audiences"
            ]
        );
        assert_eq!(narrow.to_meta()["geo_locations"]["custom_locations"][0]["latitude"], json!(40.7128));
        assert!(spec(json!({ "geo_locations": {} })).missing_location().is_some());
        assert!(serde_json::from_value::<Targeting>(json!({ "geo_locations": {}, "age_min": 17 })).is_err());
        assert!(serde_json::from_value::<Targeting>(json!({ "geo_locations": {}, "zz": 1 })).is_err());
    }
}
