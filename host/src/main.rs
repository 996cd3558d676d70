//! `seedhost`: parses the command line and hands it to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = seedhost::cli::parse();
    seedhost::cli::init_logging(cli.verbose, cli.quiet);
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => {
            let status = runtime.block_on(seedhost::cli::dispatch(cli));
            // A signal may have left a plugin running on a blocking thread;
            // waiting for it would undo the signal.
            runtime.shutdown_background();
            status
        }
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}
