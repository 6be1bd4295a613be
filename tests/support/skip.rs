//! A test whose tools are missing (makefs, The Sleuth Kit, /dev/fuse, …) says "skipped: why" and passes on a
//! developer's machine, but fails where they must be there: `.ci/run` sets RUMPJS_REQUIRE_TOOLS=1, so a
//! broken install cannot turn CI green by skipping. Included with `#[path]` by the tests that need it.

/// Reports a skip, or fails when RUMPJS_REQUIRE_TOOLS=1.
pub fn skip(why: &str) {
    assert!(
        std::env::var("RUMPJS_REQUIRE_TOOLS").as_deref() != Ok("1"),
        "{why}, and RUMPJS_REQUIRE_TOOLS=1 says every tool must be there (.ci/run installs them)"
    );
    eprintln!("skipped: {why}");
}
