//! Typed values checked everywhere: bounded numbers, texts and lists, Meta ids and vocabularies,
//! targeting specs, money in minor units. Each has one parser, one message and one JSON Schema,
//! so a range lives on the type and every client (HTTP, OpenAPI, MCP) sees it as
//! `minimum`/`maximum`/`maxItems`/`pattern`/`enum`.

mod ids;
mod list;
mod meta_enums;
mod numbers;
mod pii;
mod targeting;
mod text;

pub use ids::{AccountMap, AdAccountId, MetaId};
pub use list::List;
pub use meta_enums::*;
pub use numbers::Bounded;
pub use pii::PiiKey;
pub use targeting::{AudienceRef, CustomLocation, Detail, DetailGroup, GeoKey, GeoLocations, Refusal, Targeting, MIN_RESTRICTED_RADIUS_MILES};
pub use text::{Day, ImageBase64, Link, Month, Text, TextList, Timestamp, MAX_IMAGE_BASE64};

/// The largest amount of money any input may name, in minor units: 10^11, a thousand times
/// Meta's own cap on a daily or lifetime budget (1 million USD, 10^8 cents) and above it in
/// any currency Meta bills in. Bounding every amount keeps all arithmetic on money exact.
pub const MAX_BUDGET_MINOR: i64 = 100_000_000_000;

/// A budget: at least one minor unit.
pub type BudgetMinor = Bounded<1, MAX_BUDGET_MINOR>;
/// An amount that may be zero (thresholds, caps).
pub type AmountMinor = Bounded<0, MAX_BUDGET_MINOR>;
