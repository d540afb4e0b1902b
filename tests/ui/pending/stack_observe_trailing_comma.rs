//! PENDING (macro bug): move to `ui/pass` once fixed.
//!
//! `#[with_otel_headers]` appends `, __in_caller_context` to the options of
//! the `#[observe]` below it; after a trailing comma that makes `, ,` and
//! `#[observe]` fails with "unexpected token in nested attribute, expected
//! ident", reported at `#[with_otel_headers]`.

use mcp_trace_runtime::{observe, with_otel_headers};

#[with_otel_headers]
#[observe(as_type = "tool",)]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {
    assert_eq!(add(1, 2), 3);
}
