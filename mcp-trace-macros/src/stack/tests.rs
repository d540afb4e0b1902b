//! Every order of the stack, under each registration macro, with every
//! macro under its own name or imported under another one (`tool`, `res`,
//! `prompt`, `ctx`, `obs`), expanded the way rustc does: right orders expand
//! exactly as the stack written with the real names, wrong orders fail with
//! the fix, and a function registers once.

use proc_macro2::TokenStream;
use quote::quote;

use super::Layer;
use crate::expansion_snapshots::{expand_items, pretty};

const ALIASES: [(&str, Layer); 5] = [
    ("tool", Layer::McpTool),
    ("res", Layer::McpResource),
    ("prompt", Layer::McpPrompt),
    ("ctx", Layer::WithOtelHeaders),
    ("obs", Layer::Observe),
];

const REGISTRATIONS: [Layer; 3] = [Layer::McpTool, Layer::McpResource, Layer::McpPrompt];

/// With `rooted`, the attribute gives `crate = app::rt` first.
fn attribute(layer: Layer, renamed: bool, rooted: bool) -> TokenStream {
    let name = match (layer, renamed) {
        (Layer::McpTool, false) => quote!(mcp_tool),
        (Layer::McpTool, true) => quote!(tool),
        (Layer::McpResource, false) => quote!(mcp_resource),
        (Layer::McpResource, true) => quote!(res),
        (Layer::McpPrompt, false) => quote!(mcp_prompt),
        (Layer::McpPrompt, true) => quote!(prompt),
        (Layer::WithOtelHeaders, false) => quote!(with_otel_headers),
        (Layer::WithOtelHeaders, true) => quote!(ctx),
        (Layer::Observe, false) => quote!(observe),
        (Layer::Observe, true) => quote!(obs),
    };
    let options = match layer {
        Layer::McpTool => quote!(read_only),
        Layer::McpResource => quote!(uri_template = "weather://{location}"),
        Layer::McpPrompt => quote!(title = "Weather"),
        Layer::WithOtelHeaders => quote!(),
        Layer::Observe => quote!(as_type = "tool"),
    };
    match (rooted, options.is_empty()) {
        (false, true) => quote!(#[#name]),
        (false, false) => quote!(#[#name(#options)]),
        (true, true) => quote!(#[#name(crate = app::rt)]),
        (true, false) => quote!(#[#name(crate = app::rt, #options)]),
    }
}

/// An async function, a sync one, and an async one with an opaque output,
/// each one `registration` accepts (a resource's parameters are its
/// template's variables, and have no default).
fn functions(registration: Layer) -> [TokenStream; 3] {
    let days = match registration {
        Layer::McpResource => quote!(),
        _ => quote!(, #[default(3)] days: i64),
    };
    [
        quote! {
            /// Get current weather.
            pub async fn get_weather(location: String) -> Weather { fetch(location).await }
        },
        quote! {
            fn get_forecast(location: String #days) -> Result<Vec<Day>, Error> {
                if location.is_empty() { return Err(Error::TooFar); }
                forecast(&location)
            }
        },
        quote! {
            async fn words(location: String) -> impl std::fmt::Display { location.to_uppercase() }
        },
    ]
}

fn expand(stack: &[(Layer, bool)], function: &TokenStream) -> Vec<syn::Item> {
    expand_rooted(stack, function, Roots::None)
}

/// Which attributes of a stack give `crate = app::rt`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Roots {
    None,
    /// The outermost only: it reaches the others when they are written
    /// under their own names.
    Top,
    /// Every one, as a stack with renamed macros needs.
    Every,
}

fn expand_rooted(stack: &[(Layer, bool)], function: &TokenStream, roots: Roots) -> Vec<syn::Item> {
    let attributes = stack.iter().enumerate().map(|(index, (layer, renamed))| {
        let rooted = roots == Roots::Every || (roots == Roots::Top && index == 0);
        attribute(*layer, *renamed, rooted)
    });
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

/// Every sequence of distinct layers of `layers` (1 to 3 of them), in every order.
fn stacks(layers: [Layer; 3]) -> Vec<Vec<Layer>> {
    let mut stacks: Vec<Vec<Layer>> = vec![vec![]];
    let mut all = Vec::new();
    for _ in 0..3 {
        stacks = stacks
            .iter()
            .flat_map(|stack| {
                layers
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

/// Right orders expand exactly as the stack with the real names, wrong ones
/// fail with the fix; with `crate = app::rt` given to every macro too,
/// whose right orders expand exactly as the real names with the root given
/// to the outermost only, and mention `mcp_trace_runtime` nowhere.
#[test]
fn every_order_under_every_renaming() {
    let mut checked = 0;
    for (registration, roots) in REGISTRATIONS
        .into_iter()
        .flat_map(|registration| [(registration, Roots::None), (registration, Roots::Every)])
    {
        for function in functions(registration) {
            for layers in stacks([registration, Layer::WithOtelHeaders, Layer::Observe]) {
                let right_order = layers
                    .windows(2)
                    .all(|pair| pair[0].rank() < pair[1].rank());
                let real_names: Vec<(Layer, bool)> =
                    layers.iter().map(|layer| (*layer, false)).collect();
                let expected = match roots {
                    Roots::None => expand(&real_names, &function),
                    _ => expand_rooted(&real_names, &function, Roots::Top),
                };
                let expected = pretty(quote!(#(#expected)*));
                if roots != Roots::None && right_order {
                    assert!(
                        !expected.contains("mcp_trace_runtime"),
                        "{layers:?}: {expected}"
                    );
                }
                for mask in 0..1u32 << layers.len() {
                    let stack: Vec<(Layer, bool)> = layers
                        .iter()
                        .enumerate()
                        .map(|(index, layer)| (*layer, mask & (1 << index) != 0))
                        .collect();
                    let items = expand_rooted(&stack, &function, roots);
                    let errors = errors(&items);
                    let written = stack
                        .iter()
                        .map(|(layer, renamed)| {
                            attribute(*layer, *renamed, roots == Roots::Every).to_string()
                        })
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
                                    below.rank() < above.rank()
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
    }
    // 3 registrations × 2 roots × 3 functions × (3 × 2 + 6 × 4 + 6 × 8) stacks.
    assert_eq!(checked, 3 * 2 * 3 * (6 + 24 + 48));
}

/// Two registrations on one function, under any names, in any order, with
/// or without the rest of the stack below: refused by the first when it
/// recognises the second; a second it cannot recognise (imported under
/// another name) expands too, and the two modules named like the function
/// are refused by rustc (E0428).
#[test]
fn a_function_registers_once() {
    let function = quote! {
        fn station(location: String) -> String { location }
    };
    let mut checked = 0;
    for first in REGISTRATIONS {
        for second in REGISTRATIONS {
            for (renamed_first, renamed_second) in
                [(false, false), (false, true), (true, false), (true, true)]
            {
                for rest in [&[][..], &[Layer::WithOtelHeaders, Layer::Observe][..]] {
                    let stack: Vec<(Layer, bool)> =
                        [(first, renamed_first), (second, renamed_second)]
                            .into_iter()
                            .chain(rest.iter().map(|layer| (*layer, false)))
                            .collect();
                    let items = expand(&stack, &function);
                    let errors = errors(&items);
                    let modules = items
                        .iter()
                        .filter(|item| matches!(item, syn::Item::Mod(module) if module.ident == "station"))
                        .count();
                    let written = format!("{stack:?}");
                    if renamed_second {
                        assert_eq!(modules, 2, "{written}: rustc sees two modules `station`");
                    } else if first == second {
                        assert_eq!(
                            errors,
                            [format!("#[{}] is applied twice", second.name())],
                            "{written}"
                        );
                    } else {
                        assert_eq!(
                            errors,
                            [format!(
                                "#[{}] below #[{}]: a function registers once, as one tool, \
                                 resource or prompt (write a second function for the other)",
                                second.name(),
                                first.name()
                            )],
                            "{written}"
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 3 * 3 * 4 * 2);
}

#[test]
fn applied_twice_under_another_name() {
    let function = &functions(Layer::McpTool)[0];
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
        let body =
            super::caller_context_body(&wrapped).map(|(block, _)| quote!(#block).to_string());
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
