//! Build facts and configuration values that do not depend on the runtime.

/// The gateway's own version, from Cargo.toml.
pub const BUILD_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Graph API version used when `META_API_VERSION` is not configured.
pub const DEFAULT_META_API_VERSION: &str = "v26.0";

/// Checks a Graph API version string such as `v26.0`; Meta's paths take exactly this shape.
pub fn parse_meta_api_version(raw: &str) -> Result<&str, String> {
    let digits = raw.strip_prefix('v').ok_or_else(|| format!("META_API_VERSION must look like v26.0, got {raw:?}"))?;
    let (major, minor) = digits.split_once('.').ok_or_else(|| format!("META_API_VERSION must look like v26.0, got {raw:?}"))?;
    let numeric = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    if numeric(major) && numeric(minor) {
        Ok(raw)
    } else {
        Err(format!("META_API_VERSION must look like v26.0, got {raw:?}"))
    }
}

/// Reads a positive integer setting, falling back to `default` when it is absent.
pub fn parse_positive(name: &str, raw: Option<&str>, default: u32) -> Result<u32, String> {
    match raw {
        None => Ok(default),
        Some(text) => match text.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("{name} must be a positive integer, got {text:?}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn accepts_graph_versions_and_rejects_others() {
        assert_eq!(parse_meta_api_version("v26.0"), Ok("v26.0"));
        assert!(parse_meta_api_version("24.0").is_err());
        assert!(parse_meta_api_version("v26").is_err());
        assert!(parse_meta_api_version("vX.0").is_err());
        assert!(parse_meta_api_version("v26.0/").is_err());
    }

    #[test]
    fn positive_settings_default_and_reject_zero() {
        assert_eq!(parse_positive("N", None, 7), Ok(7));
        assert_eq!(parse_positive("N", Some(" 12 "), 7), Ok(12));
        assert!(parse_positive("N", Some("0"), 7).unwrap_err().contains("N must be"));
        assert!(parse_positive("N", Some("-3"), 7).is_err());
    }
}
