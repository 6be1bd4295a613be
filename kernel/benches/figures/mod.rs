//! The choice of figures an FFS benchmark runs. They run under `cargo bench` alone
//! (which passes `--bench`); `cargo test --benches` and `--all-targets` build them and run nothing.

/// Runs the figures named after `--` (those whose name contains one of the words), or all of them.
pub fn run(figures: &[(&str, fn())]) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("a benchmark: it runs under `cargo bench`");
        return;
    }
    let words: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    for (name, figure) in figures {
        if words.is_empty() || words.iter().any(|w| name.contains(w.as_str())) {
            println!("== {name}");
            figure();
        }
    }
}
