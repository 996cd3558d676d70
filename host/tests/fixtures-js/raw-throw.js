// A plugin written against the contract with no SDK: `run` throws an Error
// where the contract wants a string, so componentize-js complains on stderr,
// prints the stack and traps. seedhost's report must keep the complaint.
export function run(env, dryRun) {
  throw new Error(`boom from a raw plugin on ${env}`);
}

export function metadata() {
  return { name: 'raw-throw', version: '0.1.0', description: '', tables: [], profiles: [] };
}
