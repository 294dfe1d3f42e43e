//! Cursor pagination in Graph's shape: `data`, `paging.cursors.{before,after}`, `paging.next`.

use base64::Engine;
use serde_json::{json, Value};

const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 5_000;

fn encode(i: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("c:{i}"))
}

fn decode(c: &str) -> Option<usize> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c).ok()?;
    String::from_utf8(raw).ok()?.strip_prefix("c:")?.parse().ok()
}

pub struct Page {
    pub start: usize,
    pub end: usize,
}

/// Picks the window of `total` items the request asks for.
pub fn window(total: usize, limit: Option<i64>, after: Option<&str>, before: Option<&str>) -> Result<(Page, usize), String> {
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(n) if n > 0 => (n as usize).min(MAX_LIMIT),
        Some(_) => return Err("(#100) Param limit must be a positive integer".into()),
    };
    let (start, end) = if let Some(a) = after {
        let i = decode(a).ok_or("(#100) Invalid cursor: after")?;
        let s = (i + 1).min(total);
        (s, (s + limit).min(total))
    } else if let Some(b) = before {
        let i = decode(b).ok_or("(#100) Invalid cursor: before")?;
        let e = i.min(total);
        (e.saturating_sub(limit), e)
    } else {
        (0, limit.min(total))
    };
    Ok((Page { start, end }, limit))
}

/// Wraps one page of data. `next_url` is the request URL without paging parameters.
pub fn envelope(data: Vec<Value>, page: &Page, total: usize, limit: usize, next_url: &str) -> Value {
    let mut paging = json!({});
    if page.end > page.start {
        paging["cursors"] = json!({ "before": encode(page.start), "after": encode(page.end - 1) });
        let sep = if next_url.contains('?') { '&' } else { '?' };
        if page.end < total {
            paging["next"] = json!(format!("{next_url}{sep}limit={limit}&after={}", encode(page.end - 1)));
        }
        if page.start > 0 {
            paging["previous"] = json!(format!("{next_url}{sep}limit={limit}&before={}", encode(page.start)));
        }
    }
    if paging.as_object().is_some_and(|o| o.is_empty()) {
        json!({ "data": data })
    } else {
        json!({ "data": data, "paging": paging })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_forward_and_back() {
        let (p, l) = window(60, Some(25), None, None).unwrap();
        assert_eq!((p.start, p.end, l), (0, 25, 25));
        let env = envelope(vec![], &p, 60, l, "http://x/v1/a?fields=id");
        let after = env["paging"]["cursors"]["after"].as_str().unwrap().to_string();
        let (p2, _) = window(60, Some(25), Some(&after), None).unwrap();
        assert_eq!((p2.start, p2.end), (25, 50));
        let (p3, _) = window(60, Some(25), Some(&encode(49)), None).unwrap();
        assert_eq!((p3.start, p3.end), (50, 60));
        let env3 = envelope(vec![], &p3, 60, 25, "http://x");
        assert!(env3["paging"].get("next").is_none());
        let (p4, _) = window(60, Some(25), None, Some(&encode(25))).unwrap();
        assert_eq!((p4.start, p4.end), (0, 25));
    }
}
