//! `AccountFacts`: one instance per Meta ad account (`id_from_name(account_id)`), holding that
//! account's breakdown and hourly facts in its own SQLite database (`crate::facts`).
//!
//! Protocol (from the worker only): `POST https://facts/{account}/run` with
//! `{"statements": [{"sql", "binds"}]}`; the answer holds each statement's rows and the rows it
//! wrote. The statements run in order and each is atomic; a failing one ends the request with an
//! error and the ones after it do not run (writers send one writing statement per request).

use crate::facts::{object_schema, unwire};
use crate::ports::Bind;
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State};

#[durable_object]
pub struct AccountFacts {
    sql: SqlStorage,
}

impl DurableObject for AccountFacts {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        for schema in object_schema() {
            if let Err(e) = sql.exec(&schema, None) {
                worker::console_error!("AccountFacts schema: {e}");
            }
        }
        AccountFacts { sql }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if req.method() != worker::Method::Post || !req.path().ends_with("/run") {
            return Response::error("no fact operation here", 404);
        }
        let body: Value = req.json().await?;
        let statements = match unwire(&body) {
            Ok(s) => s,
            Err(why) => return Response::error(why, 400),
        };
        let mut results = Vec::with_capacity(statements.len());
        for q in &statements {
            let binds: Vec<SqlStorageValue> = q
                .binds
                .iter()
                .map(|b| match b {
                    Bind::Text(s) => SqlStorageValue::from(s.clone()),
                    Bind::Int(n) => SqlStorageValue::Integer(*n),
                    Bind::Real(x) => SqlStorageValue::Float(*x),
                    Bind::Null => SqlStorageValue::Null,
                })
                .collect();
            let cursor = self.sql.exec(&q.sql, binds)?;
            let rows: Vec<Value> = cursor.to_array()?;
            results.push(json!({ "rows": rows, "written": cursor.rows_written() }));
        }
        Response::from_json(&json!({ "results": results }))
    }
}
