//! Validation of the JSON bodies that create workspaces and bind ad accounts. Every rejection
//! names the field and the reason; unknown fields are rejected too, so typos do not pass silently.

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    fn new(field: &str, reason: impl Into<String>) -> Self {
        FieldError { field: field.to_string(), reason: reason.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWorkspace {
    pub name: String,
    pub currency: String,
    pub timezone_name: String,
}

/// A person of a workspace, as an admin adds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    pub name: String,
    pub email: String,
    pub role: crate::api_keys::Role,
    pub key_label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdAccount {
    /// Meta's numeric account id, without the `act_` prefix.
    pub account_id: String,
    pub name: String,
    pub currency: String,
    pub timezone_name: String,
}

/// Meta ad account ids are decimal digits; `act_` is the node prefix.
pub fn is_meta_account_id(id: &str) -> bool {
    (1..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

/// Accepts `act_123` or `123` and returns `123`.
pub fn normalise_account_id(raw: &str) -> Option<String> {
    let digits = raw.strip_prefix("act_").unwrap_or(raw);
    is_meta_account_id(digits).then(|| digits.to_string())
}

struct Fields<'a> {
    obj: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    fn of(body: &'a Value, allowed: &[&str]) -> Result<Self, FieldError> {
        let obj = body.as_object().ok_or_else(|| FieldError::new("body", "must be a JSON object"))?;
        if let Some(unknown) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(FieldError::new(&crate::problem::excerpt(unknown), format!("unknown field; allowed: {}", allowed.join(", "))));
        }
        Ok(Fields { obj })
    }

    fn text(&self, field: &str, max_len: usize) -> Result<Option<String>, FieldError> {
        match self.obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                let s = s.trim();
                if s.is_empty() {
                    Err(FieldError::new(field, "must not be empty"))
                } else if s.chars().count() > max_len {
                    Err(FieldError::new(field, format!("must be at most {max_len} characters")))
                } else if s.chars().any(char::is_control) {
                    Err(FieldError::new(field, "must not contain control characters"))
                } else {
                    Ok(Some(s.to_string()))
                }
            }
            Some(other) => Err(FieldError::new(field, format!("must be a string, got {}", json_kind(other)))),
        }
    }

    fn required(&self, field: &str, max_len: usize) -> Result<String, FieldError> {
        self.text(field, max_len)?.ok_or_else(|| FieldError::new(field, "is required"))
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn currency(fields: &Fields, field: &str) -> Result<String, FieldError> {
    let c = fields.required(field, 3)?;
    if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(c)
    } else {
        Err(FieldError::new(field, "must be a 3-letter ISO 4217 code in capitals, e.g. USD"))
    }
}

fn timezone(fields: &Fields, field: &str) -> Result<String, FieldError> {
    let tz = fields.required(field, 64)?;
    tz.parse::<chrono_tz::Tz>()
        .map(|_| tz.clone())
        .map_err(|_| FieldError::new(field, format!("{:?} is not an IANA time zone name", crate::problem::excerpt(&tz))))
}

pub fn new_workspace(body: &Value) -> Result<NewWorkspace, FieldError> {
    let f = Fields::of(body, &["name", "currency", "timezone_name"])?;
    Ok(NewWorkspace {
        name: f.required("name", 120)?,
        currency: currency(&f, "currency")?,
        timezone_name: match f.text("timezone_name", 64)? {
            None => "UTC".to_string(),
            Some(_) => timezone(&f, "timezone_name")?,
        },
    })
}

/// A plausible e-mail address: one `@`, a dotted domain, no spaces, at most 254 characters.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub fn new_member(body: &Value) -> Result<NewMember, FieldError> {
    let f = Fields::of(body, &["name", "email", "role", "key_label"])?;
    let name = f.required("name", 120)?;
    let email = f.required("email", 254)?.to_ascii_lowercase();
    if !is_email(&email) {
        return Err(FieldError::new("email", "must be an e-mail address such as dana@example.com"));
    }
    let role = f.required("role", 16)?;
    let role = crate::api_keys::Role::parse(&role).ok_or_else(|| FieldError::new("role", "must be recruiter or admin"))?;
    Ok(NewMember { name, email, role, key_label: f.text("key_label", 120)? })
}

pub fn new_ad_account(body: &Value) -> Result<NewAdAccount, FieldError> {
    let f = Fields::of(body, &["account_id", "name", "currency", "timezone_name"])?;
    let raw_id = f.required("account_id", 24)?;
    let account_id = normalise_account_id(&raw_id).ok_or_else(|| FieldError::new("account_id", "must be a Meta ad account id such as act_1234567890"))?;
    Ok(NewAdAccount { account_id, name: f.required("name", 200)?, currency: currency(&f, "currency")?, timezone_name: timezone(&f, "timezone_name")? })
}

/// An ad account may be bound only to a workspace that reports in the same currency, so that
/// workspace totals never add up amounts in different currencies.
pub fn check_currency(workspace_currency: &str, account: &NewAdAccount) -> Result<(), FieldError> {
    if workspace_currency == account.currency {
        Ok(())
    } else {
        Err(FieldError::new("currency", format!("the ad account reports in {} but the workspace reports in {workspace_currency}", account.currency)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn workspace_defaults_its_time_zone_to_utc() {
        let ws = new_workspace(&json!({"name": " Fleet hiring ", "currency": "USD"})).unwrap();
        assert_eq!(ws, NewWorkspace { name: "Fleet hiring".into(), currency: "USD".into(), timezone_name: "UTC".into() });
    }

    #[test]
    fn names_the_offending_field() {
        let cases = [
            (json!([1]), "body"),
            (json!({"name": "a", "currency": "usd"}), "currency"),
            (json!({"name": "", "currency": "USD"}), "name"),
            (json!({"name": 5, "currency": "USD"}), "name"),
            (json!({"currency": "USD"}), "name"),
            (json!({"name": "a", "currency": "USD", "colour": "red"}), "colour"),
            (json!({"name": "a", "currency": "USD", "timezone_name": "Mars/Olympus"}), "timezone_name"),
        ];
        for (body, field) in cases {
            assert_eq!(new_workspace(&body).unwrap_err().field, field, "{body}");
        }
    }

    #[test]
    fn members_have_a_name_an_email_and_a_role() {
        let m = new_member(&json!({"name": "Dana", "email": "Dana@Example.com", "role": "recruiter"})).unwrap();
        assert_eq!((m.email.as_str(), m.role), ("dana@example.com", crate::api_keys::Role::Recruiter));
        for (body, field) in [
            (json!({"name": "Dana", "email": "dana", "role": "admin"}), "email"),
            (json!({"name": "Dana", "email": "a@b", "role": "admin"}), "email"),
            (json!({"name": "Dana", "email": "a b@c.d", "role": "admin"}), "email"),
            (json!({"name": "Dana", "email": "a@c.d", "role": "owner"}), "role"),
            (json!({"email": "a@c.d", "role": "admin"}), "name"),
            (json!({"name": "Dana", "email": "a@c.d", "role": "admin", "member_of": "x"}), "member_of"),
        ] {
            assert_eq!(new_member(&body).unwrap_err().field, field, "{body}");
        }
    }

    #[test]
    fn ad_account_ids_are_normalised() {
        let body = json!({"account_id": "act_42", "name": "Drivers", "currency": "USD", "timezone_name": "America/Los_Angeles"});
        assert_eq!(new_ad_account(&body).unwrap().account_id, "42");
        let body = json!({"account_id": "act_4x2", "name": "Drivers", "currency": "USD", "timezone_name": "UTC"});
        assert_eq!(new_ad_account(&body).unwrap_err().field, "account_id");
        assert_eq!(normalise_account_id("77"), Some("77".into()));
        assert_eq!(normalise_account_id("act_"), None);
    }

    #[test]
    fn refuses_an_account_in_another_currency() {
        let body = json!({"account_id": "1", "name": "EU", "currency": "EUR", "timezone_name": "Europe/Berlin"});
        let acct = new_ad_account(&body).unwrap();
        let err = check_currency("USD", &acct).unwrap_err();
        assert_eq!(err.field, "currency");
        assert!(err.reason.contains("EUR") && err.reason.contains("USD"));
        assert!(check_currency("EUR", &acct).is_ok());
    }
}
