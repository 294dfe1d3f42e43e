//! API keys: made from 29 random bytes, shown once, stored only as a SHA-256 hash with a
//! recognisable prefix. Who may do what is decided here, from plain values.

use base64::Engine;

pub const KEY_RANDOM_BYTES: usize = 4 + 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Recruiter,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "recruiter" => Some(Role::Recruiter),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Recruiter => "recruiter",
            Role::Admin => "admin",
        }
    }
}

/// A key as created: the plaintext goes to the caller once; the rest is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    pub plaintext: String,
    pub prefix: String,
    pub hash: String,
}

/// `adg_1a2b3c4d_<32 url-safe characters>`: the prefix identifies the key in lists and logs.
pub fn generate(random: &[u8; KEY_RANDOM_BYTES]) -> NewKey {
    let prefix = format!("adg_{}", hex::encode(&random[..4]));
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&random[4..]);
    let plaintext = format!("{prefix}_{secret}");
    let hash = crate::auth::sha256_hex(&plaintext);
    NewKey { plaintext, prefix, hash }
}

/// Who is calling: the bootstrap admin (every workspace) or a workspace's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Bootstrap,
    Key { key_id: String, workspace_id: String, role: Role },
}

impl Principal {
    /// The actor recorded in audit rows: a key id, never key material.
    pub fn actor(&self) -> String {
        match self {
            Principal::Bootstrap => "bootstrap".into(),
            Principal::Key { key_id, .. } => key_id.clone(),
        }
    }

    pub fn workspace(&self) -> Option<&str> {
        match self {
            Principal::Bootstrap => None,
            Principal::Key { workspace_id, .. } => Some(workspace_id),
        }
    }
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need<'a> {
    /// Platform operations (creating workspaces, platform ledgers).
    Bootstrap,
    /// Anyone in the workspace.
    Member(&'a str),
    /// An admin of the workspace.
    Admin(&'a str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);

pub fn authorize(p: &Principal, need: Need) -> Result<(), Denied> {
    match (p, need) {
        (Principal::Bootstrap, _) => Ok(()),
        (Principal::Key { .. }, Need::Bootstrap) => Err(Denied("this operation needs the bootstrap admin key".into())),
        (Principal::Key { workspace_id, .. }, Need::Member(ws) | Need::Admin(ws)) if workspace_id != ws => {
            Err(Denied("this key belongs to another workspace".into()))
        }
        (Principal::Key { role: Role::Recruiter, .. }, Need::Admin(_)) => Err(Denied("this operation needs an admin key".into())),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_prefixed_and_hashed() {
        let k = generate(&[7u8; KEY_RANDOM_BYTES]);
        assert_eq!(k.prefix, "adg_07070707");
        assert!(k.plaintext.starts_with("adg_07070707_"));
        assert_eq!(k.plaintext.len(), "adg_07070707_".len() + 32);
        assert_eq!(k.hash, crate::auth::sha256_hex(&k.plaintext));
        assert_ne!(generate(&[8u8; KEY_RANDOM_BYTES]).hash, k.hash);
    }

    #[test]
    fn roles_and_workspaces_are_enforced() {
        let recruiter = Principal::Key { key_id: "key_1".into(), workspace_id: "ws_a".into(), role: Role::Recruiter };
        let admin = Principal::Key { key_id: "key_2".into(), workspace_id: "ws_a".into(), role: Role::Admin };
        assert!(authorize(&recruiter, Need::Member("ws_a")).is_ok());
        assert!(authorize(&recruiter, Need::Admin("ws_a")).unwrap_err().0.contains("admin"));
        assert!(authorize(&admin, Need::Admin("ws_a")).is_ok());
        assert!(authorize(&admin, Need::Member("ws_b")).unwrap_err().0.contains("another workspace"));
        assert!(authorize(&admin, Need::Bootstrap).is_err());
        assert!(authorize(&Principal::Bootstrap, Need::Admin("ws_b")).is_ok());
        assert_eq!(admin.actor(), "key_2");
    }
}
