use mcp_trace_runtime::observe;

#[observe(stream)]
fn numbers(limit: u32) -> impl DoubleEndedIterator<Item = u32> {
    0..limit
}

fn main() {
    assert_eq!(numbers(3).rev().collect::<Vec<_>>(), [2, 1, 0]);
}
