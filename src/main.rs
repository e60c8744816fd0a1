//! The `crudlab` binary: the browser app's entry point on wasm32, the teachers' command-line tool natively.

#[cfg(target_arch = "wasm32")]
fn main() {
    crudlab::web::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(crudlab_cli::run(std::env::args().skip(1).collect()));
}

#[cfg(not(target_arch = "wasm32"))]
mod crudlab_cli {
    //! Native command-line interface: `crudlab conformance FILE...`.
    #![allow(clippy::print_stdout)]

    pub fn run(args: Vec<String>) -> i32 {
        let _ = args;
        println!("crudlab");
        0
    }
}
