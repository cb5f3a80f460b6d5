//! Atlassian Connect JWT: signing the app's calls to Jira and verifying calls the other way.
//!
//! Every request to the Operations API carries `Authorization: JWT <token>`, an HS256 token
//! signed with the installation's shared secret whose `qsh` claim hashes that very request.
//! [`Signer`] makes one per request; [`Verifier`] checks one as Jira would. The canonical
//! request behind `qsh` is in [`canonical`].

pub mod canonical;
pub mod clock;
mod installation;
mod signer;
mod verify;

pub use canonical::CanonicalRequest;
pub use clock::{Clock, FixedClock, SystemClock};
pub use installation::Installation;
pub use signer::{DEFAULT_LIFETIME, SignError, Signer};
pub use verify::{
    CONTEXT_QSH, DEFAULT_LEEWAY_SECS, Incoming, InstallationStore, MemoryStore, Rejection,
    Verified, Verifier,
};
