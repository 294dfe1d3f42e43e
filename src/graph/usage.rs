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
    /// The same per business use case (`ads_management`, `ads_insights`, ...): the highest figure.
    pub use_cases: Vec<(String, f64)>,
    /// `x-fb-ads-insights-throttle` on insights answers: the app's and the account's share.
    pub insights_app_pct: Option<f64>,
    pub insights_account_pct: Option<f64>,
}

/// The business use case a Graph call counts against, from its path (`act_1/insights`,
/// `{audience}/users`, ...) and, for a node read, its fields: a report run is polled for its
/// `async_status` and counts as insights.
pub fn use_case_of(path: &str, params: &[(String, String)]) -> &'static str {
    let path = path.split('?').next().unwrap_or_default();
    let segs: Vec<&str> = path.split('/').filter(|s| !(s.is_empty() || s.starts_with('v') && s[1..].starts_with(|c: char| c.is_ascii_digit()))).collect();
    match segs.get(1).copied() {
        Some("insights") => ADS_INSIGHTS,
        Some("customaudiences" | "users" | "usersreplace" | "saved_audiences") => "custom_audience",
        Some("leads" | "leadgen_forms") => "leadgen",
        None if params.iter().any(|(k, v)| k == "fields" && v.contains("async_status")) => ADS_INSIGHTS,
        _ => ADS_MANAGEMENT,
    }
}

pub const ADS_MANAGEMENT: &str = "ads_management";
pub const ADS_INSIGHTS: &str = "ads_insights";

/// The budget a throttling error names, by Meta's code: each business use case has its own,
/// and the app's and user's limits (4, 17, 32, 613) hold every call.
pub fn throttled_budget(code: i64) -> &'static str {
    match code {
        80000 => ADS_INSIGHTS,
        80003 => "custom_audience",
        80004 => ADS_MANAGEMENT,
        80005 => "leadgen",
        80001 => "pages",
        80002 => "instagram",
        _ => crate::account_gate::ALL_CALLS,
    }
}

impl QuotaSnapshot {
    /// What this answer says of each budget: the app's usage holds all calls; the account's
    /// (a figure of the older, pooled limit) and each use case's hold their own.
    pub fn by_budget(&self) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = Vec::new();
        let mut put = |k: &str, v: f64| match out.iter_mut().find(|(b, _)| b == k) {
            Some(e) => e.1 = e.1.max(v),
            None => out.push((k.to_string(), v)),
        };
        if let Some(app) = [self.app_call_pct, self.app_cputime_pct, self.app_time_pct].into_iter().flatten().reduce(f64::max) {
            put(crate::account_gate::ALL_CALLS, app);
        }
        if let Some(a) = self.account_util_pct {
            put(ADS_MANAGEMENT, a);
        }
        for (k, v) in &self.use_cases {
            put(k, *v);
        }
        if let Some(i) = self.insights_account_pct {
            put(ADS_INSIGHTS, i);
        }
        out
    }

    /// The highest usage any header reports, in percent.
    pub fn max_pct(&self) -> f64 {
        [self.app_call_pct, self.app_cputime_pct, self.app_time_pct, self.account_util_pct, self.buc_max_pct, self.insights_app_pct, self.insights_account_pct]
            .into_iter()
            .flatten()
            .fold(0.0, f64::max)
    }

    pub fn is_empty(&self) -> bool {
        *self == QuotaSnapshot::default()
    }
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// Builds the snapshot from header values (unparseable headers are ignored, not fatal).
/// (`insights`: an insights answer's `x-fb-ads-insights-throttle`.)
pub fn parse(app: Option<&str>, account: Option<&str>, buc: Option<&str>, insights: Option<&str>) -> QuotaSnapshot {
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
                if let Some(kind) = e["type"].as_str().filter(|k| k.len() <= 40) {
                    match q.use_cases.iter_mut().find(|(k, _)| k == kind) {
                        Some(u) => u.1 = u.1.max(pct),
                        None => q.use_cases.push((kind.to_string(), pct)),
                    }
                }
                if let Some(m) = e["estimated_time_to_regain_access"].as_i64() {
                    q.buc_regain_minutes = Some(q.buc_regain_minutes.unwrap_or(0).max(m));
                }
                if q.access_tier.is_none() {
                    q.access_tier = e["ads_api_access_tier"].as_str().map(str::to_string);
                }
            }
        }
    }
    if let Some(v) = insights.and_then(|s| serde_json::from_str::<Value>(s).ok()) {
        q.insights_app_pct = num(&v["app_id_util_pct"]);
        q.insights_account_pct = num(&v["acc_id_util_pct"]);
        if q.access_tier.is_none() {
            q.access_tier = v["ads_api_access_tier"].as_str().map(str::to_string);
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
            None,
        );
        assert_eq!(q.app_call_pct, Some(28.0));
        assert_eq!(q.account_util_pct, Some(9.67));
        assert_eq!(q.account_reset_secs, Some(100));
        assert_eq!(q.buc_max_pct, Some(95.0));
        assert_eq!(q.buc_regain_minutes, Some(4));
        assert_eq!(q.max_pct(), 95.0);
        assert!(parse(Some("not json"), None, None, None).is_empty());
    }

    #[test]
    fn each_use_case_keeps_its_own_figure() {
        let q = parse(
            Some(r#"{"call_count":3,"total_cputime":1,"total_time":1}"#),
            Some(r#"{"acc_id_util_pct":10,"reset_time_duration":0,"ads_api_access_tier":"standard_access"}"#),
            Some(
                r#"{"9":[{"type":"ads_management","call_count":10,"total_cputime":5,"total_time":5},{"type":"ads_insights","call_count":96,"total_cputime":48,"total_time":48}]}"#,
            ),
            Some(r#"{"app_id_util_pct":3,"acc_id_util_pct":97,"ads_api_access_tier":"standard_access"}"#),
        );
        assert_eq!(q.by_budget(), vec![("all".to_string(), 3.0), ("ads_management".into(), 10.0), ("ads_insights".into(), 97.0)]);
        assert_eq!(use_case_of("act_1/insights", &[]), "ads_insights");
        assert_eq!(use_case_of("v26.0/123/users", &[]), "custom_audience");
        assert_eq!(use_case_of("123", &[("fields".into(), "async_status,async_percent_completion".into())]), "ads_insights");
        assert_eq!(use_case_of("act_1/campaigns", &[]), "ads_management");
        assert_eq!((throttled_budget(80000), throttled_budget(80004), throttled_budget(4)), ("ads_insights", "ads_management", "all"));
    }
}
