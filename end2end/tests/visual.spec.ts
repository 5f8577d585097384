import { type Page } from "@playwright/test";
import { expect, test } from "../fixtures";

// Visual regression: the main pages of the demo company (a server of its own, started
// by playwright.config.ts with --demo) at 1280 and 360 px, light and dark, compared
// with the committed baselines in visual.spec.ts-snapshots/. What moves with the
// clock (times, countdowns, "ago", the report's period) is masked; the rest must match within the
// configured tolerance. Update deliberately: npx playwright test visual --update-snapshots

const demo = `http://127.0.0.1:${process.env.E2E_DEMO_PORT}`;

const pages: [string, (page: Page) => Promise<string>][] = [
  ["incidents", async () => "/"],
  [
    "war-room",
    async (page) => {
      await page.goto(`${demo}/?q=${encodeURIComponent("Card payments failing at checkout")}`);
      const href = await page.locator(".incident-row .incident-title").first().getAttribute("href");
      return href ?? "/";
    },
  ],
  ["sla-board", async () => "/sla"],
  ["sla-report", async () => "/sla/reports"],
  ["catalog", async () => "/admin/catalog"],
];

for (const scheme of ["light", "dark"] as const) {
  for (const width of [1280, 360]) {
    test.describe(`${width} px, ${scheme}`, () => {
      test.use({
        viewport: { width, height: width > 400 ? 900 : 780 },
        colorScheme: scheme,
        timezoneId: "UTC",
        storageState: { cookies: [], origins: [] },
      });

      for (const [name, path] of pages) {
        test(`${name} looks as it did`, async ({ page, javaScriptEnabled }) => {
          test.skip(!javaScriptEnabled, "compared once, hydrated");
          const signIn = await page.request.post(`${demo}/api/fn/sign_in`, {
            form: { email: "ada.admin@example.com", password: "demo-admin-password" },
          });
          expect(signIn.ok()).toBe(true);
          await page.goto(`${demo}${await path(page)}`);
          await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
          // Pages that follow live updates show "Live" once connected.
          const live = page.locator("#live-state");
          if (await live.count()) {
            await expect(live.first()).toHaveText("Live");
          }
          await expect(page).toHaveScreenshot(`${name}-${width}-${scheme}.png`, {
            mask: [page.locator("time, .ago, .sla-left, .comms-due, #war-next-update, .war-next-update, .report-value, .report-period, .presence")],
          });
        });
      }
    });
  }
}
