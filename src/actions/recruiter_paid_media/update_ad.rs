//! `recruiter_paid_media/update_ad`: Renames an ad on Meta or sets its conversion domain. Its
//! status and creative have their own actions (pause, resume, attach_creative_to_ad).

use super::{bad, find, write, Found, Params, Write};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::domain::{AdAccountId, MetaId, Text};
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Renames an ad on Meta or sets its conversion domain.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The Meta ad id.
    pub ad_id: MetaId,
    /// A new name.
    pub name: Option<Text<400>>,
    /// The domain conversions are attributed to, such as jobs.example.com.
    pub conversion_domain: Option<Text<253>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Found;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Renames an ad on Meta or sets its conversion domain.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Found>, Failure> {
        if input.name.is_none() && input.conversion_domain.is_none() {
            return Err(bad("input", "set name, conversion_domain or both"));
        }
        if let Some(d) = &input.conversion_domain {
            let ok = d.as_str().contains('.') && d.as_str().chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            if !ok {
                return Err(bad("conversion_domain", "must be a domain name such as jobs.example.com, without a scheme or path"));
            }
        }
        Ok(Plan::go(find(cx, &input.ad_account_id, "ad_id", &input.ad_id, ObjectKind::Ad).await?))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, found: Found) -> Result<Change, Failure> {
        let params = Params::new()
            .opt_text("name", input.name.as_ref().map(|n| n.as_str()))
            .opt_text("conversion_domain", input.conversion_domain.as_ref().map(|n| n.as_str()));
        let id = found.id();
        write(cx, &found.account, Write::update(&id, &params.0, ObjectKind::Ad), &found.object).await
    }
}
