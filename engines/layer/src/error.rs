use thiserror::Error;

#[derive(Debug, Error)]
pub enum LayerError {
    #[error("the tar wrapper is malformed: {0}")]
    Tar(#[from] tarwrap::TarWrapError),
    #[error("the ZFile is malformed: {0}")]
    ZFile(#[from] zfile::ZFileError),
    #[error("the LSMT layer is malformed: {0}")]
    Lsmt(#[from] lsmt::Error),
    #[error("the gzip index is malformed: {0}")]
    GzIndex(#[from] gzindex::Error),
    #[error("the TurboOCI meta tar is malformed: {0}")]
    MetaTar(#[from] tarstream::TarError),
    #[error("the TurboOCI meta layer has no `{0}` member")]
    MissingMember(&'static str),
    #[error("a TurboOCI meta member is larger than {0} bytes")]
    MemberTooLarge(u64),
    #[error("reading the layer failed: {0}")]
    Io(#[from] std::io::Error),
}
