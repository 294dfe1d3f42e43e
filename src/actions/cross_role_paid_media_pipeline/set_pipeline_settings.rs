//! `cross_role_paid_media_pipeline/set_pipeline_settings`: where the stages of Instant Form leads
//! go back to Meta (a dataset, as the Conversions API for CRM takes them), or that they stop
//! going. The dataset is read through the named account's token first, so a dataset that token
//! cannot reach is refused here rather than at every send.

use crate::actions::action::{Action, Change, Cx, Meta, Record, ADMIN};
use crate::actions::objects::graph_read;
use crate::actions::recruiter_paid_media_analytics::bad;
use crate::db::ad_accounts;
use crate::domain::{AdAccountId, MetaId};
use crate::failure::Failure;
use crate::ports::Query;
use crate::recruiting::conversions;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The dataset stages go back to (with the account whose token reaches it), or none to stop.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// A bound ad account whose token can send to the dataset (required with `conversions_dataset_id`).
    pub ad_account_id: Option<AdAccountId>,
    /// The Meta dataset (pixel) id; without it, stages stop going back to Meta.
    pub conversions_dataset_id: Option<MetaId>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Sets the Meta dataset that Instant Form leads' pipeline stages (lead, screened, qualified, interviewed, offered, hired) are sent to through the Conversions API for CRM, once each; without a dataset they stop.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let before = conversions::dataset(cx.ports, cx.workspace).await?;
        let now = cx.ports.now_iso();
        let field = "ad_account_id";
        // An account named is checked even when clearing: nobody learns of another's accounts.
        let account = match &input.ad_account_id {
            Some(a) => Some(ad_accounts::bound(cx.ports, cx.workspace, field, a).await?),
            None => None,
        };
        let dataset = match (&input.conversions_dataset_id, account) {
            (None, _) => None,
            (Some(_), None) => return Err(bad(field, "is required with conversions_dataset_id: its token sends the stages")),
            (Some(d), Some(account)) => {
                let params = [("fields".to_string(), "id,name".to_string())];
                let found = graph_read(cx, &account, d.as_str(), &params).await.map_err(|e| e.refused_as_field("conversions_dataset_id"))?;
                Some((d.as_str().to_string(), found["name"].clone()))
            }
        };
        let id = dataset.as_ref().map(|d| d.0.clone());
        let write = Query::new(
            "INSERT INTO pipeline_settings (workspace_id, conversions_dataset_id, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (workspace_id) DO UPDATE SET conversions_dataset_id = excluded.conversions_dataset_id, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            crate::binds![cx.workspace, id.clone(), cx.exec.actor.as_str(), now.as_str()],
        );
        let body = json!({
            "workspace_id": cx.workspace,
            "conversions_dataset_id": id,
            "dataset_name": dataset.map(|d| d.1).unwrap_or(Value::Null),
            "stages_sent": conversions::SENT_STAGES.iter().map(|s| json!({ "stage": s.0, "event_name": s.2 })).collect::<Vec<_>>(),
            "lead_event_source": conversions::LEAD_EVENT_SOURCE,
            "updated_at": now,
        });
        let record = Record {
            external_id: Some("pipeline_settings".into()),
            before: Some(json!({ "conversions_dataset_id": before })),
            after: Some(json!({ "conversions_dataset_id": id })),
            ..Record::default()
        };
        Ok(Change::done(200, body, vec![write], record))
    }
}
