//! PENDING (macro bug): move to `ui/pass` once fixed.
//!
//! The tail expression of an async body is no longer a coercion site for the
//! declared return type: `run_async::<T, _>(async move { body })` and
//! `in_caller_context::<T, _>(async move { body })` infer the block's output
//! from the body itself, so `&String` is not coerced to `&str`, nor
//! `Box<i64>` to `Box<dyn Display>` (E0271 at the attribute).

use std::fmt::Display;

use mcp_trace_runtime::{observe, with_otel_headers};

pub struct Named {
    name: String,
}

impl Named {
    #[observe]
    async fn name(&self) -> &str {
        &self.name
    }

    #[with_otel_headers]
    async fn name_in_caller_context(&self) -> &str {
        &self.name
    }
}

#[observe(capture_output = false)]
async fn boxed(x: i64) -> Box<dyn Display + Send> {
    Box::new(x)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let named = Named { name: "n".into() };
    assert_eq!(named.name().await, "n");
    assert_eq!(named.name_in_caller_context().await, "n");
    assert_eq!(boxed(1).await.to_string(), "1");
}
