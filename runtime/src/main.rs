//! `rumpjs`: see `rumpjs --help`. Everything lives in the library (`rumpjs::cli`).

/// The system allocator, counted against --max-memory (limits.rs).
#[global_allocator]
static ALLOC: rumpjs::limits::Budget = rumpjs::limits::Budget;

fn main() {
    let code = rumpjs::cli::main();
    rumpjs::output::flush();
    std::process::exit(code);
}
