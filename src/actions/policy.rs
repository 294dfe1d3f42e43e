//! Workspace policies applied to campaign mutations: what sends an action to approval instead of
//! running it (policy flags) and what refuses it outright (guardrails and budget caps). Pure: the
//! runtime fetches the current state from Meta and the stored policies, then asks here.

use serde::Serialize;
use serde_json::Value;

/// Without a configured threshold, a budget increase of more than this needs an approval.
pub const DEFAULT_BUDGET_INCREASE_PCT: i64 = 20;
pub use crate::domain::MAX_BUDGET_MINOR;
/// The largest increase threshold in percent (a hundredfold).
pub const MAX_INCREASE_PCT: i64 = 10_000;

/// Why an action waits for an approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum Flag {
    /// Nothing has been launched through adgate on this ad account yet.
    FirstLaunch {
        ad_account_id: String,
    },
    BudgetIncrease {
        from_minor: i64,
        to_minor: i64,
        threshold: String,
    },
    BidIncrease {
        from_minor: i64,
        to_minor: i64,
        threshold: String,
    },
    Deletion {
        object_id: String,
    },
    CrossAccountDuplication {
        from_account: String,
        to_account: String,
    },
}

impl Flag {
    pub fn reason(&self) -> String {
        match self {
            Flag::FirstLaunch { ad_account_id } => {
                format!("first launch on ad account act_{ad_account_id}")
            }
            Flag::BudgetIncrease { from_minor, to_minor, threshold } => {
                format!("budget increase from {from_minor} to {to_minor} (minor units) is above the approval threshold ({threshold})")
            }
            Flag::BidIncrease { from_minor, to_minor, threshold } => {
                format!("bid increase from {from_minor} to {to_minor} (minor units) is above the approval threshold ({threshold})")
            }
            Flag::Deletion { object_id } => format!("deleting {object_id} cannot be undone"),
            Flag::CrossAccountDuplication { from_account, to_account } => {
                format!("duplicating from act_{from_account} into another ad account, act_{to_account}")
            }
        }
    }
}

/// The `approval_thresholds` policy, as far as budgets go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetThresholds {
    pub increase_pct: Option<i64>,
    pub increase_minor: Option<i64>,
}

impl BudgetThresholds {
    /// From the stored policy value; with neither threshold set, the default percentage applies.
    /// A stored value out of range (written before the bounds existed) counts as unset.
    pub fn from_policy(value: Option<&Value>) -> Self {
        let bound = |k: &str| {
            if k == "budget_increase_pct" {
                MAX_INCREASE_PCT
            } else {
                MAX_BUDGET_MINOR
            }
        };
        let get = |k: &str| value.and_then(|v| v.get(k)).and_then(Value::as_i64).filter(|n| (0..=bound(k)).contains(n));
        let (pct, minor) = (get("budget_increase_pct"), get("budget_increase_minor"));
        if pct.is_none() && minor.is_none() {
            BudgetThresholds { increase_pct: Some(DEFAULT_BUDGET_INCREASE_PCT), increase_minor: None }
        } else {
            BudgetThresholds { increase_pct: pct, increase_minor: minor }
        }
    }

    /// Flags an increase above either threshold. Decreases and unchanged budgets never need one;
    /// a budget set where there was none counts as an increase from zero. The sums are taken in
    /// i128, where no pair of i64 amounts can overflow, so no increase, however large, slips by.
    pub fn flag(&self, from_minor: Option<i64>, to_minor: i64) -> Option<Flag> {
        let from = i128::from(from_minor.unwrap_or(0));
        let rise = i128::from(to_minor) - from;
        if rise <= 0 {
            return None;
        }
        let over_pct = self.increase_pct.filter(|pct| from <= 0 || rise * 100 > i128::from(*pct) * from);
        let over_minor = self.increase_minor.filter(|m| rise > i128::from(*m));
        let threshold = match (over_pct, over_minor) {
            (Some(p), _) => format!("{p}%"),
            (None, Some(m)) => format!("{m} minor units"),
            (None, None) => return None,
        };
        Some(Flag::BudgetIncrease { from_minor: from_minor.unwrap_or(0), to_minor, threshold })
    }
}

/// Why a change is refused outright.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub reason: String,
}

fn violation(field: &str, reason: String) -> Violation {
    Violation { field: field.to_string(), reason }
}

/// A daily budget must stay under the campaign guardrail and the account's daily cap.
pub fn check_daily_budget(guardrails: Option<&Value>, caps: Option<&Value>, account: &str, field: &str, daily_minor: i64) -> Result<(), Violation> {
    if let Some(max) = guardrails.and_then(|g| g.get("max_daily_budget_minor")).and_then(Value::as_i64) {
        if daily_minor > max {
            return Err(violation(field, format!("{daily_minor} is above the campaign guardrail of {max} (max_daily_budget_minor)")));
        }
    }
    if let Some(cap) = caps.and_then(|c| c.get("caps")).and_then(|c| c.get(account)).and_then(Value::as_i64) {
        if daily_minor > cap {
            return Err(violation(field, format!("{daily_minor} is above act_{account}'s daily cap of {cap}")));
        }
    }
    Ok(())
}

/// What a launch must satisfy: the naming taxonomy and the required special ad categories.
pub fn check_launch(guardrails: Option<&Value>, campaign_name: &str, categories: &[String]) -> Result<(), Violation> {
    let Some(g) = guardrails else { return Ok(()) };
    if let Some(pattern) = g.get("naming_pattern").and_then(Value::as_str) {
        if !name_matches(pattern, campaign_name) {
            return Err(violation(
                "name",
                format!("campaign name {:?} does not follow the naming pattern {:?}", crate::problem::excerpt(campaign_name), crate::problem::excerpt(pattern)),
            ));
        }
    }
    let required = g.get("required_special_ad_categories").and_then(Value::as_array).cloned().unwrap_or_default();
    let missing: Vec<&str> = required.iter().filter_map(Value::as_str).filter(|r| !categories.iter().any(|c| c == r)).collect();
    if !missing.is_empty() {
        return Err(violation("special_ad_categories", format!("the campaign must declare {}", missing.join(", "))));
    }
    Ok(())
}

enum Piece<'a> {
    Literal(&'a str),
    /// `{yyyymm}`: six digits, a real month.
    YearMonth,
    /// `{role}`, `{geo}` or any other name: one or more letters, digits, `_` or `-`.
    Word,
}

fn pieces(pattern: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while !rest.is_empty() {
        match (rest.find('{'), rest.find('}')) {
            (Some(0), Some(close)) => {
                out.push(if &rest[1..close] == "yyyymm" { Piece::YearMonth } else { Piece::Word });
                rest = &rest[close + 1..];
            }
            (Some(open), _) if open > 0 => {
                out.push(Piece::Literal(&rest[..open]));
                rest = &rest[open..];
            }
            _ => {
                out.push(Piece::Literal(rest));
                rest = "";
            }
        }
    }
    out
}

fn matches_from(pieces: &[Piece<'_>], name: &str) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        return name.is_empty();
    };
    match first {
        Piece::Literal(l) => name.strip_prefix(l).is_some_and(|tail| matches_from(rest, tail)),
        Piece::YearMonth => {
            let ok = name.len() >= 6 && name.as_bytes()[..6].iter().all(u8::is_ascii_digit) && matches!(name[4..6].parse::<u8>(), Ok(1..=12));
            ok && matches_from(rest, &name[6..])
        }
        Piece::Word => {
            let run = name.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-').count();
            (1..=run).rev().any(|n| matches_from(rest, &name[n..]))
        }
    }
}

/// Whether a campaign name follows a pattern such as `{role}_{geo}_{yyyymm}`.
pub fn name_matches(pattern: &str, name: &str) -> bool {
    matches_from(&pieces(pattern), name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn budget_increase_above_either_threshold_is_flagged() {
        let default = BudgetThresholds::from_policy(None);
        assert_eq!(default.increase_pct, Some(DEFAULT_BUDGET_INCREASE_PCT));
        assert_eq!(default.flag(Some(5_000), 6_000), None, "exactly 20% is not above 20%");
        assert!(matches!(default.flag(Some(5_000), 6_001), Some(Flag::BudgetIncrease { from_minor: 5_000, to_minor: 6_001, .. })));
        assert_eq!(default.flag(Some(5_000), 1_000), None, "decreases never need approval");
        assert!(default.flag(None, 100).is_some(), "a new budget is an increase from zero");

        let minor_only = BudgetThresholds::from_policy(Some(&json!({ "budget_increase_minor": 2_000 })));
        assert_eq!(minor_only.increase_pct, None);
        assert_eq!(minor_only.flag(Some(10_000), 12_000), None);
        let f = minor_only.flag(Some(10_000), 12_001).unwrap();
        assert!(f.reason().contains("2000 minor units"), "{}", f.reason());

        let both = BudgetThresholds::from_policy(Some(&json!({ "budget_increase_pct": 50, "budget_increase_minor": 100_000 })));
        assert_eq!(both.flag(Some(1_000), 1_400), None);
        assert!(both.flag(Some(1_000), 1_600).unwrap().reason().contains("50%"));
    }

    #[test]
    fn no_increase_overflows_past_the_threshold() {
        let default = BudgetThresholds::from_policy(None);
        // 5000 to 10^17: `rise * 100` wraps in i64; it must still be flagged.
        assert!(default.flag(Some(5_000), 100_000_000_000_000_000).is_some());
        assert!(default.flag(Some(1), i64::MAX).is_some());
        assert!(default.flag(Some(i64::MAX), i64::MAX).is_none());
        assert!(default.flag(Some(i64::MIN), 0).is_some(), "a nonsense negative budget is no exemption");
        let top = BudgetThresholds::from_policy(Some(&json!({ "budget_increase_pct": MAX_INCREASE_PCT })));
        assert!(top.flag(Some(MAX_BUDGET_MINOR / 200), MAX_BUDGET_MINOR).is_some());
        assert!(top.flag(Some(MAX_BUDGET_MINOR / 2), MAX_BUDGET_MINOR).is_none());
        let minor = BudgetThresholds::from_policy(Some(&json!({ "budget_increase_minor": MAX_BUDGET_MINOR - 1 })));
        assert!(minor.flag(Some(0), MAX_BUDGET_MINOR).is_some(), "a budget where there was none");
        assert!(minor.flag(Some(1), MAX_BUDGET_MINOR).is_none());
        let stored_overflow = BudgetThresholds::from_policy(Some(&json!({ "budget_increase_pct": i64::MAX })));
        assert_eq!(stored_overflow.increase_pct, Some(DEFAULT_BUDGET_INCREASE_PCT), "an out-of-range stored value counts as unset");
    }

    #[test]
    fn daily_budget_is_held_to_guardrail_and_account_cap() {
        let g = json!({ "max_daily_budget_minor": 50_000 });
        let caps = json!({ "caps": { "100200300": 20_000 } });
        assert!(check_daily_budget(Some(&g), Some(&caps), "100200300", "daily_budget_minor", 20_000).is_ok());
        let v = check_daily_budget(Some(&g), Some(&caps), "100200300", "daily_budget_minor", 20_001).unwrap_err();
        assert_eq!(v.field, "daily_budget_minor");
        assert!(v.reason.contains("daily cap of 20000"), "{}", v.reason);
        assert!(check_daily_budget(Some(&g), Some(&caps), "999", "daily_budget_minor", 50_001).unwrap_err().reason.contains("guardrail"));
        assert!(check_daily_budget(None, None, "999", "x", i64::MAX).is_ok());
    }

    #[test]
    fn naming_pattern_placeholders() {
        let p = "{role}_{geo}_{yyyymm}";
        assert!(name_matches(p, "driver_TX_202611"));
        assert!(name_matches(p, "cdl-a_north-east_202612"));
        assert!(!name_matches(p, "driver_TX_202613"), "no 13th month");
        assert!(!name_matches(p, "driver TX 202611"));
        assert!(!name_matches(p, "driver_TX_202611_extra"));
        assert!(!name_matches(p, "_TX_202611"), "placeholders are not empty");
        assert!(name_matches("Hiring: {role}", "Hiring: dispatcher"));
        assert!(!name_matches("Hiring: {role}", "Firing: dispatcher"));
        assert!(name_matches("plain", "plain"));
    }

    #[test]
    fn launch_needs_taxonomy_and_categories() {
        let g = json!({ "naming_pattern": "{role}_{geo}_{yyyymm}", "required_special_ad_categories": ["EMPLOYMENT"] });
        assert!(check_launch(Some(&g), "driver_TX_202611", &["EMPLOYMENT".into()]).is_ok());
        assert_eq!(check_launch(Some(&g), "Campaign 1", &["EMPLOYMENT".into()]).unwrap_err().field, "name");
        let v = check_launch(Some(&g), "driver_TX_202611", &[]).unwrap_err();
        assert_eq!((v.field.as_str(), v.reason.contains("EMPLOYMENT")), ("special_ad_categories", true));
        assert!(check_launch(None, "anything", &[]).is_ok());
    }

    #[test]
    fn flags_serialise_with_their_kind() {
        let f = Flag::CrossAccountDuplication { from_account: "1".into(), to_account: "2".into() };
        assert_eq!(serde_json::to_value(&f).unwrap()["flag"], "cross_account_duplication");
        assert!(f.reason().contains("act_2"));
        assert_eq!(serde_json::to_value(Flag::Deletion { object_id: "9".into() }).unwrap()["flag"], "deletion");
    }
}
