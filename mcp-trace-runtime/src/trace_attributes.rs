//! Attributes of a whole trace — name, user, session, tags, metadata,
//! version, release, public — set once for a piece of work and carried by
//! every span opened in it ([`propagate_attributes`], Langfuse's
//! `propagate_attributes`), or set from inside a call
//! ([`crate::current::update_current_trace`]).
//!
//! In this process they travel as a value of the OpenTelemetry context;
//! opted in with [`TraceAttributes::across_mcp`], they also travel as W3C
//! baggage (Langfuse's `langfuse_*` keys), so the servers a call reaches put
//! them on their spans too. Trace-level Langfuse attributes
//! (`langfuse.trace.*`) never go on a span whose parent is remote: there they
//! would rename or retag the trace from another process's side.
//!
//! ```
//! use mcp_trace_runtime::trace_attributes::{propagate_attributes, TraceAttributes};
//! # async fn handle() {}
//! # async fn run() {
//! let attributes = TraceAttributes::new()
//!     .user_id("alice")
//!     .session_id("chat-42")
//!     .tags(["weather", "demo"])
//!     .across_mcp();
//! propagate_attributes(attributes, handle()).await;
//! # }
//! ```

use std::future::Future;
use std::sync::Arc;

use opentelemetry::baggage::{Baggage, BaggageExt};
use opentelemetry::context::FutureExt as _;
use opentelemetry::{Array, Context, KeyValue, StringValue, Value};

use crate::observe::{attributes, truncate};
use crate::settings;

/// Longest value put into baggage, in characters; Langfuse's SDK uses the
/// same bound, since baggage rides on every outgoing request's headers.
pub const MAX_BAGGAGE_VALUE_LEN: usize = 200;

/// Baggage keys, shared with Langfuse's own SDKs so a Python or TypeScript
/// peer reads ours and the other way round.
mod baggage_keys {
    pub const PREFIX: &str = "langfuse_";
    pub const USER_ID: &str = "langfuse_user_id";
    pub const SESSION_ID: &str = "langfuse_session_id";
    pub const TRACE_NAME: &str = "langfuse_trace_name";
    pub const TAGS: &str = "langfuse_tags";
    pub const VERSION: &str = "langfuse_version";
    pub const RELEASE: &str = "langfuse_release";
    pub const PUBLIC: &str = "langfuse_public";
    pub const METADATA_PREFIX: &str = "langfuse_metadata_";
}

/// Trace-level attributes. Unset fields leave what the trace has.
///
/// ```
/// use mcp_trace_runtime::trace_attributes::TraceAttributes;
/// let attributes = TraceAttributes::new().name("weather").tags(["demo"]).metadata("region", "eu");
/// assert!(!attributes.is_empty());
/// assert!(TraceAttributes::new().is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceAttributes {
    name: Option<String>,
    user_id: Option<String>,
    session_id: Option<String>,
    version: Option<String>,
    release: Option<String>,
    public: Option<bool>,
    tags: Vec<String>,
    metadata: Vec<(String, String)>,
    across_mcp: bool,
}

impl TraceAttributes {
    /// Nothing set.
    pub fn new() -> TraceAttributes {
        TraceAttributes::default()
    }

    /// The trace's name in Langfuse.
    pub fn name(mut self, name: impl Into<String>) -> TraceAttributes {
        self.name = Some(name.into());
        self
    }

    /// The user (`user.id`).
    pub fn user_id(mut self, user: impl Into<String>) -> TraceAttributes {
        self.user_id = Some(user.into());
        self
    }

    /// The session (`session.id`): Langfuse groups a session's traces.
    pub fn session_id(mut self, session: impl Into<String>) -> TraceAttributes {
        self.session_id = Some(session.into());
        self
    }

    /// The version of the part of the application that ran.
    pub fn version(mut self, version: impl Into<String>) -> TraceAttributes {
        self.version = Some(version.into());
        self
    }

    /// The application's release.
    pub fn release(mut self, release: impl Into<String>) -> TraceAttributes {
        self.release = Some(release.into());
        self
    }

    /// Whether the trace can be shared by its URL.
    pub fn public(mut self, public: bool) -> TraceAttributes {
        self.public = Some(public);
        self
    }

    /// Adds tags (Langfuse merges the tags of all spans of a trace).
    pub fn tags<T: Into<String>>(mut self, tags: impl IntoIterator<Item = T>) -> TraceAttributes {
        for tag in tags {
            let tag = tag.into();
            if !self.tags.contains(&tag) {
                self.tags.push(tag);
            }
        }
        self
    }

    /// Adds one metadata entry of the trace.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> TraceAttributes {
        let key = key.into();
        self.metadata.retain(|(existing, _)| *existing != key);
        self.metadata.push((key, value.into()));
        self
    }

    /// Also sends these attributes as W3C baggage on every call made in the
    /// scope — to MCP servers and any other service — so their spans carry
    /// them too. Off by default: baggage is visible to every service called.
    pub fn across_mcp(mut self) -> TraceAttributes {
        self.across_mcp = true;
        self
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.user_id.is_none()
            && self.session_id.is_none()
            && self.version.is_none()
            && self.release.is_none()
            && self.public.is_none()
            && self.tags.is_empty()
            && self.metadata.is_empty()
    }

    /// `self` with `newer`'s settings on top: single values replaced, tags
    /// and metadata merged.
    pub fn merged(&self, newer: &TraceAttributes) -> TraceAttributes {
        let pick = |old: &Option<String>, new: &Option<String>| new.clone().or_else(|| old.clone());
        let mut merged = TraceAttributes {
            name: pick(&self.name, &newer.name),
            user_id: pick(&self.user_id, &newer.user_id),
            session_id: pick(&self.session_id, &newer.session_id),
            version: pick(&self.version, &newer.version),
            release: pick(&self.release, &newer.release),
            public: newer.public.or(self.public),
            tags: self.tags.clone(),
            metadata: self.metadata.clone(),
            across_mcp: self.across_mcp || newer.across_mcp,
        };
        merged = merged.tags(newer.tags.iter().cloned());
        for (key, value) in &newer.metadata {
            merged = merged.metadata(key.clone(), value.clone());
        }
        merged
    }

    /// The span attributes these become. `remote_parent`: the span's parent
    /// is in another process, so the `langfuse.trace.*` ones are left out.
    pub fn span_attributes(&self, remote_parent: bool) -> Vec<KeyValue> {
        let limit = settings::value_length_limit();
        // Ref-counted strings: a scope's attributes are worked out once and
        // cloned onto each of its spans.
        let shared = |value: &str| Arc::<str>::from(truncate(value.to_string(), limit));
        let text = |key: &'static str, value: &str| KeyValue::new(key, shared(value));
        let mut out = Vec::new();
        for (key, value) in [
            (attributes::USER_ID, &self.user_id),
            (attributes::SESSION_ID, &self.session_id),
            (attributes::VERSION, &self.version),
            (attributes::RELEASE, &self.release),
        ] {
            if let Some(value) = value {
                out.push(text(key, value));
            }
        }
        if remote_parent {
            return out;
        }
        if let Some(name) = &self.name {
            out.push(text(attributes::TRACE_NAME, name));
        }
        if let Some(public) = self.public {
            out.push(KeyValue::new(attributes::TRACE_PUBLIC, public));
        }
        if !self.tags.is_empty() {
            out.push(KeyValue::new(
                attributes::TRACE_TAGS,
                Value::Array(Array::String(
                    self.tags
                        .iter()
                        .map(|tag| StringValue::from(shared(tag)))
                        .collect(),
                )),
            ));
        }
        for (key, value) in &self.metadata {
            out.push(KeyValue::new(
                Arc::<str>::from(format!("{}{key}", attributes::TRACE_METADATA_PREFIX)),
                shared(value),
            ));
        }
        out
    }

    /// The baggage entries these become; values over
    /// [`MAX_BAGGAGE_VALUE_LEN`] characters stay home.
    fn baggage_entries(&self) -> Vec<KeyValue> {
        let mut entries = Vec::new();
        let mut push = |key: String, value: String| {
            if value.chars().count() <= MAX_BAGGAGE_VALUE_LEN {
                entries.push(KeyValue::new(key, value));
            }
        };
        for (key, value) in [
            (baggage_keys::TRACE_NAME, &self.name),
            (baggage_keys::USER_ID, &self.user_id),
            (baggage_keys::SESSION_ID, &self.session_id),
            (baggage_keys::VERSION, &self.version),
            (baggage_keys::RELEASE, &self.release),
        ] {
            if let Some(value) = value {
                push(key.to_string(), value.clone());
            }
        }
        if let Some(public) = self.public {
            push(baggage_keys::PUBLIC.to_string(), public.to_string());
        }
        if !self.tags.is_empty() {
            push(baggage_keys::TAGS.to_string(), self.tags.join(","));
        }
        for (key, value) in &self.metadata {
            push(
                format!("{}{key}", baggage_keys::METADATA_PREFIX),
                value.clone(),
            );
        }
        entries
    }

    /// What a caller sent as baggage: Langfuse's `langfuse_*` keys, and the
    /// OpenTelemetry names `user.id` / `session.id`.
    pub fn from_baggage(baggage: &Baggage) -> TraceAttributes {
        let mut attributes = TraceAttributes::new();
        for (key, (value, _)) in baggage {
            let key = key.as_str();
            let value = value.as_str();
            if !key.starts_with(baggage_keys::PREFIX) && key != "user.id" && key != "session.id" {
                continue;
            }
            let value = value.to_string();
            attributes = match key {
                "user.id" | baggage_keys::USER_ID => attributes.user_id(value),
                "session.id" | baggage_keys::SESSION_ID => attributes.session_id(value),
                baggage_keys::TRACE_NAME => attributes.name(value),
                baggage_keys::VERSION => attributes.version(value),
                baggage_keys::RELEASE => attributes.release(value),
                baggage_keys::PUBLIC => attributes.public(value == "true"),
                baggage_keys::TAGS => {
                    attributes.tags(value.split(',').filter(|tag| !tag.is_empty()))
                }
                other => match other.strip_prefix(baggage_keys::METADATA_PREFIX) {
                    Some(metadata_key) => attributes.metadata(metadata_key, value),
                    None => attributes,
                },
            };
        }
        attributes
    }
}

/// The attributes propagated in a context (a value of it), with the span
/// attributes they become worked out once for the whole scope.
#[derive(Debug)]
struct Propagated {
    attributes: TraceAttributes,
    under_local_parent: Vec<KeyValue>,
    under_remote_parent: Vec<KeyValue>,
}

impl Propagated {
    fn new(attributes: TraceAttributes) -> Propagated {
        Propagated {
            under_local_parent: attributes.span_attributes(false),
            under_remote_parent: attributes.span_attributes(true),
            attributes,
        }
    }
}

/// `cx` with `attributes` propagated: merged onto what `cx` propagates
/// already, and in its baggage too when [`TraceAttributes::across_mcp`].
///
/// ```
/// use mcp_trace_runtime::trace_attributes::{propagated_context, TraceAttributes, propagated_in};
/// let cx = propagated_context(&opentelemetry::Context::new(), TraceAttributes::new().user_id("alice"));
/// assert_eq!(propagated_in(&cx), TraceAttributes::new().user_id("alice"));
/// ```
pub fn propagated_context(cx: &Context, attributes: TraceAttributes) -> Context {
    // What `cx` carries already (a scope around this one, or a caller's
    // baggage) is the base the new attributes go on top of.
    // An outer scope's `across_mcp` holds for the inner one too.
    let base = match cx.get::<Propagated>() {
        Some(scope) => scope.attributes.clone(),
        None => propagated_in(cx),
    };
    let merged = base.merged(&attributes);
    let cx = if merged.across_mcp {
        let mut entries: Vec<KeyValue> = cx
            .baggage()
            .iter()
            .map(|(key, (value, _))| KeyValue::new(key.clone(), value.clone()))
            .collect();
        let ours = merged.baggage_entries();
        entries.retain(|entry| !ours.iter().any(|own| own.key == entry.key));
        entries.extend(ours);
        cx.with_baggage(entries)
    } else {
        cx.clone()
    };
    cx.with_value(Propagated::new(merged))
}

/// Runs `future` with `attributes` on every span opened in it (and, with
/// [`TraceAttributes::across_mcp`], on the spans of the servers it calls),
/// on top of the context current when it is first polled. The span current
/// then is not changed: set its attributes with
/// [`crate::current::update_current_trace`].
pub async fn propagate_attributes<F: Future>(attributes: TraceAttributes, future: F) -> F::Output {
    let cx = propagated_context(&Context::current(), attributes);
    future.with_context(cx).await
}

/// What `cx` propagates: a scope's attributes (which include what the
/// context carried when the scope began), else those its baggage carries.
pub fn propagated_in(cx: &Context) -> TraceAttributes {
    if let Some(scope) = cx.get::<Propagated>() {
        let mut attributes = scope.attributes.clone();
        attributes.across_mcp = false;
        return attributes;
    }
    let baggage = cx.baggage();
    if baggage.is_empty() {
        TraceAttributes::new()
    } else {
        TraceAttributes::from_baggage(baggage)
    }
}

/// The trace attributes a span started in `cx` (its parent context) gets:
/// inside a scope, worked out once for the scope; else from the baggage;
/// without the `langfuse.trace.*` ones when the parent is remote. Runs for
/// every span: whether the parent is remote is only asked when there is
/// something to give.
pub(crate) fn span_attributes_in(cx: &Context) -> Vec<KeyValue> {
    let remote_parent = || crate::propagation::has_remote_parent(cx);
    match cx.get::<Propagated>() {
        Some(scope) if remote_parent() => scope.under_remote_parent.clone(),
        Some(scope) => scope.under_local_parent.clone(),
        None if cx.baggage().is_empty() => Vec::new(),
        None => TraceAttributes::from_baggage(cx.baggage()).span_attributes(remote_parent()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(attributes: &[KeyValue]) -> Vec<&str> {
        attributes.iter().map(|kv| kv.key.as_str()).collect()
    }

    #[test]
    fn remote_parents_get_no_trace_level_langfuse_attributes() {
        let attributes = TraceAttributes::new()
            .name("n")
            .user_id("u")
            .session_id("s")
            .tags(["t"])
            .metadata("k", "v")
            .public(true)
            .version("1");
        let local = attributes.span_attributes(false);
        assert!(keys(&local).contains(&"langfuse.trace.name"));
        assert!(keys(&local).contains(&"langfuse.trace.metadata.k"));
        let remote = attributes.span_attributes(true);
        assert_eq!(keys(&remote), ["user.id", "session.id", "langfuse.version"]);
    }

    #[test]
    fn nested_scopes_merge_tags_and_metadata() {
        let outer = propagated_context(
            &Context::new(),
            TraceAttributes::new()
                .user_id("alice")
                .tags(["a"])
                .metadata("k", "1"),
        );
        let inner = propagated_context(
            &outer,
            TraceAttributes::new()
                .session_id("s")
                .tags(["b", "a"])
                .metadata("k", "2"),
        );
        assert_eq!(
            propagated_in(&inner),
            TraceAttributes::new()
                .user_id("alice")
                .session_id("s")
                .tags(["a", "b"])
                .metadata("k", "2")
        );
        assert!(inner.baggage().is_empty(), "not across MCP unless asked");
    }

    #[test]
    fn an_inner_scope_stays_across_mcp() {
        let outer = propagated_context(
            &Context::new(),
            TraceAttributes::new().user_id("alice").across_mcp(),
        );
        let inner = propagated_context(&outer, TraceAttributes::new().tags(["late"]));
        assert_eq!(
            inner.baggage().get("langfuse_tags").unwrap().as_str(),
            "late"
        );
        assert_eq!(
            inner.baggage().get("langfuse_user_id").unwrap().as_str(),
            "alice"
        );
    }

    #[test]
    fn across_mcp_round_trips_through_baggage() {
        let sent = TraceAttributes::new()
            .name("weather")
            .user_id("alice")
            .tags(["x", "y"])
            .metadata("region", "eu")
            .public(true)
            .across_mcp();
        let cx = propagated_context(&Context::new(), sent.clone());
        let received = TraceAttributes::from_baggage(cx.baggage());
        let mut expected = sent;
        expected.across_mcp = false;
        assert_eq!(received, expected);
        assert_eq!(cx.baggage().get("langfuse_tags").unwrap().as_str(), "x,y");
    }

    #[test]
    fn oversized_values_stay_out_of_baggage() {
        let cx = propagated_context(
            &Context::new(),
            TraceAttributes::new()
                .user_id("u".repeat(201))
                .session_id("ok")
                .across_mcp(),
        );
        assert!(cx.baggage().get("langfuse_user_id").is_none());
        assert_eq!(
            cx.baggage().get("langfuse_session_id").unwrap().as_str(),
            "ok"
        );
        // Still on this process's spans.
        assert_eq!(propagated_in(&cx).user_id.unwrap().len(), 201);
    }
}
