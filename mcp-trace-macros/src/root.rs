//! Where the expansions find the runtime: `::mcp_trace_runtime`, or the path
//! a `crate = …` option gives (a crate that re-exports the runtime,
//! `pub use mcp_trace_runtime as rt;`, writes `crate = my_crate::rt`), and the
//! name of the runtime's hidden module, [`PRIVATE`], which carries the
//! version so that a macro crate and a runtime of different versions fail
//! to compile on that path.
//!
//! A root given to one macro of the stack reaches the macros below it:
//! [`carry`] adds it to the attributes of ours it recognises by name, and an
//! `#[observe]` that takes the body back from a `#[with_otel_headers]` it
//! could not be recognised by adopts the root that macro's expansion starts
//! with (`stack::caller_context_body`).

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr, Path};

use crate::stack::{self, Layer};

/// The runtime's hidden module of re-exports (serde, schemars, inventory…):
/// `__private_` and the version's semver-compatible part (`0_1` for 0.1.x,
/// `1` for 1.x), as in `mcp_trace_runtime`'s `private_module!`. Within one
/// such range cargo resolves one runtime, which pins one macro crate, so this
/// is exactly what can disagree. `tests::the_private_module_carries_the_version`
/// fails when the version moves and this does not.
pub const PRIVATE: &str = "__private_0_1";

/// The option's name: `crate = …`.
pub const OPTION: &str = "crate";

/// What `crate = …` accepts, for its errors and the lists of options.
pub const ACCEPTED: &str = "crate = path";

/// The path every generated path starts with.
#[derive(Clone)]
pub struct Root {
    path: Path,
}

impl Default for Root {
    /// `::mcp_trace_runtime`.
    fn default() -> Root {
        Root {
            path: syn::parse_quote!(::mcp_trace_runtime),
        }
    }
}

impl Root {
    /// The root given, else `::mcp_trace_runtime`.
    pub fn or_default(given: &Option<Root>) -> Root {
        given.clone().unwrap_or_default()
    }

    /// The root as the prefix of a path an expansion recognised
    /// (`stack::is_runtime_path`).
    pub fn from_prefix(path: Path) -> Root {
        Root { path }
    }

    /// `crate = my_crate::rt` or `crate = "my_crate::rt"`, once: a path
    /// without generic arguments.
    pub fn parse(meta: &ParseNestedMeta, slot: &mut Option<Root>) -> syn::Result<()> {
        if slot.is_some() {
            return Err(meta.error("this option is given twice"));
        }
        let value = meta.value()?;
        let error = |span: Span| {
            syn::Error::new(
                span,
                "`crate = …` takes the path of mcp_trace_runtime, or of a module that re-exports it: \
                 `crate = my_crate::rt` (or `crate = \"my_crate::rt\"`) after \
                 `pub use mcp_trace_runtime as rt;`",
            )
        };
        let path = if value.peek(LitStr) {
            let text: LitStr = value.parse()?;
            text.parse_with(Path::parse_mod_style)
                .map_err(|_| error(text.span()))?
        } else {
            value
                .call(Path::parse_mod_style)
                .map_err(|wrong| error(wrong.span()))?
        };
        *slot = Some(Root { path });
        Ok(())
    }

    /// The same root seen from the module a registration emits beside the
    /// function: `self::rt` is `super::rt` there, `super::rt` is
    /// `super::super::rt`; other paths are the same.
    pub fn in_child_module(&self) -> Root {
        let mut path = self.path.clone();
        if path.leading_colon.is_none() {
            if let Some(first) = path.segments.first_mut() {
                if first.ident == "self" {
                    first.ident = syn::Ident::new("super", first.ident.span());
                } else if first.ident == "super" {
                    let span = first.ident.span();
                    path.segments
                        .insert(0, syn::Ident::new("super", span).into());
                }
            }
        }
        Root { path }
    }

    /// `ROOT::__private_0_1`.
    pub fn private(&self) -> TokenStream {
        let private = syn::Ident::new(PRIVATE, Span::call_site());
        quote!(#self::#private)
    }

    /// The root with the default's tokens located at `span` (for errors
    /// reported at the user's code); a root the user gave keeps its own
    /// tokens, so a `$crate` in it still resolves.
    pub fn spanned(&self, span: Span) -> TokenStream {
        if self.is_default() {
            quote_spanned!(span=> ::mcp_trace_runtime)
        } else {
            self.to_token_stream()
        }
    }

    fn is_default(&self) -> bool {
        self.path.leading_colon.is_some()
            && self.path.segments.len() == 1
            && self.path.segments[0].ident == "mcp_trace_runtime"
    }
}

impl ToTokens for Root {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.path.to_tokens(tokens);
    }
}

/// Adds `crate = root` to the attributes below of `#[with_otel_headers]` and
/// `#[observe]` written under their own names that have no `crate = …` of
/// their own. (Registrations below are refused by the order check.)
pub fn carry(root: &Option<Root>, attributes: &mut [Attribute]) {
    let Some(root) = root else { return };
    for attribute in attributes {
        if matches!(
            Layer::of(attribute),
            Some(Layer::WithOtelHeaders | Layer::Observe)
        ) && !has_option(attribute)
        {
            let crate_token = syn::Ident::new(OPTION, Span::call_site());
            *attribute = stack::with_option(attribute, quote!(#crate_token = #root));
        }
    }
}

/// Whether `attribute` says `crate = …` (an option at its top level).
pub fn has_option(attribute: &Attribute) -> bool {
    let syn::Meta::List(list) = &attribute.meta else {
        return false;
    };
    let tokens: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
    tokens
        .split(|token| matches!(token, TokenTree::Punct(punct) if punct.as_char() == ','))
        .any(|option| match option {
            [TokenTree::Ident(name), TokenTree::Punct(equals), ..] => {
                name == OPTION && equals.as_char() == '='
            }
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The semver-compatible part of a version, as cargo groups them:
    /// `0_1` for 0.1.x, `2` for 2.x.
    fn compatible(version: &str) -> String {
        let mut parts = version.split(['.', '-', '+']);
        let major = parts.next().unwrap();
        let minor = parts.next().unwrap();
        if major == "0" {
            format!("0_{minor}")
        } else {
            major.to_string()
        }
    }

    #[test]
    fn the_private_module_carries_the_version() {
        assert_eq!(compatible("0.1.0"), "0_1");
        assert_eq!(compatible("0.12.3-rc.1"), "0_12");
        assert_eq!(compatible("2.0.1"), "2");
        assert_eq!(
            PRIVATE,
            format!("__private_{}", compatible(env!("CARGO_PKG_VERSION"))),
            "the version moved: rename the runtime's private module and PRIVATE together"
        );
    }

    fn parse(args: TokenStream) -> syn::Result<Option<Root>> {
        let mut root = None;
        let parser = syn::meta::parser(|meta| {
            assert!(meta.path.is_ident(OPTION));
            Root::parse(&meta, &mut root)
        });
        syn::parse::Parser::parse2(parser, args)?;
        Ok(root)
    }

    fn text(root: &Root) -> String {
        root.to_token_stream().to_string()
    }

    #[test]
    fn a_path_or_a_string_holding_one() {
        for (args, expected) in [
            (quote!(crate = my_crate::rt), "my_crate :: rt"),
            (quote!(crate = "my_crate::rt"), "my_crate :: rt"),
            (quote!(crate = ::mcp_trace_runtime), ":: mcp_trace_runtime"),
            (quote!(crate = crate::rt), "crate :: rt"),
            (quote!(crate = "self::rt"), "self :: rt"),
            (quote!(crate = rt), "rt"),
        ] {
            let root = parse(args.clone()).unwrap().expect("a root");
            assert_eq!(text(&root), expected, "{args}");
        }
    }

    #[test]
    fn anything_else_is_refused_naming_the_form() {
        for args in [
            quote!(crate = 42),
            quote!(crate = "not a path"),
            quote!(crate = ""),
            quote!(crate = "rt::<T>"),
            quote!(crate = rt, crate = rt),
            quote!(crate),
        ] {
            let error = parse(args.clone()).err().expect("refused").to_string();
            assert!(
                error.contains("crate = my_crate::rt")
                    || error == "this option is given twice"
                    || error.starts_with("expected `=`"),
                "{args}: {error}"
            );
        }
        let error = parse(quote!(crate = 42)).err().unwrap().to_string();
        assert!(
            error.starts_with("`crate = …` takes the path of mcp_trace_runtime"),
            "{error}"
        );
    }

    #[test]
    fn seen_from_the_registration_module() {
        for (root, expected) in [
            (quote!(crate = self::rt), "super :: rt"),
            (quote!(crate = super::rt), "super :: super :: rt"),
            (quote!(crate = crate::rt), "crate :: rt"),
            (quote!(crate = ::mcp_trace_runtime), ":: mcp_trace_runtime"),
            (quote!(crate = rt), "rt"),
        ] {
            let root = parse(root).unwrap().unwrap().in_child_module();
            assert_eq!(text(&root), expected);
        }
    }

    #[test]
    fn carried_to_the_macros_below_without_one() {
        let root = parse(quote!(crate = app::rt)).unwrap();
        let mut attributes: Vec<Attribute> = vec![
            syn::parse_quote!(#[with_otel_headers]),
            syn::parse_quote!(#[observe(name = "x",)]),
            syn::parse_quote!(#[doc = "kept"]),
        ];
        carry(&root, &mut attributes);
        let written: Vec<String> = attributes
            .iter()
            .map(|attribute| attribute.to_token_stream().to_string())
            .collect();
        assert_eq!(
            written,
            [
                "# [with_otel_headers (crate = app :: rt)]",
                "# [observe (name = \"x\" , crate = app :: rt)]",
                "# [doc = \"kept\"]",
            ]
        );
        // Their own root wins; none given carries nothing.
        let mut own: Vec<Attribute> = vec![syn::parse_quote!(#[observe(crate = other::rt)])];
        carry(&root, &mut own);
        assert_eq!(
            own[0].to_token_stream().to_string(),
            "# [observe (crate = other :: rt)]"
        );
        let mut none: Vec<Attribute> = vec![syn::parse_quote!(#[observe])];
        carry(&None, &mut none);
        assert_eq!(none[0].to_token_stream().to_string(), "# [observe]");
    }
}
