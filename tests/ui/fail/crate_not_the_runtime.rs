// A root that is not the runtime, and one that stands for a runtime of
// another version (all of its API but the hidden module, whose name carries
// the version): the errors name the path that is missing.
mod not_the_runtime {}

mod other_version {
    pub use mcp_trace_runtime::prompt;
}

#[mcp_trace_runtime::observe(crate = crate::not_the_runtime)]
fn observed() {}

#[mcp_trace_runtime::mcp_prompt(crate = crate::other_version)]
fn prompt() -> String {
    String::new()
}

fn main() {}
