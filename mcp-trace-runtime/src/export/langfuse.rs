//! What Langfuse needs beyond plain OTLP: its endpoint and Basic auth, and the
//! environment / release attributes on every span.

use base64::Engine as _;
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};

use crate::config::{LangfuseTarget, OtlpTarget, Protocol};

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

impl SpanProcessor for LangfuseAttributes {
    fn on_start(&self, span: &mut Span, _cx: &Context) {
        use opentelemetry::trace::Span as _;
        span.set_attributes(self.attributes.iter().cloned());
    }

    fn on_end(&self, _span: SpanData) {}

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: std::time::Duration) -> OTelSdkResult {
        Ok(())
    }
}
