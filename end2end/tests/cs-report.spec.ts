import { expect, openPanel, test } from "../fixtures";
import { authFile } from "../people";

// A CSM reports a customer problem for two enterprise accounts; an engineer works it
// from a phone through to resolved; the timeline keeps every step with its author,
// and each account's SLA clocks say when they were met.
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
  // People's entries and status changes; the SLA clocks' own entries are checked last.
  const entries = phone.locator("#timeline .entry:not(.entry-sla)");
  const post = phone.locator("#post-form");
  await post.getByLabel("What happened").fill("Export worker queue is stuck behind a **poison message**.");
  await post.getByRole("button", { name: "Post" }).click();
  await expect(entries).toHaveCount(2);
  await expect(entries.nth(1).locator("strong")).toHaveText("poison message");

  const steps = ["identified", "fixing", "monitoring", "resolved"];
  for (const [i, to] of steps.entries()) {
    const status = await openPanel(phone, "status");
    await status.getByLabel("New status").selectOption(to);
    await status.getByRole("button", { name: "Move status" }).click();
    await expect(entries).toHaveCount(3 + i);
  }
  await expect(phone.locator("#war-header .status")).toHaveText("resolved");
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  expect(await entries.locator(".entry-author").allInnerTexts()).toEqual([
    "Priya Raman",
    "Sam Okafor",
    "Sam Okafor",
    "Sam Okafor",
    "Sam Okafor",
    "Sam Okafor",
  ]);
  expect(await entries.locator(".entry-detail").allInnerTexts()).toEqual([
    "Declared as P2",
    "investigating → identified",
    "identified → fixing",
    "fixing → monitoring",
    "monitoring → resolved",
  ]);

  // Both enterprise accounts' clocks: response met at the first update, resolution
  // at resolved (the engine writes them just after; a reload shows them without JS).
  const sla = phone.locator("#timeline .entry-sla .entry-detail");
  await expect
    .poll(async () => {
      await phone.reload();
      return (await sla.allInnerTexts()).sort();
    })
    .toEqual(
      [
        `acme-${suffix}: Response on track → met`,
        `acme-${suffix}: Resolution on track → met`,
        `globex-${suffix}: Response on track → met`,
        `globex-${suffix}: Resolution on track → met`,
      ].sort(),
    );
  await expect(phone.locator(`#sla .sla-clock[data-state="met"]`)).toHaveCount(4);
  await phone.close();
});
