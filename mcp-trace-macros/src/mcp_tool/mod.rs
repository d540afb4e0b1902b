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
        stack::check(Layer::McpTool, &function)?;
        expand::validate(&function)?;
        expand::expand(&options, &mut function)
    })();
    result.unwrap_or_else(|error| {
        let mut tokens = error.to_compile_error();
        tokens.extend(without_parameter_attributes(item));
        tokens
    })
}

/// The item as written, minus the `#[doc]` / `#[default]` on its parameters
/// that only `#[mcp_tool]` understands, so that one error does not bring two
/// more about attributes Rust rejects on parameters.
fn without_parameter_attributes(item: TokenStream) -> TokenStream {
    let Ok(mut function) = syn::parse2::<syn::ItemFn>(item.clone()) else {
        return item;
    };
    for input in function.sig.inputs.iter_mut() {
        if let syn::FnArg::Typed(typed) = input {
            typed.attrs.retain(|attribute| {
                !attribute.path().is_ident("doc") && !attribute.path().is_ident("default")
            });
        }
    }
    quote::quote!(#function)
}
