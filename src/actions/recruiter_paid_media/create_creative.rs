//! `recruiter_paid_media/create_creative`: Creates an ad creative on Meta: a link ad for a Page
//! (a careers page, or an instant lead form with APPLY_NOW), with the workspace's UTM template
//! as its `url_tags`, so applicants can be joined to the ad that brought them.

use super::{bad, write, Found, Params, Write};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::db::{ad_accounts, governance_policies};
use crate::domain::{AdAccountId, CallToAction, Link, MetaId, Text};
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The UTM parameters every creative carries unless the workspace sets its own template (in the
/// campaign guardrails). Meta fills in the `{{...}}` names when the ad is shown.
pub const DEFAULT_UTM_TEMPLATE: &str = "utm_source=facebook&utm_medium=paid_social&utm_campaign={{campaign.name}}&utm_content={{ad.id}}";

/// A link ad's content: what a create sends and a draft keeps.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreativeSpec {
    /// The creative's name (not shown to people).
    pub name: Text<400>,
    /// The Facebook Page the ad runs as.
    pub page_id: MetaId,
    /// Where a click goes (the job posting or careers page).
    pub link: Link,
    /// The ad's primary text.
    pub message: Text<2200>,
    /// The headline under the image.
    pub headline: Option<Text<255>>,
    /// The link description.
    pub description: Option<Text<255>>,
    /// An uploaded image's hash (from `upload_ad_image`).
    pub image_hash: Option<Text<64>>,
    /// The button: APPLY_NOW for job ads.
    pub call_to_action: Option<CallToAction>,
    /// An instant form to open instead of the link (with APPLY_NOW or SIGN_UP).
    pub lead_gen_form_id: Option<MetaId>,
    /// Extra URL parameters, appended to the workspace's UTM template.
    pub url_tags: Option<Text<1000>>,
}

impl CreativeSpec {
    pub fn check(&self) -> Result<(), Failure> {
        if self.lead_gen_form_id.is_some() && !matches!(self.call_to_action, Some(CallToAction::APPLY_NOW | CallToAction::SIGN_UP)) {
            return Err(bad("call_to_action", "a lead form opens from an APPLY_NOW or SIGN_UP button"));
        }
        Ok(())
    }

    /// Meta's `object_story_spec`.
    pub fn story(&self) -> Value {
        let mut link_data = json!({ "link": self.link.as_str(), "message": self.message.as_str() });
        let text = |t: &Option<Text<255>>| t.as_ref().map(|t| t.as_str().to_string());
        set_given(
            &mut link_data,
            [
                ("name", text(&self.headline)),
                ("description", text(&self.description)),
                ("image_hash", self.image_hash.as_ref().map(|t| t.as_str().to_string())),
            ],
        );
        if let Some(cta) = self.call_to_action {
            let value = match &self.lead_gen_form_id {
                Some(form) => json!({ "lead_gen_form_id": form.as_str() }),
                None => json!({ "link": self.link.as_str() }),
            };
            link_data["call_to_action"] = json!({ "type": cta.as_str(), "value": value });
        }
        json!({ "page_id": self.page_id.as_str(), "link_data": link_data })
    }

    /// Meta's parameters for the creative, with the UTM template applied.
    pub fn params(&self, utm_template: &str) -> Params {
        let tags = match &self.url_tags {
            Some(extra) => format!("{utm_template}&{}", extra.as_str().trim_start_matches('&')),
            None => utm_template.to_string(),
        };
        Params::new().text("name", self.name.as_str()).json("object_story_spec", &self.story()).text("url_tags", tags)
    }
}

/// Sets each member of `link_data` that has a value; the others stay as they are.
pub fn set_given<const N: usize>(link_data: &mut Value, members: [(&str, Option<String>); N]) {
    for (key, value) in members {
        if let Some(v) = value {
            link_data[key] = json!(v);
        }
    }
}

/// The workspace's UTM template (campaign guardrails' `utm_template`), or the default.
pub async fn utm_template(cx: &Cx<'_>) -> Result<String, Failure> {
    let guardrails = governance_policies::get(cx.ports, cx.workspace, "campaign_guardrails").await?;
    Ok(guardrails.as_ref().and_then(|g| g["utm_template"].as_str()).unwrap_or(DEFAULT_UTM_TEMPLATE).to_string())
}

/// Creates an ad creative on Meta.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The creative's content.
    pub creative: CreativeSpec,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = (Found, String);
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Creates an ad creative on Meta (a link or lead-form ad for a Page), with the workspace's UTM template as its url_tags.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<(Found, String)>, Failure> {
        input.creative.check()?;
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let template = utm_template(cx).await?;
        Ok(Plan::go((Found { account, object: Value::Null, target: None }, template)))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, (found, template): (Found, String)) -> Result<Change, Failure> {
        let params = input.creative.params(&template);
        let path = format!("act_{}/adcreatives", found.account.id);
        write(cx, &found.account, Write::create(&path, &params.0, ObjectKind::Creative), &Value::Null).await
    }
}
