#![forbid(unsafe_code)]
//! `padlock`: connect to a TLS server and explain the handshake, serve HTTPS, or watch a
//! whole handshake on loopback (`padlock demo`).

mod certs;
mod connect;
mod demo;
mod http;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "padlock",
    version,
    about = "TLS 1.3: connect, serve, and see what happens"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Connect to a TLS 1.3 server and report what was negotiated.
    Connect(connect::Args),
    /// Serve HTTPS (HTTP/1.1 and 1.0) with a certificate chain and key.
    Serve(serve::Args),
    /// A throwaway CA, a server and a client on loopback, each handshake step explained.
    Demo(demo::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Connect(args) => connect::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Demo(args) => demo::run(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            // One line, whatever the message holds: scripts and people read the first line.
            eprintln!("padlock: {}", message.replace(['\r', '\n'], " "));
            ExitCode::FAILURE
        }
    }
}
