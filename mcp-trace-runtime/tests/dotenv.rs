//! `.env` in the working directory is loaded like the seed's `load_dotenv()`:
//! its values apply, and variables already set in the environment win.
//! (Its own test binary: it changes the process's working directory.)

#[test]
fn dotenv_values_apply_and_the_environment_wins() {
    let dir = std::env::temp_dir().join(format!("mcp-trace-dotenv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(".env"),
        "OTEL_SERVICE_NAME=from-dotenv\nMCP_TRACE_MODE=propagation_only\nOTEL_EXPORTER_OTLP_PROTOCOL=http/json\n",
    )
    .unwrap();
    // TODO: Audit that the environment access only happens in single-threaded code.
    unsafe { std::env::set_var("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf") };
    std::env::set_current_dir(&dir).unwrap();

    let config = mcp_trace_runtime::Config::from_env("default-name").unwrap();
    assert_eq!(config.service_name, "from-dotenv");
    assert_eq!(config.mode, mcp_trace_runtime::Mode::PropagationOnly);
    assert_eq!(
        config.otlp.unwrap().protocol,
        mcp_trace_runtime::config::Protocol::HttpProtobuf,
        "a variable already in the environment beats .env"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
