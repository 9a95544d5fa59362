use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConvertError {
    #[error("the layer's compression is not supported here: {0}")]
    UnsupportedCompression(&'static str),
    #[error("the source layer is not valid gzip: {0}")]
    Gzip(#[from] gzindex::Error),
    #[error("applying the layer failed: {0}")]
    Apply(#[from] ociapply::ApplyError),
    #[error("the ext4 filesystem failed: {0}")]
    Ext4(#[from] ext4::Ext4Error),
    #[error("the LSMT layer failed: {0}")]
    Lsmt(#[from] lsmt::Error),
    #[error("the ZFile writer failed: {0}")]
    ZFile(#[from] zfile::ZFileError),
    #[error("the tar wrapper failed: {0}")]
    TarWrap(#[from] tarwrap::TarWrapError),
    #[error("the lower layers could not be opened: {0}")]
    Lower(#[from] layer::LayerError),
    #[error("the virtual size {0} bytes is outside 1 GiB ..= 256 TiB")]
    BadVirtualSize(u64),
    #[error("the chain ID {0:?} is not a sha256 digest")]
    BadChainId(String),
    #[error("I/O failed: {0}")]
    Io(#[from] std::io::Error),
}
