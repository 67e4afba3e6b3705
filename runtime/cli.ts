#!/usr/bin/env node
// The `anchorless` command: detect, synth, train, eval, export, bench. Each command lives in its
// own module, loaded only when used (the trainer's TensorFlow.js stays out of `detect`).
// Errors are printed as one line naming the file or option at fault, with exit code 1.

const COMMANDS: Record<string, { help: string; load: () => Promise<(argv: string[]) => Promise<void>> }> = {
  detect: { help: 'detect objects in images (default: the bundled model and sample image)', load: async () => (await import('./cli/detect.js')).detectCommand },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.help}`);
  return `usage: anchorless <command> [options]   (anchorless <command> --help for its options)\n\ncommands:\n${rows.join('\n')}`;
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return;
  }
  const command = COMMANDS[name];
  if (!command) throw new Error(`unknown command "${name}"\n${usage()}`);
  await (await command.load())(rest);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  console.error(`anchorless: ${message}`);
  if (process.env.ANCHORLESS_DEBUG && e instanceof Error) console.error(e.stack);
  process.exitCode = 1;
});
