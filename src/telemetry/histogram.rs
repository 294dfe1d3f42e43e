//! Fixed-bucket histograms: the bucket an observation falls in, and quantiles read back by
//! linear interpolation within a bucket (as Prometheus' `histogram_quantile` reads them).

/// The `le` label of the first bucket holding `value` (`+Inf` past the last bound).
pub fn bucket_label(bounds: &[f64], value: f64) -> String {
    bounds.iter().find(|b| value <= **b).map_or_else(|| "+Inf".to_string(), |b| format_bound(*b))
}

/// A bound as OpenMetrics writes it: integral bounds without a fraction.
pub fn format_bound(b: f64) -> String {
    if b.fract() == 0.0 && b.abs() < 1e15 {
        format!("{}", b as i64)
    } else {
        format!("{b}")
    }
}

/// The bound a `le` label names (`+Inf` as infinity).
pub fn parse_bound(le: &str) -> Option<f64> {
    if le == "+Inf" {
        Some(f64::INFINITY)
    } else {
        le.parse().ok()
    }
}

/// The `q` quantile (0..=1) of per-bucket counts (not cumulative) over `bounds` plus `+Inf`:
/// interpolated within the bucket it falls in; the last finite bound when it falls past them;
/// `None` when nothing was observed.
pub fn quantile(bounds: &[f64], counts: &[i64], q: f64) -> Option<f64> {
    let total: i64 = counts.iter().sum();
    if total <= 0 {
        return None;
    }
    let rank = q.clamp(0.0, 1.0) * total as f64;
    let mut below = 0i64;
    for (i, &n) in counts.iter().enumerate() {
        if n > 0 && (below + n) as f64 >= rank {
            let Some(&upper) = bounds.get(i) else { return bounds.last().copied() };
            let lower = if i == 0 { 0.0 } else { bounds[i - 1] };
            let within = ((rank - below as f64) / n as f64).clamp(0.0, 1.0);
            return Some(lower + (upper - lower) * within);
        }
        below += n;
    }
    bounds.last().copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const B: &[f64] = &[10.0, 100.0, 1000.0];

    #[test]
    fn observations_fall_in_the_first_bucket_that_holds_them() {
        assert_eq!(bucket_label(B, 0.0), "10");
        assert_eq!(bucket_label(B, 10.0), "10");
        assert_eq!(bucket_label(B, 10.5), "100");
        assert_eq!(bucket_label(B, 5_000.0), "+Inf");
        assert_eq!(bucket_label(&[0.5], 0.1), "0.5");
        assert_eq!(parse_bound("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_bound("2.5"), Some(2.5));
    }

    #[test]
    fn quantiles_interpolate_within_their_bucket() {
        // 100 observations: 50 under 10, 40 in (10, 100], 10 in (100, 1000].
        let counts = [50, 40, 10, 0];
        assert_eq!(quantile(B, &counts, 0.5), Some(10.0));
        assert_eq!(quantile(B, &counts, 0.7), Some(10.0 + 90.0 * 0.5));
        assert_eq!(quantile(B, &counts, 0.95), Some(100.0 + 900.0 * 0.5));
        assert_eq!(quantile(B, &counts, 0.99), Some(100.0 + 900.0 * 0.9));
        assert_eq!(quantile(B, &[0, 0, 0, 3], 0.5), Some(1000.0));
        assert_eq!(quantile(B, &[0, 0, 0, 0], 0.5), None);
    }
}
