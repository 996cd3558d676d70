//! {{name}}: a seedhost seed plugin.
//!
//! Build it with `seedhost plugin build {{name}}`, run it with
//! `seedhost run {{name}} --env local`. It may write only the tables its grant
//! in seedhost.toml lists.

use seedhost_sdk::{Context, Plugin, Result, export_plugin, info};

struct Seed;

impl Plugin for Seed {
    /// The tables it writes (list them in its grant in seedhost.toml too).
    const TABLES: &'static [&'static str] = &[];

    fn run(ctx: &Context) -> Result<()> {
        // Rows are upserted: a re-run changes nothing. For example:
        //
        //     let mut greetings = ctx.table("greetings").columns(&["id", "text"]).conflict(&["id"]).open()?;
        //     greetings.push(seedhost_sdk::row![1, "hello"])?;
        //     greetings.finish()?;
        //
        // For generated data use ctx.random() (seeded), ctx.now() (the host's
        // reference time) and Uuid::v5: the same values on every run.
        info!(
            "{{name}} ran for {} (reference time {})",
            ctx.env(),
            ctx.now()?
        );
        Ok(())
    }
}

export_plugin!(Seed);
