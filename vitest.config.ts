import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));
// Next's build folders hold copies of packages with their own test files.
const exclude = [...configDefaults.exclude, ".next/**", ".next-test/**", ".netlens/**", "e2e/**"];

export default defineConfig({
  resolve: { alias: { "@": root } },
  test: {
    projects: [
      {
        extends: true,
        // Database tests boot a PGlite per test (about 2 s, more on a loaded 2-core machine).
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: [...exclude, "**/*.int.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Real OVS, namespaces and iptables: needs root; files run one at a time (they share the machine).
        extends: true,
        test: {
          name: "integration",
          include: ["**/*.int.test.ts"],
          exclude,
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
