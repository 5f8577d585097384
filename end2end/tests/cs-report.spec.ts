import { expect, test } from "../fixtures";
import { authFile } from "../people";

// A CSM reports a customer problem for two enterprise accounts; an engineer works it
// from a phone through to resolved; the timeline keeps every step with its author.
test("a CSM report is worked to resolved from a 360 px phone", async ({ browser, request, javaScriptEnabled }) => {
  const suffix = `${Date.now().toString(36)}${javaScriptEnabled ? "j" : "n"}`;
  for (const [slug, tier] of [
    [`acme-${suffix}`, "enterprise"],
    [`globex-${suffix}`, "enterprise"],
    [`wayne-${suffix}`, "business"],
  ]) {
    const created = await request.post("/api/v1/accounts", { data: { slug, name: slug, tier } });
    expect(created.status()).toBe(201);
  }

  // The CSM, Priya, at a desk.
  const csm = await browser.newPage({ javaScriptEnabled, storageState: authFile("priya") });
  await csm.goto("/report");
  if (javaScriptEnabled) {
    await expect(csm.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  const title = `Invoices missing for customers ${suffix}`;
  await csm.getByLabel("What customers see").fill(title);
  await csm.getByLabel(`acme-${suffix}`).check();
  await csm.getByLabel(`globex-${suffix}`).check();
  await csm.getByLabel("How bad is it for them?").selectOption("P2");
  await csm.getByLabel("Symptoms, in the customer's words").fill("The export button spins forever.");
  await csm.getByRole("button", { name: "Report" }).click();
  await expect(csm).toHaveURL(/\/incidents\/INC-\d+$/);
  await expect(csm.locator(".impact")).toContainText("enterprise");
  await expect(csm.locator(".impact")).toContainText(`acme-${suffix}, globex-${suffix}`);
  const url = csm.url();
  await csm.close();

  // The engineer, Sam, on a phone.
  const phone = await browser.newPage({ javaScriptEnabled, viewport: { width: 360, height: 740 }, storageState: authFile("sam") });
  await phone.goto(url);
  if (javaScriptEnabled) {
    await expect(phone.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  await expect(phone.getByRole("heading", { level: 1 })).toHaveText(title);
  const entries = phone.locator("#timeline .entry");
  const post = phone.locator("#post-form");
  await post.getByLabel("What happened").fill("Export worker queue is stuck behind a **poison message**.");
  await post.getByRole("button", { name: "Post" }).click();
  await expect(entries).toHaveCount(2);
  await expect(entries.nth(1).locator("strong")).toHaveText("poison message");

  const status = phone.locator("#status-form");
  const steps = ["identified", "fixing", "monitoring", "resolved"];
  for (const [i, to] of steps.entries()) {
    await status.getByLabel("New status").selectOption(to);
    await status.getByRole("button", { name: "Move status" }).click();
    await expect(entries).toHaveCount(3 + i);
  }
  await expect(phone.locator("article.incident .status")).toHaveText("resolved");
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  expect(await phone.locator("#timeline .entry-author").allInnerTexts()).toEqual([
    "Priya Raman",
    "Sam Okafor",
    "Sam Okafor",
    "Sam Okafor",
    "Sam Okafor",
    "Sam Okafor",
  ]);
  expect(await phone.locator("#timeline .entry-detail").allInnerTexts()).toEqual([
    "Declared as P2",
    "investigating → identified",
    "identified → fixing",
    "fixing → monitoring",
    "monitoring → resolved",
  ]);
  await phone.close();
});
