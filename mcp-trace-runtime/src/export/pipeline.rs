//! The one span processor [`crate::install`] registers with the SDK: the
//! enrichers that label spans as they start, then the batch processor of
//! each destination.
//!
//! Why one and not one each: the SDK hands every registered processor its
//! own deep copy of each ended span (attributes, events, links and all)
//! whenever more than one is registered — with the two enrichers and one
//! collector that was two copies and two drops of every span on the calling
//! thread. Here the enrichers never see an ended span, and the span is
//! copied only for destinations beyond the first.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{BatchSpanProcessor, Span, SpanData, SpanProcessor};

use super::reporting::ExportHealth;

/// What labels a span as it starts and has nothing to do when it ends.
pub(crate) trait OnStart: Send + Sync + std::fmt::Debug {
    /// Adds this enricher's attributes to `span`, started in `cx`.
    fn on_start(&self, span: &mut Span, cx: &Context);
}

/// Enrichers, then destinations, as one [`SpanProcessor`].
#[derive(Debug, Default)]
pub(crate) struct SpanPipeline {
    enrichers: Vec<Box<dyn OnStart>>,
    destinations: Vec<Destination>,
}

/// A destination's batch processor, and the health that counts what it was
/// handed: what it neither exported nor failed to export, it dropped from
/// its full queue.
#[derive(Debug)]
struct Destination {
    processor: BatchSpanProcessor,
    health: Option<Arc<ExportHealth>>,
}

impl Destination {
    fn on_end(&self, span: SpanData) {
        if let Some(health) = &self.health {
            health.count_handed_over();
        }
        self.processor.on_end(span);
    }
}

impl SpanPipeline {
    /// Adds an enricher; they run in the order added.
    pub(crate) fn enrich(&mut self, enricher: impl OnStart + 'static) {
        self.enrichers.push(Box::new(enricher));
    }

    /// Adds a destination's batch processor; `health` (its exporter's)
    /// also counts the spans handed to it.
    pub(crate) fn send_to(
        &mut self,
        processor: BatchSpanProcessor,
        health: Option<Arc<ExportHealth>>,
    ) {
        self.destinations.push(Destination { processor, health });
    }
}

impl SpanProcessor for SpanPipeline {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        for enricher in &self.enrichers {
            enricher.on_start(span, cx);
        }
    }

    fn on_end(&self, span: SpanData) {
        if let Some((last, others)) = self.destinations.split_last() {
            for destination in others {
                destination.on_end(span.clone());
            }
            last.on_end(span);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        // Every destination gets its flush, whichever fails first.
        self.destinations
            .iter()
            .map(|destination| destination.processor.force_flush())
            .fold(Ok(()), Result::and)
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.destinations
            .iter()
            .map(|destination| destination.processor.shutdown_with_timeout(timeout))
            .fold(Ok(()), Result::and)
    }

    /// The provider's resource reaches the exporters only through here.
    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        for destination in &mut self.destinations {
            destination.processor.set_resource(resource);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{Span as _, Tracer, TracerProvider as _};
    use opentelemetry::KeyValue;
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

    #[derive(Debug)]
    struct Label;

    impl OnStart for Label {
        fn on_start(&self, span: &mut Span, _cx: &Context) {
            span.set_attribute(KeyValue::new("label", "on"));
        }
    }

    #[test]
    fn every_destination_gets_each_span_with_the_enrichers_attributes() {
        let first = InMemorySpanExporter::default();
        let second = InMemorySpanExporter::default();
        let mut pipeline = SpanPipeline::default();
        pipeline.enrich(Label);
        pipeline.send_to(BatchSpanProcessor::builder(first.clone()).build(), None);
        pipeline.send_to(BatchSpanProcessor::builder(second.clone()).build(), None);
        let provider = SdkTracerProvider::builder()
            .with_span_processor(pipeline)
            .build();
        provider.tracer("test").start("work").end();
        provider.force_flush().unwrap();
        for exporter in [first, second] {
            let spans = exporter.get_finished_spans().unwrap();
            assert_eq!(spans.len(), 1);
            assert_eq!(spans[0].name, "work");
            assert!(spans[0].attributes.contains(&KeyValue::new("label", "on")));
        }
        provider.shutdown().unwrap();
    }
}
