import type { NextConfig } from "next";

const config: NextConfig = {
  // Tests build into their own folder so that `npm test` can run beside a live `npm run up`.
  distDir: process.env.NETLENS_DIST_DIR ?? ".next",
  // PGlite loads its WebAssembly and data files from its package folder at run time; pino spawns workers.
  serverExternalPackages: ["@electric-sql/pglite", "pg", "pino"],
  poweredByHeader: false,
};

export default config;
