//! Helpers for the interoperability suites (`tests/tests/interop.rs`,
//! `tests/tests/interop_layer.rs`): where `.ci/interop-setup` installed the
//! peers, child processes in their own process groups with bounded waits,
//! loopback ports and random W3C ids.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Longest run of one short-lived peer (a Python client, the Inspector CLI).
pub const RUN_TIMEOUT: Duration = Duration::from_secs(90);
/// Longest wait for exported spans once the traffic is done.
pub const SPANS_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// Where the peers are
// ---------------------------------------------------------------------------

/// The workspace root (the parent of `tests/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// `$MCP_TRACE_INTEROP_DIR`, checked to hold what `.ci/interop-setup` installs.
pub fn interop_dir() -> PathBuf {
    let Some(dir) = std::env::var_os("MCP_TRACE_INTEROP_DIR") else {
        panic!(
            "MCP_TRACE_INTEROP_DIR is not set: run `.ci/interop-setup` and then \
             `MCP_TRACE_INTEROP_DIR=target/interop cargo test -p mcp-trace-tests --test interop -- --ignored`"
        );
    };
    let dir = workspace_root().join(dir);
    for needed in [
        "venv/bin/python",
        "venv/bin/phoenix",
        "node/node_modules/.bin/mcp-inspector",
    ] {
        assert!(
            dir.join(needed).exists(),
            "{} is missing: run `MCP_TRACE_INTEROP_DIR={} .ci/interop-setup` first",
            dir.join(needed).display(),
            dir.display()
        );
    }
    dir
}

/// A file of an installed npm package, checked to exist (an older
/// `.ci/interop-setup` run may predate the package).
pub fn node_package_file(package: &str, file: &str) -> PathBuf {
    let dir = interop_dir();
    let path = dir.join("node/node_modules").join(package).join(file);
    assert!(
        path.exists(),
        "{} is missing: run `MCP_TRACE_INTEROP_DIR={} .ci/interop-setup` again",
        path.display(),
        dir.display()
    );
    path
}

/// The venv's Python.
pub fn python() -> PathBuf {
    interop_dir().join("venv/bin/python")
}

/// A script in `tests/interop/`.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("interop")
        .join(name)
}

// ---------------------------------------------------------------------------
// Child processes: own process group, killed by that id on drop
// ---------------------------------------------------------------------------

/// A child process (and anything it started) that dies with this guard.
pub struct ChildGuard {
    /// The child; its pid is also its process group's id.
    pub child: Child,
    /// What it is, for messages.
    pub what: &'static str,
}

impl ChildGuard {
    /// Spawns `command` in a process group of its own, stdin closed.
    pub fn spawn(what: &'static str, mut command: Command) -> ChildGuard {
        command
            .process_group(0)
            .kill_on_drop(true)
            .stdin(Stdio::null());
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("{what} does not start: {error}"));
        ChildGuard { child, what }
    }

    /// Panics (with `context`) if the process has exited already.
    pub fn assert_running(&mut self, context: &dyn Fn() -> String) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited early ({status}){}", self.what, context());
        }
    }

    /// SIGTERM to the child alone (so it can flush and exit by itself), then
    /// waits at most `timeout` for its exit status.
    pub async fn terminate(&mut self, timeout: Duration) -> ExitStatus {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .stderr(Stdio::null())
                .status()
                .await;
        }
        let what = self.what;
        tokio::time::timeout(timeout, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("{what} did not exit within {timeout:?} of SIGTERM"))
            .expect("wait for child")
    }

    /// SIGKILL to the child's process group (its id is the child's pid, see
    /// `process_group(0)`), then reap the child.
    pub fn kill(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
            let _ = self.child.start_kill();
            let _ = self.child.try_wait();
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `command` to completion with stdout/stderr captured, killing it (and
/// its process group) if it takes longer than `timeout`.
pub async fn run_bounded(what: &'static str, mut command: Command, timeout: Duration) -> Output {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut guard = ChildGuard::spawn(what, command);
    let stdout = guard.child.stdout.take().expect("stdout is piped");
    let stderr = guard.child.stderr.take().expect("stderr is piped");
    let read_all = |mut pipe: Box<dyn tokio::io::AsyncRead + Unpin + Send>| async move {
        let mut bytes = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut pipe, &mut bytes).await;
        bytes
    };
    let finished = tokio::time::timeout(timeout, async {
        let (out, err, status) = tokio::join!(
            read_all(Box::new(stdout)),
            read_all(Box::new(stderr)),
            guard.child.wait()
        );
        Output {
            status: status.expect("wait for child"),
            stdout: out,
            stderr: err,
        }
    })
    .await;
    finished.unwrap_or_else(|_| panic!("{what} did not finish within {timeout:?}"))
}

/// Panics with both outputs unless `output` is a success.
pub fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}).\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The JSON a successful run printed: its whole stdout, else its last `{…}` line.
pub fn stdout_json(what: &str, output: &Output) -> Value {
    assert_success(what, output);
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&text)
        .or_else(|_| {
            let line = text.lines().rev().find(|line| line.starts_with('{'));
            serde_json::from_str(line.unwrap_or_default())
        })
        .unwrap_or_else(|error| panic!("{what} printed no JSON ({error}):\n{text}"))
}

/// Runs the venv's Python with `args` and `env` added, bounded by [`RUN_TIMEOUT`].
pub async fn run_python(what: &'static str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(python());
    command
        .args(args)
        .envs(env.iter().copied())
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    run_bounded(what, command, RUN_TIMEOUT).await
}

/// `mcp-inspector --cli URL --transport http ARGS…`, bounded by [`RUN_TIMEOUT`].
pub async fn inspector(url: &str, args: &[&str]) -> Output {
    let mut command = Command::new(interop_dir().join("node/node_modules/.bin/mcp-inspector"));
    command
        .args(["--cli", url, "--transport", "http"])
        .args(args);
    run_bounded("mcp-inspector --cli", command, RUN_TIMEOUT).await
}

// ---------------------------------------------------------------------------
// Loopback networking, ids
// ---------------------------------------------------------------------------

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("bind an ephemeral loopback port")
        .port()
}

/// Waits until `127.0.0.1:port` accepts connections, while `guard` runs.
pub async fn wait_for_port(port: u16, guard: &mut ChildGuard, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        guard.assert_running(&String::new);
        assert!(
            Instant::now() < deadline,
            "{} did not listen on {port} within {timeout:?}",
            guard.what
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `n` random bytes as lowercase hex (never all zeros in practice).
pub fn random_hex(bytes: usize) -> String {
    let mut hex = String::new();
    while hex.len() < bytes * 2 {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u128(Instant::now().elapsed().as_nanos());
        hex.push_str(&format!("{:016x}", hasher.finish()));
    }
    hex.truncate(bytes * 2);
    hex
}

/// `weather_server.py` on a free loopback port, exporting to `otlp` (its
/// tools' spans, parented from the HTTP headers, and FastMCP's own SERVER
/// spans, parented from `_meta`). Returns the guard and the MCP endpoint.
pub async fn start_python_weather_server(otlp: &str) -> (ChildGuard, String) {
    let port = free_port();
    let mut command = Command::new(python());
    command
        .arg(script("weather_server.py"))
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", otlp)
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut server = ChildGuard::spawn("weather_server.py", command);
    let stdout = server.child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(url) = line.strip_prefix("Streamable HTTP endpoint available at ") {
                return url.trim().to_string();
            }
        }
        panic!("weather_server.py exited before printing its endpoint")
    })
    .await
    .expect("weather_server.py printed its endpoint within 60 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    wait_for_port(port, &mut server, Duration::from_secs(60)).await;
    (server, url)
}

/// `mcp-inspector --method tools/list --strict` against `url`: no schema
/// findings, nothing on stderr, and exactly the tools `expected`, in order.
pub async fn assert_strict_tool_list(url: &str, expected: &[&str]) {
    let list = inspector(
        url,
        &["--method", "tools/list", "--strict", "--format", "json"],
    )
    .await;
    let listed = stdout_json("mcp-inspector tools/list --strict", &list);
    assert!(
        listed.get("schemaFindings").is_none() && list.stderr.is_empty(),
        "tools/list --strict reports schema problems:\n{}\n{}",
        serde_json::to_string_pretty(&listed["schemaFindings"]).unwrap(),
        String::from_utf8_lossy(&list.stderr)
    );
    let names: Vec<_> = listed["result"]["tools"]
        .as_array()
        .expect("tools array")
        .iter()
        .filter_map(|tool| tool["name"].as_str())
        .collect();
    assert_eq!(names, expected, "{listed}");
}
