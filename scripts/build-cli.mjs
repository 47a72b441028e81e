// Builds the netlens command: cli/main.ts and everything it imports bundled into one ES module,
// cli/dist/netlens.mjs, so that a command starts in plain node instead of compiling TypeScript on every run
// (tsx: about 0.8 s a command). Run by the install step (scripts/system-packages.sh), and by cli/netlens itself
// when a source is newer than the build.
import { rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "cli/dist/netlens.mjs");
// Built beside and renamed: a command started meanwhile runs the old build or the new, never half of one.
const temporary = `${out}.${process.pid}.tmp`;

await build({
  entryPoints: [join(root, "cli/main.ts")],
  outfile: temporary,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  legalComments: "none",
  logLevel: "warning",
  // CommonJS packages in the bundle (commander) call require(), which an ES module has only if it makes one.
  banner: {
    js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
  },
});
await rename(temporary, out);
