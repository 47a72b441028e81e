import { expect, type Page, type TestInfo } from "@playwright/test";

/** A node of the graph by kind and name. */
export const node = (page: Page, kind: "external" | "network" | "router" | "instance", name: string) =>
  page.locator(`[data-testid="node-${kind}"][data-name="${name}"]`);

/**
 * page.goto that survives Chromium's ERR_NETWORK_CHANGED: other work on this machine adds and removes links all
 * the time, and Chromium aborts a navigation when it sees one.
 */
export async function gotoSettled(page: Page, url: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await page.goto(url);
      return;
    } catch (error) {
      if (attempt >= 3 || !String(error).includes("ERR_NETWORK_CHANGED")) throw error;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** Selects a node the way a user would: search its name, Enter (centres on it and opens its side panel). */
export async function select(page: Page, name: string) {
  await page.getByTestId("search").fill(name);
  await page.getByTestId("search").press("Enter");
  await expect(page.getByTestId("side-panel").getByRole("heading", { name })).toBeVisible();
}

export async function openTopology(page: Page) {
  await page.goto("/");
  await expect(page.getByTestId("topology")).toHaveAttribute("data-ready", "true");
  await expect(page.getByTestId("live-status")).toHaveAttribute("data-status", "live");
}

/** Fills a field of the open dialog by its label. */
export async function fill(page: Page, label: string, value: string) {
  await page.getByRole("dialog").getByLabel(label, { exact: true }).fill(value);
}

export async function submit(page: Page) {
  await page.getByRole("dialog").getByTestId("submit").click();
}

/** A full-page picture of the graph, kept as a test artifact. */
export async function snap(page: Page, testInfo: TestInfo, name: string) {
  await page.waitForTimeout(300); // let the last layout and edge routing settle
  await testInfo.attach(name, { body: await page.screenshot(), contentType: "image/png" });
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`) });
}

/** The trace page's Explain, clicked and waited for: the verdict is shown. */
export async function clickExplain(page: Page) {
  await page.getByTestId("trace-explain").click();
  await expect(page.getByTestId("trace-explain")).not.toHaveAttribute("aria-busy", "true");
  await expect(page.getByTestId("trace-verdict")).toBeVisible();
}
