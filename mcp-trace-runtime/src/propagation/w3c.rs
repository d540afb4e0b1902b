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

use std::borrow::Cow;

use opentelemetry::baggage::Baggage;
use opentelemetry::trace::{SpanId, TraceId, TraceState};
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

/// The number `digits` spell in lowercase hex (at most 32 of them), or
/// `None` when one is anything else. By hand because this runs for every
/// request: `from_str_radix` costs about ten times as much here.
fn lower_hex(digits: &[u8]) -> Option<u128> {
    digits.iter().try_fold(0u128, |number, digit| {
        let value = match digit {
            b'0'..=b'9' => digit - b'0',
            b'a'..=b'f' => digit - b'a' + 10,
            _ => return None,
        };
        Some(number << 4 | u128::from(value))
    })
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
        if lower_hex(version).is_none() || version == b"ff" {
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
        let trace_id = lower_hex(&fields[3..35])?;
        let span_id = lower_hex(&fields[36..52])?;
        let flags = lower_hex(&fields[53..55])?;
        // 16 and 2 hex digits: the casts are exact.
        (trace_id != 0 && span_id != 0).then_some(Traceparent {
            trace_id: TraceId::from(trace_id),
            span_id: SpanId::from(span_id as u64),
            flags: flags as u8,
        })
    }

    /// The same context as version `00`, the one the SDK parses: `value`
    /// itself when it is one already (the usual case), else written anew.
    pub(super) fn to_version_00(self, value: &str) -> Cow<'_, str> {
        let value = trim_ows(value);
        if value.len() == TRACEPARENT_LEN && value.starts_with("00-") {
            return Cow::Borrowed(value);
        }
        Cow::Owned(format!(
            "00-{}-{}-{:02x}",
            self.trace_id, self.span_id, self.flags
        ))
    }
}

/// A `tracestate` list that parsed under the W3C rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Tracestate {
    /// Every member, in order, OWS removed, later duplicates of a key dropped.
    pub(super) all: String,
    /// The members the SDK's `TraceState` accepts, when that is not all of
    /// them (rare: keys valid only since Trace Context Level 2).
    sdk_subset: Option<String>,
}

impl Tracestate {
    /// The members the SDK's `TraceState` accepts (all of them, usually).
    pub(super) fn for_sdk(&self) -> &str {
        self.sdk_subset.as_deref().unwrap_or(&self.all)
    }

    /// Whether the SDK keeps every member.
    pub(super) fn sdk_keeps_all(&self) -> bool {
        self.sdk_subset.is_none()
    }
}

/// The members of a (combined) `tracestate` value, in order, OWS removed,
/// later duplicates of a key dropped. `None` when it holds no member, more
/// than [`MAX_TRACESTATE_MEMBERS`], or one that breaks the grammar: the
/// header cannot be parsed and is discarded whole, as the processing model
/// allows (a list over the limit is not a valid list).
fn tracestate_members(value: &str) -> Option<Vec<(&str, &str)>> {
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
    (!members.is_empty()).then_some(members)
}

/// Parses a (combined) `tracestate` value as [`tracestate_members`] does.
pub(super) fn parse_tracestate(value: &str) -> Option<Tracestate> {
    let members = tracestate_members(value)?;
    // Runs on every request that carries a tracestate: each list is written
    // once, into one buffer.
    let join = |members: &mut dyn Iterator<Item = &(&str, &str)>| {
        let mut list = String::with_capacity(value.len());
        for (key, value) in members {
            if !list.is_empty() {
                list.push(',');
            }
            list.push_str(key);
            list.push('=');
            list.push_str(value);
        }
        list
    };
    let sdk_subset = (!members.iter().all(|(key, _)| sdk_accepts_key(key)))
        .then(|| join(&mut members.iter().filter(|(key, _)| sdk_accepts_key(key))));
    Some(Tracestate {
        all: join(&mut members.iter()),
        sdk_subset,
    })
}

/// A (combined) `tracestate` value as the SDK's `TraceState`: the members
/// [`tracestate_members`] finds and the SDK accepts; empty when the list
/// does not parse.
pub(super) fn sdk_trace_state(value: &str) -> TraceState {
    let Some(members) = tracestate_members(value) else {
        return TraceState::default();
    };
    let accepted = members.into_iter().filter(|(key, _)| sdk_accepts_key(key));
    TraceState::from_key_value(accepted).unwrap_or_default()
}

/// Whether the SDK's `TraceState` takes `key`, a key W3C's grammar accepts
/// (see [`tracestate_key`]). opentelemetry 0.33 reads a multi-tenant key
/// more narrowly than Level 2: one `@` at most, with at most 13 characters
/// after it, the first a lowercase letter or a digit.
pub(super) fn sdk_accepts_key(key: &str) -> bool {
    let Some(at) = key.find('@') else {
        return true;
    };
    let system = &key.as_bytes()[at + 1..];
    system.len() <= 13
        && !system.contains(&b'@')
        && system
            .first()
            .is_none_or(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
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
