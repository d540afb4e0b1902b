//! Propagation tests: round trips, the W3C Trace Context rules the SDK's
//! propagator misses, and property tests with hostile input (random bytes,
//! non-UTF-8 header values, oversized values, thousands of members, bad
//! versions, flags and ids) checked against an independent reading of the
//! W3C grammars.

use super::*;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use serde_json::json;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn trace_id(cx: &Context) -> String {
    cx.span().span_context().trace_id().to_string()
}

#[test]
fn headers_round_trip_with_state_and_baggage() {
    install_default_propagators();
    let mut headers = HeaderMap::new();
    headers.insert("traceparent", TRACEPARENT.parse().unwrap());
    headers.insert("tracestate", "vendor=abc".parse().unwrap());
    headers.insert("baggage", "user.id=alice,session.id=s-1".parse().unwrap());
    let cx = extract_from_headers(&headers);
    assert!(has_remote_parent(&cx));
    assert_eq!(trace_id(&cx), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(
        cx.span().span_context().trace_state().header(),
        "vendor=abc"
    );
    assert_eq!(cx.baggage().get("user.id").unwrap().as_str(), "alice");

    let mut out = HeaderMap::new();
    inject_into_headers(&cx, &mut out);
    assert_eq!(out["traceparent"], TRACEPARENT);
    assert_eq!(out["tracestate"], "vendor=abc");
    assert!(out["baggage"].to_str().unwrap().contains("user.id=alice"));
}

#[test]
fn meta_round_trip_keeps_other_entries() {
    install_default_propagators();
    let meta = json!({"traceparent": TRACEPARENT, "baggage": "k=v", "progressToken": 7});
    let cx = extract_from_meta(meta.as_object().unwrap());
    assert!(has_remote_parent(&cx));
    assert_eq!(cx.baggage().get("k").unwrap().as_str(), "v");

    let mut out = json!({"progressToken": 7}).as_object().unwrap().clone();
    inject_into_meta(&cx, &mut out);
    assert_eq!(out["traceparent"], TRACEPARENT);
    assert_eq!(out["baggage"], "k=v");
    assert_eq!(out["progressToken"], 7);
}

#[test]
fn hostile_input_gives_a_new_root() {
    install_default_propagators();
    let hostile = [
        "garbage".to_string(),
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01".to_string(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01".to_string(),
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string(),
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01".to_string(),
        format!("{TRACEPARENT}{}", "x".repeat(100_000)),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7".to_string(),
        "💥".repeat(20),
    ];
    for value in &hostile {
        let meta = json!({ "traceparent": value });
        let cx = extract_from_meta(meta.as_object().unwrap());
        assert!(!has_remote_parent(&cx), "{value:.60} became a parent");
        if let Ok(header) = HeaderValue::from_str(value) {
            let mut headers = HeaderMap::new();
            headers.insert("traceparent", header);
            assert!(!has_remote_parent(&extract_from_headers(&headers)));
        }
    }
    // Non-string _meta values are ignored, not errors.
    let meta = json!({"traceparent": 42, "baggage": {"a": 1}});
    assert!(!has_remote_parent(&extract_from_meta(
        meta.as_object().unwrap()
    )));
    // A duplicated traceparent header is ambiguous and ignored.
    let mut headers = HeaderMap::new();
    headers.append("traceparent", TRACEPARENT.parse().unwrap());
    headers.append(
        "traceparent",
        "00-11111111111111111111111111111111-00f067aa0ba902b7-01"
            .parse()
            .unwrap(),
    );
    assert!(!has_remote_parent(&extract_from_headers(&headers)));
}

#[test]
fn oversized_baggage_is_dropped_but_the_parent_kept() {
    install_default_propagators();
    let mut headers = HeaderMap::new();
    headers.insert("traceparent", TRACEPARENT.parse().unwrap());
    let huge = format!("k={}", "v".repeat(MAX_CONTEXT_VALUE_LEN));
    headers.insert("baggage", huge.parse().unwrap());
    let cx = extract_from_headers(&headers);
    assert!(has_remote_parent(&cx));
    assert_eq!(cx.baggage().len(), 0);
}

#[test]
fn injection_from_a_local_span() {
    install_default_propagators();
    let span = SpanContext::new(
        TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
        SpanId::from_hex("b7ad6b7169203331").unwrap(),
        TraceFlags::SAMPLED,
        false,
        TraceState::default(),
    );
    let cx = Context::new().with_remote_span_context(span);
    let mut meta = Map::new();
    inject_into_meta(&cx, &mut meta);
    assert_eq!(
        meta["traceparent"],
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    );
    let mut headers = HeaderMap::new();
    inject_into_headers(&Context::new(), &mut headers);
    assert!(
        headers.get("traceparent").is_none(),
        "no span, nothing injected"
    );
}

// --- W3C Trace Context rules the SDK's propagator misses ---------------------

const TRACE: &str = "12345678901234567890123456789012";
const SPAN: &str = "1234567890123456";

/// Headers from `(name, value)` pairs, repeated names appended.
fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    headers
}

/// What a service sends on after extracting `incoming`: a span of its own
/// (a plain SDK tracer, default sampler) in the extracted context, injected.
fn forwarded(incoming: &HeaderMap) -> HeaderMap {
    use opentelemetry::trace::{Tracer, TracerProvider};
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let parent = extract_from_headers(incoming);
    let span = provider
        .tracer("propagation-tests")
        .start_with_context("forward", &parent);
    let mut out = HeaderMap::new();
    inject_into_headers(&parent.with_span(span), &mut out);
    out
}

fn sent<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|value| value.to_str().unwrap())
}

#[test]
fn traceparent_fields_are_parsed_exactly() {
    let _claim = crate::testing::trace();
    let valid = [
        format!("00-{TRACE}-{SPAN}-01"),
        format!(" \t00-{TRACE}-{SPAN}-01\t "),
        format!("cc-{TRACE}-{SPAN}-01"),
        format!("cc-{TRACE}-{SPAN}-01-what-the-future-will-be-like"),
        format!("fe-{TRACE}-{SPAN}-00-"),
    ];
    for value in &valid {
        let cx = extract_from_headers(&headers(&[("traceparent", value)]));
        assert!(has_remote_parent(&cx), "{value:?} was refused");
        assert_eq!(trace_id(&cx), TRACE);
    }
    // The SDK's propagator alone takes each of these as a parent.
    let lenient = [
        format!("0-{TRACE}-{SPAN}-01"),
        format!("000-{TRACE}-{SPAN}-01"),
        format!("00-{TRACE}-{SPAN}-1"),
        format!("00-{TRACE}-{SPAN}-001"),
        format!("00-{TRACE}-{SPAN}-01-"),
        format!("00-{}-{SPAN}-01", &TRACE[1..]),
        format!("00-+{}-{SPAN}-01", &TRACE[1..]),
        format!("00-{TRACE}-+{}-01", &SPAN[1..]),
        format!("00-{TRACE}-{}-01", &SPAN[1..]),
    ];
    let sdk = TraceContextPropagator::new();
    for value in &lenient {
        let carrier = std::collections::HashMap::from([("traceparent".to_string(), value.clone())]);
        let cx = sdk.extract(&carrier);
        assert!(has_remote_parent(&cx), "the SDK now refuses {value:?}");
        // The installed propagator is this crate's, strict even when a
        // program calls it directly with a carrier of its own.
        let cx = opentelemetry::global::get_text_map_propagator(|ours| ours.extract(&carrier));
        assert!(
            !has_remote_parent(&cx),
            "the installed propagator took {value:?}"
        );
    }
    let refused_by_both = [
        format!("00-{TRACE}-{SPAN}-01-what-the-future-will-be-like"),
        format!("cc-{TRACE}-{SPAN}-01.what-the-future-will-be-like"),
        format!("ff-{TRACE}-{SPAN}-01"),
    ];
    for value in lenient.iter().chain(&refused_by_both) {
        let cx = extract_from_headers(&headers(&[("traceparent", value)]));
        assert!(!has_remote_parent(&cx), "{value:?} became a parent");
        let meta = json!({ "traceparent": value });
        assert!(!has_remote_parent(&extract_from_meta(
            meta.as_object().unwrap()
        )));
    }
}

#[test]
fn the_installed_propagator_reads_what_it_writes() {
    let _claim = crate::testing::trace();
    let state =
        TraceState::from_key_value([("congo", "t61rcWkgMzE"), ("rojo", "00f067aa0ba902b7")])
            .unwrap();
    let sent = SpanContext::new(
        TraceId::from_hex(TRACE).unwrap(),
        SpanId::from_hex(SPAN).unwrap(),
        TraceFlags::SAMPLED,
        true,
        state,
    );
    let mut carrier = std::collections::HashMap::new();
    opentelemetry::global::get_text_map_propagator(|ours| {
        ours.inject_context(
            &Context::new().with_remote_span_context(sent.clone()),
            &mut carrier,
        );
    });
    let cx = opentelemetry::global::get_text_map_propagator(|ours| ours.extract(&carrier));
    assert_eq!(cx.span().span_context(), &sent);
    let mut fields: Vec<String> = opentelemetry::global::get_text_map_propagator(|ours| {
        ours.fields().map(str::to_string).collect()
    });
    fields.sort();
    assert_eq!(fields, ["baggage", "traceparent", "tracestate"]);
}

#[test]
fn a_future_version_is_forwarded_as_version_00_with_a_new_parent() {
    let _claim = crate::testing::trace();
    let out = forwarded(&headers(&[(
        "traceparent",
        &format!("cc-{TRACE}-{SPAN}-01-what-the-future-will-be-like"),
    )]));
    let traceparent = sent(&out, "traceparent").unwrap();
    assert!(
        traceparent.starts_with(&format!("00-{TRACE}-")),
        "{traceparent}"
    );
    assert!(traceparent.ends_with("-01"), "{traceparent}");
    assert_ne!(&traceparent[36..52], SPAN, "{traceparent}");
}

#[test]
fn the_random_flag_is_passed_on_with_the_trace() {
    let _claim = crate::testing::trace();
    for (flags, expected) in [("02", "02"), ("03", "03"), ("ff", "03"), ("01", "01")] {
        let incoming = headers(&[("traceparent", &format!("00-{TRACE}-{SPAN}-{flags}"))]);
        let out = forwarded(&incoming);
        let traceparent = sent(&out, "traceparent").unwrap();
        assert!(traceparent.starts_with(&format!("00-{TRACE}-")));
        assert_ne!(&traceparent[36..52], SPAN, "a span of its own");
        assert!(
            traceparent.ends_with(&format!("-{expected}")),
            "{flags} → {traceparent}"
        );
        // And into `_meta`, from the extracted context itself.
        let mut meta = Map::new();
        inject_into_meta(&extract_from_headers(&incoming), &mut meta);
        assert_eq!(meta["traceparent"], format!("00-{TRACE}-{SPAN}-{expected}"));
    }
    // A span of another trace does not inherit it.
    let cx = extract_from_headers(&headers(&[(
        "traceparent",
        &format!("00-{TRACE}-{SPAN}-02"),
    )]));
    let other = SpanContext::new(
        TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
        SpanId::from_hex("b7ad6b7169203331").unwrap(),
        TraceFlags::SAMPLED,
        false,
        TraceState::default(),
    );
    let mut out = HeaderMap::new();
    inject_into_headers(&cx.with_remote_span_context(other), &mut out);
    assert_eq!(
        out["traceparent"],
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    );
}

#[test]
fn tracestate_headers_are_combined_in_order_and_checked_as_w3c_says() {
    let _claim = crate::testing::trace();
    let traceparent = format!("00-{TRACE}-{SPAN}-00");
    let forward = |states: &[&str]| {
        let mut pairs = vec![("traceparent", traceparent.as_str())];
        pairs.extend(states.iter().map(|state| ("tracestate", *state)));
        let out = forwarded(&headers(&pairs));
        assert!(sent(&out, "traceparent").unwrap().contains(TRACE));
        sent(&out, "tracestate").map(str::to_string)
    };
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        forward(&["foo=1,bar=2", "rojo=1,congo=2", "baz=3"]),
        some("foo=1,bar=2,rojo=1,congo=2,baz=3")
    );
    assert_eq!(
        forward(&["foo=1 \t , \t bar=2, \t baz=3"]),
        some("foo=1,bar=2,baz=3")
    );
    assert_eq!(forward(&["", "foo=1"]), some("foo=1"));
    assert_eq!(forward(&[""]), None, "an empty tracestate is not sent");
    assert_eq!(forward(&["foo=1,foo=2"]), some("foo=1"));
    // Keys the SDK's TraceState refuses but Trace Context Level 2 allows,
    // carried through a span of the service's own.
    let long_system = format!("t@{}", "v".repeat(15));
    let longest = "z".repeat(256);
    for key in ["foo@", "foo@@bar", "foo@bar@baz", &long_system, &longest] {
        assert_eq!(
            forward(&["foo=1", &format!("{key}=1,bar=2")]),
            some(&format!("foo=1,{key}=1,bar=2")),
            "{key}"
        );
    }
    // Invalid members discard the whole header.
    let too_long = format!("{}=1", "z".repeat(257));
    for invalid in [
        "foo =1",
        "FOO=1",
        "foo.bar=1",
        "@foo=1,bar=2",
        "foo=bar=baz",
        "foo=,bar=3",
        &too_long,
    ] {
        assert_eq!(forward(&["foo=1", invalid]), None, "{invalid}");
    }
    // 32 members are kept, 33 discard the list.
    let members = |n: usize| {
        (1..=n)
            .map(|i| format!("bar{i:02}={i:02}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    assert_eq!(forward(&[&members(32)]), some(&members(32)));
    assert_eq!(forward(&[&members(33)]), None);
    // Without a traceparent, a tracestate is never parsed.
    let out = forwarded(&headers(&[("tracestate", "foo=1")]));
    assert!(sent(&out, "tracestate").is_none());
}

#[test]
fn outgoing_baggage_is_cut_to_w3c_limits_at_member_boundaries() {
    let _claim = crate::testing::trace();
    // 64 entries (the SDK's most) whose percent-encoding triples their size:
    // within the SDK's 8192-byte budget as text, far over it as a header.
    let entries: Vec<_> = (0..64)
        .map(|i| opentelemetry::KeyValue::new(format!("k{i:02}"), ",;x".repeat(40)))
        .collect();
    let cx = Context::new().with_baggage(entries);
    assert_eq!(cx.baggage().len(), 64);
    let mut out = HeaderMap::new();
    inject_into_headers(&cx, &mut out);
    let baggage = sent(&out, "baggage").unwrap();
    assert!(
        baggage.len() <= MAX_CONTEXT_VALUE_LEN,
        "{} bytes",
        baggage.len()
    );
    let back = extract_from_headers(&out);
    assert!(back.baggage().len() >= 20, "{} kept", back.baggage().len());
    for (key, (value, _)) in back.baggage() {
        assert_eq!(cx.baggage().get(key.as_str()), Some(value), "{key} whole");
    }
}

#[test]
fn outgoing_baggage_is_percent_encoded_where_w3c_asks() {
    let _claim = crate::testing::trace();
    // The SDK decodes properties and would send them back raw: a 4-byte
    // character no header may carry, and a `,` that would split the member.
    let incoming = headers(&[("baggage", "k=100%25;p=%F0%91%81%92;q=a%2Cb,j=\\x")]);
    let cx = extract_from_headers(&incoming);
    assert_eq!(cx.baggage().get("k").unwrap().as_str(), "100%");
    for out in [forwarded(&incoming), {
        let mut out = HeaderMap::new();
        inject_into_headers(&cx, &mut out);
        out
    }] {
        let baggage = sent(&out, "baggage").expect("baggage is ASCII");
        let mut members: Vec<&str> = baggage.split(',').collect();
        members.sort_unstable();
        assert_eq!(members, ["j=%5Cx", "k=100%25;p=%F0%91%81%92;q=a%2Cb"]);
        let back = extract_from_headers(&out);
        assert_eq!(back.baggage().get("k").unwrap().as_str(), "100%");
        assert_eq!(back.baggage().get("j").unwrap().as_str(), "\\x");
    }
}

// --- property tests ----------------------------------------------------------

mod properties {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// An independent reading of W3C's `traceparent` rules (split on `-`,
    /// where the parser works by position): the ids it carries, if valid.
    fn oracle(value: &str) -> Option<(String, String, u8)> {
        let value = value.trim_matches([' ', '\t']);
        if !value.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return None;
        }
        let parts: Vec<&str> = value.split('-').collect();
        let hex = |s: &str, n: usize| {
            s.len() == n
                && s.chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        };
        let nonzero = |s: &str| s.chars().any(|c| c != '0');
        let ok = parts.len() >= 4
            && hex(parts[0], 2)
            && parts[0] != "ff"
            && (parts[0] != "00" || parts.len() == 4)
            && hex(parts[1], 32)
            && nonzero(parts[1])
            && hex(parts[2], 16)
            && nonzero(parts[2])
            && hex(parts[3], 2);
        ok.then(|| {
            let flags = u8::from_str_radix(parts[3], 16).unwrap();
            (parts[1].to_string(), parts[2].to_string(), flags)
        })
    }

    /// W3C's `tracestate` member grammar, written as the ABNF reads.
    fn valid_member(member: &str) -> bool {
        let Some((key, value)) = member.split_once('=') else {
            return false;
        };
        let keychar = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-*/@".contains(c);
        let chr = |c: char| (' '..='~').contains(&c) && c != ',' && c != '=';
        key.len() <= 256
            && key.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && key.chars().all(keychar)
            && (1..=256).contains(&value.len())
            && value.chars().all(chr)
            && !value.ends_with(' ')
    }

    fn hex(len: usize) -> impl Strategy<Value = String> {
        vec(select(b"0123456789abcdef".to_vec()), len)
            .prop_map(|digits| String::from_utf8(digits).unwrap())
    }

    /// A field that is usually right and sometimes broken in one of the
    /// ways the harness and the SDK's own tests try.
    fn field(len: usize) -> impl Strategy<Value = String> {
        prop_oneof![
            6 => hex(len),
            1 => Just("0".repeat(len)),
            1 => hex(len - 1),
            1 => hex(len + 1),
            1 => hex(len).prop_map(|s| s.to_uppercase()),
            1 => hex(len - 1).prop_map(|s| format!("+{s}")),
            1 => hex(len - 1).prop_map(|s| format!(".{s}")),
            1 => "\\PC{0,4}".prop_map(|s| s),
        ]
    }

    /// Near-valid traceparents: each part from [`field`], any version and
    /// suffix, OWS around.
    fn traceparent() -> impl Strategy<Value = String> {
        let version = prop_oneof![
            4 => Just("00".to_string()),
            2 => hex(2),
            1 => Just("ff".to_string()),
            1 => field(2),
        ];
        let suffix = prop_oneof![
            4 => Just(String::new()),
            1 => Just("-".to_string()),
            1 => "-[a-z0-9-]{0,12}",
            1 => "[.a-z]{1,4}",
            1 => "\\PC{0,6}",
        ];
        let ows = select(vec!["", " ", "\t", " \t "]);
        (
            ows.clone(),
            version,
            field(32),
            field(16),
            field(2),
            suffix,
            ows,
        )
            .prop_map(|(before, version, trace, span, flags, suffix, after)| {
                format!("{before}{version}-{trace}-{span}-{flags}{suffix}{after}")
            })
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => "[a-z0-9][a-z0-9_*/@-]{0,12}",
            1 => "[a-z][a-z0-9]{250,255}",
            1 => "[A-Z@. ][a-z]{0,4}",
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => "[ -+\\--<>-~]{0,12}[!-+\\--<>-~]",
            1 => Just(String::new()),
            1 => "[a-z]{0,3}[=,\\t][a-z]{0,3}",
        ]
    }

    /// `tracestate` header values: lists of members (valid and not, OWS,
    /// empty members), up to 40 of them, split over 1 to 3 headers.
    fn tracestate() -> impl Strategy<Value = Vec<String>> {
        let member = prop_oneof![
            10 => (key(), value()).prop_map(|(k, v)| format!("{k}={v}")),
            1 => Just(String::new()),
            1 => "[a-z]{1,5}",
        ];
        (
            vec(member, 0..40),
            1..=3usize,
            select(vec![",", " ,\t", ", "]),
        )
            .prop_map(|(members, headers, separator)| {
                let per = members.len().div_ceil(headers).max(1);
                members
                    .chunks(per)
                    .map(|chunk| chunk.join(separator))
                    .collect()
            })
    }

    /// What W3C says should come out of `headers`: the members in order
    /// (first of a duplicated key), or nothing when one is invalid or
    /// there are more than 32.
    fn expected_tracestate(headers: &[String]) -> Option<String> {
        let combined = headers.join(",");
        if combined.len() > MAX_CONTEXT_VALUE_LEN {
            return None;
        }
        let mut kept: Vec<&str> = Vec::new();
        for member in combined.split(',').map(|m| m.trim_matches([' ', '\t'])) {
            if member.is_empty() {
                continue;
            }
            if !valid_member(member) {
                return None;
            }
            let key = member.split('=').next().unwrap();
            if !kept.iter().any(|k| k.split('=').next() == Some(key)) {
                kept.push(member);
            }
        }
        (!kept.is_empty() && kept.len() <= 32).then(|| kept.join(","))
    }

    /// Raw header values: random bytes (non-UTF-8 included: obs-text is
    /// a legal header byte), near-valid context, or something oversized.
    fn raw_value() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            3 => vec(any::<u8>(), 0..120),
            3 => traceparent().prop_map(String::into_bytes),
            2 => tracestate().prop_map(|h| h.join(",").into_bytes()),
            1 => (traceparent(), 8000..9000usize)
                .prop_map(|(tp, n)| format!("{tp}{}", "x".repeat(n)).into_bytes()),
            1 => ("[a-z]{1,3}=[a-z]{1,3}", 100..3000usize)
                .prop_map(|(member, n)| vec![member; n].join(",").into_bytes()),
        ]
    }

    fn carrier() -> impl Strategy<Value = Vec<(&'static str, Vec<u8>)>> {
        let name = select(vec!["traceparent", "tracestate", "baggage", "other"]);
        vec((name, raw_value()), 0..6)
    }

    /// Baggage values: mostly ASCII, with the characters that are
    /// percent-encoded (a value can triple in size on the wire), sometimes
    /// other Unicode.
    fn baggage_value() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => "[!-~]([ -~]{0,298}[!-~])?",
            1 => "[,;=\"%\\\\][ ,;=\"%\\\\]{0,100}x",
            1 => "[^\\s\\p{C}]{1,40}",
        ]
    }

    /// A W3C baggage list member: a key, `=`, a value and properties, of
    /// `baggage-octet`s (visible ASCII but `"`, `,`, `;`, `\\`) apart from
    /// the separators and optional white space around them.
    fn valid_baggage_member(member: &str) -> bool {
        let Some((key, _)) = member.split_once('=') else {
            return false;
        };
        !key.trim_matches([' ', '\t']).is_empty()
            && member.bytes().all(|b| {
                matches!(b, b' ' | b'\t' | b'!'..=b'~') && !matches!(b, b'"' | b',' | b'\\')
            })
    }

    /// Every outgoing value is within W3C's grammar and limits.
    fn check_outgoing(out: &HeaderMap) -> Result<(), TestCaseError> {
        if let Some(traceparent) = sent(out, "traceparent") {
            let (_, _, flags) = oracle(traceparent).ok_or_else(|| {
                TestCaseError::fail(format!("sent an invalid traceparent {traceparent:?}"))
            })?;
            prop_assert!(traceparent.starts_with("00-") && traceparent.len() == 55);
            prop_assert!(flags <= 3, "unknown flags sent: {traceparent}");
        } else {
            prop_assert!(
                out.get("tracestate").is_none(),
                "tracestate without traceparent"
            );
        }
        if let Some(state) = sent(out, "tracestate") {
            let members: Vec<&str> = state.split(',').collect();
            prop_assert!(
                members.len() <= MAX_TRACESTATE_MEMBERS,
                "{} members",
                members.len()
            );
            prop_assert!(members.iter().all(|m| valid_member(m)), "{state:?}");
        }
        if let Some(baggage) = sent(out, "baggage") {
            prop_assert!(baggage.len() <= MAX_CONTEXT_VALUE_LEN);
            prop_assert!(baggage.split(',').count() <= MAX_BAGGAGE_MEMBERS);
            prop_assert!(baggage.split(',').all(valid_baggage_member), "{baggage:?}");
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Any carrier: no panic; a parent only with valid, non-zero ids
        /// that appear literally in a traceparent it carried; everything
        /// sent on is within W3C's limits.
        #[test]
        fn hostile_carriers_never_give_an_invalid_parent(pairs in carrier()) {
            let _claim = crate::testing::trace();
            let mut map = HeaderMap::new();
            let mut meta = Map::new();
            for (name, bytes) in &pairs {
                if let Ok(value) = HeaderValue::from_bytes(bytes) {
                    map.append(*name, value);
                }
                meta.insert(name.to_string(), Value::String(String::from_utf8_lossy(bytes).into()));
            }
            let from_headers: Vec<String> = map
                .get_all("traceparent")
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect();
            let from_meta: Vec<String> = meta
                .get("traceparent")
                .and_then(Value::as_str)
                .map(str::to_string)
                .into_iter()
                .collect();
            for (cx, sent_traceparents) in [
                (extract_from_headers(&map), from_headers),
                (extract_from_meta(&meta), from_meta),
            ] {
                let span = cx.span();
                let span_context = span.span_context();
                if span_context.is_valid() {
                    prop_assert!(span_context.is_remote());
                    let ids = format!("{}-{}", span_context.trace_id(), span_context.span_id());
                    prop_assert_eq!(sent_traceparents.len(), 1, "one traceparent only");
                    prop_assert!(sent_traceparents[0].contains(&ids), "{} not in {:?}", ids, sent_traceparents);
                    prop_assert!(oracle(&sent_traceparents[0]).is_some());
                }
                prop_assert!(cx.baggage().len() <= MAX_BAGGAGE_MEMBERS);
                let mut out = HeaderMap::new();
                inject_into_headers(&cx, &mut out);
                check_outgoing(&out)?;
                let out = forwarded(&map);
                check_outgoing(&out)?;
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 5000, ..ProptestConfig::default() })]

        /// Near-valid traceparents: adopted exactly when the oracle says
        /// W3C allows it, with its ids, and sent on as version 00 with the
        /// sampled and random flags only.
        #[test]
        fn traceparents_are_adopted_exactly_when_w3c_allows(value in traceparent()) {
            let _claim = crate::testing::trace();
            let expected = oracle(&value);
            let mut meta = Map::new();
            meta.insert("traceparent".into(), Value::String(value.clone()));
            let mut carriers = vec![extract_from_meta(&meta)];
            if let Ok(header) = HeaderValue::from_str(&value) {
                let mut map = HeaderMap::new();
                map.insert("traceparent", header);
                carriers.push(extract_from_headers(&map));
            }
            for cx in carriers {
                prop_assert_eq!(has_remote_parent(&cx), expected.is_some(), "{:?}", value);
                if let Some((trace, span, flags)) = &expected {
                    let mut out = Map::new();
                    inject_into_meta(&cx, &mut out);
                    prop_assert_eq!(
                        out["traceparent"].as_str().unwrap(),
                        format!("00-{trace}-{span}-{:02x}", flags & 0x03)
                    );
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// The SDK's key rule, mirrored so that checking a key costs no
        /// `TraceState`: the same answer for every key W3C's grammar takes.
        #[test]
        fn the_sdks_tracestate_key_rule_is_mirrored_exactly(
            key in "[a-z0-9][a-z0-9_*/-]{0,20}(@[a-z0-9_*/@-]{0,16})?",
        ) {
            let sdk = TraceState::from_key_value([(key.as_str(), "v")]).is_ok();
            prop_assert_eq!(w3c::sdk_accepts_key(&key), sdk, "{}", key);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

        /// Generated tracestate headers (up to 40 members over up to three
        /// headers): what is sent on through a span of the service's own is
        /// exactly what W3C's rules keep.
        #[test]
        fn tracestate_is_sent_on_as_w3c_says(states in tracestate()) {
            let _claim = crate::testing::trace();
            let mut map = HeaderMap::new();
            map.insert("traceparent", HeaderValue::from_str(&format!("00-{TRACE}-{SPAN}-01")).unwrap());
            for state in &states {
                map.append("tracestate", HeaderValue::from_str(state).unwrap());
            }
            let out = forwarded(&map);
            check_outgoing(&out)?;
            prop_assert_eq!(sent(&out, "tracestate").map(str::to_string), expected_tracestate(&states));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Any baggage a program puts in its context leaves within 8192
        /// bytes and 180 members, each member whole. (Values have no white
        /// space at their ends: the SDK's propagator trims them.)
        #[test]
        fn outgoing_baggage_stays_within_limits(
            entries in vec(("[a-z][a-z0-9_]{0,20}", baggage_value()), 0..80)
        ) {
            let _claim = crate::testing::trace();
            let cx = Context::new().with_baggage(
                entries.iter().map(|(k, v)| opentelemetry::KeyValue::new(k.clone(), v.clone())),
            );
            let mut out = HeaderMap::new();
            inject_into_headers(&cx, &mut out);
            check_outgoing(&out)?;
            let back = extract_from_headers(&out);
            for (key, (value, _)) in back.baggage() {
                prop_assert_eq!(cx.baggage().get(key.as_str()), Some(value));
            }
        }
    }

    /// Inputs far past every limit: dropped in bounded time, the parent
    /// kept when it alone is valid.
    #[test]
    fn oversized_input_is_dropped_in_bounded_time() {
        let _claim = crate::testing::trace();
        let traceparent = format!("00-{TRACE}-{SPAN}-01");
        let thousands = |n: usize| {
            (0..n)
                .map(|i| format!("k{i}=v"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let cases: Vec<(&str, HeaderMap)> = vec![
            ("1 MB traceparent", {
                let mut map = HeaderMap::new();
                map.insert(
                    "traceparent",
                    format!("{traceparent}{}", "-x".repeat(500_000))
                        .parse()
                        .unwrap(),
                );
                map
            }),
            ("100 000 tracestate members", {
                let mut map = headers(&[("traceparent", &traceparent)]);
                map.insert("tracestate", thousands(100_000).parse().unwrap());
                map
            }),
            ("10 000 tracestate headers", {
                let mut map = headers(&[("traceparent", &traceparent)]);
                for i in 0..10_000 {
                    map.append("tracestate", format!("k{i}=v").parse().unwrap());
                }
                map
            }),
            ("1000 tracestate members within 8192 bytes", {
                let mut map = headers(&[("traceparent", &traceparent)]);
                map.insert("tracestate", thousands(1000).parse().unwrap());
                map
            }),
            ("1300 baggage members within 8192 bytes", {
                let mut map = headers(&[("traceparent", &traceparent)]);
                let members = (0..1300)
                    .map(|i| format!("{i:x}=v"))
                    .collect::<Vec<_>>()
                    .join(",");
                assert!(members.len() <= MAX_CONTEXT_VALUE_LEN);
                map.insert("baggage", members.parse().unwrap());
                map
            }),
            ("1 MB baggage", {
                let mut map = headers(&[("traceparent", &traceparent)]);
                map.insert("baggage", thousands(100_000).parse().unwrap());
                map
            }),
        ];
        for (name, map) in &cases {
            let started = std::time::Instant::now();
            for _ in 0..10 {
                let cx = extract_from_headers(map);
                let mut out = HeaderMap::new();
                inject_into_headers(&cx, &mut out);
                if *name != "1 MB traceparent" {
                    assert!(has_remote_parent(&cx), "{name}: the parent is kept");
                }
                assert!(
                    out.get("tracestate").is_none(),
                    "{name}: tracestate dropped"
                );
                assert!(cx.baggage().len() <= MAX_BAGGAGE_MEMBERS, "{name}");
                if let Some(baggage) = sent(&out, "baggage") {
                    assert!(baggage.len() <= MAX_CONTEXT_VALUE_LEN, "{name}");
                }
            }
            let each = started.elapsed() / 10;
            eprintln!("{name}: {each:?} per extraction and injection");
            assert!(
                each < std::time::Duration::from_millis(200),
                "{name}: {each:?}"
            );
        }
    }
}
