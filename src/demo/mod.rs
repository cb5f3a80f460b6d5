//! Data for the demo: real public post-incident reports, mapped to incidents and reviews.

pub mod postmortems;
pub mod synthetic;
