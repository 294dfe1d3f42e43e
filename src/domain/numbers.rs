//! Integers with their range on the type.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{Error, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Cow;
use std::fmt;

/// An integer from `MIN` to `MAX`, inclusive. Every count, duration and amount in an input is
/// one, so nothing computed from input can overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Bounded<const MIN: i64, const MAX: i64>(i64);

impl<const MIN: i64, const MAX: i64> Bounded<MIN, MAX> {
    pub fn new(n: i64) -> Option<Self> {
        (MIN..=MAX).contains(&n).then_some(Bounded(n))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

struct BoundedVisitor<const MIN: i64, const MAX: i64>;

impl<const MIN: i64, const MAX: i64> Visitor<'_> for BoundedVisitor<MIN, MAX> {
    type Value = Bounded<MIN, MAX>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an integer from {MIN} to {MAX}")
    }

    fn visit_i64<E: Error>(self, n: i64) -> Result<Self::Value, E> {
        Bounded::new(n).ok_or_else(|| E::invalid_value(Unexpected::Signed(n), &self))
    }

    fn visit_u64<E: Error>(self, n: u64) -> Result<Self::Value, E> {
        i64::try_from(n).ok().and_then(Bounded::new).ok_or_else(|| E::invalid_value(Unexpected::Unsigned(n), &self))
    }
}

impl<'de, const MIN: i64, const MAX: i64> Deserialize<'de> for Bounded<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_i64(BoundedVisitor::<MIN, MAX>)
    }
}

impl<const MIN: i64, const MAX: i64> JsonSchema for Bounded<MIN, MAX> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("Integer_{MIN}_{MAX}").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": MIN, "maximum": MAX })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    type Limit = Bounded<1, 500>;

    #[test]
    fn refuses_out_of_range_fractions_and_text() {
        assert_eq!(serde_json::from_value::<Limit>(json!(500)).unwrap().get(), 500);
        for bad in [json!(0), json!(501), json!(i64::MAX), json!(u64::MAX), json!(1.5), json!("5"), json!(null)] {
            let e = serde_json::from_value::<Limit>(bad.clone()).unwrap_err().to_string();
            assert!(e.contains("expected an integer from 1 to 500"), "{bad}: {e}");
        }
        let s = schemars::schema_for!(Limit);
        assert_eq!((s.get("minimum"), s.get("maximum")), (Some(&json!(1)), Some(&json!(500))));
    }
}
