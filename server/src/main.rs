//! `kvgraph-server [config-file] [--option value …]`: see the README's
//! "Server" section.

use kvgraph_server::{config::Config, listener, server::Server};
use std::sync::Arc;

/// The server allocates a few small buffers per request (arguments, reply,
/// key records); mimalloc's thread-local free lists serve those at a
/// fraction of the system allocator's cost.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "usage: kvgraph-server [config-file] [--port N] [--bind ADDR…] [--requirepass PW] \
             [--protected-mode yes|no] [--dir PATH] [--appendonly yes|no] [--appendfsync always|everysec|no] \
             [--save \"SECS CHANGES …\"] [--maxclients N] [--threads N] [--proto-max-bulk-len SIZE] \
             [--client-query-buffer-limit SIZE] [--client-output-buffer-limit normal HARD 0 0]"
        );
        return;
    }
    let config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kvgraph-server: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = std::env::set_current_dir(&config.dir) {
        eprintln!("kvgraph-server: cannot use dir {}: {e}", config.dir.display());
        std::process::exit(1);
    }
    let threads = match config.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let srv = match Server::open(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kvgraph-server: {e}");
            std::process::exit(1);
        }
    };
    // The acceptor and signal handling run here; connections on the workers.
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kvgraph-server: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    let (inboxes, workers) = match listener::start_workers(&srv, threads) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("kvgraph-server: cannot start the worker threads: {e}");
            std::process::exit(1);
        }
    };
    let code = rt.block_on(async {
        let listeners = match listener::bind(&srv).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("kvgraph-server: {e}");
                return 1;
            }
        };
        for l in &listeners {
            if let Ok(a) = l.local_addr() {
                eprintln!("kvgraph-server: ready to accept connections on {a}");
            }
        }
        if srv.persist.is_none() && std::path::Path::new("kv").join("LOCK").exists() {
            eprintln!(
                "kvgraph-server: note: this dir holds persisted data (kv/), not loaded: persistence is off \
                 (start with --appendonly yes to load it)"
            );
        }
        if let Some(p) = &srv.persist {
            let c = srv.config.read();
            eprintln!(
                "kvgraph-server: persistence on in {} (appendonly {}, appendfsync {}, save \"{}\"): {} keys, {} graphs loaded",
                p.dir.display(),
                if c.appendonly { "yes" } else { "no" },
                c.appendfsync,
                kvgraph_server::config::save_text(&p.rules.lock()),
                srv.store.dbsize(),
                srv.graphs.len(),
            );
        }
        tokio::spawn(on_signals(Arc::clone(&srv)));
        listener::serve(Arc::clone(&srv), listeners, inboxes).await;
        0
    });
    srv.request_shutdown();
    for w in workers {
        let _ = w.join();
    }
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    // `process::exit` runs no destructors: the engines' logs are synced here.
    let code = match srv.finish() {
        Err(e) => {
            eprintln!("kvgraph-server: saving the data at shutdown failed: {e}");
            1
        }
        Ok(_) if code != 0 => code,
        Ok(true) => {
            eprintln!("kvgraph-server: snapshot saved and logs synced, shut down");
            0
        }
        Ok(false) if srv.persist.is_some() => {
            eprintln!("kvgraph-server: logs synced, shut down");
            0
        }
        Ok(false) => {
            eprintln!("kvgraph-server: shut down (persistence off: nothing to save)");
            0
        }
    };
    std::process::exit(code);
}

/// SIGTERM and SIGINT ask for a graceful shutdown.
async fn on_signals(srv: Arc<Server>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        eprintln!("kvgraph-server: cannot install signal handlers");
        return;
    };
    tokio::select! {
        _ = term.recv() => eprintln!("kvgraph-server: SIGTERM, shutting down"),
        _ = int.recv() => eprintln!("kvgraph-server: SIGINT, shutting down"),
    }
    srv.request_shutdown();
}
