// The `openstack` CLI and the netlens UI see each other's changes live: with the topology open, a network made
// with `openstack network create` (through the stack's Keystone and Neutron, an openrc from scripts/openrc.sh)
// appears on the graph without a reload and goes when `openstack network delete` removes it; a network made in
// the UI is in `openstack network list`.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";
import { fill, node, openTopology, submit } from "./helpers";
import { E2E_ADMIN_PASSWORD, readStack, repoRoot } from "./stack";

const run = promisify(execFile);

/** The environment without the caller's own cloud (OS_*): only the openrc counts. */
const cleanEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OS_"))) as NodeJS.ProcessEnv;

test("a network made with openstack shows on the open graph, and one made in the UI in openstack's list", async ({
  page,
}, testInfo) => {
  const { url } = readStack();
  const rc = testInfo.outputPath("openrc");
  await run("bash", [
    join(repoRoot, "scripts/openrc.sh"),
    rc,
    url,
    "admin",
    "admin",
    "/nonexistent",
    E2E_ADMIN_PASSWORD,
  ]);
  /** `openstack ARGS` after `source openrc`, as a user types it. */
  const openstack = async (...args: string[]) =>
    (await run("bash", ["-c", 'source "$0" && exec openstack "$@"', rc, ...args], { env: cleanEnv() }))
      .stdout;
  const listed = async () =>
    (JSON.parse(await openstack("network", "list", "-f", "json")) as { Name: string }[]).map((n) => n.Name);

  await openTopology(page);
  // Anything that reloads the page would clear this mark: the graph must change in place.
  await page.evaluate(() => {
    (window as unknown as { notReloaded: boolean }).notReloaded = true;
  });

  await openstack("network", "create", "os-cli-net");
  await expect(node(page, "network", "os-cli-net")).toBeVisible();
  await expect(node(page, "network", "os-cli-net")).toHaveAttribute("data-state", "active", {
    timeout: 30_000,
  });

  await page.getByTestId("create-network").click();
  await fill(page, "Name", "ui-made-net");
  await submit(page);
  await expect(node(page, "network", "ui-made-net")).toBeVisible();
  expect(await listed()).toEqual(expect.arrayContaining(["os-cli-net", "ui-made-net"]));

  await openstack("network", "delete", "os-cli-net", "ui-made-net");
  await expect(node(page, "network", "os-cli-net")).toHaveCount(0);
  await expect(node(page, "network", "ui-made-net")).toHaveCount(0);
  const after = await listed();
  expect(after).not.toContain("os-cli-net");
  expect(after).not.toContain("ui-made-net");
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
});
