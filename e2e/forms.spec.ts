// Bad input shows the API's error next to the field at fault, and creates nothing.
import { expect, type Page, test } from "@playwright/test";
import { fill, openTopology, select, submit } from "./helpers";
import { apiQuery, readStack } from "./stack";

type Subnet = { cidr: string };

async function subnetForm(page: Page) {
  await openTopology(page);
  await select(page, "demo-net");
  await page.getByTestId("action-add-subnet").click();
}

test("an overlapping CIDR is refused and shown under the CIDR field", async ({ page }) => {
  const { url } = readStack();
  const before = await apiQuery<Subnet[]>(url, "subnet.list", {});
  await subnetForm(page);
  await fill(page, "Name", "overlapping");
  await fill(page, "CIDR", "10.0.0.128/25");
  await submit(page);
  await expect(page.getByRole("dialog").getByTestId("error-cidr")).toContainText("overlaps");
  await expect(page.getByRole("dialog").getByLabel("CIDR", { exact: true })).toHaveAttribute(
    "aria-invalid",
    "true",
  );
  const after = await apiQuery<Subnet[]>(url, "subnet.list", {});
  expect(after.length).toBe(before.length);
});

test("a gateway outside the subnet is refused and shown under the gateway field", async ({ page }) => {
  const { url } = readStack();
  await subnetForm(page);
  await fill(page, "Name", "bad-gateway");
  await fill(page, "CIDR", "10.77.0.0/24");
  await page.getByRole("dialog").getByLabel("Gateway mode").selectOption("given");
  await fill(page, "Gateway IP", "10.78.0.1");
  await submit(page);
  await expect(page.getByRole("dialog").getByTestId("error-gateway_ip")).toContainText("not in subnet");
  const subnets = await apiQuery<Subnet[]>(url, "subnet.list", {});
  expect(subnets.map((s) => s.cidr)).not.toContain("10.77.0.0/24");
});

test("input the schema refuses never reaches the API", async ({ page }) => {
  await subnetForm(page);
  await fill(page, "Name", "bad-cidr");
  await fill(page, "CIDR", "10.0.0.0/33");
  await submit(page);
  await expect(page.getByRole("dialog").getByTestId("error-cidr")).toContainText(
    "the prefix length must be 0 to 32",
  );
});

test("the subnet form checks a field as it is left, in the shared schema's words", async ({ page }) => {
  await subnetForm(page);
  const cidr = page.getByRole("dialog").getByLabel("CIDR", { exact: true });
  await cidr.fill("10.0.0.0/33");
  await cidr.press("Tab");
  await expect(page.getByRole("dialog").getByTestId("error-cidr")).toContainText(
    "the prefix length must be 0 to 32",
  );
  // Fixed, and left again: the message goes, before any submit.
  await cidr.fill("10.77.0.0/24");
  await cidr.press("Tab");
  await expect(page.getByRole("dialog").getByTestId("error-cidr")).toHaveCount(0);
  // The gateway's placeholder and hint follow the CIDR typed.
  await expect(page.getByRole("dialog").getByText("The first host: 10.77.0.1")).toBeVisible();
  await expect(page.getByRole("dialog").getByLabel("Gateway IP", { exact: true })).toHaveAttribute(
    "placeholder",
    "10.77.0.1",
  );
});

test("empty required fields are named in the form's words, and focus goes to the first", async ({ page }) => {
  await openTopology(page);
  await page.getByTestId("create-subnet").click();
  await submit(page);
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByTestId("error-network_id")).toHaveText("Choose a network");
  await expect(dialog.getByTestId("error-cidr")).toHaveText("A CIDR is required");
  await expect(dialog.getByLabel("Network", { exact: true })).toBeFocused();
});

test("a gateway inside the pool is refused with pools that leave it out", async ({ page }) => {
  await subnetForm(page);
  await fill(page, "Name", "pool-holds-gateway");
  await fill(page, "CIDR", "10.78.0.0/24");
  await fill(page, "Allocation pools", "10.78.0.1-10.78.0.254");
  await submit(page);
  await expect(page.getByRole("dialog").getByTestId("error-allocation_pools")).toContainText(
    "Pools that leave the gateway out: 10.78.0.2-10.78.0.254",
  );
  await expect(page.getByRole("dialog").getByLabel("Allocation pools", { exact: true })).toBeFocused();
});

test("a network needs a name in the dashboard; none is created without one", async ({ page }) => {
  const { url } = readStack();
  const before = await apiQuery<unknown[]>(url, "network.list", {});
  await openTopology(page);
  await page.getByTestId("create-network").click();
  await submit(page);
  await expect(page.getByRole("dialog").getByTestId("error-name")).toHaveText("A name is required");
  await expect(page.getByRole("dialog").getByLabel("Name", { exact: true })).toBeFocused();
  expect(await apiQuery<unknown[]>(url, "network.list", {})).toHaveLength(before.length);
});
