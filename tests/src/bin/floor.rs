//! `mcp-trace-floor`: what the OpenTelemetry SDK itself costs for what
//! weather-server's `native` mode records per call, written by hand with
//! nothing of mcp-trace's on the calling thread — the least any SDK-based
//! tracer pays. Run under callgrind twice, with `--ops 0` and `--ops N`: the
//! difference over N is instructions per operation, start-up and shutdown
//! cancelled out (`bench/callgrind.sh floor` does this).
//!
//! ```sh
//! valgrind --tool=callgrind mcp-trace-floor --case span --ops 20000
//! ```
//!
//! Cases (each exports through a `BatchSpanProcessor` /
//! `BatchLogProcessor` with the SDK's default settings into an exporter
//! that encodes every batch as OTLP protobuf with
//! `mcp_trace_runtime::export`'s encoder and drops the bytes — no HTTP):
//!
//! - `span`: a SERVER span under a remote parent with weather-server's
//!   attributes (the request's strings copied, as any tracer must; the
//!   tool's input and output serialized to JSON), ended.
//! - `extract`: the SDK's `tracecontext` + `baggage` propagators reading the
//!   load generator's `traceparent`, `tracestate` and `baggage` headers.
//! - `log`: one log record with a body, one attribute and the span's ids.
//! - `call`: `extract`, then `span`, then `log` inside it: one traced call.

use std::hint::black_box;

use clap::{Parser, ValueEnum};
use http::HeaderMap;
use mcp_trace_runtime::export::{encode_logs_request, encode_trace_request};
use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::{SpanKind, TraceContextExt, Tracer as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{BatchLogProcessor, LogBatch, LogExporter, SdkLoggerProvider};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider, SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use weather_server::tools::CurrentWeather;

/// The SDK's own cost of one traced call, by hand
#[derive(Debug, Parser)]
#[command(name = "mcp-trace-floor")]
struct Args {
    #[arg(long, value_enum)]
    case: Case,
    /// Operations to run (0 measures start-up and shutdown alone).
    #[arg(long, default_value_t = 20_000)]
    ops: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Case {
    Span,
    Extract,
    Log,
    Call,
}

/// Encodes each batch as the OTLP exporter would, then drops it.
#[derive(Debug)]
struct Encoding {
    resource: Resource,
}

impl SpanExporter for Encoding {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        black_box(encode_trace_request(&self.resource, &batch));
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource.clone();
    }
}

impl LogExporter for Encoding {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        black_box(encode_logs_request(&self.resource, &batch));
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource.clone();
    }
}

/// What the load generator sends with every call.
fn request_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            .parse()
            .unwrap(),
    );
    headers.insert("tracestate", "vendor=value".parse().unwrap());
    headers.insert("baggage", "user.id=bench".parse().unwrap());
    headers
}

/// The request's strings a tracer copies into the span.
struct Request {
    method: String,
    tool: String,
    id: String,
    version: String,
    host: String,
    client: String,
    location: String,
}

fn server_span(
    tracer: &opentelemetry_sdk::trace::SdkTracer,
    parent: &Context,
    request: &Request,
    output: &CurrentWeather,
) -> Context {
    let input = serde_json::to_string(&serde_json::json!({ "location": request.location }))
        .expect("a JSON object");
    let output = serde_json::to_string(output).expect("a plain struct");
    let span = tracer
        .span_builder(format!("{} {}", request.method, request.tool))
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("mcp.method.name", request.method.clone()),
            KeyValue::new("network.transport", "tcp"),
            KeyValue::new("gen_ai.tool.name", request.tool.clone()),
            KeyValue::new("gen_ai.operation.name", "execute_tool"),
            KeyValue::new("mcp.protocol.version", request.version.clone()),
            KeyValue::new("jsonrpc.request.id", request.id.clone()),
            KeyValue::new("server.address", request.host.clone()),
            KeyValue::new("server.port", 9000_i64),
            KeyValue::new("client.address", request.client.clone()),
            KeyValue::new("user.id", "bench"),
            KeyValue::new("langfuse.observation.type", "tool"),
            KeyValue::new("openinference.span.kind", "TOOL"),
            KeyValue::new("langfuse.observation.input", input),
            KeyValue::new("langfuse.observation.output", output),
        ])
        .start_with_context(tracer, parent);
    parent.with_span(span)
}

fn main() {
    let args = Args::parse();
    let resource = Resource::builder()
        .with_service_name("weather-server")
        .build();
    let tracer_provider = SdkTracerProvider::builder()
        .with_resource(resource.clone())
        .with_span_processor(
            BatchSpanProcessor::builder(Encoding {
                resource: resource.clone(),
            })
            .build(),
        )
        .build();
    let logger_provider = SdkLoggerProvider::builder()
        .with_resource(resource.clone())
        .with_log_processor(BatchLogProcessor::builder(Encoding { resource }).build())
        .build();
    let tracer = tracer_provider.tracer("mcp-trace-runtime");
    let logger = logger_provider.logger("weather_server::tools");
    let propagator = TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ]);
    let headers = request_headers();
    let remote = propagator.extract(&opentelemetry_http::HeaderExtractor(&headers));
    let request = Request {
        method: "tools/call".into(),
        tool: "get_weather".into(),
        id: "1".into(),
        version: "2025-06-18".into(),
        host: "127.0.0.1".into(),
        client: "127.0.0.1".into(),
        location: "Paris".into(),
    };
    let output = CurrentWeather {
        location: "Paris".into(),
        temperature: 21,
        condition: "Sunny".into(),
        humidity: 60,
        wind_speed: 12,
    };
    for _ in 0..args.ops {
        let parent = match args.case {
            Case::Extract | Case::Call => {
                propagator.extract(&opentelemetry_http::HeaderExtractor(black_box(&headers)))
            }
            Case::Span | Case::Log => remote.clone(),
        };
        if args.case == Case::Extract {
            black_box(parent);
            continue;
        }
        let cx = match args.case {
            Case::Span | Case::Call => {
                server_span(&tracer, &parent, black_box(&request), black_box(&output))
            }
            _ => parent,
        };
        if matches!(args.case, Case::Log | Case::Call) {
            let mut record = logger.create_log_record();
            record.set_severity_number(Severity::Info);
            record.set_body(AnyValue::from("looking up the weather"));
            record.add_attribute("location", "Paris");
            let span = cx.span();
            let span_context = span.span_context();
            record.set_trace_context(
                span_context.trace_id(),
                span_context.span_id(),
                Some(span_context.trace_flags()),
            );
            logger.emit(record);
        }
        cx.span().end();
    }
    tracer_provider.shutdown().expect("spans flushed");
    logger_provider.shutdown().expect("log records flushed");
}
