//! Snapshots of the generated code: any change to an expansion shows up as a
//! snapshot diff to review (`cargo insta review`, or `INSTA_UPDATE=always`).
//! They also keep the expansions short: see `expansions_stay_short`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::stack::Layer;

pub(crate) fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("the expansion parses as items");
    prettyplease::unparse(&file)
}

/// Expands a stack the way rustc does: the outermost attribute first, then
/// whatever attributes of ours remain on its output; each item of `items` in
/// turn. Every expansion is checked re-rooted too: with `crate = my_app::rt`
/// given to the outermost macro of each function (and carried down), it must
/// be the same tokens with `::mcp_trace_runtime` replaced by `my_app::rt`,
/// so no path escapes the root and nothing else changes.
fn expand_stack(items: TokenStream) -> String {
    let file: syn::File = syn::parse2(items).expect("items");
    let expand = |file: syn::File| -> TokenStream {
        let items = file
            .items
            .into_iter()
            .flat_map(|item| expand_items(quote!(#item), &[]));
        quote!(#(#items)*)
    };
    let expanded = expand(file.clone());
    let rerooted = expand(rerooted(file));
    assert_eq!(
        rerooted.to_string(),
        expanded
            .to_string()
            .replace(":: mcp_trace_runtime", "my_app :: rt"),
        "a custom root changes the root of the paths, and nothing else"
    );
    pretty(expanded)
}

/// `file` with `crate = my_app::rt` added to the outermost attribute of ours
/// on each function, unless it has a root already.
fn rerooted(mut file: syn::File) -> syn::File {
    for item in &mut file.items {
        let syn::Item::Fn(function) = item else {
            continue;
        };
        if let Some(attribute) = function
            .attrs
            .iter_mut()
            .find(|attribute| Layer::of(attribute).is_some())
            .filter(|attribute| !crate::root::has_option(attribute))
        {
            *attribute = crate::stack::with_option(attribute, quote!(crate = my_app::rt));
        }
    }
    file
}

/// The same, with `aliases` naming macros imported under another name
/// (`use mcp_trace_runtime::with_otel_headers as ctx;` is `("ctx", WithOtelHeaders)`).
pub(crate) fn expand_items(item: TokenStream, aliases: &[(&str, Layer)]) -> Vec<syn::Item> {
    let layer_of = |attribute: &syn::Attribute| {
        aliases
            .iter()
            .find(|(alias, _)| attribute.path().is_ident(alias))
            .map(|(_, layer)| *layer)
            .or_else(|| Layer::of(attribute))
    };
    let mut items: Vec<syn::Item> = vec![syn::parse2(item).unwrap()];
    let mut output = Vec::new();
    while let Some(item) = items.pop() {
        let syn::Item::Fn(mut function) = item else {
            output.push(item);
            continue;
        };
        let Some(index) = function
            .attrs
            .iter()
            .position(|attribute| layer_of(attribute).is_some())
        else {
            output.push(syn::Item::Fn(function));
            continue;
        };
        let attribute = function.attrs.remove(index);
        let args = match &attribute.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            _ => TokenStream::new(),
        };
        let tokens = quote!(#function);
        let expanded = match layer_of(&attribute).unwrap() {
            Layer::McpTool => crate::mcp_tool::entry(args, tokens),
            Layer::McpResource => crate::mcp_resource::entry(args, tokens),
            Layer::McpPrompt => crate::mcp_prompt::entry(args, tokens),
            Layer::WithOtelHeaders => crate::with_otel_headers::entry(args, tokens),
            Layer::Observe => crate::observe::entry(args, tokens),
        };
        let file: syn::File = syn::parse2(expanded).unwrap();
        items.extend(file.items.into_iter().rev());
    }
    output
}

fn non_blank_lines(text: &str) -> usize {
    text.lines().filter(|line| !line.trim().is_empty()).count()
}

#[test]
fn observe_async_one_liner() {
    insta::assert_snapshot!(expand_stack(quote! {
        #[observe]
        async fn add_one(x: i64) -> i64 { x + 1 }
    }));
}

#[test]
fn observe_sync_result_with_options() {
    insta::assert_snapshot!(expand_stack(quote! {
        #[observe(name = "divide numbers", as_type = "tool", skip(secret), metadata(unit = "apples"))]
        fn divide(a: i64, b: i64, secret: String) -> Result<i64, String> {
            if b == 0 { return Err("division by zero".into()); }
            Ok(a / b)
        }
    }));
}

#[test]
fn observe_method_without_output() {
    insta::assert_snapshot!(expand_stack(quote! {
        #[observe(capture_output = false)]
        fn store(&mut self, key: String) -> Result<(), std::io::Error> { self.save(key) }
    }));
}

#[test]
fn observe_stream() {
    insta::assert_snapshot!(expand_stack(quote! {
        #[observe(stream, as_type = "generation")]
        fn tokens(prompt: String) -> impl Iterator<Item = String> {
            prompt.split(' ').map(str::to_string).collect::<Vec<_>>().into_iter()
        }
    }));
}

#[test]
fn with_otel_headers_alone() {
    let asynchronous = expand_stack(quote! {
        #[with_otel_headers]
        async fn handle(body: String) -> usize { body.len() }
    });
    let synchronous = expand_stack(quote! {
        #[with_otel_headers]
        fn handle_sync(body: String) -> usize { body.len() }
    });
    insta::assert_snapshot!(format!("{asynchronous}\n{synchronous}"));
}

const WEATHER_TOOL: &str = r#"
    /// Get current weather for a specified location.
    #[mcp_tool]
    #[with_otel_headers]
    #[observe]
    pub async fn get_weather(
        /// City name to get weather for
        location: String,
    ) -> Weather {
        fetch(location).await
    }
"#;

#[test]
fn full_stack_on_a_tool() {
    insta::assert_snapshot!(expand_stack(WEATHER_TOOL.parse().unwrap()));
}

#[test]
fn tool_options_and_defaults() {
    insta::assert_snapshot!(expand_stack(quote! {
        /// Get weather forecast for the specified location and number of days.
        #[mcp_tool(title = "Forecast", read_only, destructive = false)]
        #[with_otel_headers]
        #[observe(as_type = "tool")]
        pub fn get_forecast(
            /// City name for forecast
            location: String,
            /// Number of days to forecast (1-7)
            #[default(3)]
            days: i64,
        ) -> Result<Vec<Day>, ForecastError> {
            forecast(&location, days)
        }
    }));
}

#[test]
fn tool_output_schemas_and_unknown_arguments() {
    insta::assert_snapshot!(expand_stack(quote! {
        /// Text, content blocks, nothing, and an opaque value.
        #[mcp_tool(deny_unknown_arguments)]
        fn text(a: i64) -> String { a.to_string() }
        #[mcp_tool]
        async fn blocks() -> Vec<ContentBlock> { vec![] }
        #[mcp_tool]
        fn nothing() {}
        #[mcp_tool]
        fn opaque() -> impl Serialize + 'static { 1 }
    }));
}

#[test]
fn resource_fixed_uri() {
    insta::assert_snapshot!(expand_stack(quote! {
        /// The static text.
        #[mcp_resource(uri = "test://static-text", title = "Static", mime_type = "text/plain")]
        fn static_text() -> &'static str { "hello" }
    }));
}

#[test]
fn resource_template_on_the_stack() {
    insta::assert_snapshot!(expand_stack(quote! {
        /// Data of one item.
        #[mcp_resource(uri_template = "test://template/{id}/data/{+path}", name = "item-data")]
        #[with_otel_headers]
        #[observe]
        pub async fn item_data(
            /// The item
            #[complete(crate::ids)]
            id: u32,
            path: String,
        ) -> Result<String, Error> {
            load(id, &path).await
        }
    }));
}

#[test]
fn prompt_arguments_defaults_and_completions() {
    insta::assert_snapshot!(expand_stack(quote! {
        /// Summarize a text.
        #[mcp_prompt(name = "summarize", title = "Summarize")]
        #[with_otel_headers]
        #[observe]
        fn summary_prompt(
            /// The text to summarize
            text: String,
            /// Tone of the summary
            #[complete(styles)]
            style: Option<String>,
            /// Words at most
            #[default(100)]
            words: u32,
        ) -> String {
            format!("{text} {style:?} {words}")
        }
        #[mcp_prompt]
        async fn greeting() -> Vec<PromptMessage> { vec![] }
    }));
}

/// A root relative to the function's module: the same path in the function,
/// one level up (`super::`) in the registration's module; given once, at
/// the top.
#[test]
fn custom_root_relative_to_the_module() {
    insta::assert_snapshot!(expand_stack(quote! {
        /// Echo.
        #[mcp_tool(crate = self::rt)]
        #[with_otel_headers]
        #[observe]
        pub async fn echo(text: String) -> String { text }
        #[observe(crate = "my_app::rt", stream)]
        fn words(text: String) -> impl Iterator<Item = String> { vec![text].into_iter() }
    }));
}

#[test]
fn expansions_stay_short() {
    let one_liner = expand_stack(quote! {
        #[observe]
        async fn add_one(x: i64) -> i64 { x + 1 }
    });
    assert!(
        non_blank_lines(&one_liner) <= 20,
        "#[observe] on a one-line async fn: {} lines\n{one_liner}",
        non_blank_lines(&one_liner)
    );
    let stack = expand_stack(WEATHER_TOOL.parse().unwrap());
    assert!(
        non_blank_lines(&stack) <= 65,
        "the three-macro stack on a tool: {} lines\n{stack}",
        non_blank_lines(&stack)
    );
}
