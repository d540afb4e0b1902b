//! The log encoder against opentelemetry-proto's own conversion: the bytes
//! decoded with prost must equal what `group_logs_by_resource_and_scope`
//! builds, and the bytes must equal prost's `encode_to_vec` of it. The one
//! liberty: that conversion groups scopes in a `HashMap`, so its scopes are
//! first put in the order the batch first shows them, the order ours has.

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::trace::{SpanId, TraceFlags, TraceId};
use opentelemetry::{InstrumentationScope, Key, KeyValue, StringValue};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue as ProtoKeyValue;
use opentelemetry_proto::tonic::logs::v1::{ResourceLogs, ScopeLogs};
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::logs::tonic::group_logs_by_resource_and_scope;
use opentelemetry_sdk::logs::{LogBatch, SdkLogRecord, SdkLogger, SdkLoggerProvider};
use opentelemetry_sdk::Resource;
use prost::Message as _;

use super::encode_logs_request;
use super::tests::Random;

/// What identifies an exported scope: name, version, schema URL and the
/// attributes sorted by key.
type ScopeKey = (String, String, String, Vec<ProtoKeyValue>);

fn key_of(scope_logs: &ScopeLogs) -> ScopeKey {
    let scope = scope_logs.scope.clone().unwrap_or_default();
    let mut attributes = scope.attributes;
    attributes.sort_by(|a, b| a.key.cmp(&b.key));
    (
        scope.name,
        scope.version,
        scope_logs.schema_url.clone(),
        attributes,
    )
}

/// What opentelemetry-otlp builds for this batch, its scopes in order of
/// first appearance in `records`.
fn reference(
    resource: &Resource,
    records: &[(&SdkLogRecord, &InstrumentationScope)],
) -> ExportLogsServiceRequest {
    let converted = ResourceAttributesWithSchema::from(resource);
    let mut resource_logs = group_logs_by_resource_and_scope(&LogBatch::new(records), &converted);
    // Each record's scope as opentelemetry-proto exports a record alone.
    let record_keys: Vec<ScopeKey> = records
        .iter()
        .map(|&(record, scope)| {
            key_of(&ResourceLogs::from(((record, scope), &converted)).scope_logs[0])
        })
        .collect();
    resource_logs[0].scope_logs.sort_by_key(|scope_logs| {
        let key = key_of(scope_logs);
        record_keys.iter().position(|known| *known == key).unwrap()
    });
    ExportLogsServiceRequest { resource_logs }
}

fn assert_same_as_reference(
    resource: &Resource,
    records: &[(&SdkLogRecord, &InstrumentationScope)],
) -> ExportLogsServiceRequest {
    let ours = encode_logs_request(resource, &LogBatch::new(records));
    let expected = reference(resource, records);
    let decoded = ExportLogsServiceRequest::decode(ours.as_slice()).expect("valid protobuf");
    assert_eq!(decoded, expected);
    assert!(
        ours == expected.encode_to_vec(),
        "same message, different bytes"
    );
    decoded
}

fn logger() -> SdkLogger {
    SdkLoggerProvider::builder().build().logger("log-tests")
}

fn at(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

/// A record with only the observed time every emitted record has.
fn bare(logger: &SdkLogger) -> SdkLogRecord {
    let mut record = logger.create_log_record();
    record.set_observed_timestamp(at(1_700_000_000_000_000_001));
    record
}

fn map(entries: Vec<(&'static str, AnyValue)>) -> AnyValue {
    AnyValue::Map(Box::new(
        entries
            .into_iter()
            .map(|(key, value)| (Key::new(key), value))
            .collect::<HashMap<_, _>>(),
    ))
}

fn list(values: Vec<AnyValue>) -> AnyValue {
    AnyValue::ListAny(Box::new(values))
}

fn bytes(bytes: &[u8]) -> AnyValue {
    AnyValue::Bytes(Box::new(bytes.to_vec()))
}

/// Every `AnyValue` variant, nested both ways, empty ones, non-ASCII text,
/// extreme numbers.
fn every_value() -> Vec<(&'static str, AnyValue)> {
    vec![
        ("string", AnyValue::from("sunny")),
        ("empty.string", AnyValue::from("")),
        ("", AnyValue::from("empty key")),
        ("non.ascii", AnyValue::from("Zürich ☀️ 東京 — naïve")),
        (
            "ключ",
            AnyValue::String(StringValue::from("значение".to_string())),
        ),
        ("bool.true", AnyValue::Boolean(true)),
        ("bool.false", AnyValue::Boolean(false)),
        ("int.zero", AnyValue::Int(0)),
        ("int.negative", AnyValue::Int(-1)),
        ("int.min", AnyValue::Int(i64::MIN)),
        ("int.max", AnyValue::Int(i64::MAX)),
        ("double.zero", AnyValue::Double(0.0)),
        ("double", AnyValue::Double(-12.5)),
        ("double.infinite", AnyValue::Double(f64::INFINITY)),
        ("bytes", bytes(&[0, 1, 0xff, 0x80])),
        ("bytes.empty", bytes(&[])),
        ("list.empty", list(Vec::new())),
        ("map.empty", map(Vec::new())),
        (
            "list.mixed",
            list(vec![
                AnyValue::Int(7),
                AnyValue::from(""),
                bytes(b"\x00"),
                list(vec![AnyValue::Boolean(false), list(Vec::new())]),
                map(vec![("inner", AnyValue::Double(1.5))]),
            ]),
        ),
        (
            "map.nested",
            map(vec![
                ("a", AnyValue::from("b")),
                ("empty", AnyValue::from("")),
                ("größe", AnyValue::Int(3)),
                ("list", list(vec![map(vec![("deep", bytes(b"x"))])])),
                (
                    "map",
                    map(vec![("x", AnyValue::Int(1)), ("y", AnyValue::Int(2))]),
                ),
            ]),
        ),
    ]
}

#[test]
fn every_field_and_value_type_matches_opentelemetry_proto() {
    let resource = Resource::builder_empty()
        .with_schema_url(
            [
                KeyValue::new("service.name", "weather-server"),
                KeyValue::new("service.version", "0.1.0"),
            ],
            "https://opentelemetry.io/schemas/1.26.0",
        )
        .build();
    let scope = InstrumentationScope::builder("mcp-trace")
        .with_version("0.3.0")
        .with_schema_url("https://opentelemetry.io/schemas/1.26.0")
        .with_attributes([KeyValue::new("scope.attr", "x"), KeyValue::new("n", 1_i64)])
        .build();
    let plain = InstrumentationScope::builder("plain").build();
    let logger = logger();

    // Every field.
    let mut full = bare(&logger);
    full.set_timestamp(at(1_700_000_000_123_456_789));
    full.set_severity_number(Severity::Info);
    full.set_severity_text("INFO");
    full.set_body(AnyValue::from("looking up the weather"));
    full.set_target(Cow::Borrowed("weather_server::tools"));
    full.set_event_name("weather.lookup");
    full.set_trace_context(
        TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
        SpanId::from(0x00f0_67aa_0ba9_02b7),
        Some(TraceFlags::SAMPLED),
    );
    for (key, value) in every_value() {
        full.add_attribute(key, value);
    }
    // Trace context without flags; a map as the body.
    let mut unflagged = bare(&logger);
    unflagged.set_trace_context(
        TraceId::from(1),
        SpanId::from(2),
        Some(TraceFlags::NOT_SAMPLED),
    );
    unflagged.set_body(map(every_value()));
    let mut no_flags = bare(&logger);
    no_flags.set_trace_context(TraceId::from(u128::MAX), SpanId::from(u64::MAX), None);
    no_flags.set_body(bytes(&[]));
    no_flags.set_severity_number(Severity::Fatal4);
    no_flags.set_severity_text("");
    // Nothing but the observed time; an empty string and an empty list as
    // bodies.
    let empty = bare(&logger);
    let mut empty_body = bare(&logger);
    empty_body.set_body(AnyValue::from(""));
    empty_body.set_severity_number(Severity::Trace);
    let mut list_body = bare(&logger);
    list_body.set_body(list(Vec::new()));
    list_body.set_timestamp(UNIX_EPOCH);

    let records = [
        (&full, &scope),
        (&unflagged, &plain),
        (&no_flags, &scope),
        (&empty, &plain),
        (&empty_body, &scope),
        (&full, &plain),
        (&list_body, &scope),
    ];
    let decoded = assert_same_as_reference(&resource, &records);
    let names: Vec<&str> = decoded.resource_logs[0]
        .scope_logs
        .iter()
        .map(|scope_logs| scope_logs.scope.as_ref().unwrap().name.as_str())
        .collect();
    // The target names the scope; scopes in order of first appearance.
    assert_eq!(
        names,
        [
            "weather_server::tools",
            "plain",
            "mcp-trace",
            "weather_server::tools"
        ]
    );
    let record = &decoded.resource_logs[0].scope_logs[0].log_records[0];
    assert_eq!(record.trace_id.len(), 16);
    assert_eq!(record.flags, 1);
    assert_eq!(record.event_name, "weather.lookup");
    assert_eq!(record.severity_number, 9);
}

#[test]
fn scopes_group_as_opentelemetry_proto_groups_them() {
    let logger = logger();
    let resource = Resource::builder().with_service_name("groups").build();
    let scope = |name: &'static str, version: Option<&'static str>, attributes: Vec<KeyValue>| {
        let builder = InstrumentationScope::builder(name).with_attributes(attributes);
        match version {
            Some(version) => builder.with_version(version).build(),
            None => builder.build(),
        }
    };
    let a = scope("bridge-a", Some("1"), vec![]);
    let b = scope("bridge-b", Some("1"), vec![]);
    let unversioned = scope("bridge", None, vec![]);
    let empty_version = scope("bridge", Some(""), vec![]);
    let v2 = scope("bridge", Some("2"), vec![]);
    let ab = scope(
        "attrs",
        None,
        vec![KeyValue::new("a", "1"), KeyValue::new("b", "2")],
    );
    let ba = scope(
        "attrs",
        None,
        vec![KeyValue::new("b", "2"), KeyValue::new("a", "1")],
    );
    let other_attrs = scope("attrs", None, vec![KeyValue::new("a", "other")]);
    let schema = InstrumentationScope::builder("bridge")
        .with_schema_url("https://scope.example/v2")
        .build();

    let targeted = |target: &'static str, body: &'static str| {
        let mut record = bare(&logger);
        record.set_target(Cow::Borrowed(target));
        record.set_body(AnyValue::from(body));
        record
    };
    let shared = targeted("shared", "1");
    let shared_again = targeted("shared", "2");
    let plain = {
        let mut record = bare(&logger);
        record.set_body(AnyValue::from("no target"));
        record
    };
    let records = [
        // One group: the target replaces both names.
        (&shared, &a),
        (&shared_again, &b),
        // One group: no version and an empty one export the same.
        (&plain, &unversioned),
        (&plain, &empty_version),
        (&plain, &v2),
        // One group: attribute order does not matter; the first's is kept.
        (&plain, &ab),
        (&plain, &ba),
        (&plain, &other_attrs),
        (&plain, &schema),
        (&shared, &unversioned),
        (&plain, &v2),
    ];
    let decoded = assert_same_as_reference(&resource, &records);
    let groups: Vec<(String, usize)> = decoded.resource_logs[0]
        .scope_logs
        .iter()
        .map(|s| (s.scope.clone().unwrap().name, s.log_records.len()))
        .collect();
    let expected = [
        ("shared", 2),
        ("bridge", 2),
        ("bridge", 2),
        ("attrs", 2),
        ("attrs", 1),
        ("bridge", 1),
        ("shared", 1),
    ];
    let expected: Vec<(String, usize)> = expected
        .iter()
        .map(|(name, count)| (name.to_string(), *count))
        .collect();
    assert_eq!(groups, expected);
}

#[test]
fn an_empty_batch_matches() {
    assert_same_as_reference(&Resource::builder_empty().build(), &[]);
    assert_same_as_reference(&Resource::builder().build(), &[]);
}

#[test]
fn a_64_kib_body_matches() {
    let logger = logger();
    let scope = InstrumentationScope::builder("big").build();
    let mut record = bare(&logger);
    record.set_body(AnyValue::from("x".repeat(64 * 1024)));
    record.add_attribute("bytes", bytes(&vec![7; 16_383]));
    record.add_attribute("list", list(vec![AnyValue::from("y".repeat(127)); 130]));
    assert_same_as_reference(&Resource::builder().build(), &[(&record, &scope)]);
}

/// What log records are drawn from, on the span tests' generator.
impl Random {
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn log_text(&mut self) -> String {
        const PIECES: [&str; 7] = ["", "a", "tools/call", "é", "東京", "☀️", "\u{0}"];
        let len = match self.below(10) {
            0 => 100 + self.below(300),
            _ => self.below(5),
        };
        (0..len).map(|_| self.pick(&PIECES)).collect()
    }

    fn any_value(&mut self, depth: u32) -> AnyValue {
        let kinds = if depth > 2 { 5 } else { 7 };
        match self.below(kinds) {
            0 => AnyValue::from(self.log_text()),
            1 => AnyValue::Boolean(self.below(2) == 1),
            2 => AnyValue::Int(self.next() as i64 >> self.below(64)),
            3 => AnyValue::Double(f64::from_bits(self.next() >> 2)),
            4 => bytes(&self.log_text().into_bytes()),
            5 => list(
                (0..self.below(4))
                    .map(|_| self.any_value(depth + 1))
                    .collect(),
            ),
            _ => AnyValue::Map(Box::new(
                (0..self.below(4))
                    .map(|i| {
                        (
                            Key::new(format!("k{i}{}", self.log_text())),
                            self.any_value(depth + 1),
                        )
                    })
                    .collect(),
            )),
        }
    }
}

#[test]
fn a_generated_batch_matches() {
    const SEVERITIES: [Severity; 24] = [
        Severity::Trace,
        Severity::Trace2,
        Severity::Trace3,
        Severity::Trace4,
        Severity::Debug,
        Severity::Debug2,
        Severity::Debug3,
        Severity::Debug4,
        Severity::Info,
        Severity::Info2,
        Severity::Info3,
        Severity::Info4,
        Severity::Warn,
        Severity::Warn2,
        Severity::Warn3,
        Severity::Warn4,
        Severity::Error,
        Severity::Error2,
        Severity::Error3,
        Severity::Error4,
        Severity::Fatal,
        Severity::Fatal2,
        Severity::Fatal3,
        Severity::Fatal4,
    ];
    const TEXTS: [&str; 4] = ["", "INFO", "warn", "ошибка"];
    const TARGETS: [&str; 3] = ["weather_server::tools", "mcp_trace", "h2::proto"];
    const EVENTS: [&str; 3] = ["", "tool.call", "éвент"];
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let logger = logger();
    let scopes = [
        InstrumentationScope::builder("mcp-trace").build(),
        InstrumentationScope::builder("other")
            .with_version("1.2.3")
            .with_attributes([KeyValue::new("k", "v")])
            .build(),
    ];
    let records: Vec<SdkLogRecord> = (0..400)
        .map(|_| {
            let mut record = bare(&logger);
            record.set_observed_timestamp(at(random.next()));
            if random.below(4) > 0 {
                record.set_timestamp(at(random.next() >> random.below(64)));
            }
            if random.below(5) > 0 {
                record.set_severity_number(random.pick(&SEVERITIES));
                record.set_severity_text(random.pick(&TEXTS));
            }
            if random.below(3) > 0 {
                record.set_target(Cow::Borrowed(random.pick(&TARGETS)));
            }
            if random.below(4) == 0 {
                record.set_event_name(random.pick(&EVENTS));
            }
            if random.below(2) == 0 {
                let flags = match random.below(3) {
                    0 => None,
                    1 => Some(TraceFlags::SAMPLED),
                    _ => Some(TraceFlags::new(random.next() as u8)),
                };
                record.set_trace_context(
                    TraceId::from(u128::from(random.next()) << 64 | u128::from(random.next())),
                    SpanId::from(random.next()),
                    flags,
                );
            }
            if random.below(5) > 0 {
                record.set_body(random.any_value(0));
            }
            for _ in 0..random.below(6) {
                let key = random.log_text();
                record.add_attribute(key, random.any_value(0));
            }
            record
        })
        .collect();
    let batch: Vec<(&SdkLogRecord, &InstrumentationScope)> = records
        .iter()
        .map(|record| (record, &scopes[random.below(2) as usize]))
        .collect();
    let resource = Resource::builder()
        .with_attribute(KeyValue::new("host.name", random.log_text()))
        .build();
    assert_same_as_reference(&resource, &batch);
}
