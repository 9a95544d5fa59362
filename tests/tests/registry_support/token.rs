//! A minimal token server for the registry's `auth: token` mode (distribution ships none):
//! it checks Basic credentials and issues ES256 JWTs, signed with the openssl tool, that
//! grant the requested repository scope. The registry verifies them for real.

use super::b64;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

pub const SERVICE: &str = "convertor-tests";
pub const ISSUER: &str = "convertor-test-issuer";

pub struct TokenServer {
    pub port: u16,
    /// The signing certificate: the registry's `rootcertbundle`.
    pub cert: PathBuf,
    scopes: Arc<Mutex<Vec<String>>>,
}

struct Signer {
    key: PathBuf,
    cert_der_b64: String,
    basic: String,
    dir: PathBuf,
}

impl TokenServer {
    pub fn start(dir: &Path, user: &str, password: &str) -> TokenServer {
        std::fs::create_dir_all(dir).unwrap();
        let run = |args: &[&str]| {
            let out = Command::new("openssl")
                .current_dir(dir)
                .args(args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "token.key",
            "-out",
            "token.pem",
            "-days",
            "2",
            "-subj",
            "/CN=token signer",
        ]);
        run(&[
            "x509",
            "-in",
            "token.pem",
            "-outform",
            "DER",
            "-out",
            "token.der",
        ]);
        let der = std::fs::read(dir.join("token.der")).unwrap();
        let signer = Arc::new(Signer {
            key: dir.join("token.key"),
            cert_der_b64: b64(&der, false),
            basic: format!(
                "Basic {}",
                b64(format!("{user}:{password}").as_bytes(), false)
            ),
            dir: dir.to_path_buf(),
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let scopes = Arc::new(Mutex::new(Vec::new()));
        let seen = scopes.clone();
        std::thread::spawn(move || {
            for (n, conn) in listener.incoming().enumerate() {
                let Ok(conn) = conn else { continue };
                let (signer, seen) = (signer.clone(), seen.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, &signer, &seen, n);
                });
            }
        });
        TokenServer {
            port,
            cert: dir.join("token.pem"),
            scopes,
        }
    }

    pub fn realm(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    /// The scopes tokens were issued for.
    pub fn scopes(&self) -> Vec<String> {
        self.scopes.lock().unwrap().clone()
    }
}

fn serve(
    mut conn: TcpStream,
    s: &Signer,
    seen: &Mutex<Vec<String>>,
    n: usize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    let mut authorized = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("authorization")
        {
            authorized = v.trim() == s.basic;
        }
    }
    if !authorized {
        conn.write_all(
            b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    }
    let target = request.split_whitespace().nth(1).unwrap_or("");
    let query = target.split_once('?').map(|x| x.1).unwrap_or("");
    let scope = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("scope="))
        .map(unescape)
        .unwrap_or_default();
    seen.lock().unwrap().push(scope.clone());
    let token = sign(s, &scope, n);
    let body = format!(r#"{{"token":"{token}","access_token":"{token}","expires_in":300}}"#);
    write!(
        conn,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// `repository:NAME:a,b` as a JWT `access` claim, signed ES256 with the x5c header.
fn sign(s: &Signer, scope: &str, n: usize) -> String {
    let mut parts = scope.splitn(3, ':');
    let (kind, name, actions) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let actions: Vec<String> = actions.split(',').map(|a| format!("\"{a}\"")).collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = format!(
        r#"{{"typ":"JWT","alg":"ES256","x5c":["{}"]}}"#,
        s.cert_der_b64
    );
    let claims = format!(
        r#"{{"iss":"{ISSUER}","sub":"tester","aud":"{SERVICE}","exp":{},"nbf":{},"iat":{now},"jti":"t{n}","access":[{{"type":"{kind}","name":"{name}","actions":[{}]}}]}}"#,
        now + 300,
        now - 10,
        actions.join(",")
    );
    let input = format!(
        "{}.{}",
        b64(header.as_bytes(), true),
        b64(claims.as_bytes(), true)
    );
    let file = s.dir.join(format!("input-{n}"));
    std::fs::write(&file, &input).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(&s.key)
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl dgst failed");
    format!("{input}.{}", b64(&der_to_raw(&out.stdout), true))
}

/// An ECDSA DER signature (SEQUENCE of two INTEGERs) as JOSE's fixed-width r || s.
fn der_to_raw(der: &[u8]) -> Vec<u8> {
    let mut i = 2; // SEQUENCE tag and a short length (P-256 signatures are < 128 bytes)
    let mut out = Vec::new();
    for _ in 0..2 {
        assert_eq!(der[i], 0x02, "INTEGER expected");
        let len = der[i + 1] as usize;
        let int = &der[i + 2..i + 2 + len];
        let int = &int[int.len().saturating_sub(32)..];
        out.extend(std::iter::repeat_n(0u8, 32 - int.len()));
        out.extend_from_slice(int);
        i += 2 + len;
    }
    out
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
