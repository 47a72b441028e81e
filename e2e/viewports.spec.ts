// Phones and big screens: at 390x844 no page scrolls sideways, the header folds into a menu that reaches every
// page, Log out and the theme toggle, list tables scroll inside their own box (actions column included), and the
// side panel is a bottom sheet under the graph; at 1920x1080 the header is one row and the panel a right column.
import { expect, type Locator, type Page, test } from "@playwright/test";
import { gotoSettled, node, openTopology, select } from "./helpers";

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1920, height: 1080 };

/** Neither the page nor its main area is wider than the window. */
async function expectNoSidewaysScroll(page: Page, path: string) {
  const widths = await page.evaluate(() => {
    const main = document.querySelector("main");
    return {
      page: document.documentElement.scrollWidth,
      main: main ? main.scrollWidth - main.clientWidth : 0,
      window: window.innerWidth,
    };
  });
  expect(widths.page, `${path}: page width`).toBeLessThanOrEqual(widths.window);
  expect(widths.main, `${path}: main area overflow`).toBeLessThanOrEqual(0);
}

async function box(locator: Locator) {
  const b = await locator.boundingBox();
  if (!b) throw new Error("not rendered");
  return b;
}

async function expectInsideWindow(locator: Locator, width: number) {
  await expect(locator).toBeVisible();
  const b = await box(locator);
  expect(b.x).toBeGreaterThanOrEqual(0);
  expect(b.x + b.width).toBeLessThanOrEqual(width);
}

test.describe("a phone, 390x844", () => {
  test.use({ viewport: PHONE });

  test("no page scrolls sideways", async ({ page }) => {
    for (const path of [
      "/",
      "/networks",
      "/routers",
      "/floating-ips",
      "/instances",
      "/hosts",
      "/trace",
      "/admin",
    ]) {
      await gotoSettled(page, path);
      await expect(page.locator("h1")).toHaveCount(1);
      await page.waitForLoadState("networkidle");
      await expectNoSidewaysScroll(page, path);
    }
  });

  test("the header folds into a menu that reaches every page, Log out and the theme", async ({ page }) => {
    await openTopology(page);
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect(nav).toBeHidden();
    const toggle = page.getByTestId("menu-toggle");
    await expectInsideWindow(toggle, PHONE.width);
    await toggle.click();
    await expect(toggle).toHaveAttribute("aria-expanded", "true");
    for (const name of ["Topology", "Networks", "Floating IPs", "Admin", "Audit"]) {
      await expectInsideWindow(nav.getByRole("link", { name }), PHONE.width);
    }
    await expectInsideWindow(page.getByTestId("logout"), PHONE.width);
    await expectInsideWindow(page.getByTestId("theme-toggle"), PHONE.width);
    await expectNoSidewaysScroll(page, "/ with the menu open");
    // Following a link closes the menu.
    await nav.getByRole("link", { name: "Floating IPs" }).click();
    await expect(page).toHaveURL(/\/floating-ips$/);
    await expect(nav).toBeHidden();
  });

  test("a list table scrolls inside its own box, its actions column within reach", async ({ page }) => {
    await gotoSettled(page, "/networks");
    const scroller = page.getByTestId("table-scroll");
    await expect(scroller.locator("tbody tr").first()).toBeVisible();
    const sizes = await scroller.evaluate((el) => ({ client: el.clientWidth, scroll: el.scrollWidth }));
    expect(sizes.client).toBeLessThanOrEqual(PHONE.width);
    expect(sizes.scroll, "the table is wider than the phone: it scrolls in its box").toBeGreaterThan(
      sizes.client,
    );
    const action = scroller.locator("tbody tr").first().locator("td").last().getByRole("button").first();
    await action.scrollIntoViewIfNeeded();
    await expectInsideWindow(action, PHONE.width);
    await expectNoSidewaysScroll(page, "/networks after scrolling the table");
  });

  test("the side panel is a bottom sheet under the graph", async ({ page }) => {
    await openTopology(page);
    await select(page, "vm1");
    const panel = await box(page.getByTestId("side-panel"));
    const graph = await box(page.getByTestId("topology"));
    expect(panel.width).toBeGreaterThan(PHONE.width - 2);
    expect(panel.y).toBeGreaterThanOrEqual(graph.y + graph.height - 1);
    expect(panel.y + panel.height).toBeLessThanOrEqual(PHONE.height + 1);
    expect(graph.height, "the graph keeps the top of the screen").toBeGreaterThan(PHONE.height / 3);
  });
});

test.describe("a big screen, 1920x1080", () => {
  test.use({ viewport: DESKTOP });

  test("the header is one row with every link; the side panel is a right-hand column", async ({ page }) => {
    await openTopology(page);
    await expect(page.getByTestId("menu-toggle")).toBeHidden();
    const nav = page.getByRole("navigation", { name: "Main" });
    const first = await box(nav.getByRole("link", { name: "Topology" }));
    const last = await box(nav.getByRole("link", { name: "Audit" }));
    expect(last.y).toBe(first.y);
    const logout = await box(page.getByTestId("logout"));
    expect(Math.abs(logout.y + logout.height / 2 - (first.y + first.height / 2))).toBeLessThan(8);
    await select(page, "vm1");
    const panel = await box(page.getByTestId("side-panel"));
    const graph = await box(page.getByTestId("topology"));
    expect(panel.x).toBeGreaterThanOrEqual(graph.x + graph.width - 1);
    expect(panel.width).toBeLessThan(500);
    expect(panel.height).toBeGreaterThan(graph.height - 2);
    await expectNoSidewaysScroll(page, "/");
  });
});

test("a node clicked at the graph's right edge stays in view when its panel opens", async ({ page }) => {
  await openTopology(page);
  const router = page.locator(".react-flow__node", { has: node(page, "router", "demo-router") });
  await expect(router).toBeVisible();
  // Pan the graph until the router sits near the right edge, where the panel will open.
  const before = await box(page.getByTestId("topology"));
  const start = await box(router);
  const dx = before.x + before.width - 120 - (start.x + start.width / 2);
  await page.mouse.move(before.x + 15, before.y + 15);
  await page.mouse.down();
  await page.mouse.move(before.x + 15 + dx / 2, before.y + 15, { steps: 5 });
  await page.mouse.move(before.x + 15 + dx, before.y + 15, { steps: 5 });
  await page.mouse.up();
  await router.click({ position: { x: 20, y: 10 } });
  await expect(page.getByTestId("side-panel")).toBeVisible();
  const graph = await box(page.getByTestId("topology"));
  await expect
    .poll(async () => {
      const b = await box(router);
      const cx = b.x + b.width / 2;
      return cx > graph.x && cx < graph.x + graph.width;
    })
    .toBe(true);
});

test("on a graph that fits the screen, no minimap covers a node, wherever it is panned", async ({ page }) => {
  await openTopology(page);
  const router = page.locator(".react-flow__node", { has: node(page, "router", "demo-router") });
  // Pan demo-router into the bottom-right corner, where a minimap sits.
  const area = await box(page.getByTestId("topology"));
  const start = await box(router);
  const dx = area.x + area.width - 110 - (start.x + start.width / 2);
  const dy = area.y + area.height - 70 - (start.y + start.height / 2);
  await page.mouse.move(area.x + 15, area.y + 15);
  await page.mouse.down();
  await page.mouse.move(area.x + 15 + dx / 2, area.y + 15 + dy / 2, { steps: 5 });
  await page.mouse.move(area.x + 15 + dx, area.y + 15 + dy, { steps: 5 });
  await page.mouse.up();
  const b = await box(router);
  expect(b.x + b.width / 2).toBeGreaterThan(area.x + area.width - 200);
  for (const map of await page.locator(".react-flow__minimap").all()) {
    const m = await box(map);
    const overlaps =
      b.x < m.x + m.width && m.x < b.x + b.width && b.y < m.y + m.height && m.y < b.y + b.height;
    expect(overlaps, "the minimap covers demo-router").toBe(false);
  }
});
