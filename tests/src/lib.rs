//! Shared helpers for the cross-crate and end-to-end tests: find the
//! workspace's binaries, start `weather-server` on a free port, run
//! `weather-client`, build and find the runtime's examples; [`interop`] holds
//! what the interoperability suites share.

pub mod interop;

use std::path::PathBuf;
use std::process::{ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Path of a workspace binary (`weather-server`, `weather-client`) built in
/// the same profile as the running test. The first call in a test process
/// runs `cargo build` for both (quick when they are current): a test must
/// never run a binary older than the code it tests.
pub fn binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let test_executable = std::env::current_exe().expect("the test knows its own path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let profile_dir = test_executable
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from target/<profile>/deps");
    let path = profile_dir.join(name);
    {
        BUILT.get_or_init(|| {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut build = std::process::Command::new(cargo);
            build.args(["build", "-p", "weather-server", "-p", "weather-client"]);
            if profile_dir.ends_with("release") {
                build.arg("--release");
            }
            let status = build.status().expect("cargo runs");
            assert!(status.success(), "building the weather binaries failed");
        });
    }
    assert!(
        path.exists(),
        "{} is missing after the build",
        path.display()
    );
    path
}

/// Path of an example of `mcp-trace-runtime` (e.g. `rmcp_router`), built
/// first in the running test's profile (`cargo build --example`, quick when
/// current), like [`binary`].
pub fn example(name: &str) -> PathBuf {
    let test_executable = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = test_executable
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from target/<profile>/deps");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = std::process::Command::new(cargo);
    build.args(["build", "-p", "mcp-trace-runtime", "--example", name]);
    if profile_dir.ends_with("release") {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "building the example {name} failed");
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing after the build",
        path.display()
    );
    path
}

/// A running `weather-server` child; killed when dropped. Its stderr is
/// passed through to the test's and kept for [`WeatherServer::stop_with_stderr`].
pub struct WeatherServer {
    child: Child,
    /// The MCP endpoint, e.g. `http://127.0.0.1:41234/weather`.
    pub url: String,
    stderr: tokio::task::JoinHandle<String>,
}

const ENDPOINT_LINE: &str = "Streamable HTTP endpoint available at ";

impl WeatherServer {
    /// Starts `weather-server --port 0 <args>` with `env` added, and waits
    /// for its start-up line (at most 30 s).
    pub async fn start(args: &[&str], env: &[(&str, &str)]) -> WeatherServer {
        let mut command = Command::new(binary("weather-server"));
        command
            .args(["--port", "0"])
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("weather-server starts");
        let mut stderr_lines =
            BufReader::new(child.stderr.take().expect("stderr is piped")).lines();
        let stderr = tokio::spawn(async move {
            let mut kept = String::new();
            while let Ok(Some(line)) = stderr_lines.next_line().await {
                eprintln!("{line}");
                kept.push_str(&line);
                kept.push('\n');
            }
            kept
        });
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix(ENDPOINT_LINE) {
                    return url.trim().to_string();
                }
            }
            panic!("weather-server exited before printing its endpoint")
        })
        .await
        .expect("weather-server printed its endpoint within 30 s");
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        WeatherServer { child, url, stderr }
    }

    /// Sends SIGTERM and waits for the exit (the server flushes its spans first).
    pub async fn stop(self) -> ExitStatus {
        self.stop_with_stderr().await.0
    }

    /// [`WeatherServer::stop`], and everything the server wrote to stderr.
    pub async fn stop_with_stderr(mut self) -> (ExitStatus, String) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        let status = tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("weather-server stops within 20 s of SIGTERM")
            .expect("weather-server exit status");
        let stderr = tokio::time::timeout(Duration::from_secs(5), self.stderr)
            .await
            .expect("stderr ends with the process")
            .unwrap_or_default();
        (status, stderr)
    }
}

/// Runs `weather-client <args>` with `env` added and returns its output.
pub async fn run_client(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(binary("weather-client"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .expect("weather-client runs")
}
