//! Compile-time behaviour of the macros: every supported shape compiles and
//! runs (`ui/pass`), every refused one fails with a helpful message pointing
//! at the right token (`ui/fail`, checked against the `.stderr` files;
//! regenerate with `TRYBUILD=overwrite` and read the diff).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.compile_fail("ui/fail/*.rs");
}
