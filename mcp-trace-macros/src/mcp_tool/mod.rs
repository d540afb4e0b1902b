//! `#[mcp_tool]`: parse the options, check the item, expand
//! (`registration::entry`).

mod expand;
mod options;

use proc_macro2::TokenStream;

use crate::registration;
use crate::stack::Layer;

pub fn entry(args: TokenStream, item: TokenStream) -> TokenStream {
    registration::entry::<options::ToolOptions>(Layer::McpTool, args, item, expand::expand)
}
