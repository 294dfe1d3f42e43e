//! The cron triggers declared in wrangler.toml, and what each tick asks of every ad account.

use crate::sync_message::SyncKind;

/// Every 15 minutes: re-sync insights over the attribution window.
pub const INSIGHTS_RESYNC: &str = "*/15 * * * *";
/// Daily at 03:17 UTC: token health and refresh, then retention.
pub const DAILY_MAINTENANCE: &str = "17 3 * * *";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickKind {
    InsightsResync,
    DailyMaintenance,
}

impl TickKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TickKind::InsightsResync => "insights_resync",
            TickKind::DailyMaintenance => "daily_maintenance",
        }
    }

    /// The work each active ad account gets from this tick: the structure (incremental) and the
    /// insights over the attribution window; the daily tick's token work runs in the tick itself.
    pub fn sync_kinds(self) -> &'static [SyncKind] {
        match self {
            TickKind::InsightsResync => &[SyncKind::Structure, SyncKind::InsightsResync],
            TickKind::DailyMaintenance => &[],
        }
    }
}

/// Maps a cron expression to its tick. An unknown expression means wrangler.toml and this table
/// disagree, which the caller records as a failed tick rather than guessing.
pub fn classify(cron: &str) -> Result<TickKind, String> {
    match cron.trim() {
        INSIGHTS_RESYNC => Ok(TickKind::InsightsResync),
        DAILY_MAINTENANCE => Ok(TickKind::DailyMaintenance),
        other => Err(format!("no tick is declared for cron {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn classifies_the_declared_crons() {
        assert_eq!(classify("*/15 * * * *"), Ok(TickKind::InsightsResync));
        assert_eq!(classify("17 3 * * *"), Ok(TickKind::DailyMaintenance));
        assert_eq!(TickKind::InsightsResync.sync_kinds(), [SyncKind::Structure, SyncKind::InsightsResync]);
        assert!(TickKind::DailyMaintenance.sync_kinds().is_empty());
        assert!(classify("0 0 * * *").unwrap_err().contains("0 0 * * *"));
    }

    #[test]
    fn wrangler_toml_declares_exactly_these_crons() {
        let toml = include_str!("../wrangler.toml");
        let line = toml.lines().find(|l| l.trim_start().starts_with("crons")).expect("crons line");
        assert!(line.contains(&format!("\"{INSIGHTS_RESYNC}\"")), "{line}");
        assert!(line.contains(&format!("\"{DAILY_MAINTENANCE}\"")), "{line}");
        assert_eq!(line.matches('"').count(), 4, "{line}");
    }
}
