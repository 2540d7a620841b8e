//! `hubsim` — run the local Hub simulator by hand.
//!
//! ```text
//! hubsim [--port 7860] [--host 127.0.0.1] [--data-dir ./hubsim-data] [--app-dir dist]
//!        [--oauth-client-id ID] [--oauth-scopes "openid profile jobs ..."]
//!        [--public-url URL] [--var KEY=VALUE]... [--consent ask|approve|deny]
//!        [--space-python PATH] [--space-pythonpath DIR] [--space-start-timeout SECS]
//!        [--seed-space owner/name=DIR]... [--demo-agent]
//!        [--demo-agent-mistake owner/name=raises-on-call|no-health-route]...
//!        [--plain-bucket-mounts] [--fast] [--print-tokens]
//! ```
//! `--space-pythonpath` puts a folder first on the Spaces' `PYTHONPATH` (e.g. the model-library
//! stand-ins, `crates/hubsim/pylibs`); `--seed-space` creates a public static Space from a
//! folder at start-up (the release folder, worker included); `--demo-agent` answers
//! `POST /v1/chat/completions` with the scripted demo coding agent; `--demo-agent-mistake` makes
//! it get the first app for that Space wrong on purpose, to watch a repair round fix it.
//! With `--space-python`, Gradio Spaces run for real as `PATH app.py` (see the crate docs).
//! Jobs get their bucket volumes through FUSE with hf-mount's rules; on a machine that cannot
//! mount FUSE, hubsim says so at start-up, and `--plain-bucket-mounts` gives them plain folders
//! instead (not the Hub's rules: appending and files held open then work, as they would not there).
//! Logs go to stderr; set `HUBSIM_LOG=debug` for request logs (tokens are never logged).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use sf_hubsim::{ConsentMode, HubSim, OTHER_TOKEN, OTHER_USER, SimConfig, TEST_TOKEN, TEST_USER};

const USAGE: &str = "usage: hubsim [--port N] [--host ADDR] [--data-dir DIR] [--app-dir DIR] \
[--oauth-client-id ID] [--oauth-scopes SCOPES] [--public-url URL] [--var KEY=VALUE]... \
[--consent ask|approve|deny] [--space-python PATH] [--space-pythonpath DIR] \
[--space-start-timeout SECS] [--seed-space owner/name=DIR]... [--demo-agent] \
[--demo-agent-mistake owner/name=raises-on-call|no-health-route]... [--plain-bucket-mounts] \
[--fast] [--print-tokens]";

struct Args {
    port: u16,
    host: String,
    data_dir: PathBuf,
    app_dir: Option<PathBuf>,
    oauth_client_id: Option<String>,
    oauth_scopes: Option<String>,
    public_url: Option<String>,
    vars: Vec<(String, String)>,
    consent: Option<ConsentMode>,
    space_python: Option<PathBuf>,
    space_pythonpath: Option<PathBuf>,
    seed_spaces: Vec<(String, PathBuf)>,
    demo_agent: bool,
    demo_agent_mistakes: Vec<(String, sf_hubsim::agent::DemoMistake)>,
    plain_bucket_mounts: bool,
    space_start_timeout: Option<u64>,
    fast: bool,
    print_tokens: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 7860,
        host: "127.0.0.1".to_string(),
        data_dir: PathBuf::from("hubsim-data"),
        app_dir: None,
        oauth_client_id: None,
        oauth_scopes: None,
        public_url: None,
        vars: Vec::new(),
        consent: None,
        space_python: None,
        space_pythonpath: None,
        seed_spaces: Vec::new(),
        demo_agent: false,
        demo_agent_mistakes: Vec::new(),
        plain_bucket_mounts: false,
        space_start_timeout: None,
        fast: false,
        print_tokens: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--port" => {
                args.port = value("--port")?
                    .parse()
                    .map_err(|_| "--port must be a number from 0 to 65535".to_string())?
            }
            "--host" => args.host = value("--host")?,
            "--data-dir" => args.data_dir = value("--data-dir")?.into(),
            "--app-dir" => args.app_dir = Some(value("--app-dir")?.into()),
            "--oauth-client-id" => args.oauth_client_id = Some(value("--oauth-client-id")?),
            "--oauth-scopes" => args.oauth_scopes = Some(value("--oauth-scopes")?),
            "--public-url" => args.public_url = Some(value("--public-url")?),
            "--var" => {
                let kv = value("--var")?;
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| format!("--var expects KEY=VALUE, got '{kv}'"))?;
                args.vars.push((k.to_string(), v.to_string()));
            }
            "--consent" => {
                args.consent = Some(match value("--consent")?.as_str() {
                    "ask" => ConsentMode::Ask,
                    "approve" => ConsentMode::Approve,
                    "deny" => ConsentMode::Deny,
                    other => {
                        return Err(format!("--consent is ask, approve or deny, not '{other}'"));
                    }
                })
            }
            "--space-python" => args.space_python = Some(value("--space-python")?.into()),
            "--space-pythonpath" => {
                args.space_pythonpath = Some(value("--space-pythonpath")?.into())
            }
            "--seed-space" => {
                let kv = value("--seed-space")?;
                let (id, dir) = kv
                    .split_once('=')
                    .ok_or_else(|| format!("--seed-space expects owner/name=DIR, got '{kv}'"))?;
                args.seed_spaces.push((id.to_string(), dir.into()));
            }
            "--demo-agent" => args.demo_agent = true,
            "--demo-agent-mistake" => {
                let kv = value("--demo-agent-mistake")?;
                let bad = || {
                    format!(
                        "--demo-agent-mistake expects owner/name=raises-on-call or owner/name=no-health-route, got '{kv}'"
                    )
                };
                let (id, kind) = kv.split_once('=').ok_or_else(bad)?;
                let mistake = sf_hubsim::agent::DemoMistake::from_wire(kind).ok_or_else(bad)?;
                args.demo_agent_mistakes.push((id.to_string(), mistake));
            }
            "--plain-bucket-mounts" => args.plain_bucket_mounts = true,
            "--space-start-timeout" => {
                args.space_start_timeout = Some(
                    value("--space-start-timeout")?
                        .parse()
                        .map_err(|_| "--space-start-timeout is a number of seconds".to_string())?,
                )
            }
            "--fast" => args.fast = true,
            "--print-tokens" => args.print_tokens = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
        }
    }
    Ok(args)
}

fn init_logging() {
    let level = std::env::var("HUBSIM_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::WARN);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .init();
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    init_logging();
    let mut cfg = if args.fast {
        SimConfig::for_tests(&args.data_dir)
    } else {
        SimConfig::new(&args.data_dir)
    };
    cfg.app_dir = args.app_dir;
    cfg.oauth_client_id = args.oauth_client_id;
    if let Some(scopes) = args.oauth_scopes {
        cfg.oauth_scopes = scopes;
    }
    if let Some(url) = args.public_url {
        cfg = cfg.with_public_url(url);
    }
    if let Some(consent) = args.consent {
        cfg.consent = consent;
    }
    if let Some(python) = args.space_python {
        cfg = cfg.with_space_runtime(python);
    }
    if let Some(dir) = args.space_pythonpath {
        cfg = cfg.with_space_pythonpath(dir);
    }
    for (id, dir) in args.seed_spaces {
        cfg = cfg.with_seed_space(id, dir);
    }
    cfg.demo_agent = args.demo_agent;
    for (id, mistake) in args.demo_agent_mistakes {
        cfg = cfg.with_demo_agent_mistake(id, mistake);
    }
    if args.plain_bucket_mounts {
        cfg = cfg.with_plain_bucket_mounts();
    }
    if let Some(secs) = args.space_start_timeout {
        cfg = cfg.with_space_start_timeout(std::time::Duration::from_secs(secs));
    }
    for (k, v) in args.vars {
        cfg.extra_variables.insert(k, v);
    }
    let addr: SocketAddr = match format!("{}:{}", args.host, args.port).parse() {
        Ok(a) => a,
        Err(_) => {
            eprintln!(
                "'{}:{}' is not a valid address to listen on",
                args.host, args.port
            );
            return ExitCode::from(2);
        }
    };
    let sim = match HubSim::start(cfg, addr).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("hubsim could not start on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", sim.url());
    if args.print_tokens {
        println!("{TEST_USER} {TEST_TOKEN}");
        println!("{OTHER_USER} {OTHER_TOKEN}");
    }
    wait_for_stop_signal().await;
    sim.shutdown().await;
    ExitCode::SUCCESS
}

/// Ctrl-C or SIGTERM (a background process started by a script ignores SIGINT).
async fn wait_for_stop_signal() {
    let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
