//! Resources at fixed URIs and templates, sync and async, alone and under
//! the whole stack, with every content type, options and completions; and
//! an explicit list of them.

use mcp_trace_runtime::resource::{ResourceDefinition, ResourceRequest, ResourceUri};
use mcp_trace_runtime::{mcp_resource, observe, with_otel_headers};
use rmcp::model::ResourceContents;

/// A static text.
#[mcp_resource(uri = "test://static-text", title = "Static text", mime_type = "text/plain")]
#[with_otel_headers]
#[observe]
fn static_text() -> &'static str {
    "This is the content of the static text resource."
}

/// Static bytes.
#[mcp_resource(uri = "test://static-binary", name = "static-binary", mime_type = "image/png")]
async fn static_binary() -> Vec<u8> {
    vec![0x89, b'P', b'N', b'G']
}

fn ids(typed: &str) -> Vec<String> {
    (1..=3).map(|id| id.to_string()).filter(|id| id.starts_with(typed)).collect()
}

/// Data of one item.
#[mcp_resource(uri_template = "test://template/{id}/data", mime_type = "application/json")]
#[with_otel_headers]
#[observe]
pub async fn template_data(#[complete(ids)] id: u32) -> Result<String, String> {
    if id == 0 {
        return Err("no item 0".into());
    }
    Ok(format!("{{\"id\":{id}}}"))
}

/// A file under a root, `{+path}` taking slashes; rmcp's contents as given.
#[mcp_resource(uri_template = "file:///{root}/{+path}", description = "A file")]
#[with_otel_headers]
#[observe(as_type = "retriever")]
fn file(root: String, #[complete(crate::paths::complete)] path: String) -> Vec<ResourceContents> {
    vec![ResourceContents::text(format!("{root}:{path}"), format!("file:///{root}/{path}"))]
}

mod paths {
    pub fn complete(typed: &str) -> Vec<String> {
        vec![format!("{typed}/README.md")]
    }
}

pub mod nested {
    /// One contents, under the full paths.
    #[mcp_trace_runtime::mcp_resource(uri = "test://nested")]
    #[mcp_trace_runtime::with_otel_headers]
    #[mcp_trace_runtime::observe]
    pub fn nested() -> rmcp::model::ResourceContents {
        rmcp::model::ResourceContents::text("nested", "test://nested")
    }
}

static EXPLICIT: &[&ResourceDefinition] = &[&static_text::RESOURCE, &nested::nested::RESOURCE];

async fn read(resource: &ResourceDefinition, uri: &str) -> Vec<ResourceContents> {
    let variables = resource.matches(uri).expect("matches");
    (resource.read)(ResourceRequest::new(uri, variables)).await.expect("read")
}

fn text(contents: &[ResourceContents]) -> (&str, Option<&str>) {
    match contents {
        [ResourceContents::TextResourceContents { text, mime_type, .. }] => (text, mime_type.as_deref()),
        other => panic!("one text: {other:?}"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // The functions keep their signatures.
    assert_eq!(template_data(2).await, Ok("{\"id\":2}".into()));
    assert_eq!(static_binary().await.len(), 4);

    assert_eq!(static_text::RESOURCE.uri, ResourceUri::Fixed("test://static-text"));
    assert_eq!(static_text::RESOURCE.title, Some("Static text"));
    assert_eq!(static_text::RESOURCE.description, "A static text.");
    assert_eq!(
        text(&read(&static_text::RESOURCE, "test://static-text").await),
        ("This is the content of the static text resource.", Some("text/plain"))
    );
    match &read(&static_binary::RESOURCE, "test://static-binary").await[..] {
        [ResourceContents::BlobResourceContents { blob, mime_type, .. }] => {
            assert_eq!(blob, "iVBORw==");
            assert_eq!(mime_type.as_deref(), Some("image/png"));
        }
        other => panic!("one blob: {other:?}"),
    }
    assert_eq!(static_binary::RESOURCE.name, "static-binary");
    assert_eq!(template_data::RESOURCE.uri, ResourceUri::Template("test://template/{id}/data"));
    assert_eq!(
        text(&read(&template_data::RESOURCE, "test://template/3/data").await),
        ("{\"id\":3}", Some("application/json"))
    );
    assert_eq!((template_data::RESOURCE.completions[0].complete)("")[..], ["1", "2", "3"]);
    assert_eq!(
        text(&read(&file::RESOURCE, "file:///home/a/b.txt").await).0,
        "home:a/b.txt"
    );
    assert_eq!(file::RESOURCE.description, "A file");
    assert_eq!(file::RESOURCE.completions[0].argument, "path");
    assert_eq!(text(&read(EXPLICIT[1], "test://nested").await).0, "nested");

    let registered: Vec<&str> =
        mcp_trace_runtime::resource::registered_resources().iter().map(|resource| resource.uri_text()).collect();
    assert_eq!(
        registered,
        [
            "file:///{root}/{+path}",
            "test://nested",
            "test://static-binary",
            "test://static-text",
            "test://template/{id}/data"
        ]
    );
}
