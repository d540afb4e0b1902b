//! The macros re-rooted with `crate = …`, as a crate that re-exports the
//! runtime (`pub use mcp_trace_runtime as rt;`) uses them: every macro, the
//! path form and the string form, a root given once at the top of the stack
//! and carried down, renamed macros, `self::` / `super::` roots seen from a
//! registration's module, and `$crate` from a `macro_rules!`. Each one runs:
//! a tool call, a resource read and a prompt get through their definitions,
//! and observation spans in the caller's context, against
//! `mcp_trace_runtime::testing`.
//!
//! `::mcp_trace_runtime` names this test crate itself here (below), so an
//! expansion that still spelled the default root would not compile: this
//! file compiling is the proof that every generated path starts with the
//! root given.

// The runtime under another name only; then `mcp_trace_runtime` is this
// crate, whose root holds nothing of the runtime (the cases are in a module:
// a `use …::observe` at the root would bring the runtime's `observe` module
// too, and `::mcp_trace_runtime::observe::…` would resolve).
pub extern crate mcp_trace_runtime as tracing_runtime;
extern crate self as mcp_trace_runtime;

/// The façade a framework would offer: the runtime, re-exported.
pub mod app {
    pub use tracing_runtime as rt;
}

mod cases {
    use serde_json::json;

    use crate::app;
    use crate::app::rt::scope::ServedRequest;
    use crate::app::rt::testing::{self, SpanDataExt, TestTrace};
    use crate::app::rt::tool::ToolOutput;
    use crate::app::rt::{mcp_prompt, mcp_resource, mcp_tool, observe, with_otel_headers};

    fn arguments(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        value.as_object().cloned().expect("an object")
    }

    /// Runs `future` inside `ambient`'s context while serving a request whose
    /// caller is `caller` (its `traceparent` header).
    async fn served<F: std::future::Future>(
        caller: &TestTrace,
        ambient: &TestTrace,
        future: F,
    ) -> F::Output {
        let mut headers = http::HeaderMap::new();
        headers.insert("traceparent", caller.traceparent().parse().unwrap());
        ambient
            .wrap(ServedRequest::from_headers(headers).scope(future))
            .await
    }

    /// The span `name` opened in the caller's context: a child of the caller's
    /// span in the caller's trace, not of the ambient context.
    fn assert_in_callers_context(
        caller: &TestTrace,
        ambient: &TestTrace,
        name: &str,
    ) -> serde_json::Value {
        let spans = caller.spans();
        let span = spans.find(name);
        assert_eq!(span.parent_span_id, caller.root_span_id(), "{name}");
        assert!(span.parent_span_is_remote, "{name}");
        assert!(
            ambient.spans().named(name).is_empty(),
            "{name} under the ambient span"
        );
        span.attr_json("langfuse.observation.input")
            .expect("input recorded")
    }

    /// The root given once, at the top: carried to the two macros below.
    #[mcp_tool(crate = crate::app::rt, read_only)]
    #[with_otel_headers]
    #[observe(as_type = "tool")]
    async fn weather(
        /// The city
        location: String,
        #[default(2)] days: u32,
    ) -> String {
        format!("{days} days of sun in {location}")
    }

    /// Each macro its own root, in the string form.
    #[mcp_tool(crate = "crate::app::rt")]
    #[with_otel_headers(crate = "crate::app::rt")]
    #[observe(crate = "crate::app::rt", name = "forecast by string")]
    fn forecast(location: String) -> Result<Vec<i64>, String> {
        if location.is_empty() {
            return Err("no location".into());
        }
        Ok(vec![20, 21])
    }

    /// A root relative to this module: `super::app::rt` is
    /// `super::super::app::rt` in the registration's module.
    #[mcp_resource(uri_template = "weather://{city}/current", crate = super::app::rt)]
    #[with_otel_headers]
    #[observe]
    async fn current(city: String) -> String {
        json!({ "city": city, "sky": "clear" }).to_string()
    }

    mod prompts {
        use crate::app::rt;

        /// A `self::` root: `self::rt` is `super::rt` in the registration's
        /// module.
        #[super::mcp_prompt(crate = self::rt, title = "Report")]
        #[super::with_otel_headers]
        #[super::observe]
        pub fn report(city: String, tone: Option<String>) -> String {
            format!("A {} report for {city}", tone.as_deref().unwrap_or("short"))
        }
    }

    mod renamed {
        use crate::app::rt::{mcp_tool as tool, observe as obs, with_otel_headers as ctx};

        /// Renamed macros are not recognised by name, so a root does not reach
        /// them through their attribute: `#[ctx]` takes its own, and `#[obs]`
        /// below it finds that root in `#[ctx]`'s wrapping.
        #[tool(crate = crate::app::rt)]
        #[ctx(crate = crate::app::rt)]
        #[obs]
        pub async fn renamed_weather(location: String) -> String {
            format!("renamed sun in {location}")
        }

        /// Sync, the same.
        #[ctx(crate = crate::app::rt)]
        #[obs]
        pub fn renamed_sync(days: i64) -> i64 {
            days * 2
        }
    }

    /// What a framework's own macro would write: `$crate` roots, which no
    /// string could hold (serde and schemars get their paths through an alias).
    macro_rules! framework_tool {
        ($name:ident) => {
            #[$crate::app::rt::mcp_tool(crate = $crate::app::rt)]
            #[$crate::app::rt::observe]
            fn $name(text: String) -> String {
                text.to_uppercase()
            }
        };
    }

    framework_tool!(shout);

    /// `#[observe]` alone, with a root found through a `use`.
    #[observe(crate = app::rt, metadata(unit = "celsius"))]
    fn convert(fahrenheit: f64) -> i64 {
        ((fahrenheit - 32.0) * 5.0 / 9.0).round() as i64
    }

    #[tokio::test]
    async fn a_tool_with_the_root_given_once_runs_in_the_callers_context() {
        let (caller, ambient) = (testing::trace(), testing::trace());
        let output = served(
            &caller,
            &ambient,
            (weather::TOOL.call)(arguments(json!({ "location": "Oslo" }))),
        )
        .await
        .unwrap();
        assert_eq!(output, ToolOutput::Text("2 days of sun in Oslo".into()));
        let input = assert_in_callers_context(&caller, &ambient, "weather");
        assert_eq!(input, json!({ "location": "Oslo", "days": 2 }));
        let spans = caller.spans();
        assert_eq!(
            spans.find("weather").attr_str("langfuse.observation.type"),
            Some("tool")
        );
        assert_eq!(weather::TOOL.hints.read_only, Some(true));
        let schema = (weather::TOOL.input_schema)();
        assert_eq!(schema["properties"]["location"]["description"], "The city");
    }

    #[tokio::test]
    async fn the_string_form_roots_each_macro() {
        let (caller, ambient) = (testing::trace(), testing::trace());
        let output = served(
            &caller,
            &ambient,
            (forecast::TOOL.call)(arguments(json!({ "location": "Lima" }))),
        )
        .await
        .unwrap();
        assert_eq!(output, ToolOutput::Value(json!([20, 21])));
        assert_in_callers_context(&caller, &ambient, "forecast by string");
        assert!((forecast::TOOL.output_schema)().is_some());
        let refused = served(
            &caller,
            &ambient,
            (forecast::TOOL.call)(arguments(json!({}))),
        )
        .await;
        assert!(refused.is_err(), "a missing argument is refused");
    }

    #[tokio::test]
    async fn a_resource_and_a_prompt_with_relative_roots() {
        let (caller, ambient) = (testing::trace(), testing::trace());
        let request = crate::app::rt::resource::ResourceRequest::new(
            "weather://Paris/current",
            current::RESOURCE
                .matches("weather://Paris/current")
                .unwrap(),
        );
        let contents = served(&caller, &ambient, (current::RESOURCE.read)(request))
            .await
            .unwrap();
        assert_eq!(contents.len(), 1);
        assert_eq!(
            assert_in_callers_context(&caller, &ambient, "current"),
            json!({ "city": "Paris" })
        );

        let result = served(
            &caller,
            &ambient,
            (prompts::report::PROMPT.get)(arguments(json!({ "city": "Rome", "tone": "formal" }))),
        )
        .await
        .unwrap();
        assert_eq!(result.messages.len(), 1);
        assert_eq!(prompts::report::PROMPT.title, Some("Report"));
        assert_eq!(prompts::report::ARGUMENTS[1].name, "tone");
        assert!(!prompts::report::ARGUMENTS[1].required);
        assert_eq!(
            assert_in_callers_context(&caller, &ambient, "report"),
            json!({ "city": "Rome", "tone": "formal" })
        );
    }

    #[tokio::test]
    async fn renamed_macros_take_the_root_from_the_wrapping() {
        let (caller, ambient) = (testing::trace(), testing::trace());
        let output = served(
            &caller,
            &ambient,
            (renamed::renamed_weather::TOOL.call)(arguments(json!({ "location": "Kyiv" }))),
        )
        .await
        .unwrap();
        assert_eq!(output, ToolOutput::Text("renamed sun in Kyiv".into()));
        assert_in_callers_context(&caller, &ambient, "renamed_weather");

        let mut headers = http::HeaderMap::new();
        headers.insert("traceparent", caller.traceparent().parse().unwrap());
        let doubled = ambient.in_scope(|| {
            ServedRequest::from_headers(headers).sync_scope(|| renamed::renamed_sync(21))
        });
        assert_eq!(doubled, 42);
        assert_in_callers_context(&caller, &ambient, "renamed_sync");
    }

    #[tokio::test]
    async fn dollar_crate_roots_from_a_macro_and_observe_alone() {
        let trace = testing::trace();
        let output = trace
            .wrap((shout::TOOL.call)(arguments(json!({ "text": "hi" }))))
            .await
            .unwrap();
        assert_eq!(output, ToolOutput::Text("HI".into()));
        let spans = trace.spans();
        assert_eq!(spans.find("shout").parent_span_id, trace.root_span_id());

        assert_eq!(trace.in_scope(|| convert(212.0)), 100);
        let spans = trace.spans();
        let span = spans.find("convert");
        assert_eq!(span.attr_str("langfuse.observation.output"), Some("100"));
        assert_eq!(
            span.attr_str("langfuse.observation.metadata.unit"),
            Some("celsius")
        );
    }

    #[test]
    fn the_registrations_reach_the_registry_through_the_root() {
        let tools: Vec<&str> = app::rt::tool::registered_tools()
            .iter()
            .map(|tool| tool.name)
            .collect();
        for name in ["weather", "forecast", "renamed_weather", "shout"] {
            assert!(tools.contains(&name), "{name} in {tools:?}");
        }
        assert!(app::rt::resource::registered_resources()
            .iter()
            .any(|resource| resource.name == "current"));
        assert!(app::rt::prompt::registered_prompts()
            .iter()
            .any(|prompt| prompt.name == "report"));
    }
}
