//! The HTTP client behind every OTLP/HTTP exporter (collector and Langfuse).

use std::fmt;
use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};

use crate::error::Error;

/// Sends each export with exactly the headers configured for its destination.
///
/// `opentelemetry-otlp` merges `OTEL_EXPORTER_OTLP_HEADERS` from the process
/// environment into every HTTP exporter it builds. With several destinations
/// that would send a collector's API key to Langfuse (or override Langfuse's
/// `Authorization`), so this client drops whatever the exporter added and
/// sets the destination's own headers. Header values are marked sensitive so
/// that `Debug` output never shows them.
pub struct PinnedHeadersClient {
    inner: reqwest::blocking::Client,
    headers: HeaderMap,
}

impl PinnedHeadersClient {
    /// Builds the client; `destination` only names it in errors.
    pub fn new(
        destination: &str,
        headers: &[(String, String)],
        timeout: Duration,
    ) -> Result<PinnedHeadersClient, Error> {
        let build_error = |reason: String| Error::Exporter {
            destination: destination.to_string(),
            reason,
        };
        let mut pinned = HeaderMap::new();
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| build_error(format!("{name:?} is not a valid HTTP header name")))?;
            let mut value = HeaderValue::from_str(value).map_err(|_| {
                build_error(format!(
                    "the value of header {name} is not a valid HTTP header value"
                ))
            })?;
            value.set_sensitive(true);
            pinned.append(name, value);
        }
        // reqwest's blocking client owns a Tokio runtime; building it on its own
        // thread keeps `init` callable from inside `#[tokio::main]`.
        let inner = std::thread::spawn(move || {
            reqwest::blocking::Client::builder()
                .timeout(timeout)
                .build()
        })
        .join()
        .map_err(|_| build_error("the HTTP client builder panicked".into()))?
        .map_err(|error| build_error(error.to_string()))?;
        Ok(PinnedHeadersClient {
            inner,
            headers: pinned,
        })
    }
}

impl fmt::Debug for PinnedHeadersClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinnedHeadersClient")
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl HttpClient for PinnedHeadersClient {
    async fn send_bytes(&self, mut request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let headers = request.headers_mut();
        let content_type = headers.remove(CONTENT_TYPE);
        let content_encoding = headers.remove(CONTENT_ENCODING);
        headers.clear();
        headers.extend(self.headers.clone());
        if let Some(value) = content_type {
            headers.insert(CONTENT_TYPE, value);
        }
        if let Some(value) = content_encoding {
            headers.insert(CONTENT_ENCODING, value);
        }
        self.inner.send_bytes(request).await
    }
}
