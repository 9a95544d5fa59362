//! MySQL connection strings: go-sql-driver's DSN (`user:pass@tcp(host:port)/db?params`, as
//! upstream's `--db-str` takes it) and the `mysql://user:pass@host:port/db` URL form.

use super::db::DbError;
use mysql::{Opts, OptsBuilder};

/// Go's default address when the DSN names none.
const DEFAULT_HOST: &str = "127.0.0.1";
const DEFAULT_PORT: u16 = 3306;

/// Connection options of `dsn`. Go DSN parameters (`?parseTime=true` ...) are accepted and
/// ignored: none of them changes what the two tables' queries return.
pub fn parse_dsn(dsn: &str) -> Result<Opts, DbError> {
    let bad = || DbError::BadDsn(dsn.to_string());
    if dsn.starts_with("mysql://") {
        return Opts::from_url(dsn).map_err(|_| bad());
    }
    let base = dsn.split_once('?').map_or(dsn, |(b, _)| b);
    // The database name follows the last slash; the credentials end at the last '@' before
    // the address (a password may itself hold '@').
    let (head, db) = base.rsplit_once('/').ok_or_else(bad)?;
    let (creds, addr) = match head.rsplit_once('@') {
        Some((c, a)) => (Some(c), a),
        None => (None, head),
    };
    // Go's driver connects where the DSN says; it never switches to a local socket.
    let mut b = OptsBuilder::new()
        .db_name((!db.is_empty()).then_some(db))
        .prefer_socket(false);
    if let Some(c) = creds {
        let (user, pass) = c.split_once(':').map_or((c, None), |(u, p)| (u, Some(p)));
        b = b.user(Some(user)).pass(pass);
    }
    let (net, address) = match addr.split_once('(') {
        Some((net, rest)) => (net, Some(rest.strip_suffix(')').ok_or_else(bad)?)),
        None => (addr, None),
    };
    match net {
        "" | "tcp" => {
            let (host, port) = match address.filter(|a| !a.is_empty()) {
                None => (DEFAULT_HOST.to_string(), DEFAULT_PORT),
                Some(a) => split_host_port(a).ok_or_else(bad)?,
            };
            b = b.ip_or_hostname(Some(host)).tcp_port(port);
        }
        "unix" => {
            let path = address.filter(|a| !a.is_empty()).ok_or_else(bad)?;
            b = b.socket(Some(path));
        }
        _ => return Err(bad()),
    }
    Ok(b.into())
}

/// `host:port`, `[v6]:port` or a bare host.
fn split_host_port(a: &str) -> Option<(String, u16)> {
    if let Some(rest) = a.strip_prefix('[') {
        let (host, tail) = rest.split_once(']')?;
        let port = match tail.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if tail.is_empty() => DEFAULT_PORT,
            None => return None,
        };
        return Some((host.to_string(), port));
    }
    match a.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() => Some((h.to_string(), p.parse().ok()?)),
        Some(_) => None,
        None => Some((a.to_string(), DEFAULT_PORT)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(
        dsn: &str,
    ) -> (
        Option<String>,
        Option<String>,
        String,
        u16,
        Option<String>,
        Option<String>,
    ) {
        let o = parse_dsn(dsn).unwrap();
        (
            o.get_user().map(str::to_string),
            o.get_pass().map(str::to_string),
            o.get_ip_or_hostname().to_string(),
            o.get_tcp_port(),
            o.get_socket().map(str::to_string),
            o.get_db_name().map(str::to_string),
        )
    }

    #[test]
    fn go_and_url_forms() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            parts("dbuser:p@ss@tcp(127.0.0.1:3307)/dedup?parseTime=true"),
            (
                s("dbuser"),
                s("p@ss"),
                "127.0.0.1".into(),
                3307,
                None,
                s("dedup")
            )
        );
        assert_eq!(
            parts("root@unix(/run/my.sock)/conversioncache"),
            (
                s("root"),
                None,
                "localhost".into(),
                3306,
                s("/run/my.sock"),
                s("conversioncache")
            )
        );
        assert_eq!(parts("u:p@tcp([::1]:4000)/d").2, "::1".to_string());
        assert_eq!(parts("/d").2, "127.0.0.1");
        assert_eq!(
            parts("mysql://u:p@db.example:3310/cache"),
            (s("u"), s("p"), "db.example".into(), 3310, None, s("cache"))
        );
        for bad in ["u:p@tcp(h:port)/d", "u:p@udp(h:1)/d", "nodb", "u@tcp(h:1/d"] {
            assert!(parse_dsn(bad).is_err(), "{bad}");
        }
    }
}
