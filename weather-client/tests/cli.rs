//! The `weather-client` binary's command line: help, a server that is not
//! there, and `--demo --json` (the demo runs its own server and collector on
//! 127.0.0.1).
//!
//! Export to an outside backend is off in every run
//! (`OTEL_TRACES_EXPORTER=none`); every wait is bounded.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const CLIENT: &str = env!("CARGO_BIN_EXE_weather-client");

/// Runs `weather-client <args>` for at most `timeout`.
fn run(args: &[&str], timeout: Duration) -> Output {
    let mut child = Command::new(CLIENT)
        .args(args)
        .env("OTEL_TRACES_EXPORTER", "none")
        .env_remove("MCP_TRACE_MODE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("weather-client starts");
    // Drain both pipes on their own threads so the child never blocks on them.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("weather-client {args:?} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_lists_the_flags_and_the_location_argument() {
    let output = run(&["--help"], Duration::from_secs(10));
    assert!(output.status.success());
    let help = text(&output.stdout);
    for needle in [
        "Usage: weather-client",
        "[LOCATION]",
        "--url",
        "--days",
        "--json",
        "--demo",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
    assert!(
        !help.contains("--demo-server"),
        "the internal flag stays hidden:\n{help}"
    );
}

#[test]
fn a_server_that_is_not_there_fails_with_a_clear_message() {
    // Bind then drop: a loopback port where nothing listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/weather");
    let output = run(&["--url", &url, "Paris"], Duration::from_secs(30));
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "stderr: {stderr}");
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
    assert!(
        stderr.contains(&format!(
            "weather-client: cannot open an MCP session at {url}"
        )),
        "{stderr}"
    );
    let trace_id = stderr
        .lines()
        .find_map(|line| line.strip_prefix("Trace id: "))
        .unwrap_or_else(|| panic!("no trace id: {stderr}"));
    assert_eq!(trace_id.trim().len(), 32, "{stderr}");
}

#[test]
fn demo_json_prints_the_report_with_its_trace_id() {
    let output = run(
        &["--demo", "--json", "--days", "2", "Paris"],
        Duration::from_secs(60),
    );
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{}\nstdout: {stdout}\nstderr: {}",
        output.status,
        text(&output.stderr)
    );
    // --json: the report alone, no tree.
    let report: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|error| panic!("not one JSON value ({error}): {stdout}"));
    let weather = &report["weather"];
    assert_eq!(weather["location"], "Paris");
    assert!((15..=30).contains(&weather["temperature"].as_i64().unwrap()));
    assert!((40..=80).contains(&weather["humidity"].as_i64().unwrap()));
    assert!((5..=25).contains(&weather["wind_speed"].as_i64().unwrap()));
    let days: Vec<i64> = report["forecast"]
        .as_array()
        .unwrap()
        .iter()
        .map(|day| day["day"].as_i64().unwrap())
        .collect();
    assert_eq!(days, [1, 2]);
    let trace_id = report["trace_id"].as_str().unwrap();
    assert!(
        trace_id.len() == 32 && trace_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{trace_id}"
    );
}
