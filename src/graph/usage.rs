//! The three usage headers Meta sends, folded into one quota snapshot per call.

use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct QuotaSnapshot {
    /// X-App-Usage: percentages of the app's hourly budget.
    pub app_call_pct: Option<f64>,
    pub app_cputime_pct: Option<f64>,
    pub app_time_pct: Option<f64>,
    /// X-Ad-Account-Usage.
    pub account_util_pct: Option<f64>,
    pub account_reset_secs: Option<i64>,
    pub access_tier: Option<String>,
    /// X-Business-Use-Case-Usage: the highest of call count, CPU and time over all entries.
    pub buc_max_pct: Option<f64>,
    pub buc_regain_minutes: Option<i64>,
}

impl QuotaSnapshot {
    /// The highest usage any header reports, in percent.
    pub fn max_pct(&self) -> f64 {
        [self.app_call_pct, self.app_cputime_pct, self.app_time_pct, self.account_util_pct, self.buc_max_pct].into_iter().flatten().fold(0.0, f64::max)
    }

    pub fn is_empty(&self) -> bool {
        *self == QuotaSnapshot::default()
    }
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// Builds the snapshot from header values (unparseable headers are ignored, not fatal).
pub fn parse(app: Option<&str>, account: Option<&str>, buc: Option<&str>) -> QuotaSnapshot {
    let mut q = QuotaSnapshot::default();
    if let Some(v) = app.and_then(|s| serde_json::from_str::<Value>(s).ok()) {
        q.app_call_pct = num(&v["call_count"]);
        q.app_cputime_pct = num(&v["total_cputime"]);
        q.app_time_pct = num(&v["total_time"]);
    }
    if let Some(v) = account.and_then(|s| serde_json::from_str::<Value>(s).ok()) {
        q.account_util_pct = num(&v["acc_id_util_pct"]);
        q.account_reset_secs = v["reset_time_duration"].as_i64();
        q.access_tier = v["ads_api_access_tier"].as_str().map(str::to_string);
    }
    if let Some(Value::Object(map)) = buc.and_then(|s| serde_json::from_str::<Value>(s).ok()) {
        for entries in map.values() {
            for e in entries.as_array().into_iter().flatten() {
                let pct = ["call_count", "total_cputime", "total_time"].iter().filter_map(|k| num(&e[*k])).fold(0.0, f64::max);
                q.buc_max_pct = Some(q.buc_max_pct.unwrap_or(0.0).max(pct));
                if let Some(m) = e["estimated_time_to_regain_access"].as_i64() {
                    q.buc_regain_minutes = Some(q.buc_regain_minutes.unwrap_or(0).max(m));
                }
                if q.access_tier.is_none() {
                    q.access_tier = e["ads_api_access_tier"].as_str().map(str::to_string);
                }
            }
        }
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn folds_meta_headers() {
        let q = parse(
            Some(r#"{"call_count":28,"total_cputime":25,"total_time":25}"#),
            Some(r#"{"acc_id_util_pct":9.67,"reset_time_duration":100,"ads_api_access_tier":"standard_access"}"#),
            Some(r#"{"123":[{"type":"ads_management","call_count":95,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":4}]}"#),
        );
        assert_eq!(q.app_call_pct, Some(28.0));
        assert_eq!(q.account_util_pct, Some(9.67));
        assert_eq!(q.account_reset_secs, Some(100));
        assert_eq!(q.buc_max_pct, Some(95.0));
        assert_eq!(q.buc_regain_minutes, Some(4));
        assert_eq!(q.max_pct(), 95.0);
        assert!(parse(Some("not json"), None, None).is_empty());
    }
}
