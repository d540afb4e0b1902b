//! `MCP_TRACE_FILE`: every export request as one OTLP-JSON line, the format of
//! the OpenTelemetry Collector's file exporter, so the file can be replayed
//! into any OTLP backend or read with `jq`.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

use crate::error::Error;

/// Appends OTLP-JSON lines to a file.
#[derive(Debug)]
pub struct JsonLinesFileExporter {
    path: PathBuf,
    file: Mutex<BufWriter<File>>,
    resource: ResourceAttributesWithSchema,
}

impl JsonLinesFileExporter {
    /// Opens (creating if needed) `path` for appending.
    pub fn open(path: &Path) -> Result<JsonLinesFileExporter, Error> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| Error::TraceFile {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(JsonLinesFileExporter {
            path: path.to_path_buf(),
            file: Mutex::new(BufWriter::new(file)),
            resource: ResourceAttributesWithSchema::default(),
        })
    }
}

/// The OTLP export request for a batch of spans.
fn export_request(
    batch: Vec<SpanData>,
    resource: &ResourceAttributesWithSchema,
) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: group_spans_by_resource_and_scope(batch, resource),
    }
}

impl SpanExporter for JsonLinesFileExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        if batch.is_empty() {
            return Ok(());
        }
        let request = export_request(batch, &self.resource);
        let failure = |error: &dyn std::fmt::Display| {
            OTelSdkError::InternalFailure(format!("writing {}: {error}", self.path.display()))
        };
        // Only the batch processor's thread writes here; the lock is never contended on a request path.
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        serde_json::to_writer(&mut *file, &request).map_err(|e| failure(&e))?;
        file.write_all(b"\n").map_err(|e| failure(&e))?;
        file.flush().map_err(|e| failure(&e))
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource.into();
    }
}
