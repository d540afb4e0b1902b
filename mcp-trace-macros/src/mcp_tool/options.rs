//! `#[mcp_tool(…)]` options, parsed into a plain struct.

use proc_macro2::TokenStream;
use syn::{LitBool, LitStr};

#[derive(Default)]
pub struct ToolOptions {
    pub name: Option<LitStr>,
    pub description: Option<LitStr>,
    pub title: Option<LitStr>,
    pub read_only: Option<bool>,
    pub destructive: Option<bool>,
    pub idempotent: Option<bool>,
    pub open_world: Option<bool>,
}

impl ToolOptions {
    pub fn parse(args: TokenStream) -> syn::Result<ToolOptions> {
        let mut options = ToolOptions::default();
        let parser = syn::meta::parser(|meta| {
            let string = |slot: &mut Option<LitStr>| -> syn::Result<()> {
                if slot.is_some() {
                    return Err(meta.error("this option is given twice"));
                }
                *slot = Some(meta.value()?.parse()?);
                Ok(())
            };
            // A hint alone means true; `hint = false` says false explicitly.
            let hint = |slot: &mut Option<bool>| -> syn::Result<()> {
                if slot.is_some() {
                    return Err(meta.error("this option is given twice"));
                }
                *slot = Some(if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<LitBool>()?.value
                } else {
                    true
                });
                Ok(())
            };
            match meta.path.get_ident().map(|ident| ident.to_string()).as_deref() {
                Some("name") => string(&mut options.name),
                Some("description") => string(&mut options.description),
                Some("title") => string(&mut options.title),
                Some("read_only") => hint(&mut options.read_only),
                Some("destructive") => hint(&mut options.destructive),
                Some("idempotent") => hint(&mut options.idempotent),
                Some("open_world") => hint(&mut options.open_world),
                _ => Err(meta.error(
                    "unknown #[mcp_tool] option; expected one of: name = \"…\", description = \"…\", \
                     title = \"…\", read_only, destructive, idempotent, open_world",
                )),
            }
        });
        syn::parse::Parser::parse2(parser, args)?;
        Ok(options)
    }
}
