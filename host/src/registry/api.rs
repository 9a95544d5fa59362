//! The Distribution API calls the convertor makes: manifests by tag or digest, blobs streamed
//! into an OCI layout with their digest checked, cross-repository mounts and the referrers
//! probe (uploads are in `upload.rs`).

use super::RegistryError;
use super::client::{Access, Body, Call, Client};
use crate::image::{DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST, sha256_digest};
use crate::interrupt::Interruptible;
use crate::layout::Layout;
use ureq::http::{Method, Response};

/// Every manifest type we read, as upstream's resolver asks for them.
pub const MANIFEST_ACCEPT: &str = "application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

/// Manifests larger than this are refused (the Distribution spec suggests 4 MiB).
const MAX_MANIFEST: u64 = 4 << 20;

/// A manifest or index as the registry stores it.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub media_type: String,
    pub digest: String,
}

/// One repository on a registry.
pub struct Repo<'a> {
    pub client: &'a Client,
    pub name: &'a str,
}

impl Repo<'_> {
    pub(super) fn call(&self, method: Method, path: String, access: Access) -> Call<'_> {
        Call {
            method,
            url: format!("/v2/{}/{path}", self.name),
            headers: Vec::new(),
            body: Body::Empty,
            repository: self.name,
            access,
        }
    }

    /// GETs a manifest by tag or digest; by digest, the bytes must hash to it.
    pub fn get_manifest(&self, reference: &str) -> Result<Fetched, RegistryError> {
        let mut call = self.call(Method::GET, format!("manifests/{reference}"), Access::Pull);
        call.headers.push(("Accept", MANIFEST_ACCEPT.to_string()));
        let mut resp = self.client.send(&call)?;
        self.expect(&mut resp, &[200], || format!("manifest {reference}"))?;
        let header_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_string());
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_MANIFEST)
            .read_to_vec()
            .map_err(|e| self.read_error(e))?;
        let digest = sha256_digest(&bytes);
        if reference.starts_with("sha256:") && reference != digest {
            return Err(RegistryError::DigestMismatch {
                expected: reference.to_string(),
                actual: digest,
            });
        }
        let media_type = document_media_type(header_type.as_deref(), &bytes);
        Ok(Fetched {
            bytes,
            media_type,
            digest,
        })
    }

    /// Whether a manifest exists, by HEAD.
    pub fn has_manifest(&self, reference: &str) -> Result<bool, RegistryError> {
        let mut call = self.call(Method::HEAD, format!("manifests/{reference}"), Access::Pull);
        call.headers.push(("Accept", MANIFEST_ACCEPT.to_string()));
        self.exists(&call)
    }

    pub fn has_blob(&self, digest: &str) -> Result<bool, RegistryError> {
        let call = self.call(Method::HEAD, format!("blobs/{digest}"), Access::Pull);
        self.exists(&call)
    }

    fn exists(&self, call: &Call<'_>) -> Result<bool, RegistryError> {
        let mut resp = self.client.send(call)?;
        match resp.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            _ => self
                .expect(&mut resp, &[200], || call.url.clone())
                .map(|_| false),
        }
    }

    /// Streams a blob into `layout`, checking its digest (and size when `size` is known);
    /// nothing is stored when either differs. Interrupted transfers are tried again.
    pub fn pull_blob(
        &self,
        digest: &str,
        size: Option<u64>,
        layout: &Layout,
    ) -> Result<(), RegistryError> {
        let call = self.call(Method::GET, format!("blobs/{digest}"), Access::Pull);
        let policy = self.client.retry_policy();
        let mut attempt = 1;
        loop {
            let mut resp = self.client.send(&call)?;
            self.expect(&mut resp, &[200], || format!("blob {digest}"))?;
            let reader = Interruptible(resp.into_body().into_reader());
            match layout.write_blob_from(reader, None) {
                Ok((actual, n)) => {
                    if actual != digest {
                        let _ = std::fs::remove_file(layout.blob_path(&actual).unwrap_or_default());
                        return Err(RegistryError::DigestMismatch {
                            expected: digest.to_string(),
                            actual,
                        });
                    }
                    if let Some(expected) = size.filter(|s| *s != n) {
                        return Err(RegistryError::SizeMismatch {
                            digest: digest.to_string(),
                            expected,
                            actual: n,
                        });
                    }
                    return Ok(());
                }
                Err(e)
                    if attempt < policy.attempts
                        && e.downcast_ref::<std::io::Error>().is_some() =>
                {
                    std::thread::sleep(policy.delay(attempt));
                    attempt += 1;
                }
                Err(e) => {
                    return Err(RegistryError::Io(format!("blob {digest}: {e:#}")));
                }
            }
        }
    }

    /// Tries a cross-repository mount; `Ok(false)` when the registry refused it.
    pub fn mount_blob(&self, digest: &str, from: &str) -> Result<bool, RegistryError> {
        let call = self.call(
            Method::POST,
            format!(
                "blobs/uploads/?mount={}&from={}",
                digest,
                super::client::query_escape(from)
            ),
            Access::Push,
        );
        let mut resp = self.client.send(&call)?;
        match resp.status().as_u16() {
            201 => Ok(true),
            // 202: the registry started an upload instead; abandon it rather than leak it.
            202 => {
                if let Some(loc) = location(&resp) {
                    self.cancel_upload(&loc);
                }
                Ok(false)
            }
            _ => self
                .expect(&mut resp, &[201], || format!("mount of {digest}"))
                .map(|_| false),
        }
    }

    /// PUTs manifest bytes under a tag or their digest, as they are. True when the registry
    /// answered `OCI-Subject`: it indexed the manifest's subject (the referrers API).
    pub fn put_manifest(
        &self,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<bool, RegistryError> {
        let mut call = self.call(Method::PUT, format!("manifests/{reference}"), Access::Push);
        call.headers.push(("Content-Type", media_type.to_string()));
        call.body = Body::Bytes(bytes);
        let mut resp = self.client.send(&call)?;
        self.expect(&mut resp, &[200, 201, 204], || {
            format!("manifest {reference}")
        })?;
        Ok(resp.headers().contains_key("oci-subject"))
    }

    /// Whether the registry serves the OCI 1.1 referrers API (2.8 answers 404).
    pub fn has_referrers_api(&self, digest: &str) -> Result<bool, RegistryError> {
        let mut call = self.call(Method::GET, format!("referrers/{digest}"), Access::Pull);
        call.headers.push(("Accept", OCI_INDEX.to_string()));
        let resp = self.client.send(&call)?;
        let is_index = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(OCI_INDEX));
        Ok(resp.status().as_u16() == 200 && is_index)
    }

    /// Maps an unexpected status to an error carrying the registry's own message.
    pub(super) fn expect(
        &self,
        resp: &mut Response<ureq::Body>,
        ok: &[u16],
        what: impl Fn() -> String,
    ) -> Result<(), RegistryError> {
        let status = resp.status().as_u16();
        if ok.contains(&status) {
            return Ok(());
        }
        let message = resp
            .body_mut()
            .with_config()
            .limit(64 << 10)
            .read_to_vec()
            .ok()
            .and_then(|b| registry_message(&b))
            .unwrap_or_default();
        Err(match status {
            404 => RegistryError::NotFound {
                what: what(),
                repository: format!("{}/{}", self.client.host(), self.name),
            },
            403 => RegistryError::Denied {
                what: what(),
                message,
            },
            _ => RegistryError::Status {
                what: what(),
                status,
                message,
            },
        })
    }

    fn read_error(&self, e: ureq::Error) -> RegistryError {
        RegistryError::Io(format!("reading from {}: {e}", self.client.host()))
    }
}

pub(super) fn location(resp: &Response<ureq::Body>) -> Option<String> {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `errors[0].message` of a registry error body.
fn registry_message(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let e = v.get("errors")?.get(0)?;
    let code = e.get("code").and_then(|c| c.as_str()).unwrap_or_default();
    let msg = e
        .get("message")
        .and_then(|c| c.as_str())
        .unwrap_or_default();
    Some(
        format!("{code}: {msg}")
            .trim_matches([' ', ':'])
            .to_string(),
    )
}

/// A document's media type: its `mediaType` field, else a known Content-Type, else its shape.
pub fn document_media_type(header: Option<&str>, bytes: &[u8]) -> String {
    let v: Option<serde_json::Value> = serde_json::from_slice(bytes).ok();
    if let Some(m) = v
        .as_ref()
        .and_then(|v| v.get("mediaType"))
        .and_then(|m| m.as_str())
        .filter(|m| !m.is_empty())
    {
        return m.to_string();
    }
    if let Some(h) = header.filter(|h| {
        [
            OCI_INDEX,
            OCI_MANIFEST,
            DOCKER_MANIFEST,
            DOCKER_MANIFEST_LIST,
        ]
        .contains(h)
    }) {
        return h.to_string();
    }
    match v {
        Some(v) if v.get("manifests").is_some() => OCI_INDEX.to_string(),
        _ => OCI_MANIFEST.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_from_field_then_header_then_shape() {
        let docker = format!(r#"{{"mediaType":"{DOCKER_MANIFEST_LIST}","manifests":[]}}"#);
        assert_eq!(
            document_media_type(Some(OCI_INDEX), docker.as_bytes()),
            DOCKER_MANIFEST_LIST
        );
        assert_eq!(
            document_media_type(Some(OCI_MANIFEST), br#"{"config":{}}"#),
            OCI_MANIFEST
        );
        assert_eq!(
            document_media_type(Some("text/plain"), br#"{"manifests":[]}"#),
            OCI_INDEX
        );
    }
}
