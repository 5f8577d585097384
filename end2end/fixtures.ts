import { expect, test as base, type Page } from "@playwright/test";
import { authFile } from "./people";

export { expect };

// `request` (API calls that set up a test) acts as the admin, like `page` does by
// default (the projects' storageState).
export const test = base.extend({
  request: async ({ playwright, baseURL }, use) => {
    const request = await playwright.request.newContext({ baseURL, storageState: authFile("admin") });
    await use(request);
    await request.dispose();
  },
});

// Opens the war room of an incident just declared on the list page, through its row.
// Waits for the row first (the declaration has finished), then clicks it in a list
// searched for its title: the full list is live, other tests declare incidents
// meanwhile, and each new one lands at the top and pushes the rows down, so a click
// aimed at one row could land on the one above (seen in CI runs).
export async function openDeclared(page: Page, title: string, javaScriptEnabled: boolean) {
  await expect(page.locator(".incident-row", { hasText: title })).toBeVisible();
  await page.goto(`/?q=${encodeURIComponent(title)}`);
  if (javaScriptEnabled) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  await page.locator(".incident-row", { hasText: title }).getByRole("link").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
}

/** Opens one of the war-room header's panels (status, roles, impact) unless it is open. */
export async function openPanel(page: Page, name: "status" | "roles" | "impact") {
  const panel = page.locator(`#${name}-panel`);
  if (!(await panel.evaluate((d) => (d as HTMLDetailsElement).open))) {
    await panel.locator("summary").click();
  }
  return page.locator(`#${name}-form`);
}
