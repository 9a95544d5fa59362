//! Docker credential helpers: `docker-credential-<name> get` reads the server address on
//! stdin and prints `{"ServerURL","Username","Secret"}` on stdout, or says "credentials not
//! found" and fails.

use super::RegistryError;
use crate::cli::Credentials;
use std::io::Write;
use std::process::{Command, Stdio};

/// The answer of helper `name` for `server`: `Ok(None)` when it has no credentials for it.
pub fn get(name: &str, server: &str) -> Result<Option<Credentials>, RegistryError> {
    let program = format!("docker-credential-{name}");
    let fail = |why: String| RegistryError::CredentialHelper {
        helper: program.clone(),
        why,
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that fails at once may exit before reading: its status and message say more
        // than the broken pipe.
        match stdin.write_all(server.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                return Err(fail(e.to_string()));
            }
            _ => {}
        }
    }
    let out = child.wait_with_output().map_err(|e| fail(e.to_string()))?;
    if !out.status.success() {
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        if text.to_ascii_lowercase().contains("credentials not found") {
            return Ok(None);
        }
        let first = text.lines().map(str::trim).find(|l| !l.is_empty());
        return Err(fail(format!(
            "{} ({})",
            first.unwrap_or("no message"),
            out.status
        )));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| fail(format!("answer is not JSON: {e}")))?;
    let field = |k: &str| v.get(k).and_then(|s| s.as_str()).unwrap_or_default();
    let (user, secret) = (field("Username"), field("Secret"));
    if user == "<token>" {
        return Err(fail("identity tokens are not supported".to_string()));
    }
    if user.is_empty() && secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credentials {
        user: user.to_string(),
        password: secret.to_string(),
    }))
}
