//! What the three registration macros (`#[mcp_tool]`, `#[mcp_resource]`,
//! `#[mcp_prompt]`) share: the entry point (options → item → order check →
//! what a registration refuses → expansion), the parameters with the
//! attributes only these macros understand (`#[doc]`, `#[default(…)]`,
//! `#[complete(…)]`, taken off the emitted function), descriptions from doc
//! comments, completions, and the options parser's helpers.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, FnArg, Ident, LitBool, LitStr, Meta, Type};

use crate::function::Function;
use crate::root::{self, Root};
use crate::stack::{self, Layer};

/// What the registration macros' options have in common.
pub trait Options: Sized {
    fn parse(args: TokenStream) -> syn::Result<Self>;
    /// `crate = path`, when given.
    fn root(&self) -> &Option<Root>;
}

/// The parameter attributes the registration macros read and remove.
const PARAMETER_ATTRIBUTES: [&str; 4] = ["doc", "default", "complete", "rename"];

/// Parses the options, the item, checks the stack and what every
/// registration refuses, gives the root (`crate = …`) to the macros of the
/// stack below, then expands with `expand`. On error, the item is kept
/// (minus the parameter attributes Rust would reject) so that errors in its
/// body are still reported.
pub fn entry<O: Options>(
    layer: Layer,
    args: TokenStream,
    item: TokenStream,
    expand: fn(&O, &mut Function) -> syn::Result<TokenStream>,
) -> TokenStream {
    let result = (|| {
        let options = O::parse(args)?;
        let mut function = Function::parse(layer, item.clone())?;
        stack::check(layer, &function)?;
        validate(layer, &function)?;
        root::carry(options.root(), &mut function.item.attrs);
        expand(&options, &mut function)
    })();
    result.unwrap_or_else(|error| {
        let mut tokens = error.to_compile_error();
        tokens.extend(without_parameter_attributes(item));
        tokens
    })
}

/// What no registration can register, with errors pointing at the cause.
fn validate(layer: Layer, function: &Function) -> syn::Result<()> {
    let (name, registers) = (layer.name(), layer.registers());
    if let Some(receiver) = function.receiver() {
        return Err(syn::Error::new_spanned(
            receiver,
            format!(
                "#[{name}] registers free functions; a method taking `self` is not supported \
                 (call it from a free function)"
            ),
        ));
    }
    let generics = &function.item.sig.generics;
    if !generics.params.is_empty() {
        let needs = match layer {
            Layer::McpTool => "schema needs",
            _ => "arguments need",
        };
        return Err(syn::Error::new_spanned(
            generics,
            format!("#[{name}] cannot register a generic function: the {registers}'s {needs} concrete types"),
        ));
    }
    if let Some(pattern) = function.pattern_arguments().next() {
        let meaning = match layer {
            Layer::McpTool => "the argument's name in the tool's schema",
            Layer::McpResource => "the template variable it receives",
            _ => "the prompt argument's name",
        };
        return Err(syn::Error::new_spanned(
            &pattern.pat,
            format!("#[{name}] needs a plain name for every parameter: it is {meaning}"),
        ));
    }
    Ok(())
}

/// One parameter of the registered function.
pub struct Parameter {
    /// As written (`r#type` included).
    pub ident: Ident,
    /// Its name on the wire (`type` for `r#type`, or what `#[rename = "…"]`
    /// says).
    pub name: String,
    /// `#[rename = "…"]`: the attribute, when given.
    pub rename: Option<Attribute>,
    pub ty: Type,
    /// The whole `name: Type`, for errors.
    pub span: Span,
    /// `#[doc]` attributes (its doc comment).
    pub docs: Vec<Attribute>,
    /// `#[default(value)]`: the attribute and the value.
    pub default: Option<(Attribute, Expr)>,
    /// `#[complete(function)]`: the attribute and the function.
    pub complete: Option<(Attribute, syn::Path)>,
}

impl Parameter {
    /// Its doc comment, as one description.
    pub fn description(&self) -> String {
        doc_text(&self.docs)
    }

    /// `T` when its type is `Option<T>` (any path ending in `Option`).
    pub fn option_inner(&self) -> Option<&Type> {
        let Type::Path(path) = &self.ty else {
            return None;
        };
        let segment = path.path.segments.last()?;
        if segment.ident != "Option" {
            return None;
        }
        let syn::PathArguments::AngleBracketed(arguments) = &segment.arguments else {
            return None;
        };
        match arguments.args.first() {
            Some(syn::GenericArgument::Type(ty)) if arguments.args.len() == 1 => Some(ty),
            _ => None,
        }
    }
}

/// Removes `#[doc]`, `#[default(…)]`, `#[complete(…)]` and `#[rename = "…"]` from the
/// parameters (Rust accepts none of them there) and returns the parameters
/// with them. (`validate` has refused parameters that are not plain names.)
pub fn take_parameters(function: &mut Function) -> syn::Result<Vec<Parameter>> {
    let mut parameters = Vec::new();
    for input in function.item.sig.inputs.iter_mut() {
        let FnArg::Typed(typed) = input else { continue };
        let syn::Pat::Ident(pat) = &*typed.pat else {
            continue;
        };
        let mut parameter = Parameter {
            ident: pat.ident.clone(),
            name: syn::ext::IdentExt::unraw(&pat.ident).to_string(),
            ty: (*typed.ty).clone(),
            span: typed.span(),
            docs: Vec::new(),
            default: None,
            complete: None,
            rename: None,
        };
        let mut kept = Vec::new();
        for attribute in typed.attrs.drain(..) {
            if attribute.path().is_ident("doc") {
                parameter.docs.push(attribute);
            } else if attribute.path().is_ident("default") {
                let Meta::List(list) = &attribute.meta else {
                    return Err(syn::Error::new_spanned(
                        &attribute,
                        "write the default value in parentheses: #[default(3)]",
                    ));
                };
                let value = list.parse_args::<Expr>()?;
                parameter.default = Some((attribute, value));
            } else if attribute.path().is_ident("rename") {
                let renamed =
                    match &attribute.meta {
                        Meta::NameValue(syn::MetaNameValue {
                            value:
                                Expr::Lit(syn::ExprLit {
                                    lit: syn::Lit::Str(name),
                                    ..
                                }),
                            ..
                        }) if !name.value().is_empty() => name.value(),
                        _ => return Err(syn::Error::new_spanned(
                            &attribute,
                            "write the name on the wire as a string: #[rename = \"resourceUri\"]",
                        )),
                    };
                parameter.name = renamed;
                parameter.rename = Some(attribute);
            } else if attribute.path().is_ident("complete") {
                let Meta::List(list) = &attribute.meta else {
                    return Err(syn::Error::new_spanned(
                        &attribute,
                        "name the completion function in parentheses: #[complete(cities)], \
                         a `fn(&str) -> Vec<String>` from what the user typed to suggestions",
                    ));
                };
                let function = list.parse_args::<syn::Path>()?;
                parameter.complete = Some((attribute, function));
            } else {
                kept.push(attribute);
            }
        }
        typed.attrs = kept;
        parameters.push(parameter);
    }
    Ok(parameters)
}

/// The item as written, minus the parameter attributes only the
/// registration macros understand, so that one error does not bring more
/// about attributes Rust rejects on parameters.
pub fn without_parameter_attributes(item: TokenStream) -> TokenStream {
    let Ok(mut function) = syn::parse2::<syn::ItemFn>(item.clone()) else {
        return item;
    };
    for input in function.sig.inputs.iter_mut() {
        if let FnArg::Typed(typed) = input {
            typed.attrs.retain(|attribute| {
                !PARAMETER_ATTRIBUTES
                    .iter()
                    .any(|name| attribute.path().is_ident(name))
            });
        }
    }
    quote!(#function)
}

/// Refuses a parameter attribute `layer` has no use for.
pub fn refuse(attribute: Option<&Attribute>, message: &str) -> syn::Result<()> {
    match attribute {
        Some(attribute) => Err(syn::Error::new_spanned(attribute, message)),
        None => Ok(()),
    }
}

/// `.completions(&[…])` from the `#[complete(…)]` parameters, or nothing.
/// Each function is spanned as written, so a wrong signature is reported at it.
pub fn completions(runtime: &TokenStream, parameters: &[Parameter]) -> TokenStream {
    let entries: Vec<TokenStream> = parameters
        .iter()
        .filter_map(|parameter| {
            let (_, function) = parameter.complete.as_ref()?;
            let name = &parameter.name;
            let complete = quote_spanned!(function.span()=> #function);
            Some(quote!(#runtime::ArgumentCompletion { argument: #name, complete: #complete }))
        })
        .collect();
    if entries.is_empty() {
        TokenStream::new()
    } else {
        quote!(.completions(&[#(#entries),*]))
    }
}

/// `.defined_at(…)`: the function's path. Written inside the module of the
/// function's name, `module_path!()` is exactly `crate::…::function`.
/// What a registration's module holds besides its adapter: the definition
/// constant (`TOOL`, `RESOURCE`, `PROMPT`) submitted to the registry.
pub struct Definition {
    /// What the module registers, for its doc: "the MCP tool `get_weather`".
    pub what: String,
    /// `TOOL`, `RESOURCE` or `PROMPT`.
    pub constant: &'static str,
    /// The constant's doc comment.
    pub doc: &'static str,
    /// Its type, e.g. `ROOT::tool::ToolDefinition`.
    pub ty: TokenStream,
    /// Its value: the definition's builder chain.
    pub value: TokenStream,
}

/// The root of the paths in the module a registration emits (`root` seen
/// from inside it), given or the default.
pub fn module_root(root: &Option<Root>) -> Root {
    Root::or_default(root).in_child_module()
}

/// The expansion of every registration macro: the function as written (its
/// parameter attributes taken off), and beside it a module of its name with
/// `items` (argument struct, adapter…) and the definition constant, which is
/// submitted to the link-time registry through `root` (as `module_root` gives it).
pub fn module(
    function: &Function,
    root: &Root,
    items: TokenStream,
    definition: Definition,
) -> TokenStream {
    let item = &function.item;
    let vis = &item.vis;
    let function_name = function.name();
    let module_doc = format!(
        "Registration of [`{function_name}`] as {}.",
        definition.what
    );
    let Definition {
        constant,
        doc,
        ty,
        value,
        ..
    } = definition;
    let constant = Ident::new(constant, Span::call_site());
    let private = root.private();
    quote! {
        #item

        #[doc = #module_doc]
        #[allow(non_snake_case)]
        #vis mod #function_name {
            #[allow(unused_imports)]
            use super::*;

            #items

            #[doc = #doc]
            pub const #constant: #ty = #value;

            #private::inventory::submit!(#constant);
        }
    }
}

pub fn defined_at() -> TokenStream {
    quote!(.defined_at(::core::module_path!()))
}

/// The description: the `description` option, else the doc comment.
pub fn description(option: &Option<LitStr>, attributes: &[Attribute]) -> String {
    match option {
        Some(description) => description.value(),
        None => doc_text(attributes),
    }
}

/// The doc comment's text, lines joined, as MCP descriptions expect.
pub fn doc_text(attributes: &[Attribute]) -> String {
    let lines: Vec<String> = attributes
        .iter()
        .filter(|attribute| attribute.path().is_ident("doc"))
        .filter_map(|attribute| match &attribute.meta {
            Meta::NameValue(name_value) => match &name_value.value {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }) => Some(text.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| {
            line.strip_prefix(' ')
                .unwrap_or(&line)
                .trim_end()
                .to_string()
        })
        .collect();
    lines.join("\n").trim().to_string()
}

/// `option = "…"`, once.
pub fn string(meta: &ParseNestedMeta, slot: &mut Option<LitStr>) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error("this option is given twice"));
    }
    *slot = Some(meta.value()?.parse()?);
    Ok(())
}

/// `option` (true) or `option = true | false`, once.
pub fn flag(meta: &ParseNestedMeta, slot: &mut Option<bool>) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error("this option is given twice"));
    }
    *slot = Some(if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<LitBool>()?.value
    } else {
        true
    });
    Ok(())
}

/// The error for an option `layer` does not know, listing what it accepts.
pub fn unknown(meta: &ParseNestedMeta, layer: Layer, accepted: &str) -> syn::Error {
    meta.error(format!(
        "unknown #[{}] option; expected one of: {accepted}, {}",
        layer.name(),
        root::ACCEPTED
    ))
}
