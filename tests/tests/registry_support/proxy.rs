//! A fault-injecting HTTP/1.1 proxy in front of a real plain-HTTP registry: it answers the
//! first N requests with 503, or flips a byte of one blob's body. One request per connection
//! (`Connection: close` both ways) keeps it small.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[derive(Default)]
pub struct Faults {
    /// Answer this many requests with 503 before forwarding any.
    pub unavailable: usize,
    /// Flip the last byte of every GET of this blob digest.
    pub corrupt_blob: Option<String>,
    /// Cut the connection halfway through the first GET of this blob digest.
    pub truncate_blob_once: Option<String>,
    /// Hold the answer to every upload start (POST without `mount=`) this long, after the
    /// registry opened the session.
    pub delay_upload_start: Option<std::time::Duration>,
    /// Answer every PATCH with 405, as a registry without chunked uploads does.
    pub refuse_patch: bool,
    /// Answer 400 to manifest PUTs whose reference starts with this.
    pub reject_manifest: Option<String>,
}

#[derive(Default)]
struct State {
    served_503: AtomicUsize,
    corrupted: AtomicUsize,
    truncated: AtomicUsize,
    forwarded: AtomicUsize,
    uploads_started: AtomicUsize,
    refused_patches: AtomicUsize,
    requests: std::sync::Mutex<Vec<(std::time::Instant, String)>>,
    stop: AtomicBool,
}

pub struct Proxy {
    pub port: u16,
    state: Arc<State>,
}

impl Proxy {
    pub fn start(upstream_port: u16, faults: Faults) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the proxy");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        let faults = Arc::new(faults);
        let st = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (st, faults) = (st.clone(), faults.clone());
                std::thread::spawn(move || {
                    let _ = handle(conn, upstream_port, &faults, &st);
                });
            }
        });
        Proxy { port, state }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn served_503(&self) -> usize {
        self.state.served_503.load(Ordering::SeqCst)
    }

    pub fn truncated(&self) -> usize {
        self.state.truncated.load(Ordering::SeqCst)
    }

    pub fn corrupted(&self) -> usize {
        self.state.corrupted.load(Ordering::SeqCst)
    }

    /// `METHOD PATH` of every forwarded request.
    pub fn requests(&self) -> Vec<String> {
        self.timed_requests().into_iter().map(|(_, r)| r).collect()
    }

    /// Forwarded requests with the time their body had arrived.
    pub fn timed_requests(&self) -> Vec<(std::time::Instant, String)> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Upload sessions the registry opened through the proxy.
    pub fn uploads_started(&self) -> usize {
        self.state.uploads_started.load(Ordering::SeqCst)
    }

    pub fn refused_patches(&self) -> usize {
        self.state.refused_patches.load(Ordering::SeqCst)
    }

    pub fn forwarded(&self) -> usize {
        self.state.forwarded.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn handle(
    mut client: TcpStream,
    upstream: u16,
    faults: &Faults,
    st: &State,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    let mut content_length = 0usize;
    let mut chunked = false;
    let mut request_line = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if request_line.is_empty() {
            request_line = line.clone();
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
        if lower.starts_with("connection:") {
            continue;
        }
        head.extend_from_slice(line.as_bytes());
    }
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body)?;
    if chunked {
        // Forward the chunked body as it is, through its last (empty) chunk.
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            body.extend_from_slice(size_line.as_bytes());
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0u8; size + 2];
            reader.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk);
            if size == 0 {
                break;
            }
        }
    }

    // The 503 burst: count atomically so parallel requests share it.
    if st
        .served_503
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            (n < faults.unavailable).then_some(n + 1)
        })
        .is_ok()
    {
        client.write_all(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    }

    if let Some(prefix) = &faults.reject_manifest
        && request_line.starts_with("PUT ")
        && request_line.contains(&format!("/manifests/{prefix}"))
    {
        client.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 55\r\nConnection: close\r\n\r\n{\"errors\":[{\"code\":\"MANIFEST_INVALID\",\"message\":\"no\"}]}",
        )?;
        return Ok(());
    }
    if faults.refuse_patch && request_line.starts_with("PATCH ") {
        st.refused_patches.fetch_add(1, Ordering::SeqCst);
        client.write_all(
            b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    }
    st.forwarded.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut r) = st.requests.lock() {
        let mut parts = request_line.split_whitespace();
        r.push((
            std::time::Instant::now(),
            format!(
                "{} {}",
                parts.next().unwrap_or(""),
                parts.next().unwrap_or("")
            ),
        ));
    }
    if std::env::var_os("PROXY_DEBUG").is_some() {
        eprintln!(
            "proxy: forwarding {} (body {content_length})",
            request_line.trim()
        );
    }
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    up.write_all(&head)?;
    up.write_all(b"Connection: close\r\n\r\n")?;
    up.write_all(&body)?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp)?;

    if std::env::var_os("PROXY_DEBUG").is_some() {
        let status = resp.split(|b| *b == b'\r').next().unwrap_or_default();
        eprintln!(
            "proxy: {} -> {} ({} bytes)",
            request_line.trim(),
            String::from_utf8_lossy(status),
            resp.len()
        );
    }
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method == "POST" && path.contains("/blobs/uploads/") && !path.contains("mount=") {
        st.uploads_started.fetch_add(1, Ordering::SeqCst);
        if let Some(d) = faults.delay_upload_start {
            std::thread::sleep(d);
        }
    }
    if let Some(d) = &faults.corrupt_blob
        && method == "GET"
        && path.ends_with(&format!("/blobs/{d}"))
        && resp.starts_with(b"HTTP/1.1 200")
        && let Some(last) = resp.last_mut()
    {
        *last ^= 0xff;
        st.corrupted.fetch_add(1, Ordering::SeqCst);
    }
    if let Some(d) = &faults.truncate_blob_once
        && method == "GET"
        && path.ends_with(&format!("/blobs/{d}"))
        && resp.starts_with(b"HTTP/1.1 200")
        && st.truncated.fetch_add(1, Ordering::SeqCst) == 0
    {
        client.write_all(&resp[..resp.len() / 2])?;
        return client.shutdown(std::net::Shutdown::Both);
    }
    client.write_all(&resp)?;
    client.flush()
}
