//! The `caputo` command line: one clear error line and exit code 2 on bad input.

use caputo_cli::alloc::CountingAlloc;
use clap::Parser;

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn main() {
    let cli = caputo_cli::cli::Cli::parse();
    if let Err(e) = caputo_cli::cli::run(cli) {
        // One line: the outermost message and its causes.
        let msg: Vec<String> = e.chain().map(|c| c.to_string()).collect();
        eprintln!("error: {}", msg.join(": "));
        std::process::exit(caputo_cli::cli::exit_code(&e));
    }
}
