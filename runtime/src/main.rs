fn main() {
    let _ = boa_engine::Context::default();
}
