//! Every `#[observe]` option.

use mcp_trace_runtime::observe;

pub struct Connection;

#[observe(name = "renamed")]
fn named() {}

#[observe(as_type = "span")]
fn as_span() {}
#[observe(as_type = "generation")]
fn as_generation() {}
#[observe(as_type = "event")]
fn as_event() {}
#[observe(as_type = "agent")]
fn as_agent() {}
#[observe(as_type = "tool")]
fn as_tool() {}
#[observe(as_type = "chain")]
fn as_chain() {}
#[observe(as_type = "retriever")]
fn as_retriever() {}
#[observe(as_type = "evaluator")]
fn as_evaluator() {}
#[observe(as_type = "embedding")]
fn as_embedding() {}
#[observe(as_type = "guardrail")]
fn as_guardrail() {}

// capture_input = false: no argument needs to be Serialize.
#[observe(capture_input = false)]
fn no_input(connection: Connection, sql: String) -> usize {
    let _ = connection;
    sql.len()
}

#[observe(capture_input = true, capture_output = false)]
fn no_output(x: i64) -> i64 {
    x
}

// capture_output = false: the output need not be Serialize, errors are still recorded.
#[observe(capture_output = false)]
fn no_output_result(x: i64) -> Result<Connection, String> {
    if x < 0 {
        return Err("negative".to_string());
    }
    Ok(Connection)
}

#[observe(skip(a, b))]
fn skip_two(a: Connection, b: Connection, c: i64) -> i64 {
    let _ = (a, b);
    c
}

#[observe(skip_all)]
fn skip_everything(a: Connection, b: Connection) -> i64 {
    let _ = (a, b);
    1
}

#[observe(metadata(region = "eu-west", attempt = 1 + 1, length = location.len()))]
fn with_metadata(location: String) -> String {
    location
}

#[observe(
    name = "everything",
    as_type = "retriever",
    capture_input = true,
    capture_output = true,
    skip(connection),
    metadata(source = "ui", limit = limit),
)]
async fn all_options(connection: Connection, query: String, limit: usize) -> Vec<String> {
    let _ = connection;
    vec![query; limit]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    named();
    as_span();
    as_generation();
    as_event();
    as_agent();
    as_tool();
    as_chain();
    as_retriever();
    as_evaluator();
    as_embedding();
    as_guardrail();
    assert_eq!(no_input(Connection, "abc".to_string()), 3);
    assert_eq!(no_output(4), 4);
    assert!(no_output_result(1).is_ok());
    assert!(no_output_result(-1).is_err());
    assert_eq!(skip_two(Connection, Connection, 3), 3);
    assert_eq!(skip_everything(Connection, Connection), 1);
    assert_eq!(with_metadata("Paris".to_string()), "Paris");
    assert_eq!(all_options(Connection, "q".to_string(), 2).await, ["q", "q"]);
}
