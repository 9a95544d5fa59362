//! `hasher`: SHA-256 at native speed (wasm has no SHA instructions).

use sha2::{Digest, Sha256};
use wasmtime::component::Resource;

use crate::bindings::convertor::engine::host::HostHasher as HostHasherTrait;
use crate::state::HostState;

pub struct HostHasher(Sha256);

/// `sha256:<hex>` of a finished hash.
pub(crate) fn digest_string(hash: Sha256) -> String {
    format!("sha256:{}", hex::encode(hash.finalize()))
}

impl HostHasherTrait for HostState {
    fn new(&mut self) -> wasmtime::Result<Resource<HostHasher>> {
        // The constructor cannot return an error, so running out of handles traps.
        if let Err(msg) = self.take_handle() {
            wasmtime::bail!("{msg}");
        }
        Ok(self.table.push(HostHasher(Sha256::new()))?)
    }

    fn update(&mut self, this: Resource<HostHasher>, data: Vec<u8>) -> wasmtime::Result<()> {
        self.table.get_mut(&this)?.0.update(&data);
        Ok(())
    }

    fn finish(&mut self, this: Resource<HostHasher>) -> wasmtime::Result<String> {
        Ok(digest_string(self.table.get(&this)?.0.clone()))
    }

    fn drop(&mut self, this: Resource<HostHasher>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        self.release_handle();
        Ok(())
    }
}
