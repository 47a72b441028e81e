// Port binding in the browser, against the real stack of e2e/global-setup.ts: each instance on the graph says
// which host its port is bound on, and an interface plugged by hand into the integration bridge with an iface-id
// that names no port is listed on the host page as unbound, on the dead VLAN.
import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";
import { gotoSettled, node, openTopology, snap } from "./helpers";
import { apiQuery, readStack } from "./stack";

const run = promisify(execFile);

test("the graph shows each instance's binding, the host page an interface with an unknown iface-id", async ({
  page,
}, testInfo) => {
  const stack = readStack();
  const vm1 = await apiQuery<{ host: string }>(stack.url, "server.show", { id: "vm1" });
  await openTopology(page);
  await expect(node(page, "instance", "vm1")).toContainText(`· on ${vm1.host}`);
  await snap(page, testInfo, "binding-1-graph");

  const tag = randomBytes(2).toString("hex");
  const ns = `e2ebind-${tag}`;
  const dev = `eb${tag}`;
  const vsctl = (...args: string[]) =>
    run("ovs-vsctl", [`--db=unix:${join(stack.dir, "ovs", "db.sock")}`, ...args]);
  const nobody = randomUUID();
  await run("ip", ["netns", "add", ns]);
  try {
    await run("ip", ["link", "add", dev, "type", "veth", "peer", "name", "eth0", "netns", ns]);
    await run("ip", ["link", "set", dev, "up"]);
    await vsctl(
      "add-port",
      stack.integrationBridge,
      dev,
      "--",
      "set",
      "Interface",
      dev,
      `external_ids:iface-id=${nobody}`,
    );
    await gotoSettled(page, `/hosts/${encodeURIComponent(vm1.host)}`);
    await page.getByTestId("tab-plugged").click();
    const row = page.getByTestId("plugged-interface").filter({ hasText: dev });
    await expect(row).toHaveAttribute("data-state", "unbound", { timeout: 10_000 });
    await expect(row).toContainText(nobody);
    await expect(row).toContainText("4095");
    await expect(page.getByTestId("tab-plugged")).toContainText("1 unbound");
    await snap(page, testInfo, "binding-2-host-page");
  } finally {
    await vsctl("--if-exists", "del-port", dev).catch(() => undefined);
    await run("ip", ["link", "del", dev]).catch(() => undefined);
    await run("ip", ["netns", "del", ns]).catch(() => undefined);
  }
});
