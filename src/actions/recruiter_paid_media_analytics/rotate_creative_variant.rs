//! `recruiter_paid_media_analytics/rotate_creative_variant`: Swaps ads' creatives for fresh
//! variants, from a suggestion (by id) or for one ad as given: only on fresh data, within the
//! daily cap and each ad's cooldown, each new creative checked to be the account's. Undone by
//! `rollback_optimization`.

use super::optimize::{self, Edit, Field, Ready};
use super::suggest_creative_rotation::KIND;
use super::suggestion::{Suggestion, MAX_ID_CHARS};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::actions::recruiter_paid_media::bad;
use crate::db::ad_accounts;
use crate::db::optimizations;
use crate::domain::{AdAccountId, MetaId, Text};
use crate::failure::Failure;
use crate::problem::Problem;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A suggestion to apply, or one ad and its new creative.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account.
    pub ad_account_id: AdAccountId,
    /// A `suggest_creative_rotation` answer's `suggestion_id` (or give `ad_id` and `creative_id`).
    pub suggestion_id: Option<Text<MAX_ID_CHARS>>,
    /// The ad to rotate.
    pub ad_id: Option<MetaId>,
    /// The creative it shows from now on (one of the account's).
    pub creative_id: Option<MetaId>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Ready;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Swaps ads' tired creatives for fresh variants (a suggestion by id, or one ad as given) on fresh data only, within cooldowns and the daily cap; undone with rollback_optimization.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Ready>, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        // (ad, field naming it, creative it had when suggested, new creative)
        let wanted: Vec<(String, String, Option<String>, String)> = match (&input.suggestion_id, &input.ad_id, &input.creative_id) {
            (Some(id), None, None) => Suggestion::open(cx, "suggestion_id", id.as_str(), KIND, &account.id)?
                .changes
                .into_iter()
                .map(|p| (p.0, "suggestion_id".to_string(), Some(p.1), p.2))
                .collect(),
            (None, Some(ad), Some(creative)) => vec![(ad.as_str().into(), "ad_id".into(), None, creative.as_str().into())],
            (None, Some(_), None) => return Err(bad("creative_id", "is required with ad_id")),
            _ => return Err(bad("suggestion_id", "give either suggestion_id, or ad_id and creative_id")),
        };
        let settings = optimizations::settings(cx.ports, cx.workspace).await?;
        let (data_as_of, _) = optimize::fresh_data(cx, &account, &settings).await?;
        let mut reads: Vec<(String, String, ObjectKind)> = wanted.iter().map(|w| (w.1.clone(), w.0.clone(), ObjectKind::Ad)).collect();
        let creative_field = if input.suggestion_id.is_some() { "suggestion_id" } else { "creative_id" };
        reads.extend(wanted.iter().map(|w| (creative_field.to_string(), w.3.clone(), ObjectKind::Creative)));
        let objects = optimize::read_objects(cx, &account, &reads).await?;
        let mut edits = Vec::new();
        let mut moved = Vec::new();
        for ((ad, field, seen, to), object) in wanted.iter().zip(&objects) {
            let from = Field::Creative.current(object).ok_or_else(|| bad(field, format!("{ad} shows no creative")))?;
            if seen.as_ref().is_some_and(|s| *s != from) {
                moved.push(json!({ "ad_id": ad, "creative_when_suggested": seen, "creative_now": from }));
            }
            if from == *to {
                return Err(bad(creative_field, format!("{ad} already shows {to}")));
            }
            edits.push(Edit { field: Field::Creative, object_id: ad.clone(), input: field.clone(), from, to: to.clone() });
        }
        if !moved.is_empty() {
            let p = Problem::new("changed-since", "Changed Since The Suggestion", 409, "ads changed creative since the suggestion was made; ask for a new one")
                .with_extension("differences", json!(moved));
            return Err(p.into());
        }
        optimize::within_limits(cx, &settings, &edits).await?;
        let suggestion_kind = input.suggestion_id.is_some().then_some(KIND);
        Ok(Plan { account: Some(account.id.clone()), flags: Vec::new(), state: Ready { account, edits, data_as_of, suggestion_kind } })
    }

    async fn apply(cx: &Cx<'_>, _input: &Input, r: Ready) -> Result<Change, Failure> {
        r.apply(cx).await
    }
}
