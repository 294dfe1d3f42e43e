//! Customer-list matching keys, normalised exactly as Meta specifies for custom audiences and
//! hashed with SHA-256 before they leave the gateway. Plaintext is never kept: callers get the
//! hashes only, and nothing here logs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A matching key of Meta's customer-list `schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[allow(clippy::upper_case_acronyms, non_camel_case_types)]
pub enum PiiKey {
    EMAIL,
    PHONE,
    FN,
    LN,
    ZIP,
    CT,
    ST,
    COUNTRY,
    DOBY,
    GEN,
    EXTERN_ID,
}

impl PiiKey {
    pub fn as_str(self) -> &'static str {
        match self {
            PiiKey::EMAIL => "EMAIL",
            PiiKey::PHONE => "PHONE",
            PiiKey::FN => "FN",
            PiiKey::LN => "LN",
            PiiKey::ZIP => "ZIP",
            PiiKey::CT => "CT",
            PiiKey::ST => "ST",
            PiiKey::COUNTRY => "COUNTRY",
            PiiKey::DOBY => "DOBY",
            PiiKey::GEN => "GEN",
            PiiKey::EXTERN_ID => "EXTERN_ID",
        }
    }

    /// Meta matches external ids as given; everything else is hashed.
    pub fn is_hashed(self) -> bool {
        self != PiiKey::EXTERN_ID
    }

    /// Meta's normalisation: what is hashed. Empty when nothing usable is left (Meta takes an
    /// empty value as "unknown").
    pub fn normalise(self, raw: &str) -> String {
        let t = raw.trim();
        let letters = |s: &str| s.chars().filter(|c| c.is_alphabetic()).flat_map(char::to_lowercase).collect::<String>();
        match self {
            PiiKey::EMAIL => {
                let e = t.to_lowercase();
                if e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.')) && !e.contains(char::is_whitespace) {
                    e
                } else {
                    String::new()
                }
            }
            // Digits only, with the country code, without leading zeros.
            PiiKey::PHONE => t.chars().filter(char::is_ascii_digit).collect::<String>().trim_start_matches('0').to_string(),
            PiiKey::FN | PiiKey::LN | PiiKey::CT => letters(t),
            // Lower case without spaces; a US ZIP+4 keeps the five digits before the dash.
            PiiKey::ZIP => {
                let z: String = t.to_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
                match z.split_once('-') {
                    Some((five, _)) if five.len() == 5 && five.chars().all(|c| c.is_ascii_digit()) => five.to_string(),
                    _ => z,
                }
            }
            PiiKey::ST | PiiKey::COUNTRY => {
                let l: String = t.chars().filter(char::is_ascii_alphabetic).collect::<String>().to_lowercase();
                if l.len() == 2 {
                    l
                } else {
                    String::new()
                }
            }
            PiiKey::DOBY => {
                if t.len() == 4 && t.chars().all(|c| c.is_ascii_digit()) {
                    t.to_string()
                } else {
                    String::new()
                }
            }
            PiiKey::GEN => match t.to_lowercase().as_str() {
                "m" | "male" => "m".into(),
                "f" | "female" => "f".into(),
                _ => String::new(),
            },
            PiiKey::EXTERN_ID => t.to_string(),
        }
    }

    /// What Meta receives for `raw`: the SHA-256 of the normalised value (hex), or the external id.
    pub fn prepare(self, raw: &str) -> String {
        let n = self.normalise(raw);
        if !self.is_hashed() || n.is_empty() {
            return n;
        }
        hex::encode(Sha256::digest(n.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn values_are_normalised_as_meta_specifies_then_hashed() {
        assert_eq!(PiiKey::EMAIL.normalise("  Jane.Doe@Example.COM "), "jane.doe@example.com");
        assert_eq!(PiiKey::EMAIL.normalise("not an email"), "");
        assert_eq!(PiiKey::PHONE.normalise("+1 (650) 555-1212"), "16505551212");
        assert_eq!(PiiKey::PHONE.normalise("0044 20 7946 0000"), "442079460000");
        assert_eq!(PiiKey::FN.normalise("Mary-Jane "), "maryjane");
        assert_eq!(PiiKey::LN.normalise("Ó'Brien"), "óbrien");
        assert_eq!(PiiKey::ZIP.normalise("94304-1234"), "94304");
        assert_eq!(PiiKey::ZIP.normalise("SW1A 1AA"), "sw1a1aa");
        assert_eq!(PiiKey::CT.normalise("San Francisco"), "sanfrancisco");
        assert_eq!((PiiKey::ST.normalise("CA"), PiiKey::COUNTRY.normalise("US")), ("ca".into(), "us".into()));
        assert_eq!((PiiKey::GEN.normalise("Female"), PiiKey::DOBY.normalise("1990")), ("f".into(), "1990".into()));
        // Meta's own example: the SHA-256 of the normalised address.
        assert_eq!(PiiKey::EMAIL.prepare(" Test@Example.com"), hex::encode(Sha256::digest(b"test@example.com")));
        assert_eq!(PiiKey::EMAIL.prepare("x").len(), 0);
        assert_eq!(PiiKey::EXTERN_ID.prepare(" crm-42 "), "crm-42");
        assert_eq!(PiiKey::PHONE.prepare("+1 650 555 1212").len(), 64);
    }
}
