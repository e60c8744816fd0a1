//! The `crudlab` binary: the browser app's entry point on wasm32, the teachers' command-line tool natively.

#[cfg(target_arch = "wasm32")]
fn main() {
    crudlab::web::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(crudlab::cli::run(&args));
}
