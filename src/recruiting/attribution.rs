//! Joining applications to Meta, strongest key first: Meta's lead id (an Instant Form lead names
//! its ad), the ad id the landing page captured, the UTM values the taxonomy maps (the ad's, the
//! ad set's, then the campaign's), and last an ATS source someone mapped by hand. Each pass is one
//! statement that only touches applications with no join or a weaker one, so running the passes
//! again changes nothing, and each row records the key, its confidence, the run and what it had
//! before (so a run can say what it moved).

use crate::ports::{Bind, Query};

/// A key that joined an application to Meta, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKey {
    LeadId,
    AdId,
    UtmContent,
    UtmTerm,
    UtmCampaign,
    AtsSource,
}

impl JoinKey {
    pub const ALL: [JoinKey; 6] = [JoinKey::LeadId, JoinKey::AdId, JoinKey::UtmContent, JoinKey::UtmTerm, JoinKey::UtmCampaign, JoinKey::AtsSource];

    pub fn as_str(self) -> &'static str {
        match self {
            JoinKey::LeadId => "lead_id",
            JoinKey::AdId => "ad_id",
            JoinKey::UtmContent => "utm_content",
            JoinKey::UtmTerm => "utm_term",
            JoinKey::UtmCampaign => "utm_campaign",
            JoinKey::AtsSource => "ats_source",
        }
    }

    /// How sure a join by this key is: Meta's own ids are certain; a UTM name can be reused or
    /// mistyped, the finer the object the surer; a mapped ATS source names a campaign at best.
    pub fn confidence(self) -> f64 {
        match self {
            JoinKey::LeadId => 1.0,
            JoinKey::AdId => 0.95,
            JoinKey::UtmContent => 0.85,
            JoinKey::UtmTerm => 0.8,
            JoinKey::UtmCampaign => 0.7,
            JoinKey::AtsSource => 0.5,
        }
    }

    fn rank(self) -> usize {
        JoinKey::ALL.iter().position(|k| *k == self).unwrap_or(JoinKey::ALL.len())
    }

    /// What the pass joins against: rows of (key, ad_account_id, campaign_id, adset_id, ad_id)
    /// of the workspace (`?1`), and the application's column that must equal `key`.
    fn source(self) -> (String, &'static str) {
        let mapping = |kind: &str| {
            format!("(SELECT value AS key, ad_account_id, campaign_id, adset_id, ad_id FROM pipeline_mappings WHERE workspace_id = ?1 AND kind = '{kind}')")
        };
        match self {
            JoinKey::LeadId => (
                "(SELECT l.id AS key, l.ad_account_id, COALESCE(l.campaign_id, ad.campaign_id) AS campaign_id, COALESCE(l.adset_id, ad.adset_id) AS adset_id, l.ad_id \
                 FROM meta_leads l LEFT JOIN meta_ads ad ON ad.id = l.ad_id AND ad.workspace_id = l.workspace_id WHERE l.workspace_id = ?1 AND l.ad_id IS NOT NULL)"
                    .into(),
                "a.meta_lead_id",
            ),
            JoinKey::AdId => ("(SELECT id AS key, ad_account_id, campaign_id, adset_id, id AS ad_id FROM meta_ads WHERE workspace_id = ?1)".into(), "a.ad_id_hint"),
            JoinKey::UtmContent => (mapping("utm_content"), "lower(a.utm_content)"),
            JoinKey::UtmTerm => (mapping("utm_term"), "lower(a.utm_term)"),
            JoinKey::UtmCampaign => (mapping("utm_campaign"), "lower(a.utm_campaign)"),
            JoinKey::AtsSource => (mapping("ats_source"), "lower(a.ats_source)"),
        }
    }
}

/// UTM sources that mean Meta (`{{site_source_name}}` gives fb, ig, msg and an); a UTM name
/// only joins when the source is one of these or absent, so a Google campaign of the same name
/// does not.
pub const META_UTM_SOURCES: &[&str] = &["facebook", "fb", "instagram", "ig", "meta", "messenger", "msg", "an", "audience_network"];

/// Which applications a run looks at.
#[derive(Debug, Clone)]
pub enum Scope {
    /// These (source, application id) pairs, as a JSON array of pairs.
    Batch(String),
    /// Applied on these days (inclusive, `YYYY-MM-DD`).
    Days { since: String, until: String },
    /// Naming this Meta lead (the lead held on its own, or the applications naming it).
    Lead(String),
}

impl Scope {
    /// The condition on `a` and its binds, numbered from `?4`.
    pub(super) fn clause(&self) -> (String, Vec<Bind>) {
        match self {
            Scope::Batch(pairs) => (
                "(a.source, a.application_id) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?4))".into(),
                vec![pairs.into()],
            ),
            Scope::Days { since, until } => ("a.applied_date BETWEEN ?4 AND ?5".into(), vec![since.into(), until.into()]),
            Scope::Lead(id) => ("a.meta_lead_id = ?4".into(), vec![id.into()]),
        }
    }
}

/// The SQL rank of an application's current join (`6` when it has none).
fn rank_sql() -> String {
    let arms: Vec<String> = JoinKey::ALL.iter().map(|k| format!("WHEN '{}' THEN {}", k.as_str(), k.rank())).collect();
    format!("CASE a.join_key {} ELSE {} END", arms.join(" "), JoinKey::ALL.len())
}

/// One pass: applications in `scope` without a join as strong as `key` take the first match.
pub fn pass(key: JoinKey, workspace: &str, run: &str, now: &str, scope: &Scope) -> Query {
    let (source, column) = key.source();
    let (clause, scope_binds) = scope.clause();
    let meta_only = if matches!(key, JoinKey::UtmContent | JoinKey::UtmTerm | JoinKey::UtmCampaign) {
        let list: Vec<String> = META_UTM_SOURCES.iter().map(|s| format!("'{s}'")).collect();
        format!(" AND (a.utm_source IS NULL OR lower(a.utm_source) IN ({}))", list.join(", "))
    } else {
        String::new()
    };
    let sql = format!(
        "UPDATE pipeline_applications AS a SET join_key = '{k}', confidence = {c}, ad_account_id = m.ad_account_id, campaign_id = m.campaign_id, \
         adset_id = m.adset_id, ad_id = m.ad_id, attribution_prior = COALESCE(a.join_key, 'none'), attribution_run = ?2, attributed_at = ?3 \
         FROM {source} AS m WHERE a.workspace_id = ?1 AND {column} IS NOT NULL AND m.key = {column} AND {rank} > {r} AND {clause}{meta_only}",
        k = key.as_str(),
        c = key.confidence(),
        rank = rank_sql(),
        r = key.rank(),
    );
    let mut binds: Vec<Bind> = vec![workspace.into(), run.into(), now.into()];
    binds.extend(scope_binds);
    Query::new(sql, binds)
}

/// Every pass, strongest first, as one batch's statements.
pub fn passes(workspace: &str, run: &str, now: &str, scope: &Scope) -> Vec<Query> {
    JoinKey::ALL.iter().map(|k| pass(*k, workspace, run, now, scope)).collect()
}

/// What a run changed: (key before, key after, applications), read after its passes.
pub fn moved(workspace: &str, run: &str) -> Query {
    Query::new(
        "SELECT attribution_prior AS prior, join_key, COUNT(*) AS n FROM pipeline_applications WHERE workspace_id = ?1 AND attribution_run = ?2 GROUP BY 1, 2",
        vec![workspace.into(), run.into()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn keys_run_strongest_first_and_only_over_weaker_joins() {
        let confidences: Vec<f64> = JoinKey::ALL.iter().map(|k| k.confidence()).collect();
        assert!(confidences.windows(2).all(|w| w[0] > w[1]), "confidence falls with the key's rank: {confidences:?}");
        let q = pass(JoinKey::UtmTerm, "w1", "run1", "now", &Scope::Days { since: "2026-11-01".into(), until: "2026-11-30".into() });
        assert!(q.sql.contains("WHEN 'utm_content' THEN 2") && q.sql.contains("END > 3"), "{}", q.sql);
        assert!(q.sql.contains("lower(a.utm_source) IN ('facebook'"), "a UTM join needs a Meta source or none");
        assert!(q.sql.contains("a.applied_date BETWEEN ?4 AND ?5"));
        assert_eq!(q.binds.len(), 5);
        let lead = pass(JoinKey::LeadId, "w1", "run1", "now", &Scope::Batch("[]".into()));
        assert!(!lead.sql.contains("utm_source") && lead.sql.contains("json_each(?4)") && lead.sql.contains("END > 0"));
        assert_eq!(passes("w", "r", "n", &Scope::Batch("[]".into())).len(), 6);
        let arrived = pass(JoinKey::LeadId, "w1", "run1", "now", &Scope::Lead("9001".into()));
        assert!(arrived.sql.ends_with("AND a.meta_lead_id = ?4") && arrived.binds.len() == 4, "a lead's arrival joins what names it: {}", arrived.sql);
    }
}
