use mcp_trace_runtime::observe;

struct Connection;

#[observe]
fn query(connection: Connection, sql: String) -> usize {
    let _ = connection;
    sql.len()
}

fn main() {}
