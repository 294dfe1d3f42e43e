//! `admin_meta_ads_governance/set_notification_endpoint`: Where the workspace's notifications go
//! (alerts as they open, scheduled reports as they are ready), and the secret they are signed
//! with. The admin chooses the secret and gives it to the receiver; adgate seals it in the token
//! vault and never shows it again. Without `url`, notifications stop.

use crate::actions::action::{Action, Change, Cx, Meta, Record, ADMIN};
use crate::actions::recruiter_paid_media::bad;
use crate::db::notifications;
use crate::domain::Text;
use crate::failure::Failure;
use crate::notify;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The endpoint and its signing secret; neither, to stop notifications.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// An https:// address with a public host name.
    pub url: Option<Text<2000>>,
    /// 32 to 256 characters the receiver verifies `X-Adgate-Signature-256` with.
    pub secret: Option<Text<256>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Sets (or clears) where the workspace's signed notifications go: alerts as they open and scheduled reports as they are ready.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let before = notifications::endpoint(cx.ports, cx.workspace).await?.map(|e| json!({ "url": e.url, "updated_at": e.updated_at }));
        let now = cx.ports.now_iso();
        let record = |after: serde_json::Value| Record {
            external_id: Some("notification_endpoint".into()),
            before: before.clone(),
            after: Some(after),
            ..Record::default()
        };
        let Some(url) = &input.url else {
            if input.secret.is_some() {
                return Err(bad("url", "is required with secret"));
            }
            let body = json!({ "workspace_id": cx.workspace, "url": null, "updated_at": now });
            return Ok(Change::done(200, body, vec![notifications::remove_endpoint(cx.workspace)], record(json!({ "url": null }))));
        };
        let url = notify::check_endpoint(url.as_str(), cx.ports.deployment().local).map_err(|r| bad("url", r))?;
        let secret = input.secret.as_ref().ok_or_else(|| bad("secret", "is required: the receiver checks each notification's signature with it"))?;
        let chars = secret.as_str().chars().count();
        if chars < notify::SECRET_CHARS.0 || chars > notify::SECRET_CHARS.1 {
            return Err(bad("secret", format!("must be {} to {} characters", notify::SECRET_CHARS.0, notify::SECRET_CHARS.1)));
        }
        let sealed = cx.ports.vault_seal(secret.as_str(), &notifications::secret_row_id(cx.workspace))?;
        let body = json!({
            "workspace_id": cx.workspace, "url": url.as_str(), "updated_at": now,
            "signature": { "header": notify::SIGNATURE_HEADER, "timestamp_header": notify::TIMESTAMP_HEADER, "delivery_header": notify::DELIVERY_HEADER,
                "scheme": "sha256=<hex HMAC-SHA256(secret, timestamp + \".\" + body)>" },
            "events": ["alert.opened", "report.ready"],
        });
        Ok(Change::done(
            200,
            body,
            vec![notifications::set_endpoint(cx.workspace, url.as_str(), &sealed, &cx.exec.actor, &now)],
            record(json!({ "url": url.as_str() })),
        ))
    }
}
