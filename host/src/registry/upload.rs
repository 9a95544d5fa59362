//! Blob uploads: a session is opened by POST, the file goes in one PUT, and a session that
//! does not complete (an error, a stop request) is cancelled by DELETE rather than left to
//! the registry's purge.

use super::RegistryError;
use super::api::{Repo, location};
use super::client::{Access, Body, Call};
use std::path::Path;
use ureq::http::Method;

impl Repo<'_> {
    /// Uploads a blob file (the caller checked the registry lacks it).
    pub fn upload_blob(&self, digest: &str, file: &Path) -> Result<(), RegistryError> {
        let start = self.call(Method::POST, "blobs/uploads/".to_string(), Access::Push);
        let mut resp = self.client.send(&start)?;
        self.expect(&mut resp, &[202], || format!("upload of {digest}"))?;
        let loc = location(&resp).ok_or_else(|| {
            RegistryError::Protocol(format!("upload of {digest}: 202 without a Location"))
        })?;
        let result = self.finish_upload(digest, file, &loc);
        if result.is_err() {
            self.cancel_upload(&loc);
        }
        result
    }

    fn finish_upload(&self, digest: &str, file: &Path, loc: &str) -> Result<(), RegistryError> {
        let sep = if loc.contains('?') { '&' } else { '?' };
        let put = Call {
            method: Method::PUT,
            url: format!("{loc}{sep}digest={digest}"),
            headers: vec![("Content-Type", "application/octet-stream".to_string())],
            body: Body::File(file),
            repository: self.name,
            access: Access::Push,
        };
        let mut resp = self.client.send(&put)?;
        self.expect(&mut resp, &[201, 204], || format!("upload of {digest}"))
    }

    /// Abandons an upload session; failures are ignored (the registry purges old sessions).
    pub fn cancel_upload(&self, loc: &str) {
        let cancel = Call {
            method: Method::DELETE,
            url: loc.to_string(),
            headers: Vec::new(),
            body: Body::Empty,
            repository: self.name,
            access: Access::Push,
        };
        let _ = self.client.send(&cancel);
    }
}
