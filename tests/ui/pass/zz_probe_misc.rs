use mcp_trace_runtime::{mcp_tool, observe, with_otel_headers};

pub struct Named {
    name: String,
}

impl Named {
    #[observe(skip_all)]
    fn name(&self) -> &str {
        &self.name
    }

    #[observe(skip_all)]
    async fn name_async(&self) -> &str {
        &self.name
    }

    #[observe(skip_all)]
    fn new() -> Self {
        Named { name: "n".into() }
    }
}

#[observe(skip(pointer))]
unsafe fn read(pointer: *const i64) -> i64 {
    *pointer
}

#[observe]
fn boxed_error(text: &str) -> Result<i64, Box<dyn std::error::Error + Send + Sync>> {
    Ok(text.parse::<i64>()?)
}

#[observe]
async fn boxed_error_async(text: String) -> Result<i64, Box<dyn std::error::Error + Send + Sync>> {
    Ok(text.parse::<i64>()?)
}

#[mcp_tool]
#[with_otel_headers]
#[observe]
fn raw_names(
    r#type: String,
    #[default(2)] r#loop: i64,
    mut count: i64,
) -> String {
    count += r#loop;
    format!("{type}{count}", type = r#type)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let named = Named::new();
    assert_eq!(named.name(), "n");
    assert_eq!(named.name_async().await, "n");
    assert_eq!(unsafe { read(&5) }, 5);
    assert_eq!(boxed_error("4").unwrap(), 4);
    assert!(boxed_error("x").is_err());
    assert_eq!(boxed_error_async("4".into()).await.unwrap(), 4);
    assert_eq!(raw_names("a".into(), 1, 1), "a2");
    let schema = serde_json::Value::Object((raw_names::TOOL.input_schema)());
    println!("{schema}");
    let arguments = serde_json::json!({ "type": "t", "count": 1 });
    let output = (raw_names::TOOL.call)(arguments.as_object().unwrap().clone()).await.unwrap();
    assert_eq!(output.text, "\"t3\"");
}
