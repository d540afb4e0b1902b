//! The W3C grammars, checked before the SDK's propagators see a value and
//! after they write one.
//!
//! The SDK's `TraceContextPropagator` is lenient where W3C Trace Context is
//! strict (it takes `0-…`, `000-…`, a 31-digit trace id, `+`-signed hex, a
//! one-digit flags field, version `00` with a trailing `-`, and drops future
//! versions with extra fields) and strict where W3C is not (it refuses
//! `tracestate` keys with more than one `@`, or a system id after `@` longer
//! than 14 characters, both valid since Trace Context Level 2, and keeps the
//! first 32 members of a longer list instead of discarding it). Here the
//! header is parsed as the specification says; the SDK then only ever sees a
//! version-`00` `traceparent` with exact fields and the `tracestate` members
//! it accepts.

use opentelemetry::baggage::Baggage;
use opentelemetry::trace::{SpanId, TraceId};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use super::{MAX_BAGGAGE_MEMBERS, MAX_CONTEXT_VALUE_LEN, MAX_TRACESTATE_MEMBERS};

/// The `random-trace-id` flag of Trace Context Level 2.
pub(super) const RANDOM: u8 = 0x02;

/// Length of a version-`00` `traceparent`; later versions may append `-…`.
const TRACEPARENT_LEN: usize = 55;

/// W3C's optional white space: spaces and horizontal tabs.
fn trim_ows(value: &str) -> &str {
    value.trim_matches([' ', '\t'])
}

fn lower_hex(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// A `traceparent` that parsed under the W3C rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Traceparent {
    pub(super) trace_id: TraceId,
    pub(super) span_id: SpanId,
    pub(super) flags: u8,
}

impl Traceparent {
    /// Parses `value` (surrounding OWS allowed): version `00` exactly,
    /// a later version (not `ff`) with any printable ASCII after a `-`
    /// following the flags; lowercase hex; neither id all zeros.
    pub(super) fn parse(value: &str) -> Option<Traceparent> {
        let bytes = trim_ows(value).as_bytes();
        // A header is ASCII: the same value must mean the same in `_meta`
        // as in a header, where anything else is not readable as text.
        if bytes.len() < TRACEPARENT_LEN || !bytes.iter().all(|b| (0x20..=0x7e).contains(b)) {
            return None;
        }
        let (version, rest) = bytes.split_at(2);
        if !lower_hex(version) || version == b"ff" {
            return None;
        }
        match rest.get(TRACEPARENT_LEN - 2) {
            None => {}
            Some(b'-') if version != b"00" => {}
            Some(_) => return None,
        }
        let fields = &bytes[..TRACEPARENT_LEN];
        if fields[2] != b'-' || fields[35] != b'-' || fields[52] != b'-' {
            return None;
        }
        let (trace, span, flags) = (&fields[3..35], &fields[36..52], &fields[53..55]);
        if !(lower_hex(trace) && lower_hex(span) && lower_hex(flags)) {
            return None;
        }
        // Lowercase hex digits only, so these are ASCII and parse exactly.
        let trace_id = u128::from_str_radix(std::str::from_utf8(trace).ok()?, 16).ok()?;
        let span_id = u64::from_str_radix(std::str::from_utf8(span).ok()?, 16).ok()?;
        let flags = u8::from_str_radix(std::str::from_utf8(flags).ok()?, 16).ok()?;
        (trace_id != 0 && span_id != 0).then_some(Traceparent {
            trace_id: TraceId::from(trace_id),
            span_id: SpanId::from(span_id),
            flags,
        })
    }

    /// The same context as version `00`, the one the SDK parses.
    pub(super) fn to_version_00(self) -> String {
        format!("00-{}-{}-{:02x}", self.trace_id, self.span_id, self.flags)
    }
}

/// A `tracestate` list that parsed under the W3C rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Tracestate {
    /// Every member, in order, OWS removed, later duplicates of a key dropped.
    pub(super) all: String,
    /// The members the SDK's `TraceState` accepts (all of them, usually).
    pub(super) for_sdk: String,
}

/// Parses a (combined) `tracestate` value. `None` when it holds no member,
/// more than [`MAX_TRACESTATE_MEMBERS`], or one that breaks the grammar:
/// the header cannot be parsed and is discarded whole, as the processing
/// model allows (a list over the limit is not a valid list).
pub(super) fn parse_tracestate(value: &str) -> Option<Tracestate> {
    let mut members: Vec<(&str, &str)> = Vec::new();
    for member in value.split(',').map(trim_ows) {
        if member.is_empty() {
            continue;
        }
        let (key, value) = member.split_once('=')?;
        if !(tracestate_key(key) && tracestate_value(value)) {
            return None;
        }
        if members.iter().any(|(seen, _)| *seen == key) {
            // W3C lets a vendor discard duplicate keys; the first one stays.
            continue;
        }
        if members.len() == MAX_TRACESTATE_MEMBERS {
            return None;
        }
        members.push((key, value));
    }
    if members.is_empty() {
        return None;
    }
    let join = |members: &mut dyn Iterator<Item = &(&str, &str)>| {
        members
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let sdk_accepts = |(key, value): &&(&str, &str)| {
        opentelemetry::trace::TraceState::from_key_value([(*key, *value)]).is_ok()
    };
    Some(Tracestate {
        all: join(&mut members.iter()),
        for_sdk: join(&mut members.iter().filter(sdk_accepts)),
    })
}

/// `key = ( lcalpha / DIGIT ) 0*255 ( keychar )`,
/// `keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"`.
fn tracestate_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let first = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    (1..=256).contains(&bytes.len())
        && bytes.first().is_some_and(first)
        && bytes
            .iter()
            .all(|b| first(b) || matches!(b, b'_' | b'-' | b'*' | b'/' | b'@'))
}

/// `value = 0*255(chr) nblk-chr`: 1 to 256 printable ASCII characters but
/// `,` and `=`, the last not a space.
fn tracestate_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    (1..=256).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| (0x20..=0x7e).contains(b) && *b != b',' && *b != b'=')
        && bytes.last() != Some(&b' ')
}

/// What may stand unencoded in a baggage key or value: W3C's
/// `baggage-octet` (visible ASCII but `"`, `,`, `;`, `\\`) without `=` and
/// `%`, which the value's own grammar and percent-decoding give a meaning.
const BAGGAGE_ESCAPED: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b',')
    .add(b';')
    .add(b'\\')
    .add(b'=')
    .add(b'%');

/// What may stand unencoded in a member's properties: `;` between them and
/// `=` within one keep their meaning there.
const PROPERTY_ESCAPED: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b',').add(b'\\').add(b'%');

/// `baggage` written from `baggage`, every byte outside W3C's grammar
/// percent-encoded. The SDK's propagator percent-decodes a member's
/// properties on the way in but writes them back as they are, so a property
/// received as `%F0%9F%98%80` or `%2C` would leave as bytes no header may
/// carry or as a `,` that splits the member; and it leaves `%` and `\\` in
/// keys and values unencoded.
pub(super) fn baggage_header(baggage: &Baggage) -> String {
    let mut header = String::new();
    for (name, (value, metadata)) in baggage {
        if !header.is_empty() {
            header.push(',');
        }
        header.extend(utf8_percent_encode(name.as_str().trim(), BAGGAGE_ESCAPED));
        header.push('=');
        header.extend(utf8_percent_encode(value.as_str().trim(), BAGGAGE_ESCAPED));
        let properties = metadata.as_str().trim();
        if !properties.is_empty() {
            header.push(';');
            header.extend(utf8_percent_encode(properties, PROPERTY_ESCAPED));
        }
    }
    header
}

/// `baggage` as it may leave: at most [`MAX_CONTEXT_VALUE_LEN`] bytes and
/// [`MAX_BAGGAGE_MEMBERS`] members. Whole members are dropped from the end
/// until it fits (W3C: never a partial member); `None` when nothing is left.
pub(super) fn bounded_baggage(value: String) -> Option<String> {
    let members = value.split(',').count();
    if value.len() <= MAX_CONTEXT_VALUE_LEN && members <= MAX_BAGGAGE_MEMBERS {
        return (!value.is_empty()).then_some(value);
    }
    let mut kept = String::new();
    for member in value.split(',').take(MAX_BAGGAGE_MEMBERS) {
        let separator = usize::from(!kept.is_empty());
        if kept.len() + separator + member.len() > MAX_CONTEXT_VALUE_LEN {
            break;
        }
        if separator == 1 {
            kept.push(',');
        }
        kept.push_str(member);
    }
    (!kept.is_empty()).then_some(kept)
}
