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
