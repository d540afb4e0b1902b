//! The exporter over real HTTP: into the embedded collector, and against a
//! receiver that answers with scripted statuses.

use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use http_body_util::Full;
use hyper::service::service_fn;
use opentelemetry::trace::{Span as _, SpanKind, Tracer as _, TracerProvider as _};
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider};

use super::*;
use crate::collector::Collector;
use crate::export::{ExportHealth, ReportingExporter};

/// Runs an export to completion: the blocking HTTP client finishes its work
/// inside the first poll.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::yield_now();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_span_reaches_the_collector_with_its_attributes() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let target = OtlpTarget::http(&collector.endpoint());
    let health = ExportHealth::new("the collector".into(), String::new());
    let reported = health.clone();
    // The exporter blocks, so it lives off the runtime the collector runs on.
    tokio::task::spawn_blocking(move || {
        let exporter = OtlpHttpSpanExporter::new("OTLP", &target).unwrap();
        let provider = SdkTracerProvider::builder()
            .with_resource(Resource::builder().with_service_name("direct").build())
            .with_span_processor(
                BatchSpanProcessor::builder(ReportingExporter::new(exporter, reported)).build(),
            )
            .build();
        let tracer = provider.tracer("otlp-http-test");
        let mut span = tracer
            .span_builder("tools/call get_weather")
            .with_kind(SpanKind::Server)
            .start(&tracer);
        span.set_attributes([
            KeyValue::new("gen_ai.tool.name", "get_weather"),
            KeyValue::new("server.port", 9778_i64),
            KeyValue::new("langfuse.observation.input", r#"{"location":"Zürich"}"#),
        ]);
        span.end();
        provider.shutdown().unwrap();
    })
    .await
    .unwrap();

    assert_eq!(health.exported(), 1);
    assert_eq!(health.failed(), 0);
    let spans = collector.spans();
    assert_eq!(spans.len(), 1, "{spans:?}");
    let span = &spans[0];
    assert_eq!(span.name, "tools/call get_weather");
    assert_eq!(span.service_name, "direct");
    assert_eq!(span.attr_str("gen_ai.tool.name"), Some("get_weather"));
    assert_eq!(span.attr_i64("server.port"), Some(9778));
    assert_eq!(
        span.attr_str("langfuse.observation.input"),
        Some(r#"{"location":"Zürich"}"#)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_record_reaches_the_collector_with_its_trace_and_attributes() {
    use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _};
    use opentelemetry::trace::{SpanId, TraceFlags, TraceId};
    use opentelemetry_sdk::logs::{BatchLogProcessor, SdkLoggerProvider};

    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let target = OtlpTarget::http_logs(&collector.endpoint());
    let health = ExportHealth::new_logs("the collector".into(), String::new());
    let reported = health.clone();
    tokio::task::spawn_blocking(move || {
        let exporter = OtlpHttpLogExporter::new("OTLP logs", &target).unwrap();
        let provider = SdkLoggerProvider::builder()
            .with_resource(Resource::builder().with_service_name("direct").build())
            .with_log_processor(
                BatchLogProcessor::builder(ReportingExporter::new(exporter, reported)).build(),
            )
            .build();
        let logger = provider.logger("otlp-http-test");
        let mut record = logger.create_log_record();
        record.set_severity_number(opentelemetry::logs::Severity::Info);
        record.set_severity_text("INFO");
        record.set_target("weather_server::tools");
        record.set_body(AnyValue::from("looking up the weather"));
        record.add_attribute("location", "Paris");
        record.add_attribute("city", AnyValue::from("Zürich"));
        record.set_trace_context(
            TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
            SpanId::from(0x00f0_67aa_0ba9_02b7),
            Some(TraceFlags::SAMPLED),
        );
        logger.emit(record);
        provider.shutdown().unwrap();
    })
    .await
    .unwrap();

    assert_eq!(health.exported(), 1);
    assert_eq!(health.failed(), 0);
    let logs = collector.logs();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let log = &logs[0];
    assert_eq!(
        log.trace_id.as_deref(),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(log.span_id.as_deref(), Some("00f067aa0ba902b7"));
    assert_eq!(log.body, "looking up the weather");
    assert_eq!(log.severity_text, "INFO");
    assert_eq!(log.severity_number, 9);
    assert_eq!(log.target, "weather_server::tools");
    assert_eq!(log.service_name, "direct");
    assert_eq!(log.attr_str("location"), Some("Paris"));
    assert_eq!(log.attr_str("city"), Some("Zürich"));
    assert!(log.time_unix_nano > 0);
}

#[test]
fn a_shut_down_log_exporter_refuses_to_export() {
    let exporter =
        OtlpHttpLogExporter::new("test", &OtlpTarget::http_logs("http://127.0.0.1:9")).unwrap();
    LogExporter::shutdown_with_timeout(&exporter, Duration::from_secs(1)).unwrap();
    assert!(matches!(
        block_on(exporter.export(LogBatch::new(&[]))),
        Err(OTelSdkError::AlreadyShutdown)
    ));
}

/// A loopback receiver answering each request with the next of `answers`
/// (then 200), counting requests.
async fn scripted(answers: Vec<(u16, &'static str)>) -> (String, Arc<Mutex<usize>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());
    let answers = Arc::new(Mutex::new(answers.into_iter()));
    let requests = Arc::new(Mutex::new(0));
    let counted = requests.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (answers, counted) = (answers.clone(), counted.clone());
            let service = service_fn(move |_request: http::Request<hyper::body::Incoming>| {
                *counted.lock().unwrap() += 1;
                let (status, body) = answers.lock().unwrap().next().unwrap_or((200, ""));
                let response = http::Response::builder()
                    .status(status)
                    .header(RETRY_AFTER, "0")
                    .body(Full::new(Bytes::from_static(body.as_bytes())))
                    .unwrap();
                async move { Ok::<_, Infallible>(response) }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service),
            );
        }
    });
    (url, requests)
}

/// One export of an empty-ish batch to `url`, off the runtime.
async fn export_once(url: String) -> OTelSdkResult {
    tokio::task::spawn_blocking(move || {
        let target = OtlpTarget {
            endpoint: url,
            ..OtlpTarget::http("http://unused")
        };
        let exporter = OtlpHttpSpanExporter::new("test", &target).unwrap();
        block_on(exporter.export(Vec::new()))
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_gateway_errors_are_retried() {
    let (url, requests) = scripted(vec![(503, ""), (429, "slow down"), (502, "")]).await;
    export_once(url).await.unwrap();
    assert_eq!(*requests.lock().unwrap(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_fails_at_once_with_its_status_and_body() {
    let (url, requests) = scripted(vec![(401, "invalid credentials\n{\"hint\":\"keys\"}")]).await;
    let error = export_once(url).await.unwrap_err().to_string();
    assert!(error.contains("401 Unauthorized"), "{error}");
    assert!(
        error.contains(r#"invalid credentials {"hint":"keys"}"#),
        "{error}"
    );
    assert_eq!(*requests.lock().unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_end_with_the_last_failure() {
    let (url, requests) = scripted(vec![(503, "busy"); 5]).await;
    let error = export_once(url).await.unwrap_err().to_string();
    assert!(error.contains("503 Service Unavailable: busy"), "{error}");
    assert_eq!(*requests.lock().unwrap(), 1 + RETRIES as usize);
}

#[test]
fn an_answer_body_is_cut_to_one_line() {
    assert_eq!(excerpt(b""), "(no body)");
    assert_eq!(excerpt(b"bad\r\nrequest\n"), "bad  request");
    let long = excerpt(&[b'x'; 1000]);
    assert_eq!(long.chars().count(), BODY_EXCERPT + 1);
    assert!(long.ends_with('…'));
}

#[test]
fn a_shut_down_exporter_refuses_to_export() {
    let exporter =
        OtlpHttpSpanExporter::new("test", &OtlpTarget::http("http://127.0.0.1:9")).unwrap();
    exporter
        .shutdown_with_timeout(Duration::from_secs(1))
        .unwrap();
    assert!(matches!(
        block_on(exporter.export(Vec::new())),
        Err(OTelSdkError::AlreadyShutdown)
    ));
}
