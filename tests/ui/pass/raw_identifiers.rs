use std::sync::OnceLock;

use mcp_trace_runtime::observe::attributes;
use mcp_trace_runtime::{mcp_tool, observe};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

#[mcp_tool]
#[observe]
fn r#match(r#type: String) -> String {
    r#type
}

fn exporter() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
        opentelemetry::global::set_tracer_provider(provider);
        exporter
    })
}

fn main() {
    exporter();
    assert_eq!(r#match("a".into()), "a");
    let spans = exporter().get_finished_spans().unwrap();
    let input = spans[0].attributes.iter().find(|kv| kv.key.as_str() == attributes::INPUT).unwrap();
    let recorded = (spans[0].name.to_string(), input.value.to_string(), r#match::TOOL.name);
    assert_eq!(recorded, ("match".to_string(), r#"{"type":"a"}"#.to_string(), "match"));
}
