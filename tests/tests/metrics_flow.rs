//! The MCP duration histograms from real traffic: an in-process weather
//! server and `McpClient` record `mcp.server.operation.duration` and
//! `mcp.client.operation.duration`, exported over OTLP to the embedded collector.

use std::collections::HashMap;
use std::time::Duration;

use mcp_trace_runtime::client::McpClient;
use mcp_trace_runtime::collector::Collector;
use mcp_trace_runtime::metrics::{
    CLIENT_OPERATION_DURATION, CLIENT_SESSION_DURATION, SERVER_OPERATION_DURATION,
    SERVER_SESSION_DURATION,
};
use mcp_trace_runtime::server::{serve_http, HttpOptions};
use mcp_trace_runtime::{install, Config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_histograms_arrive_with_method_tool_and_error_type() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let vars: HashMap<&str, String> = HashMap::from([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()),
        ("OTEL_METRICS_EXPORTER", "otlp".to_string()),
    ]);
    let config = Config::from_lookup("metrics-flow", |name| vars.get(name).cloned()).unwrap();
    let guard = install(config).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/weather", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_http(
        weather_server::weather_server().expect("the weather tools have distinct names"),
        listener,
        HttpOptions::at("/weather"),
        async {
            let _ = stopped.await;
        },
    ));
    let client = McpClient::connect_http(&url).await.unwrap();
    for _ in 0..3 {
        let arguments = serde_json::json!({"location": "Oslo"});
        client
            .call_tool("get_weather", arguments.as_object().unwrap().clone())
            .await
            .unwrap();
    }
    assert!(client
        .call_tool("nope", serde_json::Map::new())
        .await
        .is_err());
    client.close().await;
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(10)))
        .await
        .unwrap()
        .unwrap();

    for name in [SERVER_OPERATION_DURATION, CLIENT_OPERATION_DURATION] {
        let metric = collector
            .latest_metric(name)
            .unwrap_or_else(|| panic!("{name} arrived"));
        assert_eq!(metric.unit, "s");
        assert_eq!(metric.service_name, "metrics-flow");
        let calls = metric
            .point_with(&[
                ("mcp.method.name", "tools/call"),
                ("gen_ai.tool.name", "get_weather"),
                ("network.transport", "tcp"),
            ])
            .unwrap_or_else(|| panic!("{name} has a point for get_weather: {metric:#?}"));
        assert_eq!(calls.count, 3, "{name}");
        assert!(calls.attr_str("error.type").is_none());
        assert!(
            calls.attr_str("mcp.protocol.version").is_some(),
            "{name}: the conventions' mcp.protocol.version"
        );
        let failed = metric
            .point_with(&[("mcp.method.name", "tools/call"), ("error.type", "-32602")])
            .unwrap_or_else(|| panic!("{name} has a point for the failed call"));
        assert_eq!(failed.count, 1);
        assert!(metric
            .point_with(&[("mcp.method.name", "initialize")])
            .is_some());
    }
    // One session on each side, measured from initialize to its end.
    for name in [SERVER_SESSION_DURATION, CLIENT_SESSION_DURATION] {
        let metric = collector
            .latest_metric(name)
            .unwrap_or_else(|| panic!("{name} arrived"));
        assert_eq!(metric.unit, "s");
        let session = metric
            .point_with(&[("network.transport", "tcp")])
            .unwrap_or_else(|| panic!("{name} has a tcp point: {metric:#?}"));
        assert_eq!(session.count, 1, "{name}");
        assert!(session.attr_str("mcp.protocol.version").is_some(), "{name}");
    }
}
