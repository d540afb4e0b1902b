//! Every function shape `#[observe]` supports, called from `main`.

use std::fmt::Display;

use mcp_trace_runtime::observe;
use serde::Serialize;

#[observe]
fn sync_value(x: i64) -> i64 {
    x + 1
}

#[observe]
async fn async_value(x: i64) -> i64 {
    x + 1
}

#[observe]
fn sync_unit(x: i64) {
    let _ = x;
}

#[observe]
async fn async_unit() {}

#[observe]
fn explicit_unit() -> () {}

#[observe]
fn sync_result(text: &str) -> Result<i64, std::num::ParseIntError> {
    let parsed: i64 = text.parse()?;
    Ok(parsed * 2)
}

#[observe]
async fn async_result(text: String) -> Result<i64, String> {
    let parsed: i64 = text.parse().map_err(|error| format!("{error}"))?;
    Ok(parsed * 2)
}

#[observe]
fn io_result() -> std::io::Result<u8> {
    Ok(1)
}

#[observe]
fn display(x: i64) -> impl Display {
    format!("#{x}")
}

#[observe]
async fn async_display(x: i64) -> impl Display {
    x
}

#[observe(stream)]
fn words(text: String) -> impl Iterator<Item = String> {
    text.split(' ').map(str::to_string).collect::<Vec<_>>().into_iter()
}

#[observe(stream)]
fn numbers(limit: u32) -> impl Iterator<Item = u32> + Send {
    0..limit
}

#[observe]
fn generic<T: Serialize + Clone>(value: T) -> Vec<T> {
    vec![value.clone(), value]
}

#[observe]
fn generic_where<T>(value: T) -> Option<T>
where
    T: Serialize,
{
    Some(value)
}

#[observe]
fn early_return(x: i64) -> i64 {
    if x < 0 {
        return 0;
    }
    x
}

#[observe]
async fn async_early_return(x: i64) -> Result<i64, String> {
    if x < 0 {
        return Err("negative".to_string());
    }
    Ok(x)
}

#[observe]
fn only_return() -> i64 {
    return 7;
}

#[observe]
fn borrowed<'a>(text: &'a str, list: &[u8]) -> &'a str {
    let _ = list;
    &text[..1]
}

#[observe]
fn panics_never(mut counter: i64) -> i64 {
    counter += 1;
    counter
}

// Deref coercion of the tail expression (`&String` to `&str`), sync.
#[observe]
fn text(text: &String) -> &str {
    text
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

#[derive(Serialize)]
struct Counter {
    count: i64,
}

impl Counter {
    #[observe]
    fn get(&self) -> i64 {
        self.count
    }

    #[observe]
    fn add(&mut self, by: i64) -> i64 {
        self.count += by;
        self.count
    }

    #[observe]
    fn into_count(self) -> i64 {
        self.count
    }

    #[observe]
    async fn get_async(&self) -> i64 {
        self.count
    }

    #[observe]
    async fn add_async(&mut self, by: i64) -> i64 {
        self.count += by;
        self.count
    }

    #[observe]
    async fn into_count_async(self) -> i64 {
        self.count
    }

    #[observe]
    pub fn associated(count: i64) -> Counter {
        Counter { count }
    }

    #[observe(capture_output = false)]
    fn new() -> Self {
        Counter { count: 0 }
    }

    #[observe]
    fn label(&self) -> &str {
        if self.count > 0 { "positive" } else { "other" }
    }

}

trait Describe {
    fn describe(&self) -> String;

    #[observe]
    fn describe_twice(&self) -> String {
        format!("{0} {0}", self.describe())
    }
}

impl Describe for Counter {
    #[observe]
    fn describe(&self) -> String {
        self.count.to_string()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(sync_value(1), 2);
    assert_eq!(async_value(1).await, 2);
    sync_unit(1);
    async_unit().await;
    explicit_unit();
    assert_eq!(sync_result("21").unwrap(), 42);
    assert!(sync_result("x").is_err());
    assert_eq!(async_result("21".to_string()).await, Ok(42));
    assert!(async_result("x".to_string()).await.is_err());
    assert_eq!(io_result().unwrap(), 1);
    assert_eq!(display(3).to_string(), "#3");
    assert_eq!(async_display(3).await.to_string(), "3");
    assert_eq!(words("a b".to_string()).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(numbers(3).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(generic("x"), ["x", "x"]);
    assert_eq!(generic_where(1u8), Some(1));
    assert_eq!(early_return(-5), 0);
    assert_eq!(early_return(5), 5);
    assert_eq!(async_early_return(-1).await, Err("negative".to_string()));
    assert_eq!(async_early_return(1).await, Ok(1));
    assert_eq!(only_return(), 7);
    assert_eq!(borrowed("hello", &[1]), "h");
    assert_eq!(panics_never(1), 2);
    assert_eq!(unsafe { read(&5) }, 5);
    assert_eq!(boxed_error("4").unwrap(), 4);
    assert!(boxed_error("x").is_err());
    assert_eq!(boxed_error_async("4".into()).await.unwrap(), 4);
    assert!(boxed_error_async("x".into()).await.is_err());
    assert_eq!(Counter::new().get(), 0);

    let mut counter = Counter::associated(1);
    assert_eq!(counter.get(), 1);
    assert_eq!(counter.add(2), 3);
    assert_eq!(counter.get_async().await, 3);
    assert_eq!(counter.add_async(1).await, 4);
    assert_eq!(counter.describe_twice(), "4 4");
    assert_eq!(counter.label(), "positive");
    assert_eq!(text(&"t".to_string()), "t");
    assert_eq!(Counter { count: 5 }.into_count_async().await, 5);
    assert_eq!(counter.into_count(), 4);
}
