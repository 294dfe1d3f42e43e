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

/// Who is calling: the bootstrap admin (every workspace) or a workspace key, which belongs to
/// one member (a person) and carries that member's role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Bootstrap,
    Key { key_id: String, member_id: String, workspace_id: String, role: Role },
}

/// The person the bootstrap key stands for (the platform operator) wherever a member id goes.
pub const BOOTSTRAP_PERSON: &str = "bootstrap";

impl Principal {
    /// The actor recorded in audit rows: a key id, never key material.
    pub fn actor(&self) -> String {
        match self {
            Principal::Bootstrap => "bootstrap".into(),
            Principal::Key { key_id, .. } => key_id.clone(),
        }
    }

    /// The person behind the call: a member id, or `bootstrap` for the platform operator. Two
    /// keys of one member are one person; four-eyes compares this, never keys.
    pub fn person(&self) -> String {
        match self {
            Principal::Bootstrap => BOOTSTRAP_PERSON.into(),
            Principal::Key { member_id, .. } => member_id.clone(),
        }
    }

    /// The member id, for audit rows (none for the bootstrap key).
    pub fn member_id(&self) -> Option<&str> {
        match self {
            Principal::Bootstrap => None,
            Principal::Key { member_id, .. } => Some(member_id),
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

/// Who may add a member with `role`: the bootstrap key any; a workspace admin only recruiters.
/// Admins are vetted by the platform operator, so an admin cannot mint a second admin for
/// themselves and approve their own requests with it.
pub fn may_create_member(p: &Principal, workspace: &str, role: Role) -> Result<(), Denied> {
    authorize(p, Need::Admin(workspace))?;
    match (p, role) {
        (Principal::Key { .. }, Role::Admin) => Err(Denied("only the bootstrap key can add an admin member".into())),
        _ => Ok(()),
    }
}

/// Who may mint a key for `member_id`: the bootstrap key, or that member themselves.
pub fn may_mint_key_for(p: &Principal, workspace: &str, member_id: &str) -> Result<(), Denied> {
    authorize(p, Need::Member(workspace))?;
    match p {
        Principal::Key { member_id: own, .. } if own != member_id => Err(Denied("a member can mint keys only for themselves".into())),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

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
        let recruiter = Principal::Key { key_id: "key_1".into(), member_id: "mem_1".into(), workspace_id: "ws_a".into(), role: Role::Recruiter };
        let admin = Principal::Key { key_id: "key_2".into(), member_id: "mem_2".into(), workspace_id: "ws_a".into(), role: Role::Admin };
        assert!(authorize(&recruiter, Need::Member("ws_a")).is_ok());
        assert!(authorize(&recruiter, Need::Admin("ws_a")).unwrap_err().0.contains("admin"));
        assert!(authorize(&admin, Need::Admin("ws_a")).is_ok());
        assert!(authorize(&admin, Need::Member("ws_b")).unwrap_err().0.contains("another workspace"));
        assert!(authorize(&admin, Need::Bootstrap).is_err());
        assert!(authorize(&Principal::Bootstrap, Need::Admin("ws_b")).is_ok());
        assert_eq!(admin.actor(), "key_2");
        assert_eq!((admin.person(), admin.member_id()), ("mem_2".to_string(), Some("mem_2")));
        assert_eq!((Principal::Bootstrap.person(), Principal::Bootstrap.member_id()), (BOOTSTRAP_PERSON.to_string(), None));
    }

    #[test]
    fn members_are_made_by_admins_and_keys_only_for_oneself() {
        let admin = Principal::Key { key_id: "key_a".into(), member_id: "mem_a".into(), workspace_id: "ws".into(), role: Role::Admin };
        let recruiter = Principal::Key { key_id: "key_r".into(), member_id: "mem_r".into(), workspace_id: "ws".into(), role: Role::Recruiter };
        assert!(may_create_member(&admin, "ws", Role::Recruiter).is_ok());
        assert!(may_create_member(&admin, "ws", Role::Admin).unwrap_err().0.contains("bootstrap"));
        assert!(may_create_member(&recruiter, "ws", Role::Recruiter).is_err());
        assert!(may_create_member(&admin, "other", Role::Recruiter).is_err());
        assert!(may_create_member(&Principal::Bootstrap, "ws", Role::Admin).is_ok());
        assert!(may_mint_key_for(&admin, "ws", "mem_a").is_ok());
        assert!(may_mint_key_for(&admin, "ws", "mem_r").unwrap_err().0.contains("themselves"));
        assert!(may_mint_key_for(&recruiter, "ws", "mem_r").is_ok());
        assert!(may_mint_key_for(&recruiter, "other", "mem_r").is_err());
        assert!(may_mint_key_for(&Principal::Bootstrap, "ws", "mem_r").is_ok());
    }
}
