//! The `weather-server` binary's command line: help, start-up lines, SIGTERM,
//! stateless mode, and a bad setting.
//!
//! Export is off in every run (`OTEL_TRACES_EXPORTER=none`): nothing leaves
//! 127.0.0.1. Every wait is bounded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const SERVER: &str = env!("CARGO_BIN_EXE_weather-server");

fn server_command(args: &[&str]) -> Command {
    let mut command = Command::new(SERVER);
    command
        .args(args)
        .env("OTEL_TRACES_EXPORTER", "none")
        .env_remove("MCP_TRACE_MODE")
        .stdin(Stdio::null());
    command
}

/// Waits at most `timeout` for `child` to exit; kills it and fails otherwise.
fn wait_exit(child: &mut Child, timeout: Duration) -> ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("weather-server did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A running server and its two start-up lines; killed if still running when dropped.
struct Running {
    child: Child,
    lines: Vec<String>,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        let mut child = server_command(&["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("weather-server starts");
        let stdout = child.stdout.take().unwrap();
        let (send, receive) = mpsc::channel();
        // Reads every line so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut lines = Vec::new();
        while lines.len() < 2 {
            let left = deadline.saturating_duration_since(Instant::now());
            match receive.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(_) => {
                    let _ = child.kill();
                    panic!("weather-server printed {lines:?} and then nothing within 30 s");
                }
            }
        }
        Running { child, lines }
    }

    /// `host:port` from the first start-up line.
    fn address(&self) -> String {
        self.lines[0]
            .strip_prefix("Starting Weather Assistant MCP Server on http://")
            .unwrap_or_else(|| panic!("unexpected first line {:?}", self.lines[0]))
            .to_string()
    }

    fn terminate(&mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        wait_exit(&mut self.child, Duration::from_secs(5))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn help_lists_the_flags() {
    let output = server_command(&["--help"]).output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--host",
        "--port",
        "--path",
        "--stdio",
        "--stateless",
        "--allow-host",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    assert!(help.contains("Usage: weather-server"), "{help}");
}

/// `--help` opens with what the server is, not with the rustdoc (and its
/// doctest) of the argument struct.
#[test]
fn help_describes_the_server_not_its_rustdoc() {
    let output = server_command(&["--help"]).output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(
        help.starts_with("Weather Assistant MCP server, traced with mcp-trace\n"),
        "{help}"
    );
    assert!(
        !help.contains("```") && !help.contains("assert_eq!"),
        "doctest code in --help:\n{help}"
    );
}

#[test]
fn port_zero_prints_the_seed_lines_with_the_real_address() {
    let server = Running::start(&[]);
    let address = server.address();
    let port: u16 = address
        .strip_prefix("127.0.0.1:")
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("not a loopback address with a port: {address}"));
    assert_ne!(port, 0, "the real port, not 0");
    assert_eq!(
        server.lines,
        [
            format!("Starting Weather Assistant MCP Server on http://{address}"),
            format!("Streamable HTTP endpoint available at http://{address}/weather"),
        ]
    );
    TcpStream::connect(&address).expect("the printed address accepts connections");
}

/// The start-up lines say the server is up: from then on SIGTERM is a
/// graceful stop (flush, exit 0), never the default fatal signal. SIGTERM
/// goes out the moment the lines are read (a shell waiting for the pid), a
/// few rounds, so a window between the lines and the signal handler shows.
#[test]
fn sigterm_right_after_start_up_stops_gracefully_with_exit_0() {
    for round in 0..10 {
        let mut killer = Command::new("sh")
            .args(["-c", "read pid && exec kill -TERM \"$pid\""])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let mut server = Running::start(&[]);
        let started = Instant::now();
        let mut pid = killer.stdin.take().unwrap();
        writeln!(pid, "{}", server.child.id()).unwrap();
        drop(pid);
        assert!(killer.wait().unwrap().success());
        let status = wait_exit(&mut server.child, Duration::from_secs(5));
        assert!(
            status.success(),
            "round {round}: SIGTERM → exit 0, got {status}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
}

/// SIGTERM while a session is open: still a graceful stop.
#[test]
fn sigterm_with_an_open_session_stops_gracefully_with_exit_0() {
    let mut server = Running::start(&[]);
    let (head, _) = post(&server.address(), "/weather", INITIALIZE);
    assert!(head.contains("mcp-session-id"), "{head}");
    let started = Instant::now();
    let status = server.terminate();
    assert!(status.success(), "SIGTERM → exit 0, got {status}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn path_flag_moves_the_endpoint() {
    let server = Running::start(&["--path", "/mcp"]);
    let address = server.address();
    assert_eq!(
        server.lines[1],
        format!("Streamable HTTP endpoint available at http://{address}/mcp")
    );
}

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"cli-test","version":"1"}}}"#;

/// A raw HTTP/1.1 POST; returns the response head (lower-cased) and body.
fn post(address: &str, path: &str, body: &str) -> (String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    (head.to_ascii_lowercase(), body.to_string())
}

#[test]
fn stateless_answers_initialize_with_plain_json() {
    let mut server = Running::start(&["--stateless"]);
    let (head, body) = post(&server.address(), "/weather", INITIALIZE);
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(
        head.lines()
            .any(|line| line.starts_with("content-type: application/json")),
        "{head}"
    );
    assert!(
        !head.contains("mcp-session-id"),
        "stateless: no session\n{head}"
    );
    let response: serde_json::Value = serde_json::from_str(&body)
        .unwrap_or_else(|error| panic!("body is not one JSON message ({error}): {body:?}"));
    assert_eq!(response["id"], 1);
    assert_eq!(
        response["result"]["serverInfo"]["name"],
        "Weather Assistant"
    );
    assert!(response["result"]["capabilities"]["tools"].is_object());
    assert!(server.terminate().success());
}

#[test]
fn a_bad_trace_mode_exits_2_naming_the_variable() {
    let mut child = server_command(&["--port", "0"])
        .env("MCP_TRACE_MODE", "loud")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_exit(&mut child, Duration::from_secs(10));
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert_eq!(status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("MCP_TRACE_MODE"), "{stderr}");
    assert!(stderr.contains("loud"), "{stderr}");
    assert!(stdout.is_empty(), "it never started serving: {stdout}");
}
