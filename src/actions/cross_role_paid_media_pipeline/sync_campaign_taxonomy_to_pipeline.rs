//! `cross_role_paid_media_pipeline/sync_campaign_taxonomy_to_pipeline`: publishes what UTM values
//! and ATS sources mean on Meta, from the account's mirrors (each campaign's, ad set's and ad's
//! id and name) and from mappings given by hand, which a publish never overwrites. Names two
//! objects share are not published: they are listed instead, since either could be meant.

use crate::actions::action::{Action, Change, Cx, Meta, Record, RECRUITER_OR_ADMIN};
use crate::actions::recruiter_paid_media_analytics::bad;
use crate::db::ad_accounts;
use crate::domain::{AdAccountId, List, MetaId, Text};
use crate::failure::Failure;
use crate::recruiting::store;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Which field of an application a mapping reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MappingKind {
    UtmCampaign,
    UtmTerm,
    UtmContent,
    AtsSource,
}

impl MappingKind {
    fn as_str(self) -> &'static str {
        match self {
            MappingKind::UtmCampaign => "utm_campaign",
            MappingKind::UtmTerm => "utm_term",
            MappingKind::UtmContent => "utm_content",
            MappingKind::AtsSource => "ats_source",
        }
    }
}

/// A value that means one Meta object.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The application field the value is in.
    pub kind: MappingKind,
    /// The value as applications carry it (compared without case or surrounding spaces).
    pub value: Text<400>,
    /// The campaign it means (give one of campaign_id, adset_id, ad_id).
    pub campaign_id: Option<MetaId>,
    /// The ad set it means.
    pub adset_id: Option<MetaId>,
    /// The ad it means.
    pub ad_id: Option<MetaId>,
}

/// Publishes an ad account's campaign taxonomy to the pipeline join.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account whose mirrors are published.
    pub ad_account_id: AdAccountId,
    /// Mappings given by hand (kept over what the mirrors publish), at most 200.
    pub mappings: Option<List<Mapping, 200>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Publishes what UTM values and ATS sources mean on Meta for an ad account: every campaign, ad set and ad id and unshared name from the mirrors, plus mappings given by hand; names two objects share are listed, not published.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let before = store::mapping_counts(cx.ports, cx.workspace, &account.id).await?;
        let mut manual = Vec::new();
        for (i, m) in input.mappings.as_ref().map(|l| l.items()).unwrap_or_default().iter().enumerate() {
            let named: Vec<(&str, &str, &MetaId)> =
                [("campaign_id", "meta_campaigns", &m.campaign_id), ("adset_id", "meta_ad_sets", &m.adset_id), ("ad_id", "meta_ads", &m.ad_id)]
                    .into_iter()
                    .filter_map(|(f, t, id)| id.as_ref().map(|id| (f, t, id)))
                    .collect();
            let [(field, table, id)] = named.as_slice() else {
                return Err(bad(&format!("mappings[{i}]"), "names exactly one of campaign_id, adset_id, ad_id"));
            };
            // As SQLite's lower() does it (ASCII only), so it compares with the applications' values.
            let value = m.value.as_str().trim().to_ascii_lowercase();
            if value.is_empty() {
                return Err(bad(&format!("mappings[{i}].value"), "must not be blank"));
            }
            let (c, s, a) = store::mirrored_object(cx.ports, cx.workspace, &account.id, table, id.as_str()).await?.ok_or_else(|| {
                bad(&format!("mappings[{i}].{field}"), format!("is not an object of act_{} in the mirror; sync the account first", account.id))
            })?;
            manual.push(json!([m.kind.as_str(), value, c, s, a]));
        }
        let now = cx.ports.now_iso();
        // Published here rather than with the audit row, so the answer counts what was written.
        cx.ports.batch(store::publish_taxonomy(cx.workspace, &account.id, Value::Array(manual.clone()).to_string(), &now)).await?;
        let after = store::mapping_counts(cx.ports, cx.workspace, &account.id).await?;
        let (_, shared) = store::taxonomy_preview(cx.ports, cx.workspace, &account.id, &now).await?;
        let record = Record {
            ad_account_id: Some(account.id.clone()),
            external_id: Some(format!("act_{}", account.id)),
            before: Some(json!({ "mappings": before })),
            after: Some(json!({ "mappings": after, "manual": manual.len() })),
        };
        Ok(Change::done(
            200,
            json!({
                "ad_account_id": format!("act_{}", account.id),
                "published_at": now,
                "mappings": after,
                "manual": manual.len(),
                "shared_names": shared,
                "next": "applications already received join on the next backfill_missing_attribution over their days",
            }),
            Vec::new(),
            record,
        ))
    }
}
