//! Graph API versions as the Marketing API keeps them (its version history and Versioning pages):
//! each version's release and expiration; a call at an expired version is auto-upgraded to the
//! oldest live one with `X-Ad-Api-Version-Warning` when the endpoint did not change, and refused
//! with (#2635) when it did (the simulator counts every write as changed); a version too old for
//! auto-upgrade, or not yet released, is refused.
//!
//! Dates through v27.0 are Meta's. v27.0's changelog and v28.0 are not published in a form the
//! simulator can follow, so their differences are the simulator's model of the changes Meta makes
//! in a version, chosen to touch what adgate reads:
//! - v27.0: insights rows always carry `attribution_setting` (a default changed: rows say which
//!   setting computed them); the campaign field `budget_rebalance_flag` (deprecated since v7.0)
//!   is gone.
//! - v28.0 (the next release, served ahead of time): ad set `bid_amount` reads as a numeric string
//!   (a type changed); the creative field `url_tags` and the insights field `social_spend` are gone.

use crate::error::GraphError;
use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32);

/// (major, released, expires). The last is served ahead of its release.
const HISTORY: &[(u32, &str, Option<&str>)] = &[
    (22, "2025-01-21", Some("2026-02-19")),
    (23, "2025-05-29", Some("2026-06-09")),
    (24, "2025-10-08", Some("2026-11-10")),
    (25, "2026-02-18", Some("2027-02-23")),
    (26, "2026-07-29", None),
    (27, "2026-11-04", None),
    (28, "2027-03-01", None),
];

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date in the version table")
}

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        let (major, minor) = s.strip_prefix('v')?.split_once('.')?;
        (minor == "0").then_some(())?;
        major.parse().ok().map(Version)
    }

    pub fn name(self) -> String {
        format!("v{}.0", self.0)
    }

    /// Whether the version is past its expiration on `today`.
    fn expired(self, today: NaiveDate) -> bool {
        HISTORY.iter().any(|(m, _, exp)| *m == self.0 && exp.is_some_and(|e| date(e) <= today))
    }

    /// The oldest version still live on `today`.
    pub fn oldest_live(today: NaiveDate) -> Version {
        HISTORY.iter().map(|(m, _, _)| Version(*m)).find(|v| !v.expired(today)).unwrap_or(Version(26))
    }

    pub fn latest_released(today: NaiveDate) -> Version {
        HISTORY.iter().filter(|(_, r, _)| date(r) <= today).map(|(m, _, _)| Version(*m)).max().unwrap_or(Version(26))
    }
}

/// The version a call is served at, and the warning header to send with it.
pub struct Served {
    pub version: Version,
    pub warning: Option<String>,
}

fn deprecated(today: NaiveDate) -> GraphError {
    GraphError::new(
        400,
        "OAuthException",
        2635,
        format!(
            "(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: {}.",
            Version::latest_released(today).name()
        ),
    )
}

/// Serves, upgrades or refuses a call at `requested` on `today`.
pub fn serve(requested: &str, write: bool, today: NaiveDate) -> Result<Served, GraphError> {
    let v = Version::parse(requested).ok_or_else(|| GraphError::invalid_param(format!("(#100) Unknown API version {requested}")))?;
    let first = HISTORY[0].0;
    let last = HISTORY[HISTORY.len() - 1].0;
    if v.0 > last {
        return Err(GraphError::invalid_param(format!("(#100) Unknown API version {requested}")));
    }
    if v.0 < first {
        return Err(deprecated(today));
    }
    if !v.expired(today) {
        return Ok(Served { version: v, warning: None });
    }
    if write {
        return Err(deprecated(today));
    }
    let to = Version::oldest_live(today);
    Ok(Served { version: to, warning: Some(format!("The call has been auto-upgraded to {} as {} has been deprecated", to.name(), v.name())) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_versions_are_served_expired_reads_upgraded_and_the_rest_refused() {
        let today = date("2026-11-24");
        assert_eq!(serve("v26.0", true, today).unwrap().version, Version(26));
        assert_eq!(serve("v28.0", false, today).unwrap().version, Version(28));
        let up = serve("v24.0", false, today).unwrap();
        assert_eq!(up.version, Version(25));
        assert_eq!(up.warning.as_deref(), Some("The call has been auto-upgraded to v25.0 as v24.0 has been deprecated"));
        let e = serve("v24.0", true, today).err().unwrap();
        assert_eq!(
            (e.code, e.message.as_str()),
            (2635, "(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: v27.0.")
        );
        assert_eq!(serve("v19.0", false, today).err().unwrap().code, 2635);
        assert_eq!(serve("v29.0", false, today).err().unwrap().code, 100);
        assert!(serve("v24.0", false, date("2026-11-01")).unwrap().warning.is_none(), "not yet expired then");
    }
}
