//! Blob uploads: a session is opened by POST; a small file goes in one PUT, a large one in
//! PATCH chunks closed by an empty PUT (monolithic again when the registry refuses chunks). A
//! session that does not complete (an error, a stop request) is cancelled by DELETE rather
//! than left to the registry's purge.

use super::RegistryError;
use super::api::{Repo, location};
use super::client::{Access, Body, Call};
use std::path::Path;
use ureq::http::Method;

/// Blobs larger than this go up in chunks of this size: a failure costs one chunk, and
/// proxies with body limits pass them.
pub const CHUNK_SIZE: u64 = 16 << 20;

impl Repo<'_> {
    /// Uploads a blob file (the caller checked the registry lacks it).
    pub fn upload_blob(&self, digest: &str, file: &Path) -> Result<(), RegistryError> {
        let size = std::fs::metadata(file)
            .map_err(|e| RegistryError::Io(format!("{}: {e}", file.display())))?
            .len();
        let mut loc = self.start_upload(digest)?;
        let result = self.upload_in(digest, file, size, &mut loc);
        if result.is_err() {
            self.cancel_upload(&loc);
        }
        result
    }

    fn upload_in(
        &self,
        digest: &str,
        file: &Path,
        size: u64,
        loc: &mut String,
    ) -> Result<(), RegistryError> {
        if size > CHUNK_SIZE {
            if self.send_chunks(digest, file, size, loc)? {
                return self.close_upload(digest, loc, Body::Bytes(&[]));
            }
            // Refused: that session is unusable; a fresh one takes the file whole.
            self.cancel_upload(loc);
            *loc = self.start_upload(digest)?;
        }
        self.close_upload(digest, loc, Body::File(file))
    }

    /// POSTs for a session; returns its URL.
    fn start_upload(&self, digest: &str) -> Result<String, RegistryError> {
        let start = self.call(Method::POST, "blobs/uploads/".to_string(), Access::Push);
        let mut resp = self.client.send(&start)?;
        self.expect(&mut resp, &[202], || format!("upload of {digest}"))?;
        location(&resp).ok_or_else(|| {
            RegistryError::Protocol(format!("upload of {digest}: 202 without a Location"))
        })
    }

    /// PATCHes the file chunk by chunk, following each answer's `Location`. `Ok(false)` when
    /// the registry refused the first chunk (no chunked uploads there).
    fn send_chunks(
        &self,
        digest: &str,
        file: &Path,
        size: u64,
        loc: &mut String,
    ) -> Result<bool, RegistryError> {
        let mut offset = 0;
        while offset < size {
            let len = CHUNK_SIZE.min(size - offset);
            let patch = Call {
                method: Method::PATCH,
                url: loc.clone(),
                headers: vec![
                    ("Content-Type", "application/octet-stream".to_string()),
                    ("Content-Range", format!("{offset}-{}", offset + len - 1)),
                ],
                body: Body::Range(file, offset, len),
                repository: self.name,
                access: Access::Push,
            };
            let mut resp = self.client.send(&patch)?;
            if offset == 0 && matches!(resp.status().as_u16(), 400 | 405 | 416 | 501) {
                return Ok(false);
            }
            self.expect(&mut resp, &[202], || format!("upload of {digest}"))?;
            *loc = location(&resp).ok_or_else(|| {
                RegistryError::Protocol(format!("upload of {digest}: 202 without a Location"))
            })?;
            offset += len;
        }
        Ok(true)
    }

    /// The PUT that ends a session, with the rest of the content (or none).
    fn close_upload(&self, digest: &str, loc: &str, body: Body<'_>) -> Result<(), RegistryError> {
        let sep = if loc.contains('?') { '&' } else { '?' };
        let put = Call {
            method: Method::PUT,
            url: format!("{loc}{sep}digest={digest}"),
            headers: vec![("Content-Type", "application/octet-stream".to_string())],
            body,
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
