#![forbid(unsafe_code)]
//! `padlock`: connect to a TLS server and explain the handshake, serve HTTPS, or watch a
//! whole handshake on loopback (`padlock demo`).

mod ca;
mod ca_trust;
mod certinfo;
mod certs;
mod check;
mod connect;
mod connect_report;
mod connect_trace;
mod demo;
mod demo_json;
mod diagram;
mod html_tags;
mod http;
mod inspect;
mod lint;
mod mixed;
mod observe;
mod parallel;
mod probe;
mod probe_hello;
mod scan;
mod serve;
mod staple;
mod style;
mod weburl;

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
    /// Serve HTTPS (HTTP/2 and HTTP/1.x): a page showing each visitor's handshake, or a directory.
    Serve(serve::Args),
    /// A throwaway CA, a server and a client on loopback, each handshake step explained.
    Demo(demo::Args),
    /// Which TLS versions, suites and groups a server accepts, and what to change.
    Probe(probe::Args),
    /// Decode certificates, chains, keys and CSRs (files or a server's) and lint them.
    Inspect(inspect::Args),
    /// Certificate expiry for many servers: a table, and a non-zero exit when one is due.
    Check(check::Args),
    /// A local CA for development: certificates for localhost that browsers trust.
    Ca(ca::Args),
    /// Fetch an https:// page and list its mixed content (subresources over http://).
    Scan(scan::Args),
}

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Connect(args) => connect::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Probe(args) => probe::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Check(args) => check::run(args),
        Command::Ca(args) => ca::run(args),
        Command::Scan(args) => scan::run(args),
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

/// `padlock ... | head` closes the pipe before padlock is done; Rust ignores SIGPIPE, so the
/// next `println!` panics with a backtrace. End quietly instead, with the status a shell
/// gives a process killed by SIGPIPE (128 + 13), as other Unix tools do.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}
