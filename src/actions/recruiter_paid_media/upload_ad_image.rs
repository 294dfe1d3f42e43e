//! `recruiter_paid_media/upload_ad_image`: Uploads an image's bytes (base64, PNG, JPEG or GIF) to
//! the ad account's image library and returns the hash creatives use. adgate takes bytes only:
//! it never fetches an address a caller names, which would let callers make it reach inside.

use crate::actions::action::{Action, Change, Cx, Meta, Plan, Record, RECRUITER_OR_ADMIN};
use crate::actions::objects::{graph_write, Params};
use crate::db::ad_accounts::{self, BoundAccount};
use crate::domain::{AdAccountId, ImageBase64, Text};
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Uploads an image to the ad account's image library.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The file name, such as driver-hiring.png.
    pub name: Text<100>,
    /// The image's bytes, standard base64 (PNG, JPEG or GIF; up to 1,000,000 characters).
    pub bytes_base64: ImageBase64,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = BoundAccount;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Uploads an image's bytes (base64) to the ad account's image library and returns its hash; adgate never fetches a caller's URL.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<BoundAccount>, Failure> {
        Ok(Plan::go(ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, account: BoundAccount) -> Result<Change, Failure> {
        let params = Params::new().text("name", input.name.as_str()).text("bytes", input.bytes_base64.as_str());
        let mut record = Record { ad_account_id: Some(account.id.clone()), ..Record::default() };
        let reply = match graph_write(cx, &account, "POST", &format!("act_{}/adimages", account.id), &params.0).await {
            Err(e) => return Change::refused(e, record),
            Ok(v) => v,
        };
        let image = reply["images"].as_object().and_then(|m| m.values().next()).cloned().unwrap_or_default();
        let hash = image["hash"].as_str().unwrap_or_default().to_string();
        record.external_id = Some(hash.clone());
        record.after = Some(json!({ "hash": hash, "name": input.name.as_str(), "bytes": input.bytes_base64.byte_len() }));
        Ok(Change::done(
            201,
            json!({ "ad_account_id": account.id, "hash": hash, "url": image["url"], "bytes": input.bytes_base64.byte_len() }),
            Vec::new(),
            record,
        ))
    }
}
