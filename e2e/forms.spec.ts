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
  await expect(page.getByRole("dialog").getByTestId("error-cidr")).toContainText("Invalid CIDR");
});
