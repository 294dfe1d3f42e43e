//! `admin_meta_ads_governance/rotate_credentials`: Re-seals every Meta token of the workspace under the vault's newest key (after a key is added to TOKEN_VAULT_KEYS).

use crate::actions::action::Record;
use crate::actions::action::{Action, Change, Cx, Meta, ADMIN};
use crate::domain::Text;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Re-seals every Meta token of the workspace under the vault's newest key (after a key is added to TOKEN_VAULT_KEYS).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Why, for the audit trail.
    pub reason: Option<Text<500>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteHigh, summary: "Re-seals every Meta token of the workspace under the vault's newest key (after a key is added to TOKEN_VAULT_KEYS).");

    async fn apply(cx: &Cx<'_>, _input: &Input, _plan: ()) -> Result<Change, Failure> {
        let t = cx.ports.reseal_tokens(cx.workspace).await?;
        let record = Record { external_id: Some(format!("workspace:{}", cx.workspace)), before: Some(t.before), after: Some(t.after), ..Record::default() };
        Ok(Change::done(200, t.answer, t.writes, record))
    }
}
