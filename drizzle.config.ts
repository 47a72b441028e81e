import { defineConfig } from "drizzle-kit";

// One schema and one migration history for both PGlite (embedded) and PostgreSQL (DATABASE_URL).
export default defineConfig({
  dialect: "postgresql",
  schema: "./server/db/schema.ts",
  out: "./server/db/migrations",
});
