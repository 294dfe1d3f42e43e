//! Meta's ids: ad accounts (`act_` and digits) and other objects (digits).

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{Error, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

const ACCOUNT_PATTERN: &str = "^(act_)?[0-9]{1,20}$";

/// A Meta ad account id, held as its digits; `act_123` and `123` are the same account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct AdAccountId(String);

impl AdAccountId {
    pub fn parse(raw: &str) -> Option<AdAccountId> {
        crate::records::normalise_account_id(raw).map(AdAccountId)
    }

    /// The digits, as D1 keys accounts.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// The Graph node, `act_{digits}`.
    pub fn node(&self) -> String {
        format!("act_{}", self.0)
    }
}

pub const ACCOUNT_MESSAGE: &str = "must be a Meta ad account id such as act_1234567890";

impl<'de> Deserialize<'de> for AdAccountId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        AdAccountId::parse(&s).ok_or_else(|| D::Error::custom(ACCOUNT_MESSAGE))
    }
}

impl JsonSchema for AdAccountId {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "AdAccountId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "pattern": ACCOUNT_PATTERN })
    }
}

/// A Meta object id (campaign, ad set, ad, creative): digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct MetaId(String);

impl MetaId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for MetaId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(MetaId(s))
        } else {
            Err(D::Error::custom("must be a Meta object id (up to 32 digits)"))
        }
    }
}

impl JsonSchema for MetaId {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "MetaId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "pattern": "^[0-9]{1,32}$" })
    }
}

/// The most entries a per-account map holds.
pub const MAX_MAP_ENTRIES: usize = 500;

/// Ad account id to a value, at most `MAX_MAP_ENTRIES` of them; keys normalised to digits.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct AccountMap<V>(BTreeMap<String, V>);

impl<V> AccountMap<V> {
    pub fn entries(&self) -> &BTreeMap<String, V> {
        &self.0
    }
}

struct AccountMapVisitor<V>(std::marker::PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for AccountMapVisitor<V> {
    type Value = AccountMap<V>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object of at most {MAX_MAP_ENTRIES} ad account ids")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let id = AdAccountId::parse(&key).ok_or_else(|| A::Error::custom(format!("{} is not a Meta ad account id", crate::problem::excerpt(&key))))?;
            if out.len() == MAX_MAP_ENTRIES {
                return Err(A::Error::custom(format!("must hold at most {MAX_MAP_ENTRIES} ad accounts")));
            }
            out.insert(id.0, map.next_value()?);
        }
        Ok(AccountMap(out))
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for AccountMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(AccountMapVisitor(std::marker::PhantomData))
    }
}

impl<V: JsonSchema> JsonSchema for AccountMap<V> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("AccountMap_{}", V::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let value = generator.subschema_for::<V>();
        json_schema!({ "type": "object", "maxProperties": MAX_MAP_ENTRIES, "propertyNames": { "pattern": ACCOUNT_PATTERN }, "additionalProperties": value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Bounded;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn ids_normalise_and_refuse_what_meta_would_not_take() {
        let a: AdAccountId = serde_json::from_value(json!("act_42")).unwrap();
        assert_eq!((a.digits(), a.node()), ("42", "act_42".to_string()));
        assert!(serde_json::from_value::<AdAccountId>(json!("act_4x2")).is_err());
        assert!(serde_json::from_value::<MetaId>(json!("12a")).is_err());
        assert!(serde_json::from_value::<MetaId>(json!("1".repeat(33))).is_err());
        let m: AccountMap<Bounded<0, 10>> = serde_json::from_value(json!({"act_1": 5, "2": 10})).unwrap();
        assert_eq!(m.entries().keys().collect::<Vec<_>>(), ["1", "2"]);
        assert!(serde_json::from_value::<AccountMap<Bounded<0, 10>>>(json!({"act_1": 11})).is_err());
        let e = serde_json::from_value::<AccountMap<Bounded<0, 10>>>(json!({"x".repeat(1_000): 1})).unwrap_err().to_string();
        assert!(e.len() < 200, "{e}");
        let big: serde_json::Map<String, serde_json::Value> = (0..=MAX_MAP_ENTRIES).map(|i| (i.to_string(), json!(1))).collect();
        assert!(serde_json::from_value::<AccountMap<Bounded<0, 10>>>(json!(big)).is_err());
        let s = schemars::schema_for!(AccountMap<Bounded<0, 10>>);
        assert_eq!(s.get("additionalProperties").and_then(|v| v.get("maximum")), Some(&json!(10)));
    }
}
