//! What Langfuse needs beyond plain OTLP: its endpoint and Basic auth, the
//! environment / release attributes on every span, and CLIENT spans shaped
//! so one call never shows as two look-alike observations.

use std::borrow::Cow;
use std::time::Duration;

use base64::Engine as _;
use opentelemetry::trace::SpanKind;
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};
use opentelemetry_sdk::Resource;

use super::pipeline::OnStart;
use crate::config::{LangfuseTarget, OtlpTarget, Protocol};
use crate::conventions::{GEN_AI_OPERATION_NAME, GEN_AI_TOOL_NAME};

/// Header Langfuse reads to pick its newest OTLP ingestion path.
pub const INGESTION_VERSION_HEADER: (&str, &str) = ("x-langfuse-ingestion-version", "4");

/// The OTLP/HTTP target for Langfuse: protobuf, `Authorization: Basic
/// base64(public:secret)` and the ingestion-version header.
pub(crate) fn otlp_target(langfuse: &LangfuseTarget) -> OtlpTarget {
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        langfuse.public_key,
        langfuse.secret_key.expose()
    ));
    OtlpTarget {
        endpoint: langfuse.endpoint.clone(),
        protocol: Protocol::HttpProtobuf,
        headers: vec![
            ("authorization".to_string(), format!("Basic {credentials}")),
            (
                INGESTION_VERSION_HEADER.0.to_string(),
                INGESTION_VERSION_HEADER.1.to_string(),
            ),
        ],
        timeout: std::time::Duration::from_secs(10),
        endpoint_is_default: false,
    }
}

/// Sets `langfuse.environment` and `langfuse.release` on every span as it
/// starts, as Langfuse's own SDK does, so Langfuse files each observation
/// under the right environment and release.
#[derive(Debug)]
pub struct LangfuseAttributes {
    attributes: Vec<KeyValue>,
}

impl LangfuseAttributes {
    /// From the `LANGFUSE_TRACING_ENVIRONMENT` / `LANGFUSE_RELEASE` settings.
    pub fn new(langfuse: &LangfuseTarget) -> LangfuseAttributes {
        let mut attributes = Vec::new();
        if let Some(environment) = &langfuse.environment {
            attributes.push(KeyValue::new("langfuse.environment", environment.clone()));
        }
        if let Some(release) = &langfuse.release {
            attributes.push(KeyValue::new("langfuse.release", release.clone()));
        }
        LangfuseAttributes { attributes }
    }
}

impl OnStart for LangfuseAttributes {
    fn on_start(&self, span: &mut Span, _cx: &Context) {
        use opentelemetry::trace::Span as _;
        span.set_attributes(self.attributes.iter().cloned());
    }
}

/// For a tracer provider of the program's own; [`crate::install`]'s runs
/// it as an enricher of its span pipeline.
impl SpanProcessor for LangfuseAttributes {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        OnStart::on_start(self, span, cx);
    }

    fn on_end(&self, _span: SpanData) {}

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: std::time::Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// Shapes a span for Langfuse, whose OTel ingestion names an observation
/// after `gen_ai.tool.name` and makes it a TOOL (also for
/// `gen_ai.operation.name = execute_tool`): a CLIENT span keeps both for
/// every other backend, but in Langfuse it would be a second `get_weather`
/// tool beside the SERVER span that really ran it, and a CLIENT `initialize`
/// would look exactly like the SERVER `initialize` under it. So for Langfuse
/// only, a CLIENT span loses those two attributes and its name gets
/// `" (client)"`: `tools/call get_weather (client)` above the
/// `get_weather` tool, `initialize (client)` above `initialize`.
///
/// ```
/// use mcp_trace_runtime::export::shape_for_langfuse;
/// use opentelemetry::trace::SpanKind;
/// use opentelemetry::KeyValue;
///
/// let mut name = std::borrow::Cow::Borrowed("tools/call get_weather");
/// let mut attributes = vec![
///     KeyValue::new("gen_ai.tool.name", "get_weather"),
///     KeyValue::new("mcp.method.name", "tools/call"),
/// ];
/// shape_for_langfuse(&SpanKind::Client, &mut name, &mut attributes);
/// assert_eq!(name, "tools/call get_weather (client)");
/// assert_eq!(attributes, vec![KeyValue::new("mcp.method.name", "tools/call")]);
/// ```
pub fn shape_for_langfuse(
    kind: &SpanKind,
    name: &mut Cow<'static, str>,
    attributes: &mut Vec<KeyValue>,
) {
    if *kind != SpanKind::Client {
        return;
    }
    attributes.retain(|kv| {
        kv.key.as_str() != GEN_AI_TOOL_NAME && kv.key.as_str() != GEN_AI_OPERATION_NAME
    });
    name.to_mut().push_str(CLIENT_SUFFIX);
}

/// Appended to the name of a CLIENT span sent to Langfuse.
pub const CLIENT_SUFFIX: &str = " (client)";

/// The Langfuse destination's exporter: [`shape_for_langfuse`] on every span,
/// then `inner`.
#[derive(Debug)]
pub(crate) struct LangfuseShaped<E> {
    inner: E,
}

impl<E> LangfuseShaped<E> {
    pub(crate) fn new(inner: E) -> Self {
        LangfuseShaped { inner }
    }
}

impl<E: SpanExporter> SpanExporter for LangfuseShaped<E> {
    async fn export(&self, mut batch: Vec<SpanData>) -> OTelSdkResult {
        for span in &mut batch {
            shape_for_langfuse(&span.span_kind, &mut span.name, &mut span.attributes);
        }
        self.inner.export(batch).await
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}
