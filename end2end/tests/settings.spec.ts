import { expect, test } from "../fixtures";
import { authFile } from "../people";

// A person's own settings: the zone their times are shown in. Each project changes its
// own person's setting (they run side by side).

test.use({ timezoneId: "America/New_York" });

test("a person names the zone their times are shown in, and goes back to the browser's", async ({ browser, request, javaScriptEnabled }) => {
  const who = javaScriptEnabled ? "tess" : "theo";
  const context = await browser.newContext({ storageState: authFile(who), javaScriptEnabled, timezoneId: "America/New_York" });
  const page = await context.newPage();
  const declared = await request.post("/api/v1/incidents", { data: { title: `Zones ${Date.now().toString(36)}`, severity: "P3" } });
  expect(declared.status()).toBe(201);
  const key = (await declared.json()).key as string;

  await page.goto("/settings");
  await expect(page.locator("#zone-now")).toContainText("your browser's zone");
  if (javaScriptEnabled) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    await expect(page.locator("#browser-zone")).toHaveText("America/New_York");
  }
  const zone = page.getByLabel("Zone (an IANA name, e.g. Europe/Berlin)");
  const named = page.getByLabel("This zone, on every device");
  await zone.fill("Mars/Olympus");
  if (javaScriptEnabled) {
    await expect(named).toBeChecked(); // typing a zone chooses it
  } else {
    await named.check();
  }
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator("#settings-zone-error")).toContainText('Unknown time zone "Mars/Olympus"');
  await expect(zone).toHaveValue("Mars/Olympus");
  await expect(zone).toHaveAttribute("aria-invalid", "true");

  await zone.fill("Asia/Kolkata");
  await named.check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator("#zone-now")).toContainText("Asia/Kolkata");

  // The war room, in Kolkata's time though the browser is in New York.
  await page.goto(`/incidents/${key}`);
  if (javaScriptEnabled) await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const declaredAt = page.locator("#timeline .entry time").first();
  const iso = (await declaredAt.getAttribute("datetime"))!;
  const inKolkata = new Date(iso).toLocaleString("sv-SE", { timeZone: "Asia/Kolkata" }).slice(0, 16);
  await expect(declaredAt).toHaveText(new RegExp(`^${inKolkata} (IST|GMT\\+5:30)$`));
  await expect(declaredAt).toHaveAttribute("title", / UTC$/);

  await page.goto("/settings");
  await page.getByLabel("My browser's zone").check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator("#zone-now")).toContainText("your browser's zone");
  await page.goto(`/incidents/${key}`);
  if (javaScriptEnabled) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    const inNewYork = new Date(iso).toLocaleString("sv-SE", { timeZone: "America/New_York" }).slice(0, 16);
    await expect(declaredAt).toHaveText(new RegExp(`^${inNewYork} E[SD]T$`));
  } else {
    await expect(declaredAt).toHaveText(/ UTC$/); // the server cannot know the browser's zone
  }
  await context.close();
});

test("the top bar's name leads to the settings", async ({ page }) => {
  await page.goto("/");
  await page.locator("#user-menu").getByRole("link", { name: /Ada Admin/ }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole("heading", { name: "Your settings" })).toBeVisible();
});
