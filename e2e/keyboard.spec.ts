// Keyboard only: Tab reaches the graph's nodes, each shows where focus is, and Enter or Space opens its panel;
// the trace's From/To suggestions are a listbox chosen with the arrow keys and Enter.
import { expect, type Page, test } from "@playwright/test";
import { gotoSettled, openTopology } from "./helpers";

/** Presses Tab until a graph node has focus; returns its accessible name. */
async function tabToNode(page: Page): Promise<string> {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press("Tab");
    const label = await page.evaluate(() => {
      const el = document.activeElement;
      return el?.classList.contains("react-flow__node") ? el.getAttribute("aria-label") : null;
    });
    if (label) return label;
  }
  throw new Error("Tab never reached a node of the graph");
}

test("Tab reaches a node, which shows a focus ring; Enter and Space open its panel", async ({ page }) => {
  await openTopology(page);
  await page.getByTestId("search").focus();
  const label = await tabToNode(page);
  expect(label).toMatch(/^(External network|Network|Router|Instance) /);
  const focused = page.locator(".react-flow__node:focus");
  await expect(focused).toHaveCSS("outline-style", "solid");
  expect(
    Number.parseFloat(await focused.evaluate((el) => getComputedStyle(el).outlineWidth)),
  ).toBeGreaterThan(1);
  const name = label.replace(/^(External network|Network|Router|Instance) /, "");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("side-panel").getByRole("heading", { name })).toBeVisible();

  // Close it, then the next node with Space.
  await page.getByTestId("side-panel").getByRole("button", { name: /close/i }).click();
  await expect(page.getByTestId("side-panel")).toHaveCount(0);
  await page.getByTestId("search").focus();
  await tabToNode(page);
  const next = (await page.locator(".react-flow__node:focus").getAttribute("aria-label")) ?? "";
  await page.keyboard.press(" ");
  await expect(
    page.getByTestId("side-panel").getByRole("heading", {
      name: next.replace(/^(External network|Network|Router|Instance) /, ""),
    }),
  ).toBeVisible();
});

test("trace suggestions: ArrowDown moves through the listbox, Enter picks the option", async ({ page }) => {
  await gotoSettled(page, "/trace");
  const from = page.getByTestId("trace-from");
  await from.fill("vm");
  const list = page.getByRole("listbox", { name: "From suggestions" });
  await expect(list).toBeVisible();
  await expect(from).toHaveAttribute("aria-expanded", "true");
  await expect(from).toHaveAttribute("aria-controls", (await list.getAttribute("id")) ?? "");
  const options = list.getByRole("option");
  await expect(options.first()).toBeVisible();

  await from.press("ArrowDown");
  await expect(options.nth(0)).toHaveAttribute("aria-selected", "true");
  await from.press("ArrowDown");
  const second = options.nth(1);
  await expect(second).toHaveAttribute("aria-selected", "true");
  await expect(options.nth(0)).toHaveAttribute("aria-selected", "false");
  await expect(from).toHaveAttribute("aria-activedescendant", (await second.getAttribute("id")) ?? "");
  const value = (await second.getAttribute("data-value")) ?? "";
  expect(value).not.toBe("");

  await from.press("Enter");
  await expect(from).toHaveValue(value);
  await expect(list).toHaveCount(0);
  // The list is gone, so the field no longer points at it.
  await expect(from).not.toHaveAttribute("aria-controls", /.+/);
});
