//! `admin_meta_ads_governance/refresh_system_user_token`: Refreshes an integration's token now (a person's token is exchanged for a new long-lived one; a system user's is re-checked); marks it expired if Meta refuses it.

use crate::actions::action::Record;
use crate::actions::action::{Action, Change, Cx, Meta, ADMIN};
use crate::failure::Failure;

pub type Input = super::IntegrationRef;

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Refreshes an integration's token now (a person's token is exchanged for a new long-lived one; a system user's is re-checked); marks it expired if Meta refuses it.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let iid = input.integration_id.as_str();
        let t = cx.ports.refresh_token(cx.workspace, iid).await?;
        let record = Record { external_id: Some(iid.to_string()), before: Some(t.before), after: Some(t.after), ..Record::default() };
        Ok(Change::done(200, t.answer, t.writes, record))
    }
}
