// A tenant troubleshoots its own path: the demo tenant (a member of project "demo") traces vm1 to the outside
// world on the Trace page and reads the verdict and each hop in its own resources' terms, with none of the
// host's internals (host, bridges, namespaces, devices, local VLANs) that the admin's page shows for the same
// trace.
import { expect, type Page, test } from "@playwright/test";
import { gotoSettled } from "./helpers";
import { E2E_DEMO_PASSWORD, readStack } from "./stack";
import { apiQuery, explainTrace, type TraceAnswer, trace } from "./trace-helpers";

/** What only the host knows: its namespaces' and devices' names, its bridges. */
function hostWords(): string[] {
  const stack = readStack();
  return [
    stack.prefix,
    stack.integrationBridge,
    stack.externalBridge,
    "qrouter-",
    "qprobe-",
    "qg-",
    "qr-",
    "tap",
  ];
}

async function tracePanel(page: Page, outside: string) {
  await gotoSettled(page, `/trace?from=vm1&to=${outside}`);
  const verdict = page.getByTestId("trace-verdict");
  await expect(verdict).toBeVisible();
  await expect(verdict).toHaveAttribute("data-verdict", "delivered");
  return page.getByTestId("trace-panel");
}

test("a member traces its instance to the outside world and sees the verdict, without the host's internals", async ({
  page,
}) => {
  const { url } = readStack();
  const outside = (await apiQuery<{ gateway_ip: string | null }>(url, "subnet.show", { id: "public-subnet" }))
    .gateway_ip;
  if (!outside) throw new Error("public-subnet has no gateway in the demo");
  // Another spec may have left the demo mid-change: wait until the path works.
  let last: TraceAnswer | undefined;
  await expect(async () => {
    last = await trace(url, "vm1", outside);
    expect(last.verdict, explainTrace(last)).toBe("delivered");
  }).toPass({ timeout: 60_000 });

  // The admin's page shows where each hop happens on the host (what the member's must not).
  const adminPanel = await tracePanel(page, outside);
  await expect(adminPanel.getByTestId("hop-where").first()).toBeVisible();
  await expect(adminPanel).toContainText(readStack().prefix);

  await page.context().clearCookies();
  await page.goto("/login");
  await page.getByLabel("User name").fill("demo");
  await page.getByLabel("Password").fill(E2E_DEMO_PASSWORD);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("whoami")).toHaveAttribute("data-role", "member");
  await expect(
    page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Trace" }),
  ).toBeVisible();

  const panel = await tracePanel(page, outside);
  await expect(page.getByTestId("trace-verdict")).toContainText("vm1");
  const hops = panel.getByTestId("hop");
  await expect(hops.first()).toBeVisible();
  // The path in its own terms: vm1's route out, its router's route and its floating IP's SNAT.
  await expect(panel.getByTestId("hop-rule").first()).toContainText("vm1 routes");
  await expect(panel).toContainText("demo-router routes");
  await expect(panel).toContainText(/out of gateway port 203\.0\.113\.\d+/);
  await expect(panel).toContainText("(SNAT)");
  await expect(panel.getByTestId("hop-where")).toHaveCount(0);
  await expect(panel.getByTestId("hop-local-tag")).toHaveCount(0);
  const text = (await panel.textContent()) ?? "";
  for (const word of hostWords()) expect(text, word).not.toContain(word);
});
