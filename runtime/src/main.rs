//! `rumpjs`: see `rumpjs --help`. Everything lives in the library (`rumpjs::cli`).

fn main() {
    let code = rumpjs::cli::main();
    rumpjs::output::flush();
    std::process::exit(code);
}
