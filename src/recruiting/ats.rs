//! Recruiting systems' webhooks, mapped onto pipeline events (`events::event` then checks them
//! like any other row). Two shapes, each verified by its own documented signature before anything
//! is read:
//! - Greenhouse: `{"action", "payload": {"application": {...}}}`, signed with HMAC-SHA256 of the
//!   raw body under the webhook's secret key, sent as `Signature: sha256 <hex>`. Every payload
//!   carries the whole application, with its source as resolved from the job board's `gh_src`
//!   token.
//! - Lever: `{"event", "triggeredAt", "token", "signature", "data"}`, where `signature` is the
//!   HMAC-SHA256 of `token` followed by `triggeredAt` under the webhook's signature token. The
//!   body itself is not signed, so a delivery is taken only while `triggeredAt` is recent.

use super::events::Stage;
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The source name a system's applications are kept under.
pub const GREENHOUSE: &str = "greenhouse";
pub const LEVER: &str = "lever";

/// How old a Lever delivery may be (milliseconds): its signature covers the time, not the body.
pub const LEVER_MAX_AGE_MS: i64 = 15 * 60_000;

fn mac(secret: &[u8]) -> Option<HmacSha256> {
    HmacSha256::new_from_slice(secret).ok()
}

/// Whether `header` (`sha256 <hex>`) signs `body` with `secret` (compared in constant time).
pub fn greenhouse_signed(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256 ")) else { return false };
    let (Ok(sig), Some(mut m)) = (hex::decode(hex_sig.trim()), mac(secret)) else { return false };
    m.update(body);
    m.verify_slice(&sig).is_ok()
}

/// Whether a Lever delivery's `signature` signs its `token` + `triggeredAt` with `secret`, and
/// was triggered within `LEVER_MAX_AGE_MS` of `now_ms` (and not ahead of it by more).
pub fn lever_signed(secret: &[u8], payload: &Value, now_ms: i64) -> bool {
    let (Some(token), Some(at), Some(sig)) = (payload["token"].as_str(), payload["triggeredAt"].as_i64(), payload["signature"].as_str()) else {
        return false;
    };
    if (now_ms - at).abs() > LEVER_MAX_AGE_MS {
        return false;
    }
    let (Ok(sig), Some(mut m)) = (hex::decode(sig), mac(secret)) else { return false };
    m.update(format!("{token}{at}").as_bytes());
    m.verify_slice(&sig).is_ok()
}

/// A stage as the connection's map names it (by the system's stage id or name, lower-cased),
/// else as common stage names read; `None` for stages before screening or names we cannot place.
pub fn stage_of(map: &Map<String, Value>, key: &str) -> Option<Stage> {
    if let Some(s) = mapped(map, key) {
        return Some(s);
    }
    let k = key.trim().to_lowercase();
    let has = |w: &str| k.contains(w);
    if has("hired") {
        Some(Stage::Hired)
    } else if has("offer") {
        Some(Stage::Offered)
    } else if ["interview", "onsite", "on-site", "assessment", "take home", "panel"].iter().any(|w| has(w)) {
        Some(Stage::Interviewed)
    } else if ["qualif", "hiring manager review", "shortlist"].iter().any(|w| has(w)) {
        Some(Stage::Qualified)
    } else if has("screen") {
        Some(Stage::Screened)
    } else {
        None
    }
}

/// A stage only as the connection's map names it (stage ids are never guessed from).
fn mapped(map: &Map<String, Value>, key: &str) -> Option<Stage> {
    map.get(&key.trim().to_lowercase()).and_then(Value::as_str).and_then(Stage::parse)
}

fn id_text(v: &Value) -> Option<String> {
    v.as_i64().map(|i| i.to_string()).or_else(|| v.as_str().filter(|s| !s.is_empty()).map(str::to_string))
}

fn stage_event(source: &str, id: &str, stage: Stage, at: &str) -> Value {
    json!({ "type": "stage", "source": source, "application_id": id, "stage": stage.as_str(), "at": at })
}

/// What a delivery meant: events to take, or why it carries none (a ping, an event we do not use).
#[derive(Debug, PartialEq)]
pub enum Mapped {
    Events(Vec<Value>),
    Nothing(&'static str),
}

/// The events of a Greenhouse webhook: the application (upserted each time: every payload
/// carries all of it) and, for a stage change, hire or rejection, that stage.
pub fn greenhouse_events(payload: &Value, stages: &Map<String, Value>, received_at: &str) -> Mapped {
    let action = payload["action"].as_str().unwrap_or_default();
    if action == "ping" {
        return Mapped::Nothing("a ping: the webhook is connected");
    }
    if !matches!(action, "new_candidate_application" | "candidate_stage_change" | "hire_candidate" | "reject_candidate" | "unreject_candidate") {
        return Mapped::Nothing("an event the pipeline does not use");
    }
    let a = &payload["payload"]["application"];
    let Some(id) = id_text(&a["id"]) else { return Mapped::Events(vec![json!({ "type": "application", "source": GREENHOUSE })]) };
    let job = &a["jobs"][0];
    let office = &job["offices"][0];
    let candidate = &a["candidate"];
    let mut app = Map::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
            app.insert(k.into(), json!(v));
        }
    };
    put("type", Some("application".into()));
    put("source", Some(GREENHOUSE.into()));
    put("application_id", Some(id.clone()));
    put("applied_at", Some(a["applied_at"].as_str().unwrap_or(received_at).to_string()));
    put("candidate_id", id_text(&candidate["id"]));
    put("email", candidate["email_addresses"][0]["value"].as_str().map(str::to_string));
    put("phone", candidate["phone_numbers"][0]["value"].as_str().map(str::to_string));
    put("job_id", id_text(&job["id"]));
    put("job_name", job["name"].as_str().map(str::to_string));
    put("location", office["location"]["name"].as_str().or(office["location"].as_str()).or(office["name"].as_str()).map(str::to_string));
    put("ats_source", a["source"]["public_name"].as_str().or(a["source"]["name"].as_str()).map(str::to_string));
    // Landing pages hand their UTM values and Meta ids to the application form as custom fields.
    for (field, key) in [
        ("utm_source", "utm_source"),
        ("utm_medium", "utm_medium"),
        ("utm_campaign", "utm_campaign"),
        ("utm_term", "utm_term"),
        ("utm_content", "utm_content"),
        ("fbclid", "fbclid"),
        ("lead_id", "meta_lead_id"),
        ("ad_id", "meta_ad_id"),
    ] {
        let cf = &a["custom_fields"][key];
        put(field, cf["value"].as_str().or(cf.as_str()).map(str::to_string));
    }
    let mut out = vec![Value::Object(app)];
    let at = a["last_activity_at"].as_str().unwrap_or(received_at);
    let stage = match action {
        "hire_candidate" => Some((Stage::Hired, at)),
        "reject_candidate" => Some((Stage::Rejected, a["rejected_at"].as_str().unwrap_or(at))),
        "candidate_stage_change" => {
            let st = &a["current_stage"];
            id_text(&st["id"])
                .and_then(|i| stage_of(stages, &i).filter(|_| stages.contains_key(&i)))
                .or_else(|| st["name"].as_str().and_then(|n| stage_of(stages, n)))
                .map(|s| (s, at))
        }
        _ => None,
    };
    if let Some((s, at)) = stage {
        out.push(stage_event(GREENHOUSE, &id, s, at));
    }
    Mapped::Events(out)
}

/// The events of a Lever webhook. Lever's payloads carry ids; the opportunity itself (contacts,
/// `origin`, `sources`, the posting) comes along when the sender expanded it as `data.opportunity`,
/// and only then is the application written, so a bare stage change never blanks its fields.
pub fn lever_events(payload: &Value, stages: &Map<String, Value>) -> Mapped {
    let event = payload["event"].as_str().unwrap_or_default();
    if !matches!(event, "applicationCreated" | "candidateStageChange" | "candidateHired" | "candidateArchiveChange") {
        return Mapped::Nothing("an event the pipeline does not use");
    }
    let d = &payload["data"];
    let at = payload["triggeredAt"].as_i64().and_then(chrono::DateTime::from_timestamp_millis).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    let (Some(id), Some(at)) = (d["opportunityId"].as_str(), at) else {
        return Mapped::Events(vec![json!({ "type": "application", "source": LEVER })]);
    };
    let mut out = Vec::new();
    let opp = &d["opportunity"];
    if opp.is_object() {
        let posting = &opp["posting"];
        let mut app = json!({ "type": "application", "source": LEVER, "application_id": id,
            "applied_at": opp["createdAt"].as_i64().and_then(chrono::DateTime::from_timestamp_millis).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_else(|| at.clone()) });
        let fields = [
            ("candidate_id", d["candidateId"].as_str().or(d["contactId"].as_str()).or(opp["contact"].as_str())),
            ("email", opp["emails"][0].as_str()),
            ("phone", opp["phones"][0]["value"].as_str()),
            ("job_id", posting["id"].as_str()),
            ("job_name", posting["text"].as_str()),
            ("location", posting["categories"]["location"].as_str().or(opp["location"].as_str())),
            ("ats_source", opp["sources"][0].as_str().or(opp["origin"].as_str())),
        ];
        for (k, v) in fields {
            if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
                app[k] = json!(v);
            }
        }
        out.push(app);
    }
    let stage = match event {
        "candidateHired" => Some(Stage::Hired),
        "candidateStageChange" => d["toStageId"].as_str().and_then(|s| mapped(stages, s)),
        "candidateArchiveChange" if d["toArchived"].is_object() => {
            let reason = d["toArchived"]["reason"].as_str().unwrap_or_default().to_lowercase();
            Some(if reason.contains("withdr") {
                Stage::Withdrawn
            } else if reason.contains("hired") {
                Stage::Hired
            } else {
                Stage::Rejected
            })
        }
        _ => None,
    };
    if let Some(s) = stage {
        out.push(stage_event(LEVER, id, s, &at));
    }
    if out.is_empty() {
        return Mapped::Nothing("a stage the connection's stage map does not place");
    }
    Mapped::Events(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn sign(secret: &[u8], msg: &[u8]) -> String {
        let mut m = mac(secret).unwrap();
        m.update(msg);
        hex::encode(m.finalize().into_bytes())
    }

    #[test]
    fn greenhouse_signatures_cover_the_raw_body() {
        let body = br#"{"action":"ping"}"#;
        let good = format!("sha256 {}", sign(b"s3cret", body));
        assert!(greenhouse_signed(b"s3cret", body, Some(&good)));
        assert!(!greenhouse_signed(b"other", body, Some(&good)));
        assert!(!greenhouse_signed(b"s3cret", br#"{"action":"pong"}"#, Some(&good)));
        assert!(!greenhouse_signed(b"s3cret", body, Some(&good.replace("sha256 ", "sha1 "))));
        assert!(!greenhouse_signed(b"s3cret", body, None));
    }

    #[test]
    fn lever_signatures_cover_token_and_time_and_expire() {
        let now = 1_800_000_000_000;
        let p = |at: i64, sig: String| json!({ "token": "tok1", "triggeredAt": at, "signature": sig, "event": "candidateHired" });
        assert!(lever_signed(b"k", &p(now - 1_000, sign(b"k", format!("tok1{}", now - 1_000).as_bytes())), now));
        assert!(!lever_signed(b"k", &p(now - 1_000, sign(b"k", format!("tok1{now}").as_bytes())), now), "another time");
        let old = now - LEVER_MAX_AGE_MS - 1;
        assert!(!lever_signed(b"k", &p(old, sign(b"k", format!("tok1{old}").as_bytes())), now), "too old to trust");
    }

    #[test]
    fn stage_names_are_placed_by_the_map_first() {
        let map: Map<String, Value> = serde_json::from_value(json!({ "abc-123": "qualified", "phone screen": "qualified" })).unwrap();
        assert_eq!(stage_of(&map, "ABC-123"), Some(Stage::Qualified));
        assert_eq!(stage_of(&map, "Phone Screen"), Some(Stage::Qualified));
        assert_eq!(stage_of(&map, "Recruiter Screen"), Some(Stage::Screened));
        assert_eq!(stage_of(&map, "Face to Face Interview"), Some(Stage::Interviewed));
        assert_eq!(stage_of(&map, "Application Review"), None);
    }

    #[test]
    fn a_greenhouse_stage_change_is_the_application_and_its_stage() {
        let p = json!({ "action": "candidate_stage_change", "payload": { "application": {
            "id": 71980812, "applied_at": "2026-11-02T16:00:00Z", "last_activity_at": "2026-11-10T09:00:00Z",
            "current_stage": { "id": 5, "name": "Hiring Manager Review" }, "source": { "id": 16, "public_name": "Meta Jobs Ads" },
            "candidate": { "id": 60304594, "email_addresses": [{ "value": "ana@example.com", "type": "personal" }] },
            "jobs": [{ "id": 199, "name": "Registered Nurse", "offices": [{ "name": "Austin", "location": { "name": "Austin, TX" } }] }],
            "custom_fields": { "utm_campaign": { "name": "utm_campaign", "value": "rn_austin" }, "meta_lead_id": { "value": "555" } } } } });
        let Mapped::Events(ev) = greenhouse_events(&p, &Map::new(), "2026-11-24T00:00:00Z") else { panic!("events expected") };
        assert_eq!(ev[0]["application_id"], "71980812");
        assert_eq!(
            (ev[0]["job_id"].as_str(), ev[0]["location"].as_str(), ev[0]["ats_source"].as_str()),
            (Some("199"), Some("Austin, TX"), Some("Meta Jobs Ads"))
        );
        assert_eq!((ev[0]["utm_campaign"].as_str(), ev[0]["lead_id"].as_str()), (Some("rn_austin"), Some("555")));
        assert_eq!(ev[1], stage_event(GREENHOUSE, "71980812", Stage::Qualified, "2026-11-10T09:00:00Z"));
        assert_eq!(greenhouse_events(&json!({ "action": "ping" }), &Map::new(), "x"), Mapped::Nothing("a ping: the webhook is connected"));
    }

    #[test]
    fn a_bare_lever_stage_change_needs_the_stage_map_and_writes_no_application() {
        let map: Map<String, Value> = serde_json::from_value(json!({ "stage-9": "interviewed" })).unwrap();
        let p = json!({ "event": "candidateStageChange", "triggeredAt": 1_763_000_000_000i64, "data": { "opportunityId": "opp-1", "toStageId": "stage-9" } });
        let Mapped::Events(ev) = lever_events(&p, &map) else { panic!("events expected") };
        assert_eq!(ev, vec![stage_event(LEVER, "opp-1", Stage::Interviewed, "2025-11-13T02:13:20Z")]);
        assert!(matches!(lever_events(&p, &Map::new()), Mapped::Nothing(_)), "an unmapped stage id is not guessed");
    }
}
