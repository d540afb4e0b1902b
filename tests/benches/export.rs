//! What the span export thread spends turning a batch into OTLP/HTTP
//! protobuf: 512 spans shaped like weather-server's SERVER span of a
//! `tools/call` (13 attributes, a remote parent), encoded
//!
//! - as opentelemetry-otlp does: opentelemetry-proto's
//!   `group_spans_by_resource_and_scope` into proto structs, then prost's
//!   `encode_to_vec`;
//! - as mcp-trace's HTTP protobuf exporter does: `encode_trace_request`
//!   straight from the spans.
//!
//! Both take the batch by value and drop it, as an exporter does; the third
//! case is that drop alone, the floor under both. Criterion's throughput is
//! per span.
//!
//! And what the log export thread spends on a batch of 512 log records
//! shaped like weather-server's (`tracing::info!(location, "looking up the
//! weather")` inside the tool's span, through opentelemetry-appender-tracing:
//! body, one attribute, severity INFO, the target as scope name, trace and
//! span ids), encoded through opentelemetry-proto's
//! `group_logs_by_resource_and_scope` + prost, and by `encode_logs_request`.
//! The SDK lends an exporter the batch, so neither drops it. Throughput is
//! per record.
//!
//! `cargo bench -p mcp-trace-tests --bench export`

use std::borrow::Cow;
use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mcp_trace_runtime::export::{encode_logs_request, encode_trace_request};
use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::logs::tonic::group_logs_by_resource_and_scope;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::logs::{LogBatch, SdkLogRecord, SdkLoggerProvider};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use opentelemetry_sdk::Resource;
use prost::Message as _;

const BATCH: usize = 512;

/// weather-server's SERVER span for one `get_weather` call.
fn server_span(n: u64, scope: &InstrumentationScope) -> SpanData {
    let start =
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000) + Duration::from_micros(n);
    let output = r#"{"location":"Paris","temperature":22,"condition":"Partly Cloudy","humidity":61,"wind_speed":14,"unit":"celsius"}"#;
    SpanData {
        span_context: SpanContext::new(
            TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_0000 + u128::from(n)),
            SpanId::from(0x00f0_67aa_0ba9_0000 + n),
            TraceFlags::SAMPLED,
            false,
            TraceState::NONE,
        ),
        parent_span_id: SpanId::from(0x1000_0000_0000_0000 + n),
        parent_span_is_remote: true,
        span_kind: SpanKind::Server,
        name: Cow::Borrowed("tools/call get_weather"),
        start_time: start,
        end_time: start + Duration::from_micros(180),
        attributes: vec![
            KeyValue::new("mcp.method.name", "tools/call"),
            KeyValue::new("network.transport", "tcp"),
            KeyValue::new("gen_ai.tool.name", "get_weather"),
            KeyValue::new("gen_ai.operation.name", "execute_tool"),
            KeyValue::new("mcp.protocol.version", "2025-06-18"),
            KeyValue::new("jsonrpc.request.id", n.to_string()),
            KeyValue::new("server.address", "127.0.0.1"),
            KeyValue::new("server.port", 9778_i64),
            KeyValue::new("client.address", "127.0.0.1"),
            KeyValue::new("langfuse.observation.type", "tool"),
            KeyValue::new("openinference.span.kind", "TOOL"),
            KeyValue::new(
                "langfuse.observation.input",
                r#"{"location":"Paris"}"#.to_string(),
            ),
            KeyValue::new("langfuse.observation.output", output.to_string()),
        ],
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: scope.clone(),
    }
}

fn export(c: &mut Criterion) {
    let resource = Resource::builder()
        .with_service_name("weather-server")
        .with_attribute(KeyValue::new("service.version", "0.1.0"))
        .build();
    let scope = InstrumentationScope::builder("mcp-trace").build();
    let batch: Vec<SpanData> = (0..BATCH as u64).map(|n| server_span(n, &scope)).collect();
    // opentelemetry-otlp converts the resource once, when it is set.
    let converted = ResourceAttributesWithSchema::from(&resource);
    let through_proto = |batch: Vec<SpanData>| {
        ExportTraceServiceRequest {
            resource_spans: group_spans_by_resource_and_scope(batch, &converted),
        }
        .encode_to_vec()
    };
    let direct = |batch: Vec<SpanData>| encode_trace_request(&resource, &batch);
    assert_eq!(
        direct(batch.clone()),
        through_proto(batch.clone()),
        "both encoders write the same bytes"
    );
    eprintln!(
        "one batch: {} bytes, {} per span",
        direct(batch.clone()).len(),
        direct(batch.clone()).len() / BATCH
    );

    let mut group = c.benchmark_group("export_512_server_spans");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("opentelemetry_proto_and_prost", |b| {
        b.iter_batched(
            || batch.clone(),
            |batch| black_box(through_proto(batch)),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("direct", |b| {
        b.iter_batched(
            || batch.clone(),
            |batch| black_box(direct(batch)),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("drop_only", |b| {
        b.iter_batched(|| batch.clone(), drop, BatchSize::LargeInput)
    });
    group.finish();
}

/// weather-server's log record for one `get_weather` call.
fn weather_record(n: u64, provider: &SdkLoggerProvider) -> SdkLogRecord {
    let mut record = provider.logger("").create_log_record();
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000) + Duration::from_micros(n);
    record.set_timestamp(at);
    record.set_observed_timestamp(at + Duration::from_micros(2));
    record.set_severity_number(Severity::Info);
    record.set_severity_text("INFO");
    record.set_target("weather_server::tools");
    record.set_body(AnyValue::from("looking up the weather"));
    record.add_attribute("location", "Paris");
    record.set_trace_context(
        TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_0000 + u128::from(n)),
        SpanId::from(0x00f0_67aa_0ba9_0000 + n),
        Some(TraceFlags::SAMPLED),
    );
    record
}

fn export_logs(c: &mut Criterion) {
    let resource = Resource::builder()
        .with_service_name("weather-server")
        .with_attribute(KeyValue::new("service.version", "0.1.0"))
        .build();
    let provider = SdkLoggerProvider::builder().build();
    // opentelemetry-appender-tracing's scope: no name, the target gives it.
    let scope = InstrumentationScope::builder("").build();
    let records: Vec<SdkLogRecord> = (0..BATCH as u64)
        .map(|n| weather_record(n, &provider))
        .collect();
    let batch: Vec<(&SdkLogRecord, &InstrumentationScope)> =
        records.iter().map(|record| (record, &scope)).collect();
    let converted = ResourceAttributesWithSchema::from(&resource);
    let through_proto = |batch: &LogBatch<'_>| {
        ExportLogsServiceRequest {
            resource_logs: group_logs_by_resource_and_scope(batch, &converted),
        }
        .encode_to_vec()
    };
    let direct = |batch: &LogBatch<'_>| encode_logs_request(&resource, batch);
    // One scope, so opentelemetry-proto's hash order cannot differ.
    assert_eq!(
        direct(&LogBatch::new(&batch)),
        through_proto(&LogBatch::new(&batch)),
        "both encoders write the same bytes"
    );
    let bytes = direct(&LogBatch::new(&batch)).len();
    eprintln!("one batch: {bytes} bytes, {} per record", bytes / BATCH);

    let mut group = c.benchmark_group("export_512_log_records");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("opentelemetry_proto_and_prost", |b| {
        b.iter(|| black_box(through_proto(&LogBatch::new(black_box(&batch)))))
    });
    group.bench_function("direct", |b| {
        b.iter(|| black_box(direct(&LogBatch::new(black_box(&batch)))))
    });
    group.finish();
}

criterion_group!(benches, export, export_logs);
criterion_main!(benches);
