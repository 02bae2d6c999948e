//! `qcs`: quantized compressed sensing with score-based priors, on the command line.
//!
//! Run `qcs --help` and `qcs <command> --help` for every option.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
