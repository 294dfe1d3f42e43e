//! `recruiter_paid_media/update_creative`: Changes a creative. Meta edits only a creative's name
//! in place; its content (text, link, image, button) is fixed once created. So a content change
//! creates a new creative from the old one with the changes, and swaps it into every ad that
//! showed the old one (each ad is reviewed again); the old creative stays, unused. The answer
//! lists the new creative and the ads moved to it.

use super::create_creative::{set_given, utm_template};
use super::{ads_using, bad, find, graph_write, mirror, read_back, write, Found, Params, Write};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, Record, RECRUITER_OR_ADMIN};
use crate::domain::{AdAccountId, CallToAction, Link, MetaId, Text};
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Changes a creative: its name in place, its content as a new creative swapped into its ads.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The Meta ad creative id.
    pub creative_id: MetaId,
    /// A new name (changed in place).
    pub name: Option<Text<400>>,
    /// New primary text.
    pub message: Option<Text<2200>>,
    /// A new headline.
    pub headline: Option<Text<255>>,
    /// A new link description.
    pub description: Option<Text<255>>,
    /// A new destination.
    pub link: Option<Link>,
    /// A new image (hash from `upload_ad_image`).
    pub image_hash: Option<Text<64>>,
    /// A new button.
    pub call_to_action: Option<CallToAction>,
}

impl Input {
    fn changes_content(&self) -> bool {
        self.message.is_some()
            || self.headline.is_some()
            || self.description.is_some()
            || self.link.is_some()
            || self.image_hash.is_some()
            || self.call_to_action.is_some()
    }

    /// The old story with the changes.
    fn story(&self, old: &Value) -> Value {
        let mut story = old.clone();
        let data = &mut story["link_data"];
        let text = |t: Option<&str>| t.map(str::to_string);
        set_given(
            data,
            [
                ("message", text(self.message.as_ref().map(|t| t.as_str()))),
                ("name", text(self.headline.as_ref().map(|t| t.as_str()))),
                ("description", text(self.description.as_ref().map(|t| t.as_str()))),
                ("link", text(self.link.as_ref().map(|t| t.as_str()))),
                ("image_hash", text(self.image_hash.as_ref().map(|t| t.as_str()))),
            ],
        );
        if let Some(cta) = self.call_to_action {
            data["call_to_action"]["type"] = json!(cta.as_str());
        }
        if let (Some(link), Some(value)) = (&self.link, data["call_to_action"]["value"].as_object_mut()) {
            if value.contains_key("link") {
                value.insert("link".into(), json!(link.as_str()));
            }
        }
        story
    }
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = (Found, String);
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Changes a creative: its name in place; since Meta fixes a creative's content once created, a content change creates a new creative and swaps it into every ad that showed the old one.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<(Found, String)>, Failure> {
        if input.name.is_none() && !input.changes_content() {
            return Err(bad("input", "set at least one field to change"));
        }
        let found = find(cx, &input.ad_account_id, "creative_id", &input.creative_id, ObjectKind::Creative).await?;
        if input.changes_content() && found.object["object_story_spec"]["link_data"].is_null() {
            return Err(bad("creative_id", "only link ad creatives can be changed here; create a new creative instead"));
        }
        let template = utm_template(cx).await?;
        Ok(Plan::go((found, template)))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, (found, template): (Found, String)) -> Result<Change, Failure> {
        let id = found.id();
        if !input.changes_content() {
            let params = Params::new().opt_text("name", input.name.as_ref().map(|n| n.as_str()));
            return write(cx, &found.account, Write::update(&id, &params.0, ObjectKind::Creative), &found.object).await;
        }
        let account = &found.account;
        let old = &found.object;
        let users = ads_using(cx, account, &id).await?;
        let name = input.name.as_ref().map(|n| n.as_str().to_string()).unwrap_or_else(|| old["name"].as_str().unwrap_or("Creative").to_string());
        let tags = old["url_tags"].as_str().map(str::to_string).unwrap_or(template);
        let params = Params::new().text("name", name).json("object_story_spec", &input.story(&old["object_story_spec"])).text("url_tags", tags);
        let mut record = Record { ad_account_id: Some(account.id.clone()), external_id: Some(id.clone()), before: Some(old.clone()), after: None };
        let created = match graph_write(cx, account, "POST", &format!("act_{}/adcreatives", account.id), &params.0).await {
            Err(e) => return Change::refused(e, record),
            Ok(v) => v,
        };
        let new_id = created["id"].as_str().unwrap_or_default().to_string();
        let creative = read_back(cx, account, ObjectKind::Creative, &new_id, &created).await;
        let mut writes: Vec<_> = mirror(cx, account, ObjectKind::Creative, &creative).into_iter().collect();
        let mut moved = Vec::new();
        let swap = Params::new().json("creative", &json!({ "creative_id": new_id }));
        for ad in &users {
            let ad_id = ad["id"].as_str().unwrap_or_default();
            match graph_write(cx, account, "POST", ad_id, &swap.0).await {
                Ok(reply) => {
                    let after = read_back(cx, account, ObjectKind::Ad, ad_id, &reply).await;
                    writes.extend(mirror(cx, account, ObjectKind::Ad, &after));
                    moved.push(ad_id.to_string());
                }
                Err(e) => {
                    // The new creative exists and some ads may show it: say exactly where things stand.
                    record.after = Some(
                        json!({ "new_creative": creative, "ads_moved": moved, "ads_not_moved": users.iter().filter_map(|a| a["id"].as_str()).filter(|a| !moved.iter().any(|m| m == a)).collect::<Vec<_>>() }),
                    );
                    return Ok(Change { result: Err(e), writes, record, then_enqueue: Vec::new() });
                }
            }
        }
        record.external_id = Some(new_id.clone());
        record.after = Some(json!({ "new_creative": creative, "replaces": id, "ads_moved": moved }));
        let body = json!({ "ad_account_id": account.id, "object": creative, "replaces": id, "ads_moved": moved, "before": old });
        Ok(Change::done(201, body, writes, record))
    }
}
