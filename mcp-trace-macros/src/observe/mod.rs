//! `#[observe]`: parse the options, check the item, expand.

mod expand;
mod options;

use proc_macro2::TokenStream;

use crate::function::Function;
use crate::stack::{self, Layer};

pub use options::IN_CALLER_CONTEXT;

pub fn entry(args: TokenStream, item: TokenStream) -> TokenStream {
    let result = (|| {
        let mut options = options::ObserveOptions::parse(args)?;
        let mut function = Function::parse(Layer::Observe, item.clone())?;
        stack::check(Layer::Observe, &function)?;
        // Below a `#[with_otel_headers]` imported under another name, which
        // could not hand its job over and wrapped the body: take the body
        // back and open the observation in the caller's context, as in the
        // hand-off (wrapping it would open the span outside that context).
        // Without a root of its own, it takes the root of that wrapping.
        if let Some((body, root)) = stack::caller_context_body(&function) {
            *function.item.block = body;
            options.in_caller_context = true;
            options.root.get_or_insert(root);
        }
        expand::expand(&options, &function)
    })();
    result.unwrap_or_else(|error| {
        // Keep the item so later errors (e.g. in the body) are still reported.
        let mut tokens = error.to_compile_error();
        tokens.extend(item);
        tokens
    })
}
