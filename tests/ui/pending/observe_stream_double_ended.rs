//! PENDING (macro/runtime bug): move to `ui/pass` once fixed.
//!
//! `#[observe(stream)]` accepts `impl DoubleEndedIterator` and
//! `impl ExactSizeIterator` (stream_kind in observe/expand.rs), but
//! `ObservedIter` implements only `Iterator`: E0277 "the trait bound
//! `ObservedIter<Range<u32>>: DoubleEndedIterator` is not satisfied".

use mcp_trace_runtime::observe;

#[observe(stream)]
fn numbers(limit: u32) -> impl DoubleEndedIterator<Item = u32> {
    0..limit
}

fn main() {
    assert_eq!(numbers(3).rev().collect::<Vec<_>>(), [2, 1, 0]);
}
