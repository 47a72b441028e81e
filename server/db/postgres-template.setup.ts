// The unit-postgres project's globalSetup: one migrated template database per run, which each test API copies
// (server/db/targets.ts); dropped at the end with any copy a test left behind, which is named so it gets fixed.
import type { TestProject } from "vitest/node";
import { migratedTemplate } from "./targets";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url)
    throw new Error(
      "The unit-postgres project needs TEST_DATABASE_URL: run it through scripts/with-postgres.sh",
    );
  const template = await migratedTemplate(url);
  project.provide("postgresTemplate", template.name);
  return async () => {
    const left = await template.drop();
    if (left.length)
      process.stderr.write(`unit-postgres: tests left ${left.length} databases open: ${left.join(", ")}\n`);
  };
}
