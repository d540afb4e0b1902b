//! A service for the W3C Trace Context test harness
//! (`tests/w3c-trace-context`, run by `.ci/w3c-trace-context`).
//!
//! The harness POSTs to `/test` a JSON array of `{"url": …, "arguments": […]}`
//! with the trace context under test in the request's headers. For each
//! element the service POSTs `arguments` as JSON to `url`, in a CLIENT span of
//! its own started in the context it received: the context comes in through
//! [`mcp_trace_runtime::propagation::extract_from_headers`] and goes out
//! through [`mcp_trace_runtime::propagation::inject_into_headers`], the path
//! every traced MCP request takes, so the harness checks exactly that path.
//!
//! ```text
//! cargo run -p mcp-trace-runtime --example trace_context_service -- --port 5000
//! python tests/w3c-trace-context/test.py http://127.0.0.1:5000/test
//! ```
//!
//! `--port 0` picks a free port; the first line on stdout names the endpoint.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use opentelemetry::trace::{SpanKind, TraceContextExt, Tracer, TracerProvider};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use serde::Deserialize;

use mcp_trace_runtime::propagation::{extract_from_headers, inject_into_headers};

/// One callback the harness asks for.
#[derive(Debug, Deserialize)]
struct Action {
    url: String,
    #[serde(default)]
    arguments: serde_json::Value,
}

struct Service {
    tracer: SdkTracer,
    client: reqwest::Client,
}

impl Service {
    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        if request.method() != Method::POST || request.uri().path() != "/test" {
            return respond(StatusCode::NOT_FOUND, "only POST /test".into());
        }
        let parent = extract_from_headers(request.headers());
        let body = match request.into_body().collect().await {
            Ok(body) => body.to_bytes(),
            Err(error) => return respond(StatusCode::BAD_REQUEST, error.to_string()),
        };
        let actions: Vec<Action> = match serde_json::from_slice(&body) {
            Ok(actions) => actions,
            Err(error) => return respond(StatusCode::BAD_REQUEST, error.to_string()),
        };
        let mut statuses = Vec::with_capacity(actions.len());
        for action in actions {
            let span = self
                .tracer
                .span_builder(format!("POST {}", action.url))
                .with_kind(SpanKind::Client)
                .start_with_context(&self.tracer, &parent);
            let cx = parent.with_span(span);
            let mut headers = HeaderMap::new();
            inject_into_headers(&cx, &mut headers);
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            let sent = self
                .client
                .post(&action.url)
                .headers(headers)
                .body(action.arguments.to_string())
                .send()
                .await;
            cx.span().end();
            statuses.push(match sent {
                Ok(response) => serde_json::json!(response.status().as_u16()),
                Err(error) => serde_json::json!(error.to_string()),
            });
        }
        respond(
            StatusCode::OK,
            serde_json::Value::from(statuses).to_string(),
        )
    }
}

fn respond(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn port_argument() -> Result<u16, String> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    match arguments.as_slice() {
        [flag, port] if flag == "--port" => port
            .parse()
            .map_err(|error| format!("--port {port}: {error}")),
        _ => Err("usage: trace_context_service --port N".into()),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let port = port_argument()?;
    mcp_trace_runtime::propagation::install_default_propagators();
    // Spans of its own, exported nowhere: the harness only sees their ids.
    let provider = SdkTracerProvider::builder().build();
    let service = Arc::new(Service {
        tracer: provider.tracer("trace-context-service"),
        client: reqwest::Client::new(),
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}/test", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let service = service.clone();
        tokio::spawn(async move {
            let handler = hyper::service::service_fn(move |request| {
                let service = service.clone();
                async move { Ok::<_, Infallible>(service.handle(request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), handler)
                .await;
        });
    }
}
