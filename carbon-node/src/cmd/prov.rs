//! `carbon prov ...`: validate, export and query provenance history files
//! (see `carbon-provenance`; a sample is `examples/data/provenance-history.json`).

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow};
use carbon_provenance::export::{lineage_to_dot, records_to_dot, to_prov_json};
use carbon_provenance::lineage::{ancestors, descendants, history};
use carbon_provenance::{
    Bounds, DataId, History, Limits, Lineage, MemoryStore, ProvenanceLog, ProvenanceStore,
};
use clap::{Subcommand, ValueEnum};
use serde_json::json;

/// `carbon prov` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProvCommand {
    /// Check every record of a history file: form, signatures, hash chains,
    /// references, time order, cycles.
    Validate {
        /// The history file (JSON).
        file: PathBuf,
    },
    /// Export a validated history as W3C PROV-JSON or Graphviz DOT.
    Export {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ExportFormat::ProvJson)]
        format: ExportFormat,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// The history file (JSON).
        file: PathBuf,
    },
    /// What a data item was derived from and what was derived from it.
    Lineage {
        /// The data item's id.
        #[arg(long)]
        data: String,
        /// Which way to walk.
        #[arg(long, value_enum, default_value_t = Direction::Both)]
        direction: Direction,
        /// Deepest level to walk.
        #[arg(long, default_value_t = 64)]
        depth: u32,
        /// Most items to return per direction.
        #[arg(long, default_value_t = 10_000)]
        max_nodes: usize,
        /// Print the lineage as Graphviz DOT (ignored with --json).
        #[arg(long)]
        dot: bool,
        /// The history file (JSON).
        file: PathBuf,
    },
    /// Every record that used or generated a data item, oldest first.
    History {
        /// The data item's id.
        #[arg(long)]
        data: String,
        /// The history file (JSON).
        file: PathBuf,
    },
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// W3C PROV-JSON (Member Submission layout).
    ProvJson,
    /// Graphviz DOT.
    Dot,
}

/// Lineage directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Direction {
    /// Ancestors: what the item was derived from.
    Up,
    /// Descendants: what was derived from the item.
    Down,
    /// Both.
    Both,
}

/// Reads and validates a history file, refusing oversized files before
/// reading them whole.
fn load(path: &Path) -> Result<(History, ProvenanceLog<MemoryStore>)> {
    let limits = Limits::HISTORY;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut bytes = Vec::new();
    let max = u64::try_from(limits.max_bytes).unwrap_or(u64::MAX);
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let history = History::from_json(&bytes, &limits)
        .with_context(|| format!("{} is not a provenance history", path.display()))?;
    let log = history
        .replay()
        .with_context(|| format!("{} is not valid", path.display()))?;
    Ok((history, log))
}

fn data_id(s: &str) -> Result<DataId> {
    DataId::new(s).map_err(|e| anyhow!("bad --data {s:?}: {e}"))
}

fn print_lineage(title: &str, l: &Lineage) {
    println!("{title} of {}:", l.root);
    if l.nodes.is_empty() {
        println!("  (none)");
    }
    for n in &l.nodes {
        println!("  {:>3}  {}", n.depth, n.data);
    }
    if l.truncated {
        println!("  ... (truncated by --depth or --max-nodes)");
    }
}

/// Runs a `carbon prov` subcommand.
pub fn run(cmd: ProvCommand, json: bool) -> Result<()> {
    match cmd {
        ProvCommand::Validate { file } => {
            let (history, log) = load(&file)?;
            let mut data = std::collections::BTreeSet::new();
            let mut agents = std::collections::BTreeSet::new();
            for r in &history.records {
                data.extend(r.body.touched());
                agents.insert(r.body.agent.id.clone());
            }
            let last = log
                .store()
                .iter()
                .last()
                .map(|(h, _)| h.to_hex())
                .unwrap_or_default();
            let n = log.store().len()?;
            if json {
                let out = json!({
                    "valid": true, "records": n, "data": data.len(),
                    "agents": agents.len(), "last_record": last,
                });
                println!("{out}");
            } else {
                println!(
                    "ok: {n} records, {} data items, {} agents; all signatures, hash chains and references check out",
                    data.len(),
                    agents.len()
                );
            }
        }
        ProvCommand::Export {
            format,
            output,
            file,
        } => {
            let (history, _) = load(&file)?;
            let mut text = match format {
                ExportFormat::ProvJson => {
                    serde_json::to_string_pretty(&to_prov_json(&history.records)?)?
                }
                ExportFormat::Dot => records_to_dot(&history.records),
            };
            if !text.ends_with('\n') {
                text.push('\n');
            }
            match output {
                Some(p) => std::fs::write(&p, text)
                    .with_context(|| format!("cannot write {}", p.display()))?,
                None => std::io::stdout().lock().write_all(text.as_bytes())?,
            }
        }
        ProvCommand::Lineage {
            data,
            direction,
            depth,
            max_nodes,
            dot,
            file,
        } => {
            let (_, log) = load(&file)?;
            let id = data_id(&data)?;
            let bounds = Bounds {
                max_depth: depth,
                max_nodes,
            };
            let up = match direction {
                Direction::Up | Direction::Both => Some(ancestors(log.store(), &id, bounds)?),
                Direction::Down => None,
            };
            let down = match direction {
                Direction::Down | Direction::Both => Some(descendants(log.store(), &id, bounds)?),
                Direction::Up => None,
            };
            if json {
                println!(
                    "{}",
                    json!({ "data": id, "ancestors": up, "descendants": down })
                );
            } else if dot {
                // One graph: ancestors' and descendants' edges together.
                let mut all = up
                    .clone()
                    .or_else(|| down.clone())
                    .ok_or_else(|| anyhow!("no direction"))?;
                if let (Some(_), Some(d)) = (&up, &down) {
                    all.nodes.extend(d.nodes.iter().cloned());
                    all.edges.extend(d.edges.iter().cloned());
                }
                print!("{}", lineage_to_dot(&all));
            } else {
                if let Some(l) = &up {
                    print_lineage("ancestors", l);
                }
                if let Some(l) = &down {
                    print_lineage("descendants", l);
                }
            }
        }
        ProvCommand::History { data, file } => {
            let (_, log) = load(&file)?;
            let id = data_id(&data)?;
            let records = history(log.store(), &id)?;
            if json {
                let rows: Vec<_> = records
                    .iter()
                    .map(|(h, r)| {
                        json!({
                            "record": h.to_hex(),
                            "activity": r.body.activity.id,
                            "type": r.body.activity.kind.as_str(),
                            "agent": r.body.agent.id,
                            "started_at": r.body.activity.started_at.0,
                            "generated": r.body.generated.iter().any(|g| g.id == id),
                        })
                    })
                    .collect();
                println!("{}", json!({ "data": id, "history": rows }));
            } else {
                println!("history of {id}:");
                for (h, r) in &records {
                    let b = &r.body;
                    println!(
                        "  {}  {:<14} {:<22} by {:<14} {}",
                        b.activity.started_at.to_xsd_datetime(),
                        b.activity.kind.as_str(),
                        b.activity.id.as_str(),
                        b.agent.id.as_str(),
                        &h.to_hex()[..16]
                    );
                }
            }
        }
    }
    Ok(())
}
