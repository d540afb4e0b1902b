//! The encoder against opentelemetry-proto's own conversion: the bytes
//! decoded with prost must equal what `group_spans_by_resource_and_scope`
//! builds, and (since both write fields in tag order and leave out the same
//! defaults) the bytes must equal prost's `encode_to_vec` of it.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{
    Event, Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use opentelemetry_sdk::Resource;
use prost::Message as _;

use super::{encode_trace_request, varint_len};

/// What opentelemetry-otlp builds for this batch.
fn reference(resource: &Resource, spans: &[SpanData]) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: group_spans_by_resource_and_scope(
            spans.to_vec(),
            &ResourceAttributesWithSchema::from(resource),
        ),
    }
}

fn assert_same_as_reference(resource: &Resource, spans: &[SpanData]) {
    let ours = encode_trace_request(resource, spans);
    let expected = reference(resource, spans);
    let decoded = ExportTraceServiceRequest::decode(ours.as_slice()).expect("valid protobuf");
    assert_eq!(decoded, expected);
    assert!(
        ours == expected.encode_to_vec(),
        "same message, different bytes"
    );
}

fn at(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

fn context(
    trace: u128,
    span: u64,
    flags: TraceFlags,
    remote: bool,
    state: TraceState,
) -> SpanContext {
    SpanContext::new(
        TraceId::from_bytes(trace.to_be_bytes()),
        SpanId::from_bytes(span.to_be_bytes()),
        flags,
        remote,
        state,
    )
}

fn span(name: &'static str, scope: &InstrumentationScope) -> SpanData {
    SpanData {
        span_context: context(
            0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736,
            0x00f0_67aa_0ba9_02b7,
            TraceFlags::SAMPLED,
            false,
            TraceState::NONE,
        ),
        parent_span_id: SpanId::INVALID,
        parent_span_is_remote: false,
        span_kind: SpanKind::Internal,
        name: Cow::Borrowed(name),
        start_time: at(1_700_000_000_000_000_000),
        end_time: at(1_700_000_000_123_456_789),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: scope.clone(),
    }
}

fn events(list: Vec<Event>, dropped: u32) -> SpanEvents {
    let mut events = SpanEvents::default();
    events.events = list;
    events.dropped_count = dropped;
    events
}

fn links(list: Vec<Link>, dropped: u32) -> SpanLinks {
    let mut links = SpanLinks::default();
    links.links = list;
    links.dropped_count = dropped;
    links
}

/// Every value type, each array type (and an empty one), empty keys and
/// values, non-ASCII text, negative and extreme numbers.
fn every_value() -> Vec<KeyValue> {
    vec![
        KeyValue::new("string", "sunny"),
        KeyValue::new("empty.string", ""),
        KeyValue::new("", "empty key"),
        KeyValue::new("non.ascii", "Zürich ☀️ 東京 — naïve"),
        KeyValue::new("ключ", "значение"),
        KeyValue::new("bool.true", true),
        KeyValue::new("bool.false", false),
        KeyValue::new("int.zero", 0_i64),
        KeyValue::new("int.positive", 9778_i64),
        KeyValue::new("int.negative", -1_i64),
        KeyValue::new("int.min", i64::MIN),
        KeyValue::new("int.max", i64::MAX),
        KeyValue::new("double.zero", 0.0),
        KeyValue::new("double", -12.5),
        KeyValue::new("double.tiny", f64::MIN_POSITIVE),
        KeyValue::new("double.infinite", f64::INFINITY),
        KeyValue::new("array.bool", Value::Array(Array::Bool(vec![true, false]))),
        KeyValue::new("array.int", Value::Array(Array::I64(vec![0, -7, i64::MAX]))),
        KeyValue::new(
            "array.double",
            Value::Array(Array::F64(vec![0.0, 1.5, -2.25])),
        ),
        KeyValue::new(
            "array.string",
            Value::Array(Array::String(vec![
                StringValue::from(""),
                StringValue::from("a"),
                StringValue::from(String::from("größer")),
            ])),
        ),
        KeyValue::new("array.empty", Value::Array(Array::I64(Vec::new()))),
        KeyValue::new(
            "array.empty.string",
            Value::Array(Array::String(Vec::new())),
        ),
    ]
}

#[test]
fn every_field_and_value_type_matches_opentelemetry_proto() {
    let resource = Resource::builder_empty()
        .with_schema_url(
            [
                KeyValue::new("service.name", "weather-server"),
                KeyValue::new("service.instance.count", 3_i64),
                KeyValue::new("deployment.canary", false),
            ],
            "https://opentelemetry.io/schemas/1.30.0",
        )
        .build();
    let plain = InstrumentationScope::builder("mcp-trace").build();
    let versioned = InstrumentationScope::builder("weather")
        .with_version("0.1.0")
        .with_schema_url("https://opentelemetry.io/schemas/1.26.0")
        .with_attributes([
            KeyValue::new("scope.attribute", "ö"),
            KeyValue::new("n", 1_i64),
        ])
        .build();
    let unnamed = InstrumentationScope::builder("").build();

    let mut server = span("tools/call get_weather", &plain);
    server.span_kind = SpanKind::Server;
    server.parent_span_id = SpanId::from_bytes([1, 2, 3, 4, 5, 6, 7, 8]);
    server.parent_span_is_remote = true;
    server.attributes = every_value();
    server.dropped_attributes_count = 7;
    server.status = Status::Ok;
    server.events = events(
        vec![
            Event::new("exception", at(1_700_000_000_000_000_500), every_value(), 2),
            Event::new("", at(0), Vec::new(), 0),
            Event::new(
                "ereignis ✓",
                UNIX_EPOCH - Duration::from_secs(1),
                Vec::new(),
                0,
            ),
        ],
        4,
    );
    server.links = links(
        vec![
            Link::new(
                context(
                    7,
                    9,
                    TraceFlags::NOT_SAMPLED,
                    true,
                    TraceState::from_key_value([("vendor", "x"), ("other", "y-z")]).unwrap(),
                ),
                vec![
                    KeyValue::new("mcp.caller", "headers"),
                    KeyValue::new("hops", 2_i64),
                ],
                1,
            ),
            Link::new(SpanContext::NONE, Vec::new(), 0),
        ],
        3,
    );

    let mut failed = span("failed", &versioned);
    failed.span_kind = SpanKind::Client;
    failed.status = Status::error("boom: ünïcödé");
    failed.span_context = context(
        u128::MAX,
        u64::MAX,
        TraceFlags::SAMPLED,
        true,
        TraceState::from_key_value([("congo", "t61rcWkgMzE")]).unwrap(),
    );
    let mut empty_error = span("", &unnamed);
    empty_error.status = Status::error("");
    empty_error.span_kind = SpanKind::Producer;
    empty_error.start_time = UNIX_EPOCH;
    empty_error.end_time = UNIX_EPOCH;
    let mut consumer = span("consumer", &versioned);
    consumer.span_kind = SpanKind::Consumer;
    consumer.parent_span_id = SpanId::from_bytes([9; 8]);

    // Scopes interleaved, so grouping must keep first-appearance order.
    let spans = vec![server, failed, empty_error, consumer, span("again", &plain)];
    assert_same_as_reference(&resource, &spans);
}

#[test]
fn a_64_kib_value_and_lengths_at_varint_boundaries_match() {
    let scope = InstrumentationScope::builder("big").build();
    let mut spans = Vec::new();
    for len in [0, 1, 127, 128, 16_383, 16_384, 64 * 1024, 2_097_152] {
        let mut big = span("big", &scope);
        big.attributes = vec![KeyValue::new(
            "langfuse.observation.output",
            "é".repeat(len / 2) + &"x".repeat(len % 2),
        )];
        spans.push(big);
    }
    assert_same_as_reference(&Resource::builder().build(), &spans);
}

#[test]
fn an_empty_batch_matches() {
    assert_same_as_reference(&Resource::builder_empty().build(), &[]);
    assert_same_as_reference(&Resource::builder().with_service_name("svc").build(), &[]);
}

#[test]
fn varint_lengths() {
    for (value, len) in [
        (0, 1),
        (127, 1),
        (128, 2),
        (16_383, 2),
        (16_384, 3),
        (u64::from(u32::MAX), 5),
        (u64::MAX, 10),
    ] {
        assert_eq!(varint_len(value), len, "{value}");
    }
}

/// xorshift64*: deterministic, so a failure reproduces. The log tests
/// (`log_tests.rs`) draw their records from it too.
pub(super) struct Random(pub(super) u64);

impl Random {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn text(&mut self) -> String {
        const PIECES: [&str; 8] = [
            "",
            "a",
            "tools/call",
            "é",
            "東京",
            "☀️",
            "\u{0}",
            "{\"k\":1}",
        ];
        let len = match self.below(10) {
            0 => 200 + self.below(300),
            _ => self.below(6),
        };
        (0..len)
            .map(|_| PIECES[self.below(PIECES.len() as u64) as usize])
            .collect()
    }

    fn value(&mut self) -> Value {
        match self.below(9) {
            0 => Value::Bool(self.below(2) == 1),
            1 => Value::I64(self.next() as i64 >> self.below(64)),
            2 => Value::F64(f64::from_bits(self.next() >> 2) - 1e10),
            3 => Value::Array(Array::Bool(
                (0..self.below(4)).map(|_| self.below(2) == 0).collect(),
            )),
            4 => Value::Array(Array::I64(
                (0..self.below(4)).map(|_| self.next() as i64).collect(),
            )),
            5 => Value::Array(Array::F64(
                (0..self.below(4))
                    .map(|_| self.below(1000) as f64 / 7.0)
                    .collect(),
            )),
            6 => Value::Array(Array::String(
                (0..self.below(4)).map(|_| self.text().into()).collect(),
            )),
            _ => Value::String(self.text().into()),
        }
    }

    fn attributes(&mut self) -> Vec<KeyValue> {
        (0..self.below(8))
            .map(|_| KeyValue::new(self.text(), self.value()))
            .collect()
    }

    fn state(&mut self) -> TraceState {
        match self.below(4) {
            0 => TraceState::from_key_value([("k", self.below(100).to_string())]).unwrap(),
            1 => TraceState::from_key_value([("a", "1"), ("b@vendor", "2")]).unwrap(),
            _ => TraceState::NONE,
        }
    }

    fn context(&mut self) -> SpanContext {
        let flags = TraceFlags::new(self.below(256) as u8);
        let remote = self.below(2) == 0;
        let state = self.state();
        context(
            u128::from(self.next()) << 64 | u128::from(self.next()),
            self.next(),
            flags,
            remote,
            state,
        )
    }

    fn time(&mut self) -> SystemTime {
        at(self.next() >> self.below(64))
    }
}

#[test]
fn generated_spans_match_opentelemetry_proto() {
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let scopes = [
        InstrumentationScope::builder("mcp-trace")
            .with_version("0.1.0")
            .build(),
        InstrumentationScope::builder("tracing-opentelemetry").build(),
        InstrumentationScope::builder("custom")
            .with_schema_url("https://example.com/schema")
            .with_attributes([KeyValue::new("tier", "gold")])
            .build(),
        InstrumentationScope::builder("custom").build(),
    ];
    let mut spans = Vec::new();
    for _ in 0..400 {
        let scope = &scopes[random.below(scopes.len() as u64) as usize];
        let mut generated = span("", scope);
        generated.name = Cow::Owned(random.text());
        generated.span_context = random.context();
        generated.parent_span_id = match random.below(3) {
            0 => SpanId::INVALID,
            _ => SpanId::from_bytes(random.next().to_be_bytes()),
        };
        generated.parent_span_is_remote = random.below(2) == 0;
        generated.span_kind = match random.below(5) {
            0 => SpanKind::Internal,
            1 => SpanKind::Server,
            2 => SpanKind::Client,
            3 => SpanKind::Producer,
            _ => SpanKind::Consumer,
        };
        generated.start_time = random.time();
        generated.end_time = random.time();
        generated.attributes = random.attributes();
        generated.dropped_attributes_count = random.below(3) as u32 * (u32::MAX / 2);
        generated.events = events(
            (0..random.below(3))
                .map(|_| {
                    Event::new(
                        random.text(),
                        random.time(),
                        random.attributes(),
                        random.below(2) as u32,
                    )
                })
                .collect(),
            random.below(2) as u32,
        );
        generated.links = links(
            (0..random.below(3))
                .map(|_| {
                    Link::new(
                        random.context(),
                        random.attributes(),
                        random.below(2) as u32,
                    )
                })
                .collect(),
            random.below(2) as u32,
        );
        generated.status = match random.below(3) {
            0 => Status::Unset,
            1 => Status::Ok,
            _ => Status::error(random.text()),
        };
        spans.push(generated);
    }
    let resource = Resource::builder()
        .with_service_name("generated")
        .with_attribute(KeyValue::new("resource.value", random.value()))
        .build();
    for batch in spans.chunks(37) {
        assert_same_as_reference(&resource, batch);
    }
    assert_same_as_reference(&resource, &spans);
}
