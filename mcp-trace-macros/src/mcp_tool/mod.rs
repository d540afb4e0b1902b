//! `#[mcp_tool]`: parse the options, check the item, expand.

mod expand;
mod options;

use proc_macro2::TokenStream;

use crate::function::Function;
use crate::stack::{self, Layer};

pub fn entry(args: TokenStream, item: TokenStream) -> TokenStream {
    let result = (|| {
        let options = options::ToolOptions::parse(args)?;
        let mut function = Function::parse(Layer::McpTool, item.clone())?;
        stack::check_below(Layer::McpTool, &function.item.attrs)?;
        expand::validate(&function)?;
        expand::expand(&options, &mut function)
    })();
    result.unwrap_or_else(|error| {
        let mut tokens = error.to_compile_error();
        tokens.extend(item);
        tokens
    })
}
