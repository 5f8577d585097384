import AxeBuilder from "@axe-core/playwright";
import { type APIRequestContext } from "@playwright/test";
import { expect, test } from "../fixtures";
import { signedOut } from "../people";

// The public status page as customers read it (signed out; the page has no
// JavaScript): an incident told to everyone shows with its message, its
// component's 90-day bar colours today as a major outage once it is resolved, the
// page fits 1280 and 360 px, and axe finds nothing serious.

const stamp = () => Date.now().toString(36) + Math.random().toString(36).slice(2, 6);

async function ok(response: Promise<import("@playwright/test").APIResponse>, status = 200) {
  const answer = await response;
  expect(answer.status(), await answer.text()).toBe(status);
  return answer.json();
}

/** A system shown as its own component, and a P1 on it told to everyone, then resolved. */
async function toldIncident(request: APIRequestContext, withComponent = true) {
  const s = stamp();
  const component = `Widgets ${s}`;
  await ok(request.post("/api/v1/systems", { data: { slug: `sp-${s}`, name: `Internal ${s}`, customer_name: component } }), 201);
  if (withComponent) {
    // Only one test here changes the list: a read-then-write race would drop one.
    const existing = await ok(request.get("/api/v1/status/components"));
    await ok(
      request.put("/api/v1/status/components", {
        data: [...existing, { slug: `widgets-${s}`, name: component, group: "Status spec", systems: [`sp-${s}`] }],
      }),
    );
  }
  // A standard-tier account: its messages need no second approval.
  await ok(request.post("/api/v1/accounts", { data: { slug: `sp-${s}`, name: `Account ${s}`, tier: "standard" } }), 201);
  const incident = await ok(
    request.post("/api/v1/incidents", {
      data: { title: `Internal title ${s}`, severity: "P1", systems: [`sp-${s}`], accounts: [`sp-${s}`] },
    }),
    201,
  );
  const key = incident.key;
  const tell = async (customer_status: string, body: string) => {
    const drafted = await ok(
      request.post(`/api/v1/incidents/${key}/messages`, { data: { audience: { kind: "all" }, customer_status, body } }),
      201,
    );
    await ok(request.post(`/api/v1/incidents/${key}/messages/${drafted.id}/transitions`, { data: { action: "send" } }));
  };
  await tell("investigating", `Widgets ${s} fail to load for some customers.`);
  await ok(request.patch(`/api/v1/incidents/${key}`, { data: { status: "resolved" } }));
  await tell("resolved", `Widgets ${s} load normally again.`);
  return { s, component, key };
}

test.describe("the public status page", () => {
  test.use({ storageState: signedOut });

  test("shows a told incident and colours its day, at 1280 and 360 px", async ({ page, request, javaScriptEnabled }) => {
    test.skip(javaScriptEnabled, "the page has no JavaScript: checked once, without");
    const { s, component, key } = await toldIncident(request);
    const today = new Date().toISOString().slice(0, 10);
    for (const width of [1280, 360]) {
      await page.setViewportSize({ width, height: 900 });
      const response = await page.goto("/status");
      expect(response?.status()).toBe(200);
      const incident = page.locator(`article#${key}`);
      await expect(incident.getByRole("heading")).toHaveText(`Service disruption affecting ${component}`);
      await expect(incident).toContainText(`Widgets ${s} load normally again.`);
      await expect(incident).toContainText(`Widgets ${s} fail to load for some customers.`);
      await expect(page.locator("body")).not.toContainText(`Internal title ${s}`);
      const row = page.locator(".component", { hasText: component });
      await expect(row.locator(".state")).toHaveText("Operational");
      const day = row.locator(`rect[data-date="${today}"]`);
      await expect(day).toHaveClass("day-critical");
      // The design's critical red, as drawn.
      expect(await day.evaluate((el) => getComputedStyle(el).fill)).toBe("rgb(207, 34, 46)");
      await expect(row.locator("svg title").first()).toBeAttached();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `no sideways scrolling at ${width} px`).toBeLessThanOrEqual(0);
      await test.info().attach(`status-${width}`, { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
    }
  });

  test("has no serious accessibility violation", async ({ browser, request, javaScriptEnabled, baseURL }) => {
    test.skip(!javaScriptEnabled, "axe runs as a script: checked once");
    await toldIncident(request, false);
    // The page allows no script at all; axe is injected past its policy.
    const context = await browser.newContext({ baseURL, bypassCSP: true, storageState: signedOut });
    const page = await context.newPage();
    await page.goto("/status");
    const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
    const failing = results.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.nodes.length}×): ${v.help} ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
    expect(failing).toEqual([]);
    await context.close();
  });
});
