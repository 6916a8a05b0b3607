//! The compiled policy: immutable, built once by the compiler and read by the engine on every
//! request. Issuers with their profiles and keys, names interned to bits, requirements
//! evaluated on plain facts, and routes.

mod issuer;
pub(crate) mod profile;
mod requirement;
mod route;
mod symbols;

pub use issuer::{Issuer, IssuerTable};
pub(crate) use requirement::{Blocker, Facts, Requirement};
pub(crate) use route::{Access, CompiledRoute};
pub(crate) use symbols::{BitSet, Interner, Symbols};

use crate::routes::RouteTable;

/// Everything the compiler produces for the engine.
#[derive(Debug)]
pub(crate) struct Model {
    pub issuers: IssuerTable,
    pub symbols: Symbols,
    pub routes: RouteTable,
    /// Indexed by [`crate::RouteId`].
    pub compiled: Vec<CompiledRoute>,
}
