//! The fix the error of `fail/observe_arg_not_serialize.rs` suggests.

use mcp_trace_runtime::observe;

struct Connection;

#[observe(skip(connection))]
fn query(connection: Connection, sql: String) -> usize {
    let _ = connection;
    sql.len()
}

fn main() {
    assert_eq!(query(Connection, "select 1".to_string()), 8);
}
