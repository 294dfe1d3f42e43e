//! Operating adgate: retention, audit completeness, service alerts and the operations digest.

pub mod audit_check;
pub mod digest;
pub mod retention;
pub mod service_alerts;
