//! `#[mcp_resource(…)]` options, parsed into a plain struct.

use proc_macro2::{Span, TokenStream};
use syn::LitStr;

use crate::registration::{self, string, unknown};
use crate::root::Root;
use crate::stack::Layer;

/// Where the resource lives, as written.
pub enum Uri {
    /// `uri = "…"`.
    Fixed(LitStr),
    /// `uri_template = "…"`.
    Template(LitStr),
}

pub struct ResourceOptions {
    pub uri: Uri,
    pub name: Option<LitStr>,
    pub title: Option<LitStr>,
    pub description: Option<LitStr>,
    pub mime_type: Option<LitStr>,
    /// `crate = path`: the root of the emitted paths.
    pub root: Option<Root>,
}

impl registration::Options for ResourceOptions {
    fn root(&self) -> &Option<Root> {
        &self.root
    }

    fn parse(args: TokenStream) -> syn::Result<ResourceOptions> {
        let (mut uri, mut uri_template) = (None, None);
        let (mut name, mut title, mut description, mut mime_type) = (None, None, None, None);
        let mut root = None;
        let parser = syn::meta::parser(|meta| {
            match meta
                .path
                .get_ident()
                .map(|ident| ident.to_string())
                .as_deref()
            {
                Some("uri") => string(&meta, &mut uri),
                Some("uri_template") => string(&meta, &mut uri_template),
                Some("name") => string(&meta, &mut name),
                Some("crate") => Root::parse(&meta, &mut root),
                Some("title") => string(&meta, &mut title),
                Some("description") => string(&meta, &mut description),
                Some("mime_type") => string(&meta, &mut mime_type),
                _ => Err(unknown(
                    &meta,
                    Layer::McpResource,
                    "uri = \"…\" or uri_template = \"…\", name = \"…\", title = \"…\", \
                     description = \"…\", mime_type = \"…\"",
                )),
            }
        });
        syn::parse::Parser::parse2(parser, args)?;
        let uri =
            match (uri, uri_template) {
                (Some(uri), None) => Uri::Fixed(uri),
                (None, Some(template)) => Uri::Template(template),
                (Some(_), Some(template)) => {
                    return Err(syn::Error::new(
                        template.span(),
                        "#[mcp_resource] takes `uri` or `uri_template`, not both: \
                     a fixed URI, or a template whose variables are the parameters",
                    ))
                }
                (None, None) => return Err(syn::Error::new(
                    Span::call_site(),
                    "#[mcp_resource] needs its URI: `uri = \"test://static\"` for a fixed one, \
                     or `uri_template = \"test://items/{id}\"` whose variables are the parameters",
                )),
            };
        Ok(ResourceOptions {
            uri,
            name,
            title,
            description,
            mime_type,
            root,
        })
    }
}
