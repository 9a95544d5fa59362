//! Registries: a blocking Distribution-API client (auth challenges, TLS flags, retries,
//! verified streaming downloads), transfers between a registry and an OCI layout, the
//! registry conversion (pull into a staging layout, convert, push, tag last) and
//! `convertor copy`.

mod api;
mod auth;
mod client;
mod convert;
mod copy;
mod credhelper;
mod dedup_site;
mod graph;
mod parallel;
pub(crate) mod reference;
mod referrers;
mod retry;
mod tls;
mod transfer;
mod upload;
mod uploader;

pub use api::{Fetched, MANIFEST_ACCEPT, Repo, document_media_type};
pub use auth::{Challenge, docker_config_entry};
pub use client::{Access, Client, ClientConfig};
pub use convert::convert_registry;
pub use copy::{CopyArgs, CopyCommand, CopyReport, copy_main, parse_copy};
pub use reference::{Endpoint, Reference, Target};
pub use retry::RetryPolicy;

use std::path::PathBuf;

/// Parallel blob transfers per run (upstream caps a host at 32 connections; a few streams
/// already fill a link).
pub const TRANSFER_JOBS: usize = 4;

/// A failed registry operation. Each message is one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("{0:?} is not a reference of the form host[:port]/path[:tag|@digest] or oci:DIR[:TAG]")]
    BadReference(String),
    #[error("client certificate {}: {why}", cert.display())]
    ClientCert { cert: PathBuf, why: String },
    #[error("cannot reach registry {host}: {detail}")]
    Unreachable { host: String, detail: String },
    #[error("registry {host} rejected the credentials of user {user:?} (401 Unauthorized)")]
    Unauthorized { host: String, user: String },
    #[error("registry {host} requires credentials (401 Unauthorized): pass -u user:password")]
    NeedsCredentials { host: String },
    #[error("authentication failed: {0}")]
    Auth(String),
    #[error("{what} not found in {repository}")]
    NotFound { what: String, repository: String },
    #[error("{what}: access denied (403) {message}")]
    Denied { what: String, message: String },
    #[error("{what}: registry answered HTTP {status} {message}")]
    Status {
        what: String,
        status: u16,
        message: String,
    },
    #[error("digest mismatch: expected {expected}, the content hashes to {actual}")]
    DigestMismatch { expected: String, actual: String },
    #[error("blob {digest} has {actual} bytes, its descriptor says {expected}")]
    SizeMismatch {
        digest: String,
        expected: u64,
        actual: u64,
    },
    #[error("registry protocol error: {0}")]
    Protocol(String),
    #[error("transfer failed: {0}")]
    Io(String),
    #[error("a registry client lock was poisoned by a panicking thread")]
    Poisoned,
    #[error("credential helper {helper}: {why}")]
    CredentialHelper { helper: String, why: String },
    #[error("{0}")]
    Interrupted(#[from] crate::interrupt::Interrupted),
}
