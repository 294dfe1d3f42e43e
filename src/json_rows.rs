//! One statement per page of rows: the rows are bound as a single JSON array of arrays (`?1`)
//! and spread with `json_each`, so a page costs one statement and one parameter whatever its
//! size, and D1's limit on bound parameters never binds.

/// `INSERT INTO table (columns) SELECT ... FROM json_each(?1) ON CONFLICT (key) DO UPDATE` every
/// other column, optionally only `WHERE only_if` holds.
pub fn upsert_sql(table: &str, columns: &[&str], key: &[&str], only_if: Option<&str>) -> String {
    let picks: Vec<String> = (0..columns.len()).map(|i| format!("json_extract(value, '$[{i}]')")).collect();
    let updates: Vec<String> = columns.iter().filter(|c| !key.contains(c)).map(|c| format!("{c} = excluded.{c}")).collect();
    let guard = only_if.map(|w| format!(" WHERE {w}")).unwrap_or_default();
    format!(
        "INSERT INTO {table} ({}) SELECT {} FROM json_each(?1) WHERE true ON CONFLICT ({}) DO UPDATE SET {}{guard}",
        columns.join(", "),
        picks.join(", "),
        key.join(", "),
        updates.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_column_is_picked_and_only_non_key_ones_updated() {
        let sql = upsert_sql("t", &["id", "a", "b"], &["id"], Some("excluded.a > t.a"));
        assert!(sql.starts_with(
            "INSERT INTO t (id, a, b) SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?1)"
        ));
        assert!(sql.contains("ON CONFLICT (id) DO UPDATE SET a = excluded.a, b = excluded.b WHERE excluded.a > t.a"), "{sql}");
        assert!(!upsert_sql("t", &["id", "a"], &["id"], None).contains(" WHERE excluded"));
    }
}
