//! A private MariaDB server for one test: `mariadb-install-db` into a temporary data directory,
//! `mariadbd` on a unix socket and a free TCP port of 127.0.0.1, upstream's tables created in
//! database `conversioncache` for user `dedup`. Killed on drop.

use convertor::dedup::schema::MYSQL_DDL;
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct MariaDb {
    child: Child,
    pub port: u16,
    pub socket: PathBuf,
    log: PathBuf,
    _data: tempfile::TempDir,
    _sock_dir: tempfile::TempDir,
}

/// A program from PATH or the sbin directories (mariadbd lives in /usr/sbin).
fn program(names: &[&str]) -> PathBuf {
    let path = std::env::var("PATH").unwrap_or_default();
    let dirs = path
        .split(':')
        .map(PathBuf::from)
        .chain(["/usr/sbin", "/usr/bin", "/sbin"].map(PathBuf::from));
    dirs.flat_map(|d| names.iter().map(move |n| d.join(n)))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("none of {names:?} is installed (bash .ci/setup installs mariadb-server)")
        })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl MariaDb {
    pub fn start(parent: &Path) -> MariaDb {
        let data = tempfile::tempdir_in(parent).unwrap();
        let datadir = data.path().join("data");
        // Temporary tables of parallel servers must not meet in /tmp.
        let tmpdir = data.path().join("tmp");
        std::fs::create_dir_all(&tmpdir).unwrap();
        let tmpdir_arg = format!("--tmpdir={}", tmpdir.display());
        let install = Command::new(program(&["mariadb-install-db", "mysql_install_db"]))
            .arg("--no-defaults")
            .arg(format!("--datadir={}", datadir.display()))
            .arg(&tmpdir_arg)
            .args([
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ])
            .output()
            .unwrap();
        assert!(
            install.status.success(),
            "mariadb-install-db failed:\n{}\n{}",
            String::from_utf8_lossy(&install.stdout),
            String::from_utf8_lossy(&install.stderr)
        );
        // The socket path must stay under the 108-byte limit: a short private dir in /tmp.
        let sock_dir = tempfile::tempdir().unwrap();
        let socket = sock_dir.path().join("s");
        let log = data.path().join("error.log");
        let port = free_port();
        let child = Command::new(program(&["mariadbd", "mysqld"]))
            .arg("--no-defaults")
            .arg(format!("--datadir={}", datadir.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(&tmpdir_arg)
            .arg(format!("--port={port}"))
            .arg(format!("--pid-file={}", data.path().join("pid").display()))
            .arg(format!("--log-error={}", log.display()))
            .args([
                "--bind-address=127.0.0.1",
                "--user=root",
                "--skip-name-resolve",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=16M",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut db = MariaDb {
            child,
            port,
            socket,
            log,
            _data: data,
            _sock_dir: sock_dir,
        };
        let mut root = db.wait_ready();
        root.query_drop("CREATE DATABASE conversioncache").unwrap();
        root.query_drop("CREATE USER 'dedup'@'127.0.0.1' IDENTIFIED BY 'dedup-pw'")
            .unwrap();
        root.query_drop("GRANT ALL ON conversioncache.* TO 'dedup'@'127.0.0.1'")
            .unwrap();
        root.query_drop("USE conversioncache").unwrap();
        for ddl in MYSQL_DDL {
            root.query_drop(*ddl).unwrap();
        }
        db
    }

    /// Creates an empty database `name` the `dedup` user may use.
    pub fn create_database(&self, name: &str) {
        let opts = OptsBuilder::new()
            .socket(Some(self.socket.display().to_string()))
            .user(Some("root"));
        let mut root = Conn::new(opts).unwrap();
        root.query_drop(format!("CREATE DATABASE {name}")).unwrap();
        root.query_drop(format!("GRANT ALL ON {name}.* TO 'dedup'@'127.0.0.1'"))
            .unwrap();
    }

    /// Root over the socket, once the server accepts connections.
    fn wait_ready(&mut self) -> Conn {
        let start = Instant::now();
        loop {
            let opts = OptsBuilder::new()
                .socket(Some(self.socket.display().to_string()))
                .user(Some("root"));
            if let Ok(c) = Conn::new(opts) {
                return c;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("mariadbd exited ({status}):\n{}", self.log_tail());
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "mariadbd did not start:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_tail(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// upstream's Go DSN form.
    pub fn go_dsn(&self) -> String {
        format!(
            "dedup:dedup-pw@tcp(127.0.0.1:{})/conversioncache",
            self.port
        )
    }

    /// The URL form.
    pub fn url(&self) -> String {
        format!(
            "mysql://dedup:dedup-pw@127.0.0.1:{}/conversioncache",
            self.port
        )
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
