//! The annotated function: parsed, checked for what the macros support, and
//! described in the terms the expansions need (async or not, what it
//! returns, which arguments it has).

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, Item, ItemFn, Pat, ReturnType, Type};

use crate::stack::Layer;

/// A function one of the macros may wrap.
pub struct Function {
    pub item: ItemFn,
}

/// What the function returns, as far as recording its outcome is concerned.
pub enum Returns {
    /// No return type.
    Unit,
    /// `Result<…>` (any path ending in `Result`): `Err` is the error to record.
    Result,
    /// A type containing `impl Trait`: not nameable, so neither annotated nor serialized.
    Opaque,
    /// Any other type: serialized as the output.
    Value,
}

/// A named argument (`self` excluded).
pub struct Argument<'a> {
    pub ident: &'a Ident,
    pub span: Span,
}

impl Function {
    /// Parses `item` for `layer`, refusing what cannot be wrapped, with an
    /// error pointing at the offending item or token.
    pub fn parse(layer: Layer, item: TokenStream) -> syn::Result<Function> {
        let item: ItemFn = match syn::parse2::<ItemFn>(item.clone()) {
            Ok(function) => function,
            Err(_) => return Err(unsupported_item(layer, item)),
        };
        let supported = if layer.is_registration() {
            "free functions (sync or async)"
        } else {
            "functions and methods (sync or async)"
        };
        if let Some(constness) = &item.sig.constness {
            return Err(syn::Error::new_spanned(
                constness,
                format!(
                    "#[{}] cannot apply to a `const fn`: tracing happens at run time; it supports {supported}",
                    layer.name()
                ),
            ));
        }
        if let Some(abi) = &item.sig.abi {
            return Err(syn::Error::new_spanned(
                abi,
                format!(
                    "#[{}] cannot apply to an `extern` function; it supports {supported}",
                    layer.name()
                ),
            ));
        }
        Ok(Function { item })
    }

    pub fn is_async(&self) -> bool {
        self.item.sig.asyncness.is_some()
    }

    pub fn name(&self) -> &Ident {
        &self.item.sig.ident
    }

    pub fn returns(&self) -> Returns {
        match &self.item.sig.output {
            ReturnType::Default => Returns::Unit,
            ReturnType::Type(_, ty) if contains_impl_trait(ty.to_token_stream()) => Returns::Opaque,
            ReturnType::Type(_, ty) => match &**ty {
                Type::Tuple(tuple) if tuple.elems.is_empty() => Returns::Unit,
                Type::Path(path)
                    if path
                        .path
                        .segments
                        .last()
                        .is_some_and(|segment| segment.ident == "Result") =>
                {
                    Returns::Result
                }
                _ => Returns::Value,
            },
        }
    }

    /// The return type when it can be written in a `let` (not `impl Trait`).
    pub fn nameable_return_type(&self) -> Option<TokenStream> {
        match (&self.item.sig.output, self.returns()) {
            (_, Returns::Opaque) => None,
            (ReturnType::Default, _) => Some(quote!(())),
            (ReturnType::Type(_, ty), _) => Some(ty.to_token_stream()),
        }
    }

    /// The type of the value a caller gets: the return type, or the `Ok`
    /// type of a `Result<T, E>` (any path ending in `Result`, so aliases
    /// like `anyhow::Result<T>` too); `None` for unit and `impl Trait`
    /// returns, and for a `Result` alias without arguments.
    pub fn value_type(&self) -> Option<&Type> {
        let ReturnType::Type(_, ty) = &self.item.sig.output else {
            return None;
        };
        match self.returns() {
            Returns::Unit | Returns::Opaque => None,
            Returns::Value => Some(ty),
            Returns::Result => {
                let Type::Path(path) = &**ty else { return None };
                let syn::PathArguments::AngleBracketed(arguments) =
                    &path.path.segments.last()?.arguments
                else {
                    return None;
                };
                arguments.args.iter().find_map(|argument| match argument {
                    syn::GenericArgument::Type(ty) => Some(ty),
                    _ => None,
                })
            }
        }
    }

    /// The return type's span, or the name's when there is none.
    pub fn return_span(&self) -> Span {
        match &self.item.sig.output {
            ReturnType::Type(_, ty) => ty.span(),
            ReturnType::Default => self.item.sig.ident.span(),
        }
    }

    /// The body of an `async` function as an `async move` block whose
    /// output is the return type: the tail is checked (and coerced) against
    /// it like the function's own tail, so `&String` still becomes `&str` and
    /// a type error points at the user's expression, and `?` and `return`
    /// infer. (`_value`: a body that always diverges leaves it unused.)
    pub fn async_body(&self) -> TokenStream {
        let block = &self.item.block;
        match self.nameable_return_type() {
            Some(ty) => {
                let value = Ident::new("_value", Span::mixed_site());
                quote! {
                    async move {
                        let #value: #ty = #block;
                        #[allow(unreachable_code)]
                        #value
                    }
                }
            }
            None => quote!(async move #block),
        }
    }

    /// `-> T` for a closure taking the body of a sync function, for the same reasons.
    pub fn closure_return(&self) -> TokenStream {
        match self.nameable_return_type() {
            Some(ty) => quote!(-> #ty),
            None => TokenStream::new(),
        }
    }

    /// The function's name without a raw-identifier prefix (`r#match` → `match`).
    pub fn plain_name(&self) -> String {
        syn::ext::IdentExt::unraw(&self.item.sig.ident).to_string()
    }

    pub fn receiver(&self) -> Option<&syn::Receiver> {
        self.item.sig.inputs.iter().find_map(|input| match input {
            FnArg::Receiver(receiver) => Some(receiver),
            FnArg::Typed(_) => None,
        })
    }

    /// Named arguments; patterns other than a plain identifier are refused
    /// when `layer` needs a name for every argument.
    pub fn arguments(&self) -> Vec<Argument<'_>> {
        self.item
            .sig
            .inputs
            .iter()
            .filter_map(|input| match input {
                FnArg::Typed(typed) => match &*typed.pat {
                    Pat::Ident(pat) => Some(Argument {
                        ident: &pat.ident,
                        span: typed.span(),
                    }),
                    _ => None,
                },
                FnArg::Receiver(_) => None,
            })
            .collect()
    }

    /// Every argument that is not a plain identifier.
    pub fn pattern_arguments(&self) -> impl Iterator<Item = &syn::PatType> {
        self.item.sig.inputs.iter().filter_map(|input| match input {
            FnArg::Typed(typed) if !matches!(&*typed.pat, Pat::Ident(_)) => Some(typed),
            _ => None,
        })
    }

    /// The function with its body replaced by `body`.
    pub fn with_body(&self, body: TokenStream) -> TokenStream {
        let ItemFn {
            attrs, vis, sig, ..
        } = &self.item;
        quote! {
            #(#attrs)*
            #vis #sig {
                #body
            }
        }
    }
}

fn unsupported_item(layer: Layer, tokens: TokenStream) -> syn::Error {
    let what = match syn::parse2::<Item>(tokens.clone()) {
        Ok(Item::Struct(_)) => "a struct",
        Ok(Item::Enum(_)) => "an enum",
        Ok(Item::Impl(_)) => "an impl block (put it on the methods)",
        Ok(Item::Mod(_)) => "a module",
        Ok(Item::Trait(_)) => "a trait",
        Ok(Item::Const(_)) | Ok(Item::Static(_)) => "a constant or static",
        Ok(Item::Verbatim(_)) | Err(_) => "a function without a body, or not a function",
        Ok(_) => "this item",
    };
    let supported = if layer.is_registration() {
        "free functions (sync or async) with a body"
    } else {
        "functions and methods (sync or async) with a body"
    };
    syn::Error::new_spanned(
        tokens,
        format!("#[{}] applies to {supported}, not to {what}", layer.name()),
    )
}

fn contains_impl_trait(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => contains_impl_trait(group.stream()),
        _ => false,
    })
}
