//! `rumpjs`: see `rumpjs --help`. Everything lives in the library (`rumpjs::cmd`).

/// mimalloc, counted against --max-memory (host/limits.rs).
#[global_allocator]
static ALLOC: rumpjs::host::limits::Budget = rumpjs::host::limits::Budget;

fn main() {
    let code = rumpjs::cmd::main();
    rumpjs::host::output::flush();
    std::process::exit(code);
}
