//! The span and log exporters of every OTLP/HTTP protobuf destination (a
//! collector, Langfuse for spans): each batch encoded by
//! [`encode_trace_request`] or [`encode_logs_request`] straight from the
//! SDK's spans or log records and POSTed by one [`Poster`] through the
//! destination's [`PinnedHeadersClient`], with the endpoint, timeout and
//! retries opentelemetry-otlp's HTTP exporter has. HTTP JSON and gRPC stay
//! on opentelemetry-otlp ([`OtlpSpanExporter`], [`OtlpLogExporter`] pick).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::{Request, StatusCode, Uri};
use opentelemetry_http::{Bytes, HttpClient as _};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{LogBatch, LogExporter};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

use super::{encode_logs_request, encode_trace_request, PinnedHeadersClient};
use crate::config::{OtlpTarget, Protocol};
use crate::error::Error;

/// opentelemetry-otlp's limit: a larger body is not sent.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Retries after the first attempt, their first delay and the longest one,
/// and the jitter added to each: opentelemetry-otlp's recommended policy.
const RETRIES: u32 = 3;
const FIRST_DELAY: Duration = Duration::from_millis(100);
const LONGEST_DELAY: Duration = Duration::from_millis(1600);
const JITTER_NANOS: u32 = 100_000_000;
/// How much of an error answer's body goes into the error.
const BODY_EXCERPT: usize = 200;

/// Exports spans as OTLP/HTTP protobuf, encoding each batch directly from
/// the spans (no intermediate OTLP structs), to `target.endpoint` (used
/// verbatim: the full `…/v1/traces` URL) with exactly `target.headers`,
/// within `target.timeout`.
///
/// A failed attempt is retried like opentelemetry-otlp does: network errors
/// and HTTP 429, 502, 503 and 504 up to three times, 100 ms doubling to at
/// most 1.6 s plus up to 100 ms of jitter (longer when a 429 or 503 says
/// `Retry-After` in seconds), never past the timeout. Any other non-2xx
/// answer fails the export with its status and the start of its body.
///
/// Its HTTP client blocks: run it where the SDK's `BatchSpanProcessor` runs
/// exporters, on a thread of its own, not on an async runtime.
///
/// ```no_run
/// # fn main() -> Result<(), mcp_trace_runtime::Error> {
/// use mcp_trace_runtime::config::OtlpTarget;
/// use mcp_trace_runtime::export::OtlpHttpSpanExporter;
/// use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider};
///
/// let target = OtlpTarget::http("http://127.0.0.1:4318");
/// let exporter = OtlpHttpSpanExporter::new("my collector", &target)?;
/// let provider = SdkTracerProvider::builder()
///     .with_span_processor(BatchSpanProcessor::builder(exporter).build())
///     .build();
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct OtlpHttpSpanExporter {
    poster: Poster,
    resource: Resource,
}

impl OtlpHttpSpanExporter {
    /// An exporter for `target`; `destination` names it in errors. Fails
    /// when the endpoint is not a URL or a header is not valid HTTP.
    pub fn new(destination: &str, target: &OtlpTarget) -> Result<OtlpHttpSpanExporter, Error> {
        Ok(OtlpHttpSpanExporter {
            poster: Poster::new(destination, target)?,
            resource: Resource::builder_empty().build(),
        })
    }
}

impl SpanExporter for OtlpHttpSpanExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        super::export_thread::give_way_to_requests();
        self.poster.check_open()?;
        let body = encode_trace_request(&self.resource, &batch);
        // The spans are in `body` now; free them before waiting on the network.
        drop(batch);
        self.poster.export(body).await
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        self.poster.shut_down()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource.clone();
    }
}

/// Exports log records as OTLP/HTTP protobuf, encoding each batch directly
/// from the records (no intermediate OTLP structs), to `target.endpoint`
/// (used verbatim: the full `…/v1/logs` URL) with exactly `target.headers`,
/// within `target.timeout`; failures are retried as
/// [`OtlpHttpSpanExporter`]'s are.
///
/// Its HTTP client blocks: run it where the SDK's `BatchLogProcessor` runs
/// exporters, on a thread of its own, not on an async runtime.
///
/// ```no_run
/// # fn main() -> Result<(), mcp_trace_runtime::Error> {
/// use mcp_trace_runtime::config::OtlpTarget;
/// use mcp_trace_runtime::export::OtlpHttpLogExporter;
/// use opentelemetry_sdk::logs::{BatchLogProcessor, SdkLoggerProvider};
///
/// let target = OtlpTarget::http_logs("http://127.0.0.1:4318");
/// let exporter = OtlpHttpLogExporter::new("my collector", &target)?;
/// let provider = SdkLoggerProvider::builder()
///     .with_log_processor(BatchLogProcessor::builder(exporter).build())
///     .build();
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct OtlpHttpLogExporter {
    poster: Poster,
    resource: Resource,
}

impl OtlpHttpLogExporter {
    /// An exporter for `target`; `destination` names it in errors. Fails
    /// when the endpoint is not a URL or a header is not valid HTTP.
    pub fn new(destination: &str, target: &OtlpTarget) -> Result<OtlpHttpLogExporter, Error> {
        Ok(OtlpHttpLogExporter {
            poster: Poster::new(destination, target)?,
            resource: Resource::builder_empty().build(),
        })
    }
}

impl LogExporter for OtlpHttpLogExporter {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        super::export_thread::give_way_to_requests();
        self.poster.check_open()?;
        let body = encode_logs_request(&self.resource, &batch);
        self.poster.export(body).await
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        self.poster.shut_down()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource.clone();
    }
}

/// What both exporters share: the POST of an encoded body, with its size
/// limit, retries and errors, and the shut-down state.
#[derive(Debug)]
struct Poster {
    client: PinnedHeadersClient,
    endpoint: Uri,
    timeout: Duration,
    shut_down: AtomicBool,
}

impl Poster {
    fn new(destination: &str, target: &OtlpTarget) -> Result<Poster, Error> {
        let endpoint = target.endpoint.parse().map_err(|error| Error::Exporter {
            destination: destination.to_string(),
            reason: format!("invalid endpoint {:?}: {error}", target.endpoint),
        })?;
        Ok(Poster {
            client: PinnedHeadersClient::new(destination, &target.headers, target.timeout)?,
            endpoint,
            timeout: target.timeout,
            shut_down: AtomicBool::new(false),
        })
    }

    fn check_open(&self) -> OTelSdkResult {
        if self.shut_down.load(Ordering::Relaxed) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        Ok(())
    }

    fn shut_down(&self) -> OTelSdkResult {
        if self.shut_down.swap(true, Ordering::Relaxed) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        Ok(())
    }

    /// Sends an encoded batch, unless it is larger than OTLP/HTTP allows.
    async fn export(&self, body: Vec<u8>) -> OTelSdkResult {
        if body.len() > MAX_BODY_BYTES {
            return Err(OTelSdkError::InternalFailure(format!(
                "the batch encodes to {} bytes, more than the {MAX_BODY_BYTES} an OTLP/HTTP \
                 request may have; it was not sent",
                body.len()
            )));
        }
        self.send(Bytes::from(body))
            .await
            .map_err(OTelSdkError::InternalFailure)
    }

    /// POSTs `body`, retrying as the type's documentation says.
    async fn send(&self, body: Bytes) -> Result<(), String> {
        let start = Instant::now();
        let mut backoff = FIRST_DELAY;
        let mut retries = 0;
        loop {
            let failure = match self.post(body.clone()).await {
                Ok(()) => return Ok(()),
                Err(failure) => failure,
            };
            if !failure.retryable || retries == RETRIES {
                return Err(failure.message);
            }
            retries += 1;
            let delay = (backoff + jitter())
                .min(LONGEST_DELAY)
                .max(failure.retry_after.unwrap_or_default());
            if start.elapsed() + delay >= self.timeout {
                return Err(failure.message);
            }
            std::thread::sleep(delay);
            backoff = (backoff * 2).min(LONGEST_DELAY);
        }
    }

    async fn post(&self, body: Bytes) -> Result<(), Failure> {
        let request = Request::post(&self.endpoint)
            .header(CONTENT_TYPE, "application/x-protobuf")
            .body(body)
            .map_err(|error| Failure::fatal(error.to_string()))?;
        let response = self.client.send_bytes(request).await.map_err(|error| {
            let too_large = error
                .downcast_ref::<opentelemetry_http::ResponseBodyTooLarge>()
                .is_some();
            Failure {
                message: error_chain(&*error),
                retryable: !too_large,
                retry_after: None,
            }
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = match status {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok()?.trim().parse().ok())
                .map(Duration::from_secs),
            _ => None,
        };
        Err(Failure {
            message: format!("HTTP {status}: {}", excerpt(response.body())),
            retryable: matches!(status.as_u16(), 429 | 502 | 503 | 504),
            retry_after,
        })
    }
}

/// Why one attempt failed, and whether another may succeed.
struct Failure {
    message: String,
    retryable: bool,
    /// What a 429 or 503 asked for.
    retry_after: Option<Duration>,
}

impl Failure {
    fn fatal(message: String) -> Failure {
        Failure {
            message,
            retryable: false,
            retry_after: None,
        }
    }
}

/// An error with its sources, e.g. `error sending request …: tcp connect
/// error: Connection refused`.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !message.contains(&cause_text) {
            message.push_str(": ");
            message.push_str(&cause_text);
        }
        source = cause.source();
    }
    message
}

/// The start of an answer's body as one line of text.
fn excerpt(body: &[u8]) -> String {
    let cut = body.len().min(BODY_EXCERPT);
    let mut text: String = String::from_utf8_lossy(&body[..cut])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = text.trim_end().len();
    text.truncate(trimmed);
    if body.len() > cut {
        text.push('…');
    }
    if text.is_empty() {
        text.push_str("(no body)");
    }
    text
}

/// Up to 100 ms, so exporters that failed together do not retry together.
fn jitter() -> Duration {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    Duration::from_nanos(u64::from(nanos % JITTER_NANOS))
}

/// The span exporter of one OTLP destination: [`OtlpHttpSpanExporter`] for
/// HTTP protobuf, opentelemetry-otlp's for HTTP JSON and gRPC.
#[derive(Debug)]
pub(crate) enum OtlpSpanExporter {
    Protobuf(OtlpHttpSpanExporter),
    Otlp(opentelemetry_otlp::SpanExporter),
}

impl OtlpSpanExporter {
    pub(crate) fn new(name: &str, target: &OtlpTarget) -> Result<OtlpSpanExporter, Error> {
        match target.protocol {
            Protocol::HttpProtobuf => OtlpHttpSpanExporter::new(name, target).map(Self::Protobuf),
            Protocol::HttpJson | Protocol::Grpc => {
                otlp_exporter!(opentelemetry_otlp::SpanExporter, name, target).map(Self::Otlp)
            }
        }
    }
}

impl SpanExporter for OtlpSpanExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        match self {
            OtlpSpanExporter::Protobuf(exporter) => exporter.export(batch).await,
            OtlpSpanExporter::Otlp(exporter) => exporter.export(batch).await,
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self {
            OtlpSpanExporter::Protobuf(exporter) => exporter.shutdown_with_timeout(timeout),
            OtlpSpanExporter::Otlp(exporter) => exporter.shutdown_with_timeout(timeout),
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        match self {
            OtlpSpanExporter::Protobuf(exporter) => exporter.force_flush(),
            OtlpSpanExporter::Otlp(exporter) => exporter.force_flush(),
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        match self {
            OtlpSpanExporter::Protobuf(exporter) => exporter.set_resource(resource),
            OtlpSpanExporter::Otlp(exporter) => exporter.set_resource(resource),
        }
    }
}

/// The log exporter of one OTLP destination: [`OtlpHttpLogExporter`] for
/// HTTP protobuf, opentelemetry-otlp's for HTTP JSON and gRPC.
#[derive(Debug)]
pub(crate) enum OtlpLogExporter {
    Protobuf(OtlpHttpLogExporter),
    Otlp(opentelemetry_otlp::LogExporter),
}

impl OtlpLogExporter {
    pub(crate) fn new(name: &str, target: &OtlpTarget) -> Result<OtlpLogExporter, Error> {
        match target.protocol {
            Protocol::HttpProtobuf => OtlpHttpLogExporter::new(name, target).map(Self::Protobuf),
            Protocol::HttpJson | Protocol::Grpc => {
                otlp_exporter!(opentelemetry_otlp::LogExporter, name, target).map(Self::Otlp)
            }
        }
    }
}

impl LogExporter for OtlpLogExporter {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        match self {
            OtlpLogExporter::Protobuf(exporter) => exporter.export(batch).await,
            OtlpLogExporter::Otlp(exporter) => exporter.export(batch).await,
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self {
            OtlpLogExporter::Protobuf(exporter) => exporter.shutdown_with_timeout(timeout),
            OtlpLogExporter::Otlp(exporter) => exporter.shutdown_with_timeout(timeout),
        }
    }

    fn event_enabled(
        &self,
        level: opentelemetry::logs::Severity,
        target: &str,
        name: Option<&str>,
    ) -> bool {
        match self {
            OtlpLogExporter::Protobuf(exporter) => exporter.event_enabled(level, target, name),
            OtlpLogExporter::Otlp(exporter) => exporter.event_enabled(level, target, name),
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        match self {
            OtlpLogExporter::Protobuf(exporter) => exporter.set_resource(resource),
            OtlpLogExporter::Otlp(exporter) => exporter.set_resource(resource),
        }
    }
}

#[cfg(test)]
mod tests;
