//! Starts a simulator in-process on a free port and talks to it over real HTTP.

#![allow(dead_code)]

use graph_sim::{Config, Store};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

pub struct Sim {
    pub base: String,
    pub store: Arc<Mutex<Store>>,
    agent: ureq::Agent,
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn code(&self) -> i64 {
        self.body["error"]["code"].as_i64().unwrap_or(0)
    }
}

impl Sim {
    pub fn start() -> Sim {
        Sim::start_with(Config::default())
    }

    pub fn start_with(cfg: Config) -> Sim {
        let (base, store) = graph_sim::spawn_background(cfg);
        Sim { base, store, agent: ureq::AgentBuilder::new().redirects(0).build() }
    }

    pub fn call(&self, method: &str, path: &str, form: &[(&str, &str)]) -> Resp {
        let url = format!("{}{}", self.base, path);
        let r = if method == "GET" || method == "DELETE" {
            let mut req = self.agent.request(method, &url);
            for (k, v) in form {
                req = req.query(k, v);
            }
            req.call()
        } else {
            self.agent.request(method, &url).send_form(form)
        };
        let r = match r {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = r.status();
        let headers = r.headers_names().into_iter().map(|n| (n.clone(), r.header(&n).unwrap_or_default().to_string())).collect();
        let text = r.into_string().unwrap_or_default();
        Resp { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), headers }
    }

    pub fn control(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/__control{}", self.base, path);
        let r = if method == "GET" { self.agent.get(&url).call() } else { self.agent.request(method, &url).send_json(body) };
        match r {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r.into_json().unwrap_or(Value::Null),
            Err(e) => panic!("control {path}: {e}"),
        }
    }

    /// Seeds an account and returns (account id digits, token).
    pub fn seed(&self, spec: Value) -> (String, String) {
        let r = self.control("POST", "/accounts", spec);
        (r["account_id"].as_str().unwrap().to_string(), r["access_token"].as_str().unwrap().to_string())
    }

    pub fn seed_small(&self) -> (String, String) {
        self.seed(json!({ "campaigns": 3, "adsets_per_campaign": 2, "ads_per_adset": 2, "days": 14 }))
    }
}
