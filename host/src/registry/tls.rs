//! TLS settings from the command line (upstream-convertor.md §2.2): the system pool plus
//! `--root-ca` files and `*.crt` in `--cert-dir`, client pairs from `--client-cert` and
//! `*.cert`/`*.key` in `--cert-dir`, and `--insecure`.

use super::RegistryError;
use crate::cli::TlsOptions;
use std::path::{Path, PathBuf};
use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

/// Where Debian, Fedora and Alpine keep the system bundle.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// Builds the rustls configuration shared by every request.
pub fn tls_config(opts: &TlsOptions) -> Result<TlsConfig, RegistryError> {
    let mut roots = system_roots();
    for file in &opts.root_cas {
        // Unparsable or unreadable CA files are skipped, as upstream's AppendCertsFromPEM.
        roots.extend(read_certs(file).unwrap_or_default());
    }
    let mut pairs: Vec<(PathBuf, PathBuf)> = opts.client_certs.clone();
    for dir in &opts.cert_dirs {
        // A missing cert dir is skipped silently, as upstream.
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        names.sort();
        for path in names {
            match path.extension().and_then(|e| e.to_str()) {
                Some("crt") => roots.extend(read_certs(&path).unwrap_or_default()),
                Some("cert") => pairs.push((path.clone(), path.with_extension("key"))),
                _ => {}
            }
        }
    }
    let client_cert = match pairs.first() {
        Some((cert, key)) => Some(load_pair(cert, key)?),
        None => None,
    };
    let root_certs = if roots.is_empty() {
        RootCerts::WebPki
    } else {
        RootCerts::new_with_certs(&roots)
    };
    Ok(TlsConfig::builder()
        .root_certs(root_certs)
        .client_cert(client_cert)
        .disable_verification(opts.insecure)
        .build())
}

/// The system pool, honouring `SSL_CERT_FILE` and `SSL_CERT_DIR` as Go does.
fn system_roots() -> Vec<Certificate<'static>> {
    let mut out = Vec::new();
    let file = std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .or_else(|| {
            SYSTEM_BUNDLES
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
        });
    if let Some(f) = file {
        out.extend(read_certs(&f).unwrap_or_default());
    }
    if let Some(dirs) = std::env::var_os("SSL_CERT_DIR") {
        for dir in std::env::split_paths(&dirs) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                out.extend(read_certs(&e.path()).unwrap_or_default());
            }
        }
    }
    out
}

fn read_certs(path: &Path) -> Option<Vec<Certificate<'static>>> {
    let pem = std::fs::read(path).ok()?;
    Some(
        ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect(),
    )
}

/// A client pair that fails to load is an error, as upstream.
fn load_pair(cert: &Path, key: &Path) -> Result<ClientCert, RegistryError> {
    let bad = |why: String| RegistryError::ClientCert {
        cert: cert.to_path_buf(),
        why,
    };
    let chain = read_certs(cert).ok_or_else(|| bad("cannot read the certificate".into()))?;
    if chain.is_empty() {
        return Err(bad("no PEM certificate in it".into()));
    }
    let key_pem = std::fs::read(key).map_err(|e| bad(format!("{}: {e}", key.display())))?;
    let key: PrivateKey<'static> =
        PrivateKey::from_pem(&key_pem).map_err(|e| bad(format!("{}: {e}", key.display())))?;
    Ok(ClientCert::new_with_certs(&chain, key))
}
