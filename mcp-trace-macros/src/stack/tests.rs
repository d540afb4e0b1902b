//! Every order of the stack, with every macro under its own name or
//! imported under another one (`tool`, `ctx`, `obs`), expanded the way rustc
//! does: right orders expand exactly as the stack written with the real
//! names, wrong orders fail with the fix.

use proc_macro2::TokenStream;
use quote::quote;

use super::Layer;
use crate::expansion_snapshots::{expand_items, pretty};

const ALIASES: [(&str, Layer); 3] = [
    ("tool", Layer::McpTool),
    ("ctx", Layer::WithOtelHeaders),
    ("obs", Layer::Observe),
];

const LAYERS: [Layer; 3] = [Layer::McpTool, Layer::WithOtelHeaders, Layer::Observe];

fn attribute(layer: Layer, renamed: bool) -> TokenStream {
    match (layer, renamed) {
        (Layer::McpTool, false) => quote!(#[mcp_tool(read_only)]),
        (Layer::McpTool, true) => quote!(#[tool(read_only)]),
        (Layer::WithOtelHeaders, false) => quote!(#[with_otel_headers]),
        (Layer::WithOtelHeaders, true) => quote!(#[ctx]),
        (Layer::Observe, false) => quote!(#[observe(as_type = "tool")]),
        (Layer::Observe, true) => quote!(#[obs(as_type = "tool")]),
    }
}

/// An async function, a sync one, and an async one with an opaque output.
fn functions() -> [TokenStream; 3] {
    [
        quote! {
            /// Get current weather.
            pub async fn get_weather(location: String) -> Weather { fetch(location).await }
        },
        quote! {
            fn get_forecast(location: String, #[default(3)] days: i64) -> Result<Vec<Day>, Error> {
                if days > 7 { return Err(Error::TooFar); }
                forecast(&location, days)
            }
        },
        quote! {
            async fn words(text: String) -> impl std::fmt::Display { text.to_uppercase() }
        },
    ]
}

fn expand(stack: &[(Layer, bool)], function: &TokenStream) -> Vec<syn::Item> {
    let attributes = stack
        .iter()
        .map(|(layer, renamed)| attribute(*layer, *renamed));
    expand_items(quote!(#(#attributes)* #function), &ALIASES)
}

fn errors(items: &[syn::Item]) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Macro(item)
                if item.mac.path.segments.last().unwrap().ident == "compile_error" =>
            {
                Some(item.mac.parse_body::<syn::LitStr>().unwrap().value())
            }
            _ => None,
        })
        .collect()
}

/// Every sequence of distinct layers (1 to 3 of them), in every order.
fn stacks() -> Vec<Vec<Layer>> {
    let mut stacks: Vec<Vec<Layer>> = vec![vec![]];
    let mut all = Vec::new();
    for _ in 0..3 {
        stacks = stacks
            .iter()
            .flat_map(|stack| {
                LAYERS
                    .iter()
                    .filter(|layer| !stack.contains(layer))
                    .map(|layer| [stack.clone(), vec![*layer]].concat())
                    .collect::<Vec<_>>()
            })
            .collect();
        all.extend(stacks.clone());
    }
    all
}

#[test]
fn every_order_under_every_renaming() {
    let mut checked = 0;
    for function in functions() {
        for layers in stacks() {
            let right_order = layers.windows(2).all(|pair| pair[0] < pair[1]);
            let real_names: Vec<(Layer, bool)> =
                layers.iter().map(|layer| (*layer, false)).collect();
            let expected = expand(&real_names, &function);
            let expected = pretty(quote!(#(#expected)*));
            for mask in 0..1u32 << layers.len() {
                let stack: Vec<(Layer, bool)> = layers
                    .iter()
                    .enumerate()
                    .map(|(index, layer)| (*layer, mask & (1 << index) != 0))
                    .collect();
                let items = expand(&stack, &function);
                let errors = errors(&items);
                let written = stack
                    .iter()
                    .map(|(layer, renamed)| attribute(*layer, *renamed).to_string())
                    .collect::<Vec<_>>()
                    .join(" ");
                if right_order {
                    assert!(errors.is_empty(), "{written}: {errors:?}");
                    assert_eq!(pretty(quote!(#(#items)*)), expected, "{written}");
                } else {
                    assert!(!errors.is_empty(), "{written} compiles");
                    for error in &errors {
                        // "#[upper] must be written above #[lower]", and it was written below.
                        let wrong_pair = layers.iter().enumerate().any(|(i, above)| {
                            layers[i + 1..].iter().any(|below| {
                                below < above
                                    && error.starts_with(&format!(
                                        "#[{}] must be written above #[{}]: ",
                                        below.name(),
                                        above.name()
                                    ))
                            })
                        });
                        assert!(wrong_pair, "{written}: {error}");
                    }
                }
                checked += 1;
            }
        }
    }
    // 3 functions × (3 × 2 + 6 × 4 + 6 × 8) stacks.
    assert_eq!(checked, 3 * (6 + 24 + 48));
}

#[test]
fn applied_twice_under_another_name() {
    let function = &functions()[0];
    for layer in [Layer::WithOtelHeaders, Layer::Observe] {
        for stack in [
            [(layer, false), (layer, true)],
            [(layer, true), (layer, false)],
            [(layer, true), (layer, true)],
        ] {
            let errors = errors(&expand(&stack, function));
            assert_eq!(
                errors,
                [format!("#[{}] is applied twice", layer.name())],
                "{stack:?}"
            );
        }
    }
    // Twice, the first handing off to an `#[observe]` below the second.
    let stack = [
        (Layer::WithOtelHeaders, false),
        (Layer::WithOtelHeaders, true),
        (Layer::Observe, false),
    ];
    assert_eq!(
        errors(&expand(&stack, function)),
        ["#[with_otel_headers] is applied twice"]
    );
}

/// The hidden markers are exactly what the expansions emit: a change to an
/// expansion's shape that the recognition misses fails here.
#[test]
fn markers_are_recognised_in_every_shape() {
    use crate::function::Function;
    let shapes = [
        quote!(
            async fn a(x: i64) -> i64 {
                x
            }
        ),
        quote!(
            async fn b() {
                work().await;
            }
        ),
        quote!(
            async fn c() -> impl Sized {
                1
            }
        ),
        quote!(
            fn d(x: i64) -> i64 {
                x
            }
        ),
        quote!(
            fn e() {}
        ),
        quote!(
            fn f(&self) -> Result<(), E> {
                Ok(())
            }
        ),
    ];
    for shape in shapes {
        let original: syn::ItemFn = syn::parse2(shape.clone()).unwrap();
        let parse = |tokens: TokenStream| Function::parse(Layer::Observe, tokens).unwrap();

        let wrapped = parse(crate::with_otel_headers::entry(
            TokenStream::new(),
            shape.clone(),
        ));
        assert_eq!(
            super::expanded_above(&wrapped),
            Some(Layer::WithOtelHeaders),
            "{shape}"
        );
        let body = super::caller_context_body(&wrapped).map(|block| quote!(#block).to_string());
        let block = &original.block;
        assert_eq!(body, Some(quote!(#block).to_string()), "{shape}");

        let observed = parse(crate::observe::entry(TokenStream::new(), shape.clone()));
        assert_eq!(
            super::expanded_above(&observed),
            Some(Layer::Observe),
            "{shape}"
        );
        assert!(super::caller_context_body(&observed).is_none(), "{shape}");

        // The user's own code is not taken for an expansion.
        assert_eq!(
            super::expanded_above(&parse(shape.clone())),
            None,
            "{shape}"
        );
    }
}
