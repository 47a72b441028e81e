// e2e against the real stack: e2e/global-setup.ts starts a private OVS sandbox, the host agent and `next start`
// of the build in .next-test on free ports, with its own prefixes and bridge names (safe beside `npm run up`).
import { execFileSync } from "node:child_process";
import { defineConfig, devices } from "@playwright/test";
import { chromiumLaunchOptions } from "./e2e/chromium";

// Chosen once in the runner process and inherited by the workers (which load this file again), so that the
// runner's global setup and every worker agree on the address.
if (!process.env.NETLENS_E2E_PORT) {
  const script =
    "const s=require('node:net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})";
  process.env.NETLENS_E2E_PORT = execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }).trim();
}
const baseURL = `http://127.0.0.1:${process.env.NETLENS_E2E_PORT}`;

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  // One stack, one dataplane: the steps of a scenario depend on each other and on the host's state.
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  globalSetup: "./e2e/global-setup.ts",
  globalTeardown: "./e2e/global-teardown.ts",
  use: {
    ...devices["Desktop Chrome"],
    baseURL,
    // Logged in as admin (e2e/global-setup.ts); e2e/auth.spec.ts starts logged out and logs in through the page.
    storageState: "test-results/.e2e-admin-state.json",
    viewport: { width: 1280, height: 720 },
    headless: true,
    trace: "on-first-retry",
    screenshot: "on",
    launchOptions: chromiumLaunchOptions,
  },
});
