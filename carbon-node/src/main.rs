//! `carbon`: the command-line tool of the Carbon reference node.
//!
//! Each subcommand group lives in its own module under `cmd/` and exposes
//! `run(cmd, json) -> anyhow::Result<()>`. Every failure prints one line,
//! `error: <reason>`, to stderr and exits with status 1.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Carbon: a consortium-chain platform for carbon-allowance trading.
#[derive(Debug, Parser)]
#[command(name = "carbon", version, about)]
struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Provenance records: validate, export, lineage (GB/T 34945).
    #[command(subcommand)]
    Prov(cmd::prov::ProvCommand),
    /// CP-ABE: setup, keygen, encrypt, decrypt, update-policy, revoke.
    #[command(subcommand)]
    Abe(cmd::abe::AbeCommand),
}

/// The error and its causes on one line.
fn one_line(e: &anyhow::Error) -> String {
    let text = format!("{e:#}");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Prov(c) => cmd::prov::run(c, cli.json),
        Command::Abe(c) => cmd::abe::run(c, cli.json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::from(1)
        }
    }
}
