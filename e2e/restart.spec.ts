// The web server restarted under open browsers, against the real stack of e2e/global-setup.ts: the topology and
// host pages say that they lost the server, come back by themselves once it answers again (no reload), and then
// show a change made after the restart — the event and inspection streams reconnected, the agent's state is
// read again.
import { expect, test } from "@playwright/test";
import { gotoSettled, node, openTopology } from "./helpers";
import { adminStorageState, readStack, restartWeb, stopWeb } from "./stack";
import { apiMutation } from "./trace-helpers";

test("restarting the web server: open pages say so, reconnect by themselves and stay live", async ({
  page,
  browser,
}, testInfo) => {
  const stack = readStack();
  await openTopology(page);
  const hostPage = await (
    await browser.newContext({ baseURL: testInfo.project.use.baseURL, storageState: adminStorageState })
  ).newPage();
  await gotoSettled(hostPage, "/hosts");
  await hostPage.getByTestId("table").locator("tbody tr a").first().click();
  await expect(hostPage.getByTestId("namespace").first()).toBeVisible();

  const live = page.getByTestId("live-status");
  await expect(live).toHaveAttribute("data-status", "live");
  const stopped = Date.now();
  await stopWeb(stack);
  let restarted = 0;
  try {
    await expect(live).toHaveAttribute("data-status", "offline", { timeout: 15_000 });
    await expect(live).toHaveText("offline · reconnecting");
    await expect(hostPage.getByTestId("live-status")).toHaveAttribute("data-status", "offline");
    process.stdout.write(`shown offline ${Date.now() - stopped} ms after the server stopped\n`);
  } finally {
    // Whatever happened above, the specs after this one need their server.
    await restartWeb(stack);
    restarted = Date.now();
  }
  await expect(live).toHaveAttribute("data-status", "live", { timeout: 30_000 });
  await expect(hostPage.getByTestId("live-status")).toHaveAttribute("data-status", "live", {
    timeout: 30_000,
  });
  process.stdout.write(`live again ${Date.now() - restarted} ms after the server answered\n`);

  // A change after the restart reaches both open pages through the new streams, without a reload.
  const name = `restart-${Date.now().toString(36)}`;
  const network = await apiMutation<{ id: string }>(stack.url, "network.create", { name });
  try {
    await expect(node(page, "network", name)).toBeVisible({ timeout: 15_000 });
    await expect(hostPage.getByTestId("namespace").first()).toBeVisible();
  } finally {
    await apiMutation(stack.url, "network.delete", { id: network.id });
  }
  await expect(node(page, "network", name)).toHaveCount(0, { timeout: 15_000 });
});
