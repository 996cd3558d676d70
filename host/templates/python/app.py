"""{{name}}: a seedhost seed plugin.

Build it with `seedhost plugin build {{name}}`, run it with
`seedhost run {{name}} --env local`. It may write only the tables its grant in
seedhost.toml lists.
"""

import seedhost


class Seed(seedhost.Plugin):
    name = "{{name}}"
    # The tables it writes (list them in its grant in seedhost.toml too).
    tables = []

    def run(self, ctx: seedhost.Context) -> None:
        # Rows are upserted: a re-run changes nothing. For example:
        #
        #   ctx.write("greetings", [(1, "hello")], columns=["id", "text"], conflict=["id"])
        #
        # For generated data use ctx.random (seeded), ctx.now() (the host's
        # reference time) and seedhost.uuid_v5: the same values on every run.
        ctx.info(f"{{name}} ran for {ctx.env} (reference time {ctx.now().isoformat()})")


WitWorld = seedhost.world(Seed)
