//! Run the deterministic PBFT simulator over a range of seeds.
//!
//! ```sh
//! cargo run --release -p carbon-pbft --example simulate -- \
//!     --replicas 4 --byzantine 1 --seeds 0..200 --faults all
//! ```
//!
//! Prints one JSON object per run and a summary line; exits non-zero if any
//! run broke safety or liveness.

use carbon_pbft::sim::{Fault, SimConfig, run};
use clap::Parser;
use serde_json::json;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(about = "Deterministic PBFT fault simulation over many seeds")]
struct Args {
    /// Voting replicas (n = 3f + 1 tolerates f faults).
    #[arg(long, default_value_t = 4)]
    replicas: usize,
    /// Byzantine replicas among them.
    #[arg(long, default_value_t = 0)]
    byzantine: usize,
    /// Seeds, as a half-open range `a..b`.
    #[arg(long, default_value = "0..100")]
    seeds: String,
    /// Fault classes enabled together: `all`, `none`, or a comma list of
    /// delay, loss, duplicate, partition, lagging, crash, equivocate,
    /// conflicting-votes, replay, garbage, silent.
    #[arg(long, default_value = "all")]
    faults: String,
    /// Clients (each sends its requests one after another).
    #[arg(long, default_value_t = 3)]
    clients: u64,
    /// Requests per client.
    #[arg(long, default_value_t = 2)]
    requests: u64,
    /// Print only the summary line.
    #[arg(long)]
    quiet: bool,
}

fn parse_seeds(s: &str) -> Result<std::ops::Range<u64>, String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("seeds must look like a..b, got {s:?}"))?;
    let a: u64 = a
        .trim()
        .parse()
        .map_err(|e| format!("bad seed start {a:?}: {e}"))?;
    let b: u64 = b
        .trim()
        .parse()
        .map_err(|e| format!("bad seed end {b:?}: {e}"))?;
    if a >= b {
        return Err(format!("empty seed range {s}"));
    }
    Ok(a..b)
}

fn parse_faults(s: &str) -> Result<Vec<Fault>, String> {
    match s {
        "all" => Ok(Fault::ALL.to_vec()),
        "none" | "" => Ok(Vec::new()),
        _ => s
            .split(',')
            .map(|f| Fault::parse(f.trim()).ok_or_else(|| format!("unknown fault class {f:?}")))
            .collect(),
    }
}

fn percentile(sorted: &[u64], p: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) * p) / 100]
}

fn main() -> ExitCode {
    let args = Args::parse();
    let (seeds, faults) = match (parse_seeds(&args.seeds), parse_faults(&args.faults)) {
        (Ok(s), Ok(f)) => (s, f),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if args.replicas == 0 || args.byzantine > args.replicas {
        eprintln!("error: need at least one replica and at most that many Byzantine ones");
        return ExitCode::from(2);
    }
    let f = (args.replicas - 1) / 3;
    if args.byzantine > f {
        eprintln!(
            "warning: {} Byzantine replicas exceed f = {f}; PBFT guarantees nothing here",
            args.byzantine
        );
    }
    let mut cfg = SimConfig::small(args.replicas, args.byzantine, &faults);
    cfg.clients = args.clients;
    cfg.requests_per_client = args.requests;
    let names: Vec<&str> = faults.iter().map(|f| f.name()).collect();
    let (mut runs, mut unsafe_runs, mut dead_runs, mut committed, mut sent) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut divergences = 0u64;
    let mut latencies = Vec::new();
    for seed in seeds {
        let r = run(&cfg, seed);
        runs += 1;
        unsafe_runs += u64::from(!r.safety_violations.is_empty());
        dead_runs += u64::from(!r.liveness_ok);
        committed += r.committed_requests;
        sent += r.messages_sent;
        divergences += r.divergences;
        let mut l = r.latencies_ms.clone();
        l.sort_unstable();
        latencies.extend_from_slice(&l);
        if !args.quiet {
            let byz: Vec<String> = r
                .byzantine
                .iter()
                .map(|(id, b)| format!("{id}:{b:?}"))
                .collect();
            let line = json!({
                "seed": seed,
                "replicas": args.replicas,
                "byzantine": byz,
                "faults": names,
                "safety_violations": r.safety_violations,
                "liveness_ok": r.liveness_ok,
                "committed_requests": r.committed_requests,
                "submitted_requests": r.submitted_requests,
                "messages_sent": r.messages_sent,
                "view_changes": r.view_changes,
                "state_transfers": r.state_transfers,
                "divergences": r.divergences,
                "latency_ms_p50": percentile(&l, 50),
                "latency_ms_p99": percentile(&l, 99),
                "virtual_time_ms": r.end_time.0,
                "dropped": r.dropped,
                "final_states": r.final_states.iter().map(|s| s.map(|(v, a, e, l)| format!("{v} active={a} executed={e} low={l}"))).collect::<Vec<_>>(),
            });
            println!("{line}");
        }
    }
    latencies.sort_unstable();
    let summary = json!({
        "summary": true,
        "replicas": args.replicas,
        "byzantine": args.byzantine,
        "faults": names,
        "runs": runs,
        "safety_violations": unsafe_runs,
        "liveness_failures": dead_runs,
        "committed_requests": committed,
        "messages_sent": sent,
        "divergences": divergences,
        "commit_latency_ms_p50": percentile(&latencies, 50),
        "commit_latency_ms_p99": percentile(&latencies, 99),
    });
    println!("{summary}");
    if unsafe_runs > 0 || dead_runs > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
