//! A batch longer than one request (50 calls, or the room left in the account's gate) goes in
//! several; Meta resolves `{result=NAME:$.id}` only within one request. A call that names a call
//! answered in an earlier request gets that call's id written in instead, and one whose named
//! call failed is not sent at all, as Meta does not run a call whose dependency failed.

use super::client::{BatchCall, BatchResult};
use super::error::GraphApiError;
use std::collections::HashMap;

/// What earlier requests answered, by call name: the id, or `None` when the call failed.
pub type Answered = HashMap<String, Option<String>>;

/// Notes a named call's result.
pub fn note(answered: &mut Answered, call: &BatchCall, result: &BatchResult) {
    if let Some(name) = &call.name {
        let id = match result {
            BatchResult::Ok(v) => v["id"].as_str().map(str::to_string),
            BatchResult::Err(_) => None,
        };
        answered.insert(name.clone(), id);
    }
}

/// The call ready to send in a later request, or the name of the failed call it depends on
/// (it is not sent; `not_sent` is its result).
pub fn carry(call: &BatchCall, answered: &Answered) -> Result<BatchCall, String> {
    let mut out = call.clone();
    for (name, id) in answered {
        let raw = BatchCall::id_of(name);
        let encoded: String = url::form_urlencoded::byte_serialize(raw.as_bytes()).collect();
        let mentions = |t: &str| t.contains(&raw) || t.contains(&encoded);
        if !mentions(&out.relative_url) && !out.body.as_deref().is_some_and(mentions) {
            continue;
        }
        let Some(id) = id else { return Err(name.clone()) };
        out.relative_url = out.relative_url.replace(&raw, id).replace(&encoded, id);
        out.body = out.body.map(|b| b.replace(&raw, id).replace(&encoded, id));
    }
    Ok(out)
}

/// The result of a call not sent because the call `name` it depends on failed.
pub fn not_sent(name: &str) -> BatchResult {
    BatchResult::Err(GraphApiError {
        http_status: 400,
        code: 100,
        subcode: None,
        kind: "GraphBatchException".into(),
        message: format!("not sent: it depends on batch call \"{name}\", which failed"),
        fbtrace_id: None,
        is_transient: false,
        user_title: None,
        user_msg: None,
        regain_access_minutes: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_reference_to_an_earlier_request_becomes_the_id_in_url_and_encoded_body() {
        let campaign = BatchCall::write("POST", "act_1/campaigns", &pairs(&[("name", "C")])).named("c");
        let mut answered = Answered::new();
        note(&mut answered, &campaign, &BatchResult::Ok(json!({ "id": "120" })));
        let set = BatchCall::write("POST", "act_1/adsets", &pairs(&[("campaign_id", &BatchCall::id_of("c")), ("name", "S")])).named("s");
        let read = BatchCall::get(format!("{}/adsets", BatchCall::id_of("c")), &[]);
        assert_eq!(carry(&set, &answered).unwrap().body.as_deref(), Some("campaign_id=120&name=S"));
        assert_eq!(carry(&read, &answered).unwrap().relative_url, "120/adsets");
        let unrelated = BatchCall::write("POST", "act_1/adsets", &pairs(&[("campaign_id", &BatchCall::id_of("other"))]));
        assert_eq!(carry(&unrelated, &answered).unwrap(), unrelated, "a name of the same request stays for Meta to resolve");
    }

    #[test]
    fn a_call_whose_dependency_failed_is_not_sent() {
        let campaign = BatchCall::write("POST", "act_1/campaigns", &[]).named("c");
        let mut answered = Answered::new();
        note(&mut answered, &campaign, &BatchResult::Err(GraphApiError::from_body(500, "{}")));
        let set = BatchCall::write("POST", "act_1/adsets", &pairs(&[("campaign_id", &BatchCall::id_of("c"))]));
        assert_eq!(carry(&set, &answered), Err("c".to_string()));
        match not_sent("c") {
            BatchResult::Err(e) => assert!(e.message.contains("\"c\"") && e.code == 100, "{e}"),
            other => panic!("{other:?}"),
        }
    }
}
