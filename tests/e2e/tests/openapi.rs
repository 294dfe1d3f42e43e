//! `/openapi.json`: valid OpenAPI 3.1 by an independent validator, and the gateway fuzzed from
//! it by schemathesis (no 5xx, statuses and bodies as documented), bounded to a few minutes.

use adgate_e2e::{json, repo_root, Connected};
use std::process::Command;
use std::time::{Duration, Instant};

const TOKEN: &str = "e2e-openapi-token-6c1e";

#[test]
fn the_document_validates_and_the_gateway_keeps_to_it_under_fuzzing() {
    let c = Connected::start("openapi", TOKEN, &[]);
    let iid = c.connect(TOKEN);
    assert_eq!(c.gw.admin("POST", &format!("/v1/workspaces/{}/integrations/{iid}/bind", c.ws), Some(&json!({"account_id": "act_100200300"}))).status, 201);
    let admin = c.key("admin");
    let doc = c.gw.get("/openapi.json");
    assert_eq!(doc.status, 200, "public, like /health");
    let actions = c.gw.admin("GET", "/v1/actions", None).body["data"].as_array().unwrap().clone();
    for a in &actions {
        let path = format!("/v1/actions/{}/{}", a["router"].as_str().unwrap(), a["action"].as_str().unwrap());
        let mut published = doc.body["paths"][&path]["post"]["requestBody"]["content"]["application/json"]["schema"].clone();
        published["properties"].as_object_mut().unwrap().remove("workspace_id");
        assert_eq!(published, a["input_schema"], "{path}: the schema /v1/actions publishes");
    }
    let file = repo_root().join("target/e2e-runs/openapi.json");
    std::fs::write(&file, &doc.text).unwrap();
    let venv = repo_root().join("target/check-venv/bin");
    let valid = Command::new(venv.join("openapi-spec-validator"))
        .args(["--schema", "3.1"])
        .arg(&file)
        .output()
        .expect("run openapi-spec-validator (scripts/setup installs it)");
    assert!(valid.status.success(), "{}{}", String::from_utf8_lossy(&valid.stdout), String::from_utf8_lossy(&valid.stderr));

    let started = Instant::now();
    let fuzz = Command::new(venv.join("st"))
        .args(["run", &format!("{}/openapi.json", c.gw.base), "--url", &c.gw.base])
        .args(["-H", &format!("Authorization: Bearer {admin}")])
        .args(["-c", "not_a_server_error,status_code_conformance,response_schema_conformance"])
        .args(["-n", "20", "--phases", "examples,fuzzing", "--seed", "7", "--no-color", "--request-timeout", "20"])
        .env("SCHEMATHESIS_HOOKS", "")
        // schemathesis keeps a cache in its working folder: keep it under target/.
        .current_dir(repo_root().join("target"))
        .output()
        .expect("run schemathesis (scripts/setup installs it)");
    let out = String::from_utf8_lossy(&fuzz.stdout).to_string();
    std::fs::write(repo_root().join("target/e2e-runs/schemathesis.txt"), &out).unwrap();
    // "Test cases:" is followed by "N generated, N passed, ...".
    let generated = out.lines().find(|l| l.contains(" generated,")).unwrap_or_default().trim().to_string();
    println!("schemathesis: {generated} in {:.0?} (report: target/e2e-runs/schemathesis.txt)", started.elapsed());
    let count: u64 = generated.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(count >= 100, "schemathesis generated {count} cases:\n{out}");
    assert!(fuzz.status.success(), "schemathesis found failures:\n{out}\n{}", String::from_utf8_lossy(&fuzz.stderr));
    assert!(started.elapsed() < Duration::from_secs(600));
}
