//! The expansion of `#[mcp_resource]`: the function itself (parameter
//! attributes removed), and beside it a module of the same name holding the
//! read adapter and `RESOURCE`, submitted to the resource registry. A
//! template's variables are the function's parameters, matched by name.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, LitStr};

use super::options::{ResourceOptions, Uri};
use crate::function::Function;
use crate::registration;

pub fn expand(options: &ResourceOptions, function: &mut Function) -> syn::Result<TokenStream> {
    let parameters = registration::take_parameters(function)?;
    for parameter in &parameters {
        registration::refuse(
            parameter.default.as_ref().map(|(attribute, _)| attribute),
            "a template variable has no default: it is always part of the URI read",
        )?;
    }
    let (uri, variables) = match &options.uri {
        Uri::Fixed(uri) => {
            if let Some(parameter) = parameters.first() {
                return Err(syn::Error::new(
                    parameter.span,
                    "a resource with a fixed `uri` takes no parameters; \
                     for variables, use `uri_template = \"…/{name}\"` with one parameter per variable",
                ));
            }
            (uri, Vec::new())
        }
        Uri::Template(template) => (template, template_variables(template)?),
    };
    for variable in &variables {
        if !parameters
            .iter()
            .any(|parameter| &parameter.name == variable)
        {
            return Err(syn::Error::new(
                uri.span(),
                format!(
                    "the template variable `{variable}` has no parameter: add `{variable}: T` \
                     (T: FromStr) to the function"
                ),
            ));
        }
    }
    if let Some(parameter) = parameters
        .iter()
        .find(|parameter| !variables.contains(&parameter.name))
    {
        return Err(syn::Error::new(
            parameter.span,
            format!(
                "`{}` is not a variable of the template {:?}: a resource's parameters are its \
                 template's variables, `{{{}}}`",
                parameter.name,
                uri.value(),
                parameter.name
            ),
        ));
    }

    let root = registration::module_root(&options.root);
    let resource = quote!(#root::resource);
    let function_name = function.name().clone();
    let name = match &options.name {
        Some(name) => name.value(),
        None => function.plain_name(),
    };
    let description = registration::description(&options.description, &function.item.attrs);
    let of = format!("resource {}", uri.value());

    let request = Ident::new("request", Span::mixed_site());
    // Located at the return type, for errors about what it returns.
    let output = Ident::new(
        "output",
        Span::mixed_site().located_at(function.return_span()),
    );
    let read = format_ident!("__mcp_resource_read");
    let bindings: Vec<Ident> = (0..parameters.len())
        .map(|index| Ident::new(&format!("argument{index}"), Span::mixed_site()))
        .collect();
    let parse = parameters
        .iter()
        .zip(&bindings)
        .map(|(parameter, binding)| {
            let (ty, variable) = (&parameter.ty, &parameter.name);
            // Spanned at the type: one without `FromStr` is reported there.
            let root = root.spanned(ty.span());
            let value = quote_spanned! {ty.span()=>
                #root::argument::argument::<#ty>(#of, &#request.variables, #variable)?
            };
            quote!(let #binding: #ty = #value;)
        });
    let await_call = function.is_async().then(|| quote!(.await));
    let mime = match &options.mime_type {
        Some(mime) => quote!(::std::option::Option::Some(#mime)),
        None => quote!(::std::option::Option::None),
    };
    // Spanned at the return type: a type that gives no contents is reported there.
    let contents = quote_spanned! {function.return_span()=>
        #resource::contents_of(&#request, #mime, #output)
    };

    let uri_variant = match &options.uri {
        Uri::Fixed(_) => quote!(Fixed),
        Uri::Template(_) => quote!(Template),
    };
    let mut definition = quote!(#resource::ResourceDefinition::new(
        #resource::ResourceUri::#uri_variant(#uri),
        #name,
        #description,
        #read,
    ));
    if let Some(title) = &options.title {
        definition.extend(quote!(.title(#title)));
    }
    if let Some(mime) = &options.mime_type {
        definition.extend(quote!(.mime_type(#mime)));
    }
    definition.extend(registration::completions(&resource, &parameters));
    definition.extend(registration::defined_at());

    let items = quote! {
        fn #read(#request: #resource::ResourceRequest) -> #resource::ResourceFuture {
            ::std::boxed::Box::pin(async move {
                #(#parse)*
                let #output = super::#function_name(#(#bindings),*)#await_call;
                #contents
            })
        }
    };
    Ok(registration::module(
        function,
        &root,
        items,
        registration::Definition {
            what: format!("the MCP resource `{}`", uri.value()),
            constant: "RESOURCE",
            doc: " The resource's definition, for an explicit list of resources.",
            ty: quote!(#resource::ResourceDefinition),
            value: definition,
        },
    ))
}

/// The variables of a URI template as the runtime matches it (RFC 6570
/// level 1, `{name}`, and reserved expansion, `{+name}`), in order; an
/// error at the template for anything else.
fn template_variables(template: &LitStr) -> syn::Result<Vec<String>> {
    let error = |message: String| syn::Error::new(template.span(), message);
    let text = template.value();
    let mut variables: Vec<String> = Vec::new();
    let mut rest = text.as_str();
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(error("unmatched `}` in the URI template".into()));
        }
        let close = rest[open..]
            .find('}')
            .map(|close| open + close)
            .ok_or_else(|| error("unclosed `{` in the URI template".into()))?;
        let expression = &rest[open + 1..close];
        let name = expression.strip_prefix('+').unwrap_or(expression);
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(error(format!(
                "unsupported template expression `{{{expression}}}`: write `{{name}}` \
                 (one path segment) or `{{+name}}` (anything), name being a parameter's"
            )));
        }
        if variables.iter().any(|variable| variable == name) {
            return Err(error(format!(
                "the template variable `{name}` appears twice"
            )));
        }
        variables.push(name.to_string());
        rest = &rest[close + 1..];
    }
    if text.is_empty() {
        return Err(error("the URI template is empty".into()));
    }
    Ok(variables)
}
