//! Throw-away PostgreSQL clusters for tests: `initdb` and `pg_ctl` from the server binaries
//! (Debian's `postgresql` package; `CARTOUCHE_PG_BIN` names another directory), in a
//! temporary directory, on a free port of 127.0.0.1, run as the `postgres` user when the
//! tests run as root. Nothing assumes a server already running; each cluster is stopped
//! and removed when dropped. Not part of the store's API.
#![doc(hidden)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// One PostgreSQL server in its own data directory.
pub struct PgCluster {
    root: PathBuf,
    data: PathBuf,
    port: u16,
    bin: PathBuf,
    run_as: Option<String>,
    running: bool,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port on 127.0.0.1")
}

fn server_bin() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARTOUCHE_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "no PostgreSQL server binaries: install Debian's postgresql package (scripts/test does), or set CARTOUCHE_PG_BIN to the directory holding initdb and pg_ctl"
        ),
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0").unwrap_or(false)
}

impl PgCluster {
    /// Creates and starts a new cluster (superuser `postgres`, trust authentication on
    /// loopback only).
    pub fn start() -> Self {
        let mut cluster = Self::init();
        cluster
            .run("initdb", &["-D", &cluster.data_str(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"]);
        cluster.start_server();
        cluster
    }

    fn init() -> Self {
        let run_as = is_root().then(|| "postgres".to_owned());
        let root = std::env::temp_dir().join(format!(
            "cartouche-pg-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("create the cluster's directory");
        if let Some(user) = &run_as {
            let out = Command::new("chown").args([user.as_str(), &root.display().to_string()]).output().expect("chown");
            assert!(out.status.success(), "chown {user} {}: {}", root.display(), String::from_utf8_lossy(&out.stderr));
        }
        Self { data: root.join("data"), root, port: free_port(), bin: server_bin(), run_as, running: false }
    }

    fn data_str(&self) -> String {
        self.data.display().to_string()
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let path = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(path).args(args);
                command
            }
            None => {
                let mut command = Command::new(path);
                command.args(args);
                command
            }
        }
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        let out = self
            .command(program, args)
            .current_dir(&self.root)
            .output()
            .unwrap_or_else(|error| panic!("{program}: {error}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log_tail()
        );
        out
    }

    fn start_server(&mut self) {
        let options = format!(
            "-c port={} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c max_connections=200 -c shared_buffers=32MB -c fsync=on",
            self.port,
            self.root.display()
        );
        let log = self.root.join("server.log").display().to_string();
        self.run("pg_ctl", &["-D", &self.data_str(), "-l", &log, "-o", &options, "-w", "-t", "60", "start"]);
        self.running = true;
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for `database`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Runs SQL statements (as the superuser, on `database`).
    pub fn execute(&self, database: &str, sql: &str) {
        let mut client = self.client(database);
        client.batch_execute(sql).unwrap_or_else(|error| {
            let detail = error.as_db_error().map(|db| db.message().to_owned()).unwrap_or_default();
            panic!("{sql}: {error} {detail}\n{}", self.log_tail())
        });
    }

    /// One value of a query (as text).
    pub fn query_text(&self, database: &str, sql: &str) -> Option<String> {
        let mut client = self.client(database);
        let rows = client.simple_query(sql).unwrap_or_else(|error| panic!("{sql}: {error}"));
        rows.into_iter().find_map(|message| match message {
            postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
    }

    fn client(&self, database: &str) -> postgres::Client {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match postgres::Client::connect(&self.url(database), postgres::NoTls) {
                Ok(client) => return client,
                Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
                Err(error) => panic!("cannot connect to {}: {error}\n{}", self.url(database), self.log_tail()),
            }
        }
    }

    /// Creates an empty database.
    pub fn create_database(&self, name: &str) -> String {
        self.execute("postgres", &format!("CREATE DATABASE \"{name}\""));
        self.url(name)
    }

    /// A streaming standby of this cluster (`pg_basebackup -R`), started; with
    /// `synchronous`, the primary then waits for it at every commit.
    pub fn standby(&self, synchronous: bool) -> PgCluster {
        let mut standby = Self::init();
        let port = self.port.to_string();
        standby.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                &standby.data_str(),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
            ],
        );
        standby.start_server();
        let deadline = Instant::now() + Duration::from_secs(60);
        while self
            .query_text("postgres", "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
            .as_deref()
            != Some("1")
        {
            assert!(Instant::now() < deadline, "the standby did not start streaming\n{}", standby.log_tail());
            std::thread::sleep(Duration::from_millis(100));
        }
        if synchronous {
            // ALTER SYSTEM runs outside a transaction block: one statement at a time.
            self.execute("postgres", "ALTER SYSTEM SET synchronous_standby_names = '*'");
            self.execute("postgres", "SELECT pg_reload_conf()");
            while self.query_text("postgres", "SELECT sync_state FROM pg_stat_replication").as_deref() != Some("sync") {
                assert!(Instant::now() < deadline, "the standby did not become synchronous");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        standby
    }

    /// Promotes a standby to primary, and waits until it accepts writes.
    pub fn promote(&self) {
        self.run("pg_ctl", &["-D", &self.data_str(), "-w", "-t", "60", "promote"]);
    }

    /// Kills the server's postmaster with SIGKILL (a machine lost), and its backends.
    pub fn kill(&mut self) {
        if let Ok(text) = std::fs::read_to_string(self.data.join("postmaster.pid"))
            && let Some(pid) = text.lines().next()
        {
            let _ = Command::new("kill").args(["-9", pid.trim()]).status();
            // The backends notice the postmaster's death on their own; do not wait on them.
            let _ = Command::new("pkill").args(["-9", "-f", &self.data_str()]).status();
        }
        self.running = false;
    }

    /// Stops the server (fast shutdown).
    pub fn stop(&mut self) {
        if self.running {
            let _ = self.command("pg_ctl", &["-D", &self.data_str(), "-m", "fast", "-w", "-t", "30", "stop"]).output();
            self.running = false;
        }
    }

    /// Starts a stopped (or killed) server again.
    pub fn restart(&mut self) {
        if !self.running {
            self.start_server();
        }
    }

    /// The end of the server's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.root.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!(
            "--- PostgreSQL log ({}) ---\n{}",
            self.root.display(),
            lines[lines.len().saturating_sub(30)..].join("\n")
        )
    }

    /// A command for one of the server's programs, run as the cluster's owner.
    pub fn tool(&self, program: &str, args: &[&str]) -> Command {
        let mut command = self.command(program, args);
        command.current_dir(&self.root);
        command
    }

    /// A directory the cluster's owner may write (for dumps).
    pub fn scratch(&self) -> &Path {
        &self.root
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.running {
            let _ =
                self.command("pg_ctl", &["-D", &self.data_str(), "-m", "immediate", "-w", "-t", "30", "stop"]).output();
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
