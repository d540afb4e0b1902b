//! Trace tree printer.
//!
//! Turns the flat span list of a [`Collector`](crate::collector::Collector)
//! into a plain-text tree, one line per span, with service, kind, duration and
//! a small timeline bar. Spans whose parent never arrived are printed as extra
//! roots with an explicit marker, because that is exactly what a broken
//! context propagation looks like.
//!
//! Under an observed span (one with a Langfuse input or output) come its
//! input and output, abridged to one line each; under a generation (a span
//! with a model or token usage) one line more with the model, the tokens and
//! the cost:
//!
//! ```text
//! │     └─ sampling/createMessage     weather-server  CLIENT      4.4 ms  ·················█··
//! │        │  in  [{"role":"user","content":{"type":"text","text":"In one line, describe this wea…
//! │        │  out {"role":"assistant","content":{"type":"text","text":"Paris: 15°C, Sunny, humidi…
//! │        │  model local-demo-model · tokens 15 in / 17 out / 32 total · $0.000049
//! │        └─ sampling/createMessage  weather-client  SERVER    170.1 µs  ·················█··
//! ```
//!
//! [`render_with_logs`] and [`render_trace_with_logs`] also print each log
//! record on a line under the span it was emitted in
//! (`· INFO weather_server: looked up Paris`); records whose span never
//! arrived come after the tree.
//!
//! ```
//! use mcp_trace_runtime::collector::{CollectedSpan, SpanKind};
//! use mcp_trace_runtime::trace_tree;
//!
//! let mut root = CollectedSpan::default();
//! root.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736".into();
//! root.span_id = "00f067aa0ba902b7".into();
//! root.name = "weather_request".into();
//! root.service_name = "weather-client".into();
//! root.kind = SpanKind::Internal;
//! root.start_unix_nano = 0;
//! root.end_unix_nano = 2_000_000;
//! let text = trace_tree::render(&[root]);
//! assert_eq!(
//!     text,
//!     "trace 4bf92f3577b34da6a3ce929d0e0e4736 · 1 span · 1 service · 2.0 ms\n\
//!      weather_request  weather-client  INTERNAL  2.0 ms  ████████████████████\n"
//! );
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

use serde_json::Value;

use crate::collector::{CollectedLog, CollectedSpan, SpanStatus};
use crate::generation::{gen_ai, openinference};
use crate::observe::attributes as langfuse;

/// Width of the timeline bar in columns.
const BAR_WIDTH: usize = 20;
const BAR_FILL: char = '█';
const BAR_EMPTY: char = '·';
/// Zero-length spans still get a visible position on the timeline.
const BAR_INSTANT: char = '▏';
const COLUMN_GAP: &str = "  ";
/// Longest input or output shown under a span, in characters: the tree's
/// indentation plus this still fits a wide terminal line.
const IO_WIDTH: usize = 80;
const ELLIPSIS: char = '…';

/// Renders every trace in `spans` as a tree: traces are grouped by trace id,
/// ordered by their earliest start time, and separated by a blank line.
///
/// The output is deterministic for a given input (ties are broken by ids), so
/// it can be compared verbatim in tests. Returns an empty string for no spans.
///
/// ```
/// use mcp_trace_runtime::trace_tree;
/// assert_eq!(trace_tree::render(&[]), "");
/// ```
pub fn render(spans: &[CollectedSpan]) -> String {
    render_with_logs(spans, &[])
}

/// Like [`render`], with each record of `logs` on a line under the span it
/// was emitted in, in time order, and the records of a trace whose span
/// never arrived after that trace's tree. Records outside any trace are left
/// out.
///
/// ```
/// use mcp_trace_runtime::collector::{CollectedLog, CollectedSpan, SpanKind};
/// use mcp_trace_runtime::trace_tree;
///
/// let mut span = CollectedSpan::default();
/// span.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736".into();
/// span.span_id = "00f067aa0ba902b7".into();
/// span.name = "get_weather".into();
/// span.service_name = "weather-server".into();
/// span.kind = SpanKind::Server;
/// span.end_unix_nano = 2_000_000;
/// let mut log = CollectedLog::default();
/// log.trace_id = Some(span.trace_id.clone());
/// log.span_id = Some(span.span_id.clone());
/// log.severity_text = "INFO".into();
/// log.target = "weather_server".into();
/// log.body = "looked up Paris".into();
/// let text = trace_tree::render_with_logs(&[span], &[log]);
/// assert_eq!(
///     text.lines().last(),
///     Some("   · INFO weather_server: looked up Paris")
/// );
/// ```
pub fn render_with_logs(spans: &[CollectedSpan], logs: &[CollectedLog]) -> String {
    let mut traces: BTreeMap<&str, Vec<&CollectedSpan>> = BTreeMap::new();
    for span in spans {
        traces.entry(span.trace_id.as_str()).or_default().push(span);
    }
    let mut traces: Vec<(&str, Vec<&CollectedSpan>)> = traces.into_iter().collect();
    // BTreeMap already sorted by id, and the sort is stable, so equal start
    // times fall back to trace id order.
    traces.sort_by_key(|(_, spans)| trace_bounds(spans).0);
    traces
        .iter()
        .map(|(trace_id, spans)| render_group(trace_id, spans, &logs_of(logs, trace_id)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Renders the one trace `trace_id` (case-insensitive) out of `spans`, which
/// may contain other traces too.
///
/// ```
/// use mcp_trace_runtime::trace_tree;
/// assert_eq!(
///     trace_tree::render_trace(&[], "4bf92f3577b34da6a3ce929d0e0e4736"),
///     "trace 4bf92f3577b34da6a3ce929d0e0e4736 · no spans received\n"
/// );
/// ```
pub fn render_trace(spans: &[CollectedSpan], trace_id: &str) -> String {
    render_trace_with_logs(spans, &[], trace_id)
}

/// Like [`render_trace`], with the trace's log records under their spans
/// (see [`render_with_logs`]).
///
/// ```
/// use mcp_trace_runtime::trace_tree;
/// assert_eq!(
///     trace_tree::render_trace_with_logs(&[], &[], "4bf92f3577b34da6a3ce929d0e0e4736"),
///     "trace 4bf92f3577b34da6a3ce929d0e0e4736 · no spans received\n"
/// );
/// ```
pub fn render_trace_with_logs(
    spans: &[CollectedSpan],
    logs: &[CollectedLog],
    trace_id: &str,
) -> String {
    let selected: Vec<&CollectedSpan> = spans
        .iter()
        .filter(|span| span.trace_id.eq_ignore_ascii_case(trace_id))
        .collect();
    render_group(trace_id, &selected, &logs_of(logs, trace_id))
}

/// The records of one trace, in time order (stable for equal times).
fn logs_of<'a>(logs: &'a [CollectedLog], trace_id: &str) -> Vec<&'a CollectedLog> {
    let mut selected: Vec<&CollectedLog> = logs
        .iter()
        .filter(|log| {
            log.trace_id
                .as_deref()
                .is_some_and(|id| id.eq_ignore_ascii_case(trace_id))
        })
        .collect();
    selected.sort_by_key(|log| log.time_unix_nano);
    selected
}

/// `· SEVERITY target: body` on one line.
fn log_line(log: &CollectedLog) -> String {
    let mut line = String::from("·");
    for part in [&log.severity_text, &log.target] {
        if !part.is_empty() {
            line.push(' ');
            line.push_str(&clean(part));
        }
    }
    if !log.target.is_empty() {
        line.push(':');
    }
    let _ = write!(line, " {}", clean(&log.body));
    line
}

/// One output row before column alignment.
struct Row<'a> {
    span: &'a CollectedSpan,
    /// Tree prefix plus name.
    label: String,
    /// Why this span is a root although it has a parent id.
    detached: Option<String>,
    /// Tree prefix of the lines under this span's own line (its details):
    /// its children's column, with the vertical line when children follow.
    detail_prefix: String,
}

fn render_group(trace_id: &str, spans: &[&CollectedSpan], logs: &[&CollectedLog]) -> String {
    if spans.is_empty() {
        return format!("trace {trace_id} · no spans received\n");
    }
    let known: BTreeSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    let mut logs_by_span: HashMap<&str, Vec<&CollectedLog>> = HashMap::new();
    let mut unplaced = Vec::new();
    for &log in logs {
        match log.span_id.as_deref() {
            Some(span_id) if known.contains(span_id) => {
                logs_by_span.entry(span_id).or_default().push(log)
            }
            _ => unplaced.push(log),
        }
    }
    let (start, end) = trace_bounds(spans);
    let services: BTreeSet<&str> = spans.iter().map(|s| s.service_name.as_str()).collect();
    let mut out = format!(
        "trace {trace_id} · {} · {} · {}\n",
        plural(spans.len(), "span", "spans"),
        plural(services.len(), "service", "services"),
        format_duration(end - start),
    );

    let rows = build_rows(spans);
    let name_width = rows.iter().map(|r| width(&r.label)).max().unwrap_or(0);
    let service_width = rows
        .iter()
        .map(|r| width(&clean(&r.span.service_name)))
        .max()
        .unwrap_or(0);
    let kind_width = rows
        .iter()
        .map(|r| r.span.kind.as_str().len())
        .max()
        .unwrap_or(0);
    let durations: Vec<String> = rows
        .iter()
        .map(|r| format_duration(span_end(r.span) - r.span.start_unix_nano))
        .collect();
    let duration_width = durations.iter().map(|d| width(d)).max().unwrap_or(0);

    for (row, duration) in rows.iter().zip(&durations) {
        let mut line = String::new();
        pad_right(&mut line, &row.label, name_width);
        line.push_str(COLUMN_GAP);
        pad_right(&mut line, &clean(&row.span.service_name), service_width);
        line.push_str(COLUMN_GAP);
        pad_right(&mut line, row.span.kind.as_str(), kind_width);
        line.push_str(COLUMN_GAP);
        pad_left(&mut line, duration, duration_width);
        line.push_str(COLUMN_GAP);
        line.push_str(&bar(row.span, start, end));
        if let SpanStatus::Error(message) = &row.span.status {
            let message = clean(message);
            let message = if message.is_empty() {
                "error"
            } else {
                &message
            };
            let _ = write!(line, "  ✗ {message}");
        }
        if let Some(detached) = &row.detached {
            let _ = write!(line, "  {detached}");
        }
        out.push_str(&line);
        out.push('\n');
        for detail in span_details(row.span) {
            let _ = writeln!(out, "{}{detail}", row.detail_prefix);
        }
        for log in logs_by_span
            .remove(row.span.span_id.as_str())
            .unwrap_or_default()
        {
            let _ = writeln!(out, "{}{}", row.detail_prefix, log_line(log));
        }
    }
    for log in unplaced {
        let span = log.span_id.as_deref().unwrap_or("none");
        let _ = writeln!(out, "{}  (span {span} not received)", log_line(log));
    }
    out
}

/// The lines under an observed span: its input and output, abridged to one
/// line each, and for a generation its model, tokens and cost. None for a
/// span that records neither.
fn span_details(span: &CollectedSpan) -> Vec<String> {
    let mut lines = Vec::new();
    for (label, key) in [("in ", langfuse::INPUT), ("out", langfuse::OUTPUT)] {
        if let Some(value) = span.attributes.get(key) {
            lines.push(format!("{label} {}", abridge(&text_of(value), IO_WIDTH)));
        }
    }
    lines.extend(generation_line(span));
    lines
}

/// `model M · tokens I in / O out / T total · $C`, each part only when the
/// span records it; `None` when it records no model, tokens nor cost.
/// Langfuse's attributes come first, then the GenAI conventions' and
/// OpenInference's, so a span written by another instrumentation shows too.
fn generation_line(span: &CollectedSpan) -> Option<String> {
    let model = [
        langfuse::MODEL_NAME,
        gen_ai::RESPONSE_MODEL,
        gen_ai::REQUEST_MODEL,
        openinference::MODEL_NAME,
    ]
    .into_iter()
    .filter_map(|key| span.attr_str(key))
    .find(|model| !model.trim().is_empty());
    let usage = json_object(span, langfuse::USAGE_DETAILS);
    let count = |detail: &str, attribute: &str| {
        usage
            .as_ref()
            .and_then(|usage| usage.get(detail))
            .or_else(|| span.attributes.get(attribute))
            .and_then(Value::as_u64)
    };
    let input = count("input", gen_ai::USAGE_INPUT_TOKENS);
    let output = count("output", gen_ai::USAGE_OUTPUT_TOKENS);
    let total = count("total", openinference::TOKEN_COUNT_TOTAL).or(match (input, output) {
        (None, None) => None,
        (input, output) => Some(input.unwrap_or(0) + output.unwrap_or(0)),
    });
    let cost = json_object(span, langfuse::COST_DETAILS)
        .and_then(|cost| cost.get("total").and_then(Value::as_f64))
        .or_else(|| span.attributes.get(openinference::COST_TOTAL)?.as_f64())
        .filter(|usd| usd.is_finite());

    let mut parts = Vec::new();
    if let Some(model) = model {
        parts.push(format!("model {}", abridge(model, IO_WIDTH)));
    }
    let tokens: Vec<String> = [(input, "in"), (output, "out"), (total, "total")]
        .into_iter()
        .filter_map(|(count, label)| Some(format!("{} {label}", count?)))
        .collect();
    if !tokens.is_empty() {
        parts.push(format!("tokens {}", tokens.join(" / ")));
    }
    if let Some(usd) = cost {
        parts.push(format!("${usd:.6}"));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// A string attribute holding a JSON object (Langfuse's usage and cost
/// details), parsed; `None` when absent or not an object.
fn json_object(span: &CollectedSpan, key: &str) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_str(span.attr_str(key)?) {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    }
}

/// An attribute as text: strings as they are (Langfuse's input and output
/// are JSON text already), anything else as JSON.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `text` on one line of at most `max` characters: control characters
/// become spaces, and a longer text is cut at a character boundary (never
/// inside a multi-byte UTF-8 sequence) and ends with an ellipsis.
fn abridge(text: &str, max: usize) -> String {
    let text = clean(text);
    let text = text.trim();
    if width(text) <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push(ELLIPSIS);
    cut
}

/// Orders spans depth-first into rows with tree prefixes.
fn build_rows<'a>(spans: &[&'a CollectedSpan]) -> Vec<Row<'a>> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (spans[a], spans[b]);
        (a.start_unix_nano, &a.span_id, &a.name, a.end_unix_nano).cmp(&(
            b.start_unix_nano,
            &b.span_id,
            &b.name,
            b.end_unix_nano,
        ))
    });

    let known: BTreeSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for &i in &order {
        match spans[i].parent_span_id.as_deref() {
            Some(parent) if known.contains(parent) => children.entry(parent).or_default().push(i),
            _ => roots.push(i),
        }
    }

    let mut rows = Vec::with_capacity(spans.len());
    let mut visited = vec![false; spans.len()];
    for &root in &roots {
        let detached = spans[root]
            .parent_span_id
            .as_ref()
            .map(|parent| format!("(parent {parent} not received)"));
        walk(spans, &children, root, detached, &mut visited, &mut rows);
    }
    // Spans whose parent chain loops back on itself are unreachable from any
    // root; they must still show up rather than silently vanish.
    for &i in &order {
        if !visited[i] {
            let parent = spans[i].parent_span_id.as_deref().unwrap_or_default();
            let detached = Some(format!("(parent {parent} forms a cycle)"));
            walk(spans, &children, i, detached, &mut visited, &mut rows);
        }
    }
    rows
}

/// Iterative depth-first walk: deep traces must not overflow the stack.
fn walk<'a>(
    spans: &[&'a CollectedSpan],
    children: &HashMap<&str, Vec<usize>>,
    root: usize,
    detached: Option<String>,
    visited: &mut [bool],
    rows: &mut Vec<Row<'a>>,
) {
    // (span index, prefix for its own line, prefix for its children, connector)
    let mut stack: Vec<(usize, String, &'static str)> = vec![(root, String::new(), "")];
    let mut detached = detached;
    while let Some((i, prefix, connector)) = stack.pop() {
        if visited[i] {
            continue;
        }
        visited[i] = true;
        let span = spans[i];
        let label = format!("{prefix}{connector}{}", clean(&span.name));
        let child_prefix = match connector {
            "" => prefix,
            "└─ " => format!("{prefix}   "),
            _ => format!("{prefix}│  "),
        };
        let kids: Vec<usize> = children
            .get(span.span_id.as_str())
            .map(|kids| kids.iter().copied().filter(|&k| !visited[k]).collect())
            .unwrap_or_default();
        let detail_prefix = if kids.is_empty() {
            format!("{child_prefix}   ")
        } else {
            format!("{child_prefix}│  ")
        };
        rows.push(Row {
            span,
            label,
            detached: detached.take(),
            detail_prefix,
        });
        // Pushed in reverse so the earliest child is popped (printed) first.
        for (n, &kid) in kids.iter().enumerate().rev() {
            let connector = if n + 1 == kids.len() {
                "└─ "
            } else {
                "├─ "
            };
            stack.push((kid, child_prefix.clone(), connector));
        }
    }
}

/// Start of the earliest span and end of the latest one.
fn trace_bounds(spans: &[&CollectedSpan]) -> (u64, u64) {
    let start = spans.iter().map(|s| s.start_unix_nano).min().unwrap_or(0);
    let end = spans.iter().map(|s| span_end(s)).max().unwrap_or(start);
    (start, end)
}

/// End time, never before the start (malformed spans render as instants).
fn span_end(span: &CollectedSpan) -> u64 {
    span.end_unix_nano.max(span.start_unix_nano)
}

/// A `BAR_WIDTH`-column timeline of the span within `trace_start..trace_end`.
fn bar(span: &CollectedSpan, trace_start: u64, trace_end: u64) -> String {
    let total = u128::from(trace_end - trace_start);
    let offset = u128::from(span.start_unix_nano - trace_start);
    let length = u128::from(span_end(span) - span.start_unix_nano);
    let cols = BAR_WIDTH as u128;
    let mut cells = vec![BAR_EMPTY; BAR_WIDTH];
    if total == 0 {
        cells[0] = BAR_INSTANT;
    } else if length == 0 {
        let at = ((offset * cols / total) as usize).min(BAR_WIDTH - 1);
        cells[at] = BAR_INSTANT;
    } else {
        let mut from = (offset * cols / total) as usize;
        let to = ((offset + length) * cols).div_ceil(total) as usize;
        let to = to.min(BAR_WIDTH);
        if from >= to {
            from = to.saturating_sub(1);
        }
        cells[from..to].fill(BAR_FILL);
    }
    cells.into_iter().collect()
}

/// Human-friendly duration: ns below 1 µs, then µs / ms / s.
fn format_duration(nanos: u64) -> String {
    let n = nanos as f64;
    if nanos < 1_000 {
        format!("{nanos} ns")
    } else if nanos < 999_950 {
        format!("{:.1} µs", n / 1e3)
    } else if nanos < 999_950_000 {
        format!("{:.1} ms", n / 1e6)
    } else {
        format!("{:.2} s", n / 1e9)
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Control characters (newlines in a span name, ANSI escapes) would break the
/// one-line-per-span layout.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn width(text: &str) -> usize {
    text.chars().count()
}

fn pad_right(out: &mut String, text: &str, to: usize) {
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', to.saturating_sub(width(text))));
}

fn pad_left(out: &mut String, text: &str, to: usize) {
    out.extend(std::iter::repeat_n(' ', to.saturating_sub(width(text))));
    out.push_str(text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collector::SpanKind;

    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const MS: u64 = 1_000_000;

    #[allow(clippy::too_many_arguments)]
    fn span(
        trace: &str,
        id: &str,
        parent: Option<&str>,
        name: &str,
        service: &str,
        kind: SpanKind,
        start_ms: f64,
        end_ms: f64,
    ) -> CollectedSpan {
        CollectedSpan {
            trace_id: trace.into(),
            span_id: id.into(),
            parent_span_id: parent.map(Into::into),
            name: name.into(),
            service_name: service.into(),
            kind,
            start_unix_nano: 1_700_000_000 * 1_000 * MS + (start_ms * MS as f64) as u64,
            end_unix_nano: 1_700_000_000 * 1_000 * MS + (end_ms * MS as f64) as u64,
            ..Default::default()
        }
    }

    /// The weather demo shape, deliberately given out of order.
    fn weather() -> Vec<CollectedSpan> {
        use SpanKind::*;
        let mut forecast = span(
            TRACE,
            "0000000000000005",
            Some("0000000000000002"),
            "tools/call get_forecast",
            "weather-client",
            Client,
            10.0,
            20.0,
        );
        forecast.status = SpanStatus::Error("upstream timeout".into());
        vec![
            forecast,
            span(
                TRACE,
                "0000000000000004",
                Some("0000000000000003"),
                "tools/call get_weather",
                "weather-server",
                Server,
                2.0,
                6.0,
            ),
            span(
                TRACE,
                "0000000000000001",
                None,
                "weather_request",
                "weather-client",
                Internal,
                0.0,
                20.0,
            ),
            span(
                TRACE,
                "0000000000000003",
                Some("0000000000000002"),
                "tools/call get_weather",
                "weather-client",
                Client,
                1.0,
                7.0,
            ),
            span(
                TRACE,
                "0000000000000002",
                Some("0000000000000001"),
                "handle_weather_request",
                "weather-client",
                Internal,
                0.5,
                19.5,
            ),
        ]
    }

    #[test]
    fn renders_nested_tree_with_bars_and_error_marker() {
        let expected = "\
trace 4bf92f3577b34da6a3ce929d0e0e4736 · 5 spans · 2 services · 20.0 ms
weather_request                  weather-client  INTERNAL  20.0 ms  ████████████████████
└─ handle_weather_request        weather-client  INTERNAL  19.0 ms  ████████████████████
   ├─ tools/call get_weather     weather-client  CLIENT     6.0 ms  ·██████·············
   │  └─ tools/call get_weather  weather-server  SERVER     4.0 ms  ··████··············
   └─ tools/call get_forecast    weather-client  CLIENT    10.0 ms  ··········██████████  ✗ upstream timeout
";
        assert_eq!(render(&weather()), expected);
        assert_eq!(render_trace(&weather(), TRACE), expected);
    }

    #[test]
    fn missing_parent_is_an_explicit_extra_root() {
        use SpanKind::*;
        // The client process did not export: the server span's parent is unknown.
        let spans = vec![
            span(
                TRACE,
                "00000000000000a2",
                Some("00f067aa0ba902b7"),
                "tools/call get_weather",
                "weather-server",
                Server,
                2.0,
                4.0,
            ),
            span(
                TRACE,
                "00000000000000a1",
                None,
                "weather_request",
                "weather-client",
                Internal,
                0.0,
                10.0,
            ),
            span(
                TRACE,
                "00000000000000a3",
                Some("00000000000000a2"),
                "fetch",
                "weather-server",
                Client,
                2.5,
                3.0,
            ),
        ];
        let expected = "\
trace 4bf92f3577b34da6a3ce929d0e0e4736 · 3 spans · 2 services · 10.0 ms
weather_request         weather-client  INTERNAL   10.0 ms  ████████████████████
tools/call get_weather  weather-server  SERVER      2.0 ms  ····████············  (parent 00f067aa0ba902b7 not received)
└─ fetch                weather-server  CLIENT    500.0 µs  ·····█··············
";
        assert_eq!(render(&spans), expected);
    }

    #[test]
    fn traces_are_ordered_by_first_start_and_separated() {
        use SpanKind::*;
        let other = "0af7651916cd43dd8448eb211c80319c";
        let spans = vec![
            span(
                TRACE,
                "0000000000000001",
                None,
                "late",
                "a",
                Server,
                5.0,
                5.0,
            ),
            span(
                other,
                "0000000000000009",
                None,
                "early",
                "b",
                Consumer,
                1.0,
                1.0015,
            ),
        ];
        let expected = "\
trace 0af7651916cd43dd8448eb211c80319c · 1 span · 1 service · 1.5 µs
early  b  CONSUMER  1.5 µs  ████████████████████

trace 4bf92f3577b34da6a3ce929d0e0e4736 · 1 span · 1 service · 0 ns
late  a  SERVER  0 ns  ▏···················
";
        assert_eq!(render(&spans), expected);
        assert_eq!(
            render_trace(&spans, other),
            expected.split("\n\n").next().unwrap().to_owned() + "\n"
        );
    }

    #[test]
    fn short_and_instant_spans_stay_visible() {
        use SpanKind::*;
        let spans = vec![
            span(
                TRACE,
                "0000000000000001",
                None,
                "root",
                "s",
                Internal,
                0.0,
                100.0,
            ),
            // 0.1% of the trace: still one block, at its position.
            span(
                TRACE,
                "0000000000000002",
                Some("0000000000000001"),
                "tiny",
                "s",
                Internal,
                50.0,
                50.1,
            ),
            // Zero length at the very end: the instant marker, clamped into the bar.
            span(
                TRACE,
                "0000000000000003",
                Some("0000000000000001"),
                "instant",
                "s",
                Internal,
                100.0,
                100.0,
            ),
        ];
        let text = render(&spans);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[2].ends_with("··········█·········"), "{text}");
        assert!(lines[3].ends_with("···················▏"), "{text}");
    }

    #[test]
    fn cycles_and_odd_input_do_not_hang_or_vanish() {
        use SpanKind::*;
        let mut a = span(
            TRACE,
            "000000000000000a",
            Some("000000000000000b"),
            "a\nb",
            "s",
            Internal,
            0.0,
            1.0,
        );
        a.status = SpanStatus::Error(String::new());
        let b = span(
            TRACE,
            "000000000000000b",
            Some("000000000000000a"),
            "b",
            "s",
            Internal,
            0.5,
            0.2,
        );
        let text = render(&[a, b]);
        let expected = "\
trace 4bf92f3577b34da6a3ce929d0e0e4736 · 2 spans · 1 service · 1.0 ms
a b   s  INTERNAL  1.0 ms  ████████████████████  ✗ error  (parent 000000000000000b forms a cycle)
└─ b  s  INTERNAL    0 ns  ··········▏·········
";
        assert_eq!(text, expected);
    }

    /// `span` with its string attributes set.
    fn with_attributes(mut span: CollectedSpan, attributes: &[(&str, Value)]) -> CollectedSpan {
        for (key, value) in attributes {
            span.attributes.insert((*key).to_string(), value.clone());
        }
        span
    }

    #[test]
    fn observed_spans_show_their_input_and_output_under_them() {
        use SpanKind::*;
        let root = with_attributes(
            span(
                TRACE,
                "0000000000000001",
                None,
                "handle",
                "c",
                Internal,
                0.0,
                10.0,
            ),
            &[
                (langfuse::INPUT, r#"{"location":"Paris"}"#.into()),
                (langfuse::OUTPUT, r#""Sunny, 22°C""#.into()),
            ],
        );
        let first = with_attributes(
            span(
                TRACE,
                "0000000000000002",
                Some("0000000000000001"),
                "tool",
                "s",
                Server,
                1.0,
                4.0,
            ),
            &[(langfuse::OUTPUT, serde_json::json!({"temperature": 22}))],
        );
        // Attributes other than the observation's input and output add nothing.
        let last = with_attributes(
            span(
                TRACE,
                "0000000000000003",
                Some("0000000000000001"),
                "plain",
                "s",
                Internal,
                5.0,
                6.0,
            ),
            &[("mcp.method.name", "tools/call".into())],
        );
        let expected = "\
trace 4bf92f3577b34da6a3ce929d0e0e4736 · 3 spans · 2 services · 10.0 ms
handle    c  INTERNAL  10.0 ms  ████████████████████
│  in  {\"location\":\"Paris\"}
│  out \"Sunny, 22°C\"
├─ tool   s  SERVER     3.0 ms  ··██████············
│     out {\"temperature\":22}
└─ plain  s  INTERNAL   1.0 ms  ··········██········
";
        assert_eq!(render(&[root, first, last]), expected);
    }

    #[test]
    fn spans_without_io_print_one_line_each() {
        let mut spans = weather();
        for span in &mut spans {
            span.attributes
                .insert("gen_ai.tool.name".into(), "get_weather".into());
            span.attributes.insert(langfuse::TYPE.into(), "span".into());
        }
        let text = render(&spans);
        assert_eq!(text.lines().count(), 1 + spans.len(), "{text}");
    }

    #[test]
    fn long_values_are_cut_at_a_character_boundary_with_an_ellipsis() {
        assert_eq!(abridge("short", IO_WIDTH), "short");
        let exact = "x".repeat(IO_WIDTH);
        assert_eq!(abridge(&exact, IO_WIDTH), exact);
        let long = "y".repeat(IO_WIDTH + 1);
        let cut = abridge(&long, IO_WIDTH);
        assert_eq!(cut.chars().count(), IO_WIDTH, "{cut}");
        assert_eq!(cut, format!("{}…", "y".repeat(IO_WIDTH - 1)));
        // Two- and three-byte characters: the cut counts characters, and
        // slicing at a byte position inside one would panic.
        assert_eq!(abridge("22°C in 東京, windy", 10), "22°C in 東…");
        assert_eq!(abridge("東京東京東京", 4), "東京東…");
        // One line, whatever the value holds; no space before the ellipsis.
        assert_eq!(abridge("  a\nb\tc  ", IO_WIDTH), "a b c");
        assert_eq!(abridge("abc def", 5), "abc…");
    }

    #[test]
    fn a_generation_shows_model_tokens_and_cost() {
        use SpanKind::*;
        let generation = with_attributes(
            span(
                TRACE,
                "0000000000000001",
                None,
                "sampling/createMessage",
                "s",
                Client,
                0.0,
                2.0,
            ),
            &[
                (langfuse::INPUT, r#"[{"role":"user"}]"#.into()),
                (langfuse::MODEL_NAME, "local-demo-model".into()),
                (gen_ai::REQUEST_MODEL, "a-hint".into()),
                (
                    langfuse::USAGE_DETAILS,
                    r#"{"input":17,"output":14,"total":31}"#.into(),
                ),
                (
                    langfuse::COST_DETAILS,
                    r#"{"input":0.000017,"output":0.000028,"total":0.000045}"#.into(),
                ),
            ],
        );
        let text = render(&[generation]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[2..],
            [
                r#"   in  [{"role":"user"}]"#,
                "   model local-demo-model · tokens 17 in / 14 out / 31 total · $0.000045",
            ],
            "{text}"
        );
    }

    #[test]
    fn generation_parts_come_from_any_vocabulary_and_only_when_recorded() {
        let line = |attributes: &[(&str, Value)]| {
            generation_line(&with_attributes(CollectedSpan::default(), attributes))
        };
        // GenAI / OpenInference only: the total is input + output.
        assert_eq!(
            line(&[
                (gen_ai::RESPONSE_MODEL, "gpt-4o-mini".into()),
                (gen_ai::USAGE_INPUT_TOKENS, 120.into()),
                (gen_ai::USAGE_OUTPUT_TOKENS, 30.into()),
                (openinference::COST_TOTAL, 0.000123.into()),
            ]),
            Some("model gpt-4o-mini · tokens 120 in / 30 out / 150 total · $0.000123".into())
        );
        assert_eq!(
            line(&[(gen_ai::USAGE_OUTPUT_TOKENS, 7.into())]),
            Some("tokens 7 out / 7 total".into())
        );
        assert_eq!(
            line(&[(openinference::MODEL_NAME, "phi-3".into())]),
            Some("model phi-3".into())
        );
        // Nothing of a generation, an empty model, unreadable details: no line.
        assert_eq!(line(&[]), None);
        assert_eq!(
            line(&[
                (langfuse::MODEL_NAME, " ".into()),
                (langfuse::USAGE_DETAILS, "not json".into()),
                (langfuse::COST_DETAILS, r#"{"total":"free"}"#.into()),
            ]),
            None
        );
    }

    fn log(
        span_id: Option<&str>,
        at_ms: f64,
        severity: &str,
        target: &str,
        body: &str,
    ) -> CollectedLog {
        CollectedLog {
            trace_id: Some(TRACE.into()),
            span_id: span_id.map(Into::into),
            severity_text: severity.into(),
            target: target.into(),
            body: body.into(),
            time_unix_nano: 1_700_000_000 * 1_000 * MS + (at_ms * MS as f64) as u64,
            ..Default::default()
        }
    }

    #[test]
    fn logs_print_under_their_span_and_unplaced_ones_after_the_tree() {
        let logs = vec![
            // Given out of time order.
            log(
                Some("0000000000000004"),
                4.0,
                "WARN",
                "weather_server",
                "slow upstream",
            ),
            log(
                Some("0000000000000004"),
                3.0,
                "INFO",
                "weather_server",
                "looked up\nParis",
            ),
            log(
                Some("0000000000000001"),
                0.2,
                "INFO",
                "weather_client",
                "asking",
            ),
            log(Some("00000000000000ff"), 5.0, "ERROR", "", "lost span"),
            // Another trace: not printed with this one.
            CollectedLog {
                trace_id: Some("0af7651916cd43dd8448eb211c80319c".into()),
                body: "elsewhere".into(),
                ..Default::default()
            },
        ];
        let expected = "\
trace 4bf92f3577b34da6a3ce929d0e0e4736 · 5 spans · 2 services · 20.0 ms
weather_request                  weather-client  INTERNAL  20.0 ms  ████████████████████
│  · INFO weather_client: asking
└─ handle_weather_request        weather-client  INTERNAL  19.0 ms  ████████████████████
   ├─ tools/call get_weather     weather-client  CLIENT     6.0 ms  ·██████·············
   │  └─ tools/call get_weather  weather-server  SERVER     4.0 ms  ··████··············
   │        · INFO weather_server: looked up Paris
   │        · WARN weather_server: slow upstream
   └─ tools/call get_forecast    weather-client  CLIENT    10.0 ms  ··········██████████  ✗ upstream timeout
· ERROR lost span  (span 00000000000000ff not received)
";
        assert_eq!(render_with_logs(&weather(), &logs), expected);
        assert_eq!(render_trace_with_logs(&weather(), &logs, TRACE), expected);
        // Without logs, the old functions' output.
        assert_eq!(render_with_logs(&weather(), &[]), render(&weather()));
    }

    #[test]
    fn durations_are_human_friendly() {
        assert_eq!(format_duration(0), "0 ns");
        assert_eq!(format_duration(999), "999 ns");
        assert_eq!(format_duration(1_000), "1.0 µs");
        assert_eq!(format_duration(999_949), "999.9 µs");
        assert_eq!(format_duration(999_950), "1.0 ms");
        assert_eq!(format_duration(14_200_000), "14.2 ms");
        assert_eq!(format_duration(1_500_000_000), "1.50 s");
        assert_eq!(format_duration(u64::MAX), "18446744073.71 s");
    }
}
