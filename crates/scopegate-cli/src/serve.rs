//! `scopegate serve`: the forward-auth / ext_authz sidecar (crate `scopegate-server`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use scopegate_server::{Overrides, ServeOptions, init_logging, serve};

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// Policy file (TOML, or JSON by extension); its `[server]` table configures the sidecar.
    policy: PathBuf,
    /// HTTP listen address (overrides `server.listen`), e.g. 127.0.0.1:9191.
    #[arg(long)]
    listen: Option<String>,
    /// gRPC ext_authz listen address (overrides `server.grpc_listen`).
    #[arg(long)]
    grpc_listen: Option<String>,
}

/// Runs until SIGTERM or SIGINT: exit 0 after a clean shutdown, 2 when it cannot start.
pub(crate) fn run(args: ServeArgs) -> ExitCode {
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let options = ServeOptions::new(args.policy, Overrides::new(args.listen, args.grpc_listen));
    match runtime.block_on(serve(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "scopegate serve stopped");
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
