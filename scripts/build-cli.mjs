// Bundles the netlens command (cli/main.ts and what it imports) into one ES module, cli/dist/netlens.mjs, so
// that a command starts node once with no TypeScript to compile (~0.9 s with tsx, ~0.1 s bundled). cli/netlens
// runs it, and calls this again when a source file is newer than the bundle. Written to a temporary file and
// renamed: two commands rebuilding at once each see a whole bundle.
import { rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(repo, "cli/dist/netlens.mjs");
const tmp = `${out}.${process.pid}.tmp`;
await build({
  entryPoints: [join(repo, "cli/main.ts")],
  outfile: tmp,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Some bundled packages (commander) still call require() for node built-ins.
  banner: {
    js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
  },
  logLevel: "warning",
});
await rename(tmp, out);
