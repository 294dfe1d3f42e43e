//! `admin_meta_ads_governance/get_operations_digest`: How the workspace's operations are doing
//! over a window: Graph call and error rates by endpoint and code, action latency (p50/p95/p99),
//! the gate's decisions, Meta usage peaks, attribution and webhook lag, and live state (sync
//! freshness, queue depth, dead letters, budget anomalies, unmapped applications, tokens), with
//! open service alerts, audit gaps and retention.

use crate::actions::action::{Action, Change, Cx, Meta, ADMIN};
use crate::domain::Bounded;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The window, in hours back from now (default 24, at most 30 days).
    pub hours: Option<Bounded<1, 720>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: Read, summary: "The workspace's operations over a window: Graph call and error rates, action latency percentiles, gate decisions, Meta usage, attribution and webhook lag, sync freshness, queue depth, dead letters, budget anomalies, service alerts, audit gaps and retention.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let hours = input.hours.map_or(24, |h| h.get());
        Ok(Change::read(crate::ops::digest::digest(cx.ports, cx.workspace, hours).await?))
    }
}
