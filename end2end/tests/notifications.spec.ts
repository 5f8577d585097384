import { expect, openDeclared, test } from "../fixtures";

// Declaring against a system routes the incident to its owning team's lead, and the
// war room says who was told and how the delivery stands.
test("declaring against an owned system shows its lead as notified", async ({ page, request, javaScriptEnabled }) => {
  const suffix = `${Date.now().toString(36)}${javaScriptEnabled ? "j" : "n"}`;
  const team = await request.post("/api/v1/teams", {
    data: { slug: `payments-${suffix}`, name: `Payments ${suffix}`, lead_email: `dana.${suffix}@example.com`, lead_name: "Dana Lee" },
  });
  expect(team.status()).toBe(201);
  const system = await request.post("/api/v1/systems", {
    data: { slug: `payments-api-${suffix}`, name: `Payments API ${suffix}`, team: `payments-${suffix}` },
  });
  expect(system.status()).toBe(201);
  const orphan = await request.post("/api/v1/systems", {
    data: { slug: `ledger-${suffix}`, name: `Ledger ${suffix}` },
  });
  expect(orphan.status()).toBe(201);

  await page.goto("/");
  if (javaScriptEnabled) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  const title = `Card payments failing ${suffix}`;
  await page.locator("#declare-form").getByLabel("Title").fill(title);
  await page.locator("#declare-form").getByLabel("Severity").selectOption("P1");
  await page.locator("#declare-form").getByLabel("Affected system").selectOption(`payments-api-${suffix}`);
  await page.getByRole("button", { name: "Declare incident" }).click();
  await openDeclared(page, title, javaScriptEnabled);

  await expect(page.locator(".systems")).toHaveText(`Affected: payments-api-${suffix}`);
  // The run's SMTP sink (smtp-sink.mjs) takes the email.
  await expect(page.locator("#notifications")).toContainText(`Notified Dana Lee (lead, Payments ${suffix}) by email`);
  await expect(page.locator("#notifications .delivery-delivered")).toHaveCount(1);
  await expect(page.locator("#notifications .warning")).toHaveCount(0);
});

test("an unknown system picked in a stale form is refused next to the field", async ({ page, request, javaScriptEnabled }) => {
  const suffix = `${Date.now().toString(36)}${javaScriptEnabled ? "j" : "n"}`;
  const created = await request.post("/api/v1/systems", { data: { slug: `gone-${suffix}`, name: `Gone ${suffix}` } });
  expect(created.status()).toBe(201);
  await page.goto("/");
  if (javaScriptEnabled) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  // Simulate a system that disappeared after the form was loaded.
  await page.locator("#declare-system option", { hasText: `Gone ${suffix}` }).evaluate((option: HTMLOptionElement) => {
    option.value = "no-such-system";
  });
  await page.locator("#declare-form").getByLabel("Title").fill(`Stale form ${suffix}`);
  await page.locator("#declare-form").getByLabel("Severity").selectOption("P3");
  await page.locator("#declare-form").getByLabel("Affected system").selectOption("no-such-system");
  await page.getByRole("button", { name: "Declare incident" }).click();
  await expect(page.locator("#declare-system-error")).toHaveText("unknown system no-such-system");
  await expect(page.locator("#declare-form").getByLabel("Title")).toHaveValue(`Stale form ${suffix}`);
});
