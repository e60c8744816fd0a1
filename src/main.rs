//! The `crudlab` binary: the browser app's entry point on wasm32, the teachers' command-line tool natively.

#[cfg(target_arch = "wasm32")]
fn main() {
    crudlab::web::start();
}

#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::disallowed_methods, reason = "the native command-line tool reads its arguments and sets its exit code")]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(crudlab::cli::run(&args));
}
