// {{name}}: a seedhost seed plugin.
//
// Build it with `seedhost plugin build {{name}}`, run it with
// `seedhost run {{name}} --env local`. It may write only the tables its grant
// in seedhost.toml lists.
import { definePlugin } from '@seedhost/plugin';

export const { run, metadata } = definePlugin({
  name: '{{name}}',
  // The tables it writes (list them in its grant in seedhost.toml too).
  tables: [],
  run(ctx) {
    // Rows are upserted: a re-run changes nothing. For example:
    //
    //   ctx.write('greetings', { columns: ['id', 'text'], conflict: ['id'] }, [[1, 'hello']]);
    //
    // For generated data use ctx.random (seeded), ctx.now() (the host's
    // reference time) and uuidV5: the same values on every run.
    ctx.info(`{{name}} ran for ${ctx.env} (reference time ${ctx.now().toISOString()})`);
  },
});
