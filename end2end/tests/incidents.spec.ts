import { type Page } from "@playwright/test";
import { expect, openDeclared, test } from "../fixtures";

// Every test declares its own incidents, with titles no other test uses.
function uniqueTitle(label: string): string {
  return `${label} ${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

async function openList(page: Page, javaScriptEnabled: boolean) {
  await page.goto("/");
  if (javaScriptEnabled) {
    // Interact only once the WASM has taken over the server-rendered form.
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
}

test("declaring an incident shows it at the top of the list", async ({ page, javaScriptEnabled }) => {
  await openList(page, javaScriptEnabled);
  const title = uniqueTitle("Checkout returns 500");
  if (javaScriptEnabled) {
    // A full page load would wipe this marker.
    await page.evaluate(() => ((window as any).__sameDocument = true));
  }

  await page.locator("#declare-form").getByLabel("Title").fill(title);
  await page.locator("#declare-form").getByLabel("Severity").selectOption("P1");
  await page.locator("#declare-form").getByLabel("Description").fill("EU customers cannot pay since 14:02.");
  await page.getByRole("button", { name: "Declare incident" }).click();

  const row = page.locator(".incident-row", { hasText: title });
  await expect(row).toBeVisible();
  await expect(row.locator(".badge").first()).toHaveText("P1");
  await expect(row).toContainText("investigating");
  if (javaScriptEnabled) {
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    // The form is cleared for the next declaration.
    await expect(page.locator("#declare-form").getByLabel("Title")).toHaveValue("");
  }
});

test("the newest incident is listed first", async ({ page, javaScriptEnabled }) => {
  const first = uniqueTitle("Older");
  const second = uniqueTitle("Newer");
  for (const title of [first, second]) {
    await openList(page, javaScriptEnabled);
    await page.locator("#declare-form").getByLabel("Title").fill(title);
    await page.locator("#declare-form").getByLabel("Severity").selectOption("P3");
    await page.getByRole("button", { name: "Declare incident" }).click();
    await expect(page.locator(".incident-row", { hasText: title })).toBeVisible();
  }
  const titles = await page.locator(".incident-row .incident-title").allInnerTexts();
  const newer = titles.findIndex((t) => t.includes(second));
  const older = titles.findIndex((t) => t.includes(first));
  expect(newer).toBeGreaterThanOrEqual(0);
  expect(newer).toBeLessThan(older);
});

test("an empty title gets an error next to the field and keeps what was typed", async ({
  page,
  javaScriptEnabled,
}) => {
  await openList(page, javaScriptEnabled);
  const description = "Typed while panicking: keep me";
  await page.locator("#declare-form").getByLabel("Severity").selectOption("P2");
  await page.locator("#declare-form").getByLabel("Description").fill(description);
  await page.getByRole("button", { name: "Declare incident" }).click();

  await expect(page.locator("#declare-title-error")).toHaveText("Title is required");
  await expect(page.locator("#declare-form").getByLabel("Title")).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("#declare-form").getByLabel("Description")).toHaveValue(description);
  await expect(page.locator("#declare-form").getByLabel("Severity")).toHaveValue("P2");
  await expect(page.locator(".incident-row", { hasText: description })).toHaveCount(0);
});

test("a missing severity is named next to the severity field", async ({ page, javaScriptEnabled }) => {
  await openList(page, javaScriptEnabled);
  const title = uniqueTitle("No severity chosen");
  await page.locator("#declare-form").getByLabel("Title").fill(title);
  await page.getByRole("button", { name: "Declare incident" }).click();

  await expect(page.locator("#declare-severity-error")).toContainText("choose P1, P2 or P3");
  await expect(page.locator("#declare-form").getByLabel("Title")).toHaveValue(title);
  await expect(page.locator(".incident-row", { hasText: title })).toHaveCount(0);
});

test("a 10 MB description is refused with a field error", async ({ page, javaScriptEnabled }) => {
  test.setTimeout(120_000); // typing and posting 10 MB takes ~20 s on 2 cores
  await openList(page, javaScriptEnabled);
  const title = uniqueTitle("Huge paste");
  const huge = "x".repeat(10 * 1024 * 1024);
  await page.locator("#declare-form").getByLabel("Title").fill(title);
  await page.locator("#declare-form").getByLabel("Severity").selectOption("P2");
  await page.locator("#declare-form").getByLabel("Description").fill(huge);
  await page.getByRole("button", { name: "Declare incident" }).click();

  await expect(page.locator("#declare-description-error")).toContainText("Description is too long");
  await expect(page.locator("#declare-form").getByLabel("Title")).toHaveValue(title);
  if (javaScriptEnabled) {
    // In place: the browser still holds all of it. (Without JavaScript the page is
    // rendered afresh and only values up to 8 KB travel back.)
    expect((await page.locator("#declare-form").getByLabel("Description").inputValue()).length).toBe(huge.length);
  }
  await expect(page.locator(".incident-row", { hasText: title })).toHaveCount(0);
});

test("the incident page shows one incident", async ({ page, javaScriptEnabled }) => {
  await openList(page, javaScriptEnabled);
  const title = uniqueTitle("Search is slow");
  await page.locator("#declare-form").getByLabel("Title").fill(title);
  await page.locator("#declare-form").getByLabel("Severity").selectOption("P2");
  await page.locator("#declare-form").getByLabel("Description").fill("p95 above 4 s for all tenants");
  await page.getByRole("button", { name: "Declare incident" }).click();

  await openDeclared(page, title, javaScriptEnabled);
  await expect(page).toHaveURL(/\/incidents\/INC-\d+$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
  await expect(page.locator("#war-header .badge").first()).toHaveText("P2");
  await expect(page.locator(".description")).toHaveText("p95 above 4 s for all tenants");
  await expect(page).toHaveTitle(new RegExp(title));
});

test("an unknown incident key says so", async ({ page }) => {
  const response = await page.goto("/incidents/INC-999999");
  expect(response?.status()).toBe(200);
  await expect(page.locator(".form-error")).toHaveText("INC-999999 not found");
});
