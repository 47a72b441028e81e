import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));
// Next's build folders hold copies of packages with their own test files.
const exclude = [...configDefaults.exclude, ".next/**", ".next-test/**", ".netlens/**", "e2e/**"];
const unit = {
  include: ["**/*.test.ts"],
  exclude: [...exclude, "**/*.int.test.ts"],
  testTimeout: 30_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  resolve: { alias: { "@": root } },
  test: {
    projects: [
      {
        extends: true,
        // Database tests boot a PGlite per test (about 2 s, more on a loaded 2-core machine).
        test: { name: "unit", ...unit },
      },
      // The same files on PostgreSQL, only where TEST_DATABASE_URL says which (scripts/with-postgres.sh sets it):
      // each test API a copy of one template migrated per run (server/db/targets.ts).
      ...(process.env.TEST_DATABASE_URL
        ? [
            {
              extends: true as const,
              test: { name: "unit-postgres", ...unit, globalSetup: ["server/db/postgres-template.setup.ts"] },
            },
          ]
        : []),
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
