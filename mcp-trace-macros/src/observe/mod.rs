//! `#[observe]`: parse the options, check the item, expand.

mod expand;
mod options;

use proc_macro2::TokenStream;

use crate::function::Function;
use crate::stack::{self, Layer};

pub use options::IN_CALLER_CONTEXT;

pub fn entry(args: TokenStream, item: TokenStream) -> TokenStream {
    let result = (|| {
        let options = options::ObserveOptions::parse(args)?;
        let function = Function::parse(Layer::Observe, item.clone())?;
        stack::check_below(Layer::Observe, &function.item.attrs)?;
        expand::expand(&options, &function)
    })();
    result.unwrap_or_else(|error| {
        // Keep the item so later errors (e.g. in the body) are still reported.
        let mut tokens = error.to_compile_error();
        tokens.extend(item);
        tokens
    })
}
