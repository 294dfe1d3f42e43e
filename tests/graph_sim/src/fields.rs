//! `fields=` selection with nested expansion: `id,name,adset{name,status},ads.limit(5){id}`.

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    /// Modifiers such as `.limit(5)`, kept as (name, argument).
    pub modifiers: Vec<(String, String)>,
    pub children: Option<Vec<Field>>,
}

/// Parses a fields list. Unbalanced braces are an error with Graph's wording.
pub fn parse(spec: &str) -> Result<Vec<Field>, String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut pos = 0;
    let fields = parse_list(&chars, &mut pos)?;
    if pos != chars.len() {
        return Err(format!("Syntax error \"Expected end of string instead of \"{}\".\" at character {pos}: {spec}", chars[pos]));
    }
    Ok(fields)
}

fn parse_list(c: &[char], pos: &mut usize) -> Result<Vec<Field>, String> {
    let mut out = Vec::new();
    loop {
        while *pos < c.len() && c[*pos].is_whitespace() {
            *pos += 1;
        }
        let start = *pos;
        while *pos < c.len() && (c[*pos].is_alphanumeric() || c[*pos] == '_') {
            *pos += 1;
        }
        let name: String = c[start..*pos].iter().collect();
        if name.is_empty() {
            if *pos < c.len() && c[*pos] == '}' || *pos == c.len() {
                return Ok(out);
            }
            return Err(format!("Syntax error at character {pos}", pos = *pos));
        }
        let mut field = Field { name, modifiers: vec![], children: None };
        while *pos < c.len() && c[*pos] == '.' {
            *pos += 1;
            let s = *pos;
            while *pos < c.len() && c[*pos] != '(' {
                *pos += 1;
            }
            let m: String = c[s..*pos].iter().collect();
            *pos += 1;
            let s = *pos;
            while *pos < c.len() && c[*pos] != ')' {
                *pos += 1;
            }
            if *pos >= c.len() {
                return Err("Syntax error: unclosed modifier".into());
            }
            let arg: String = c[s..*pos].iter().collect();
            *pos += 1;
            field.modifiers.push((m, arg));
        }
        if *pos < c.len() && c[*pos] == '{' {
            *pos += 1;
            field.children = Some(parse_list(c, pos)?);
            if *pos >= c.len() || c[*pos] != '}' {
                return Err("Syntax error: expected }".into());
            }
            *pos += 1;
        }
        out.push(field);
        while *pos < c.len() && c[*pos].is_whitespace() {
            *pos += 1;
        }
        if *pos < c.len() && c[*pos] == ',' {
            *pos += 1;
            continue;
        }
        return Ok(out);
    }
}

/// Keeps only the selected members of a rendered object (plain, non-expanding members).
pub fn select_plain(full: &Map<String, Value>, fields: &[Field]) -> Map<String, Value> {
    let mut out = Map::new();
    for f in fields {
        if let Some(v) = full.get(&f.name) {
            let v = match (&f.children, v) {
                (Some(children), Value::Object(o)) => Value::Object(select_plain(o, children)),
                _ => v.clone(),
            };
            out.insert(f.name.clone(), v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_fields_and_modifiers() {
        let f = parse("id,name,adset{name,status},ads.limit(5){id}").unwrap();
        assert_eq!(f.len(), 4);
        assert_eq!(f[2].children.as_ref().unwrap()[1].name, "status");
        assert_eq!(f[3].modifiers, vec![("limit".to_string(), "5".to_string())]);
        assert!(parse("id,adset{name").is_err());
    }
}
