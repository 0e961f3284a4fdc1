//! `gemba config show`

use super::env::Ctx;
use super::error::CliResult;
use super::ui;

/// Inspect the configuration.
#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    Show(ConfigShowArgs),
}

/// Print the effective configuration: `.gemba/config.yaml` over the
/// built-in defaults (or the defaults alone before `gemba init`).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba config show\n  gemba config show --defaults --json")]
pub struct ConfigShowArgs {
    /// Print only the built-in defaults.
    #[arg(long)]
    defaults: bool,
}

pub fn run(ctx: &Ctx, cmd: ConfigCommand) -> CliResult {
    let ConfigCommand::Show(args) = cmd;
    let config = if args.defaults {
        crate::model::Config::default()
    } else {
        ctx.store()?.config().clone()
    };
    if ctx.json {
        ui::json(&config);
    } else {
        ui::out(&crate::format::to_yaml_string(&config));
    }
    Ok(())
}
