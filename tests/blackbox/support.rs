//! Starting the real `cartouche` binary on a temporary data directory and talking to it
//! over HTTP, as a user would.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The instant every test server starts at (its clock then moves forward normally): the
/// example applications carry fixed dates (declarations in November 2026, validity to
/// November 2027), so the tests must not depend on the day they run.
pub const TEST_START: &str = "2026-11-28T10:00:00Z";

/// [`TEST_START`] as an instant.
pub fn test_start() -> time::OffsetDateTime {
    time::OffsetDateTime::parse(TEST_START, &time::format_description::well_known::Rfc3339).unwrap()
}

/// The binary under test: the one cargo built for the tests, or `CARTOUCHE_TEST_BINARY`
/// (to measure a release build, e.g. the browser run's times to verdict).
pub fn binary() -> String {
    std::env::var("CARTOUCHE_TEST_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_cartouche").to_owned())
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An example application from schemas/examples.
pub fn example(name: &str) -> Value {
    let path = repo().join("schemas/examples").join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running server. Killed when dropped.
pub struct Server {
    pub dir: tempfile::TempDir,
    pub base: String,
    pub admin: String,
    port: u16,
    child: Option<Child>,
    log: PathBuf,
    in_namespace: bool,
}

/// Options of a server start.
#[derive(Default, Clone)]
pub struct Start {
    /// `CARTOUCHE_UNSAFE_FAKE_CLOCK` (default: [`TEST_START`]).
    pub fake_clock: Option<String>,
    /// `CARTOUCHE_VERIFY_RATE_LIMIT` (per minute and client; default: the server's).
    pub verify_rate_limit: Option<u32>,
    /// `--no-bundled-plugins`: start with no rule plugin published.
    pub no_bundled_plugins: bool,
    /// `--reference-data FILE` for the rule plugins.
    pub reference_data: Option<PathBuf>,
    /// More arguments of `serve`.
    pub args: Vec<String>,
    /// More environment variables of `serve`.
    pub env: Vec<(String, String)>,
    /// Put the server's own address in its QR codes and documents (peers fetch them
    /// there) instead of `https://cartouche.test`.
    pub public_url_is_base: bool,
    /// Put the data directory on a tmpfs of this many MiB, mounted in a mount namespace of
    /// the server's own (`unshare -r -m`): a small disk that fills. The directory is then
    /// reached through `/proc/<pid>/root` (see [`Server::data_dir`]), and a restart gets an
    /// empty one.
    pub tmpfs_mib: Option<u32>,
}

impl Server {
    /// Starts a server on a fresh data directory.
    pub fn start() -> Self {
        Self::start_with(Start::default())
    }

    /// Starts a server on a fresh data directory with options.
    pub fn start_with(options: Start) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = dir.path().join("server.log");
        let mut server = Server {
            base: format!("http://127.0.0.1:{port}"),
            admin: String::new(),
            port,
            child: None,
            log,
            dir,
            in_namespace: options.tmpfs_mib.is_some(),
        };
        server.spawn(&options);
        // A node joining a registry that has tokens writes none: the test gives it the
        // first node's.
        server.admin = std::fs::read_to_string(server.data_dir().join("admin.token"))
            .map(|text| text.trim().to_owned())
            .unwrap_or_default();
        server
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        let path = self.dir.path().join("data");
        match (&self.child, self.in_namespace) {
            // The server's own view of the path, inside its mount namespace.
            (Some(child), true) => {
                PathBuf::from(format!("/proc/{}/root", child.id())).join(path.strip_prefix("/").unwrap())
            }
            _ => path,
        }
    }

    fn spawn(&mut self, options: &Start) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).unwrap();
        let data_dir = self.dir.path().join("data");
        let mut command = match options.tmpfs_mib {
            None => Command::new(binary()),
            Some(mib) => {
                std::fs::create_dir_all(&data_dir).unwrap();
                let mut wrapped = Command::new("unshare");
                wrapped
                    .args([
                        "-r",
                        "-m",
                        "sh",
                        "-c",
                        &format!("mount -t tmpfs -o size={mib}m tmpfs \"$0\" && exec \"$@\""),
                    ])
                    .arg(&data_dir)
                    .arg(binary());
                wrapped
            }
        };
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .env("CARTOUCHE_DATA_DIR", &data_dir)
            .env("CARTOUCHE_PUBLIC_URL", "https://cartouche.test")
            .env("CARTOUCHE_LOG", "info")
            .env_remove("CARTOUCHE_UNSAFE_FAKE_CLOCK")
            .env_remove("CARTOUCHE_VERIFY_RATE_LIMIT")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        command.env_remove("CARTOUCHE_REFERENCE_DATA").env_remove("CARTOUCHE_NO_BUNDLED_PLUGINS");
        for name in
            ["CARTOUCHE_KEK", "CARTOUCHE_KEK_FILE", "CARTOUCHE_KEYS", "CARTOUCHE_HSM_PIN", "CREDENTIALS_DIRECTORY"]
        {
            command.env_remove(name);
        }
        command.envs(options.env.iter().map(|(name, value)| (name, value)));
        if options.public_url_is_base {
            command.env("CARTOUCHE_PUBLIC_URL", &self.base);
        }
        if options.no_bundled_plugins {
            command.arg("--no-bundled-plugins");
        }
        command.args(&options.args);
        command.env("CARTOUCHE_LOG_INTERVAL", "1");
        // Compiled plugin code shared by the servers of the run (and the next runs): a
        // first start compiles no bundled plugin another start compiled before.
        if !options.env.iter().any(|(name, _)| name == "CARTOUCHE_PLUGIN_CACHE") {
            command.env("CARTOUCHE_PLUGIN_CACHE", Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache"));
        }
        if let Some(path) = &options.reference_data {
            command.arg("--reference-data").arg(path);
        }
        if let Some(limit) = options.verify_rate_limit {
            command.env("CARTOUCHE_VERIFY_RATE_LIMIT", limit.to_string());
        }
        command.env("CARTOUCHE_UNSAFE_FAKE_CLOCK", options.fake_clock.as_deref().unwrap_or(TEST_START));
        self.child = Some(command.spawn().unwrap());
        // Generous: a first start compiles and proves the bundled plugins, and the test
        // binary starts many servers at once on a small machine.
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if let Ok(response) = agent().get(&format!("{}/healthz", self.base)).call() {
                if response.status() == 200 {
                    return;
                }
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("the server exited with {status} during start:\n{}", self.log_text());
            }
            assert!(Instant::now() < deadline, "the server did not answer /healthz within 180 s:\n{}", self.log_text());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL, no chance to flush anything.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server and starts it again on the same data directory.
    pub fn restart_with(&mut self, options: Start) {
        self.kill9();
        self.spawn(&options);
    }

    /// Starts the server again after [`Server::kill9`], on the same data directory.
    pub fn start_again(&mut self, options: Start) {
        self.spawn(&options);
    }

    /// Restarts with the real clock.
    pub fn restart(&mut self) {
        self.restart_with(Start::default());
    }

    /// Sends a request; returns the status and the JSON body (`Value::Null` when the body
    /// is not JSON).
    pub fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> (u16, Value) {
        self.call_with(method, path, token, body, &[])
    }

    /// As `call`, with extra headers.
    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let raw = body.map(|b| serde_json::to_vec(b).unwrap());
        let (status, text) = self.raw(method, path, token, raw.as_deref(), headers);
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Sends raw bytes; returns the status and the body text.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> (u16, String) {
        let url = format!("{}{path}", self.base);
        let agent = agent();
        let bearer = token.map(|t| format!("Bearer {t}"));
        let response = match method {
            "GET" => {
                let mut request = agent.get(&url);
                if let Some(b) = &bearer {
                    request = request.header("Authorization", b);
                }
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                request.call()
            }
            _ => {
                let mut request = match method {
                    "POST" => agent.post(&url),
                    "PUT" => agent.put(&url),
                    other => panic!("method {other}"),
                };
                if let Some(b) = &bearer {
                    request = request.header("Authorization", b);
                }
                let mut has_type = false;
                for (name, value) in headers {
                    has_type |= name.eq_ignore_ascii_case("content-type");
                    request = request.header(*name, *value);
                }
                if !has_type {
                    request = request.header("Content-Type", "application/json");
                }
                request.send(body.unwrap_or(b""))
            }
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let text = response.body_mut().with_config().limit(64 * 1024 * 1024).read_to_string().unwrap_or_default();
        (status, text)
    }

    /// Sends a request head by hand on a raw socket (no body) and reads the answer: for
    /// what a well-behaved client library cannot send, such as a Content-Length far larger
    /// than the body that follows.
    pub fn raw_head(&self, head: &str) -> (u16, Value) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let text = String::from_utf8_lossy(&answer).into_owned();
        let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }

    /// Creates a token for a role (and country) with the admin token.
    pub fn token(&self, role: &str, country: Option<&str>) -> String {
        let (status, body) = self.call(
            "POST",
            "/api/v1/tokens",
            Some(&self.admin),
            Some(&json!({ "role": role, "country": country, "label": "test" })),
        );
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// Issues an application with an issuer token; asserts 201 and returns the record.
    pub fn issue(&self, issuer: &str, application: &Value) -> Value {
        let (status, body) = self.call("POST", "/api/v1/certificates", Some(issuer), Some(application));
        assert_eq!(status, 201, "issue: {body}");
        body
    }

    /// Verifies QR text; asserts 200 and returns the verdict.
    pub fn verify(&self, qr: &str) -> Value {
        let (status, body) = self.call("POST", "/api/v1/verify", None, Some(&json!({ "qr": qr })));
        assert_eq!(status, 200, "verify: {body}");
        body
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// An HTTP agent that returns error statuses as responses.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// The outcome of the named check in a verdict.
pub fn check<'a>(verdict: &'a Value, name: &str) -> (&'a str, &'a str) {
    let check = verdict["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {verdict:#}"));
    (check["outcome"].as_str().unwrap(), check["detail"].as_str().unwrap())
}

/// Asserts an error body has the stable shape and the code.
pub fn assert_error(status: u16, body: &Value, expected_status: u16, code: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

/// Runs the CLI with arguments and environment; returns (exit code, stdout, stderr).
pub fn cli(args: &[&str], env: &[(&str, &str)], dir: &Path) -> (i32, String, String) {
    let output = Command::new(binary())
        .args(args)
        .envs(env.iter().copied())
        .env_remove("CARTOUCHE_TOKEN")
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
