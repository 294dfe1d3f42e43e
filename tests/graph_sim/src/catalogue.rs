//! The targeting catalogue: detailed-targeting options (interests, behaviors) and places, fixed
//! and deterministic, so searches, browsing, the special-category rules and the audience model
//! all agree. Sizes are monthly people on Meta, in the ranges Meta reports.

use serde_json::{json, Value};

/// A detailed-targeting option. `regulated` says whether employment, housing and credit ads may
/// use it (Meta removes options that describe or stand in for protected characteristics).
#[derive(Debug, Clone, Copy)]
pub struct TargetingOption {
    pub id: &'static str,
    pub name: &'static str,
    /// `interests` or `behaviors`: the targeting spec key it goes under.
    pub kind: &'static str,
    pub topic: &'static str,
    pub path: &'static [&'static str],
    pub size: u64,
    pub regulated: bool,
}

const fn interest(id: &'static str, name: &'static str, topic: &'static str, path: &'static [&'static str], size: u64, regulated: bool) -> TargetingOption {
    TargetingOption { id, name, kind: "interests", topic, path, size, regulated }
}

const fn behavior(id: &'static str, name: &'static str, path: &'static [&'static str], size: u64, regulated: bool) -> TargetingOption {
    TargetingOption { id, name, kind: "behaviors", topic: "Behaviors", path, size, regulated }
}

const BI: &str = "Business and industry";
const HEALTH: &str = "Health";
const TECH: &str = "Technology";
const TRANSPORT: &str = "Transportation";

pub const OPTIONS: &[TargetingOption] = &[
    interest("6003107902433", "Nursing", HEALTH, &["Interests", "Business and industry", "Nursing"], 61_000_000, true),
    interest("6003107902434", "Registered nurse", HEALTH, &["Interests", "Business and industry", "Nursing", "Registered nurse"], 18_500_000, true),
    interest("6003107902435", "Health care", HEALTH, &["Interests", "Business and industry", "Health care"], 310_000_000, true),
    interest("6003107902436", "Hospital", HEALTH, &["Interests", "Business and industry", "Health care", "Hospital"], 122_000_000, true),
    interest("6003107902437", "Nurse practitioner", HEALTH, &["Interests", "Business and industry", "Nursing", "Nurse practitioner"], 4_200_000, true),
    interest("6003107902438", "Caregiver", HEALTH, &["Interests", "Business and industry", "Health care", "Caregiver"], 23_000_000, true),
    interest("6003200000101", "Truck driver", TRANSPORT, &["Interests", "Business and industry", "Transportation", "Truck driver"], 26_000_000, true),
    interest("6003200000102", "Trucking", TRANSPORT, &["Interests", "Business and industry", "Transportation", "Trucking"], 41_000_000, true),
    interest(
        "6003200000103",
        "Commercial driver's license",
        TRANSPORT,
        &["Interests", "Business and industry", "Transportation", "Commercial driver's license"],
        7_800_000,
        true,
    ),
    interest("6003200000104", "Courier", TRANSPORT, &["Interests", "Business and industry", "Transportation", "Courier"], 39_000_000, true),
    interest("6003200000105", "Logistics", TRANSPORT, &["Interests", "Business and industry", "Logistics"], 64_000_000, true),
    interest("6003200000106", "Warehouse", TRANSPORT, &["Interests", "Business and industry", "Logistics", "Warehouse"], 33_000_000, true),
    interest("6003200000107", "Forklift", TRANSPORT, &["Interests", "Business and industry", "Logistics", "Forklift"], 6_100_000, true),
    interest("6003200000108", "Ridesharing", TRANSPORT, &["Interests", "Business and industry", "Transportation", "Ridesharing"], 52_000_000, true),
    interest("6003300000201", "Software engineering", TECH, &["Interests", "Technology", "Software engineering"], 72_000_000, true),
    interest("6003300000202", "Computer programming", TECH, &["Interests", "Technology", "Computer programming"], 113_000_000, true),
    interest("6003300000203", "Information technology", TECH, &["Interests", "Technology", "Information technology"], 151_000_000, true),
    interest("6003300000204", "Cloud computing", TECH, &["Interests", "Technology", "Cloud computing"], 48_000_000, true),
    interest("6003300000205", "Data science", TECH, &["Interests", "Technology", "Data science"], 29_000_000, true),
    interest("6003300000206", "DevOps", TECH, &["Interests", "Technology", "Software engineering", "DevOps"], 5_300_000, true),
    interest("6003400000301", "Job hunting", BI, &["Interests", "Business and industry", "Employment", "Job hunting"], 76_000_000, true),
    interest("6003400000302", "Employment", BI, &["Interests", "Business and industry", "Employment"], 112_000_000, true),
    interest("6003400000303", "Recruitment", BI, &["Interests", "Business and industry", "Employment", "Recruitment"], 54_000_000, true),
    interest("6003400000304", "Customer service", BI, &["Interests", "Business and industry", "Customer service"], 88_000_000, true),
    interest("6003400000305", "Retail", BI, &["Interests", "Business and industry", "Retail"], 205_000_000, true),
    interest("6003400000306", "Construction", BI, &["Interests", "Business and industry", "Construction"], 131_000_000, true),
    interest("6003400000307", "Electrician", BI, &["Interests", "Business and industry", "Construction", "Electrician"], 14_500_000, true),
    interest("6003400000308", "Hospitality industry", BI, &["Interests", "Business and industry", "Hospitality industry"], 59_000_000, true),
    interest("6003400000309", "Small business", BI, &["Interests", "Business and industry", "Small business"], 198_000_000, true),
    // Options that describe age, family status or wealth: gone from employment, housing and credit ads.
    interest("6003500000401", "Retirement", "Family and relationships", &["Interests", "Family and relationships", "Retirement"], 95_000_000, false),
    interest("6003500000402", "Parenting", "Family and relationships", &["Interests", "Family and relationships", "Parenting"], 240_000_000, false),
    interest("6003500000403", "Motherhood", "Family and relationships", &["Interests", "Family and relationships", "Motherhood"], 190_000_000, false),
    interest("6003500000404", "Luxury goods", "Shopping and fashion", &["Interests", "Shopping and fashion", "Luxury goods"], 160_000_000, false),
    interest("6003500000405", "College students", "Education", &["Interests", "Education", "College students"], 120_000_000, false),
    behavior("6002700000501", "Technology early adopters", &["Behaviors", "Digital activities", "Technology early adopters"], 48_000_000, true),
    behavior("6002700000502", "Small business owners", &["Behaviors", "Digital activities", "Small business owners"], 81_000_000, true),
    behavior("6002700000503", "Frequent international travelers", &["Behaviors", "Travel", "Frequent international travelers"], 260_000_000, false),
    behavior("6002700000504", "Engaged shoppers", &["Behaviors", "Purchase behavior", "Engaged shoppers"], 840_000_000, false),
];

pub fn option(id: &str) -> Option<&'static TargetingOption> {
    OPTIONS.iter().find(|o| o.id == id)
}

/// Meta's lower bound is a little under the size it reports as the upper bound.
fn bounds(size: u64) -> (u64, u64) {
    (size * 94 / 100, size)
}

/// An interest as `GET /search?type=adinterest` lists it.
pub fn interest_json(o: &TargetingOption) -> Value {
    let (lo, hi) = bounds(o.size);
    json!({ "id": o.id, "name": o.name, "audience_size_lower_bound": lo, "audience_size_upper_bound": hi, "path": o.path, "topic": o.topic })
}

/// An option as `GET /act_{id}/targetingbrowse` lists it.
pub fn browse_json(o: &TargetingOption) -> Value {
    let (lo, hi) = bounds(o.size);
    json!({ "id": o.id, "name": o.name, "type": o.kind, "path": o.path, "description": format!("People interested in or who like {}.", o.name), "audience_size_lower_bound": lo, "audience_size_upper_bound": hi })
}

/// Interests whose name (or a step of whose path) contains `q`, largest first.
pub fn search_interests(q: &str) -> Vec<&'static TargetingOption> {
    let q = q.to_lowercase();
    let mut hits: Vec<&TargetingOption> = OPTIONS
        .iter()
        .filter(|o| o.kind == "interests" && (o.name.to_lowercase().contains(&q) || o.path.iter().any(|p| p.to_lowercase().contains(&q))))
        .collect();
    hits.sort_by(|a, b| b.size.cmp(&a.size).then(a.id.cmp(b.id)));
    hits
}

/// Interests related to the named ones (same topic), the named ones left out, largest first.
pub fn suggestions(names: &[String]) -> Vec<&'static TargetingOption> {
    let wanted: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    let topics: Vec<&str> = OPTIONS.iter().filter(|o| wanted.contains(&o.name.to_lowercase())).map(|o| o.topic).collect();
    let mut hits: Vec<&TargetingOption> =
        OPTIONS.iter().filter(|o| o.kind == "interests" && topics.contains(&o.topic) && !wanted.contains(&o.name.to_lowercase())).collect();
    hits.sort_by(|a, b| b.size.cmp(&a.size).then(a.id.cmp(b.id)));
    hits
}

/// A place targeting can name, with the monthly people on Meta who live there.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub key: &'static str,
    pub name: &'static str,
    /// country, region, city or zip.
    pub kind: &'static str,
    pub country_code: &'static str,
    pub region_id: Option<&'static str>,
    pub population: u64,
}

const fn place(
    key: &'static str,
    name: &'static str,
    kind: &'static str,
    country_code: &'static str,
    region_id: Option<&'static str>,
    population: u64,
) -> Place {
    Place { key, name, kind, country_code, region_id, population }
}

pub const PLACES: &[Place] = &[
    place("US", "United States", "country", "US", None, 240_000_000),
    place("CA", "Canada", "country", "CA", None, 31_000_000),
    place("GB", "United Kingdom", "country", "GB", None, 52_000_000),
    place("IE", "Ireland", "country", "IE", None, 3_600_000),
    place("AU", "Australia", "country", "AU", None, 20_000_000),
    place("NZ", "New Zealand", "country", "NZ", None, 3_800_000),
    place("IN", "India", "country", "IN", None, 390_000_000),
    place("DE", "Germany", "country", "DE", None, 48_000_000),
    place("FR", "France", "country", "FR", None, 45_000_000),
    place("ES", "Spain", "country", "ES", None, 30_000_000),
    place("MX", "Mexico", "country", "MX", None, 95_000_000),
    place("BR", "Brazil", "country", "BR", None, 135_000_000),
    place("PH", "Philippines", "country", "PH", None, 85_000_000),
    place("3847", "California", "region", "US", None, 30_000_000),
    place("3886", "Texas", "region", "US", None, 22_000_000),
    place("3875", "New York", "region", "US", None, 15_000_000),
    place("3852", "Florida", "region", "US", None, 17_000_000),
    place("3856", "Illinois", "region", "US", None, 9_500_000),
    place("535", "Ontario", "region", "CA", None, 11_000_000),
    place("2421836", "San Francisco", "city", "US", Some("3847"), 1_100_000),
    place("2420379", "Los Angeles", "city", "US", Some("3847"), 4_500_000),
    place("2421175", "San Diego", "city", "US", Some("3847"), 1_600_000),
    place("2430536", "Houston", "city", "US", Some("3886"), 2_700_000),
    place("2430429", "Dallas", "city", "US", Some("3886"), 1_600_000),
    place("2430191", "Austin", "city", "US", Some("3886"), 1_300_000),
    place("2490299", "New York", "city", "US", Some("3875"), 9_000_000),
    place("2438965", "Chicago", "city", "US", Some("3856"), 3_000_000),
    place("2421513", "Miami", "city", "US", Some("3852"), 1_000_000),
    place("296875", "Toronto", "city", "CA", Some("535"), 3_200_000),
    place("US:94107", "94107", "zip", "US", Some("3847"), 30_000),
    place("US:10001", "10001", "zip", "US", Some("3875"), 21_000),
    place("US:73301", "73301", "zip", "US", Some("3886"), 6_000),
    place("US:60601", "60601", "zip", "US", Some("3856"), 15_000),
];

pub fn place_by_key(key: &str) -> Option<&'static Place> {
    PLACES.iter().find(|p| p.key == key)
}

fn country_name(code: &str) -> &'static str {
    PLACES.iter().find(|p| p.kind == "country" && p.key == code).map(|p| p.name).unwrap_or("")
}

/// A place as `GET /search?type=adgeolocation` lists it.
pub fn place_json(p: &Place) -> Value {
    let mut v = json!({ "key": p.key, "name": p.name, "type": p.kind, "country_code": p.country_code, "country_name": country_name(p.country_code), "supports_region": true, "supports_city": true });
    if let Some(r) = p.region_id.and_then(place_by_key) {
        v["region"] = json!(r.name);
        v["region_id"] = json!(r.key.parse::<u64>().unwrap_or_default());
    }
    if p.kind == "region" {
        v["region_id"] = json!(p.key.parse::<u64>().unwrap_or_default());
    }
    if p.kind == "zip" {
        let city = PLACES.iter().find(|c| c.kind == "city" && c.region_id == p.region_id).map(|c| c.name).unwrap_or("");
        v["primary_city"] = json!(city);
    }
    v
}

/// Places whose name starts with (or contains) `q`, of the given types, biggest first.
pub fn search_places(q: &str, types: &[String]) -> Vec<&'static Place> {
    let q = q.to_lowercase();
    let mut hits: Vec<&Place> = PLACES
        .iter()
        .filter(|p| types.is_empty() || types.iter().any(|t| t == p.kind))
        .filter(|p| p.name.to_lowercase().contains(&q) || p.key.to_lowercase() == q)
        .collect();
    hits.sort_by(|a, b| b.population.cmp(&a.population).then(a.key.cmp(b.key)));
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_keys_are_unique_and_searches_find_them() {
        let mut ids: Vec<&str> = OPTIONS.iter().map(|o| o.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), OPTIONS.len());
        let mut keys: Vec<&str> = PLACES.iter().map(|p| p.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), PLACES.len());
        assert_eq!(search_interests("nurs")[0].name, "Nursing");
        assert!(suggestions(&["Nursing".into()]).iter().all(|o| o.topic == HEALTH && o.name != "Nursing"));
        assert_eq!(search_places("austin", &["city".into()])[0].key, "2430191");
    }
}
