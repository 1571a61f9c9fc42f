//! Notary Project (notation) signature verification, offline, following the Notary Project
//! specifications and notation-go's behaviour (departures are documented where they are made).
//!
//! Kept free of the rest of sigaudit so that it can be published on its own, but for
//! [`crate::gojson`] (self-contained too), through which every JSON it reads that decides trust
//! goes (envelope, protected header, payload, trust policy, CRL cache entry), so that both share
//! one rule for keys Go reads as one field:
//! - [`policy`]: trust policy documents (`trustpolicy.oci.json` / `trustpolicy.json`), their
//!   validation, verification levels, registry scopes and trusted identities;
//! - [`dn`]: distinguished names as notation parses and compares them;
//! - [`envelope`]: JWS and COSE signature envelopes, header rules and the integrity check;
//! - [`x509`]: certificates with their original bytes, Go-compatible subject rendering and
//!   certificate-link verification (aws-lc-rs);
//! - [`chain`]: notation's code-signing chain rules, validity and authenticity;
//! - [`truststore`]: named trust stores, where one bad file never poisons its store;
//! - [`timestamp`]: RFC 3161 timestamp countersignatures, verified offline like notation-go;
//! - [`revocation`]: offline revocation checking of a chain from CRL files and the notation CLI
//!   CRL cache (OCSP cannot be done offline);
//! - [`verifier`]: the per-signature pipeline (levels, checks, stores, the descriptor check).

pub mod chain;
pub mod dn;
pub mod envelope;
mod file;
mod gofmt;
pub mod policy;
pub mod revocation;
pub mod timestamp;
pub mod truststore;
pub mod verifier;
pub mod x509;
