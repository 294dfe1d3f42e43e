//! The recruiting pipeline: applications and their stages from recruiting systems, joined to the
//! Meta objects that brought them, so spend can be followed from impression to hire.

pub mod ats;
pub mod attribution;
pub mod body;
pub mod conversions;
pub mod costs;
pub mod events;
pub mod funnel;
pub mod intake;
pub mod store;
