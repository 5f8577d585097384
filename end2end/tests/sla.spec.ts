import { expect, test } from "../fixtures";

// The war room's SLA clocks: each impacted account's response and resolution clock,
// tightest first, counting down by the second and changing state live when the
// server's state changes (no reload).

const stamp = () => Date.now().toString(36);

test("the war room shows an enterprise account's clocks, tightest first", async ({ page, request }) => {
  const slug = `acme-${stamp()}`;
  const account = await request.post("/api/v1/accounts", {
    data: { slug, name: `Acme ${slug}`, tier: "enterprise" },
  });
  expect(account.status()).toBe(201);
  const declared = await request.post("/api/v1/incidents", {
    data: { title: `Checkout down ${slug}`, severity: "P1", accounts: [slug] },
  });
  expect(declared.status()).toBe(201);
  const key = (await declared.json()).key;

  await page.goto(`/incidents/${key}`);
  const clocks = page.locator("#sla .sla-clock");
  await expect(clocks).toHaveCount(2);
  // P1 on the enterprise policy: 15 min to respond, 4 h to resolve.
  await expect(clocks.nth(0)).toHaveAttribute("data-kind", "response");
  await expect(clocks.nth(0)).toHaveAttribute("data-state", "on_track");
  await expect(clocks.nth(0).locator(".sla-left")).toContainText(/1[45] min left/);
  await expect(clocks.nth(1)).toHaveAttribute("data-kind", "resolution");
  // The version the clock started on (the policy editor's test saves new ones).
  await expect(clocks.nth(1).locator(".sla-terms")).toContainText(/of 4 h 00 min · Enterprise 24x7 v\d+/);
});

test("the countdown ticks and the state changes without a reload", async ({ page, request, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "live updates need JavaScript");
  const slug = `globex-${stamp()}`;
  const account = await request.post("/api/v1/accounts", {
    data: { slug, name: `Globex ${slug}`, tier: "enterprise" },
  });
  expect(account.status()).toBe(201);
  const declared = await request.post("/api/v1/incidents", {
    data: { title: `Sync stalled ${slug}`, severity: "P1", accounts: [slug] },
  });
  const key = (await declared.json()).key;

  await page.goto(`/incidents/${key}`);
  await expect(page.locator("#live-state")).toHaveText("Live");
  const response = page.locator(`#sla .sla-clock[data-kind="response"]`);
  // Seconds tick: the line changes while nothing is reloaded.
  await page.clock.install();
  const before = await response.locator(".sla-left").textContent();
  await page.clock.runFor(61_000);
  await expect(response.locator(".sla-left")).not.toHaveText(before ?? "");

  // The first engineering update acknowledges the incident: the response clock is
  // met, on this page, without a reload.
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  const posted = await request.post(`/api/v1/incidents/${key}/timeline`, {
    data: { body: "Looking at the sync workers" },
  });
  expect(posted.status()).toBe(201);
  await expect(response).toHaveAttribute("data-state", "met");
  await expect(response.locator(".sla-state")).toHaveText("met");
  await expect(page.locator("#timeline .entry", { hasText: "Response on track → met" })).toHaveCount(1);
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
});

test("the SLA board and the incident list show the tightest clocks; the report charts compliance", async ({ page, request }) => {
  const slug = `umbrella-${stamp()}`;
  const account = await request.post("/api/v1/accounts", {
    data: { slug, name: `Umbrella ${slug}`, tier: "enterprise" },
  });
  expect(account.status()).toBe(201);
  const title = `Logins failing ${slug}`;
  const declared = await request.post("/api/v1/incidents", {
    data: { title, severity: "P1", accounts: [slug] },
  });
  const key = (await declared.json()).key;

  // The board, filtered to this account by its GET form's URL.
  await page.goto(`/sla?account=${slug}`);
  const rows = page.locator("#sla-board .board-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toHaveAttribute("data-kind", "response");
  await expect(rows.nth(0)).toContainText(key);
  await expect(rows.nth(1)).toHaveAttribute("data-kind", "resolution");
  await page.getByLabel("Tier").selectOption("business");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/tier=business/);
  await expect(page.getByText("No running SLA clock matches.")).toBeVisible();

  // The list: the incident's tightest clock is its response clock.
  await page.goto(`/?q=${encodeURIComponent(slug)}`);
  const row = page.locator(`.incident-row[data-key="${key}"]`);
  await expect(row.locator(".sla-chip")).toHaveAttribute("data-state", "on_track");
  await expect(row.locator(".sla-chip")).toContainText(/SLA 1[45] min left/);

  // The compliance report per tier: a chart, a table, and the same as CSV.
  await page.goto("/sla/reports?by=tier");
  await expect(page.locator("#report-chart .report-bar").first()).toBeVisible();
  await expect(page.locator(`#report-table tr[data-group="enterprise"][data-kind="response"]`)).toHaveCount(1);
  const csvHref = await page.getByRole("link", { name: "CSV" }).getAttribute("href");
  const csv = await request.get(csvHref ?? "");
  expect(csv.headers()["content-type"]).toContain("text/csv");
  expect((await csv.text()).split("\n")[0]).toBe("tier,clock,met,missed,open,met_percent,median_secs,p90_secs");

  // A bad date is named, and what was typed stays in the form.
  await page.goto("/sla/reports?from=2026-13-01");
  await expect(page.locator("#report-from-error")).toContainText('"2026-13-01" is not a date');
});

test("an admin gives a policy new terms: a bad edit is named and kept, a good one is the next version", async ({ page, javaScriptEnabled }) => {
  await page.goto("/admin/sla");
  const card = page.locator("#policy-business-hours");
  await expect(card.getByLabel("P1 response (minutes)")).toHaveValue("60");
  const version = Number(await card.getAttribute("data-version"));
  await card.getByText("Advanced: the terms as JSON").click();
  const terms = card.getByLabel("Terms (JSON)");
  const stored = await terms.inputValue();

  await terms.fill(stored.replace('"zone": "UTC"', '"zone": "Mars/Olympus"'));
  await card.getByRole("button", { name: "Save the JSON as a new version" }).click();
  await expect(page.locator("#terms-business-hours-error")).toContainText('Unknown time zone "Mars/Olympus"');
  await expect(page.locator("#policy-business-hours").getByLabel("Terms (JSON)")).toHaveValue(/Mars\/Olympus/);

  const revised = JSON.parse(stored);
  revised.at_risk_percent = 80;
  await page.locator("#policy-business-hours").getByLabel("Terms (JSON)").fill(JSON.stringify(revised, null, 2));
  await page.locator("#policy-business-hours").getByRole("button", { name: "Save the JSON as a new version" }).click();
  if (javaScriptEnabled) {
    // The save is a request of its own: leaving the page first would cancel it.
    // (Its number: the other project's run of this file edits the same policy.)
    await expect(page.getByRole("status").filter({ hasText: /Saved as version \d+\./ })).toBeVisible();
  }
  await page.goto("/admin/sla");
  expect(Number(await page.locator("#policy-business-hours").getAttribute("data-version"))).toBeGreaterThan(version);
  await expect(page.locator("#policy-business-hours")).toContainText("At risk at 80 %");
});

// On the 24×7 policy: the JSON test above edits the business-hours one, and the two
// projects run these files side by side (both write the same values here).
test("the policy editor names each bad field, keeps what was typed, and saves a good edit", async ({ page, javaScriptEnabled }) => {
  await page.goto("/admin/sla");
  if (javaScriptEnabled) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  let card = page.locator("#policy-enterprise-24x7");
  await expect(card.getByLabel("P1 response (minutes)")).toHaveValue("15");
  await card.getByText("Business hours: contract time runs only while open").click();
  await expect(card.getByLabel("Time zone")).toBeVisible();
  await expect(card.getByRole("checkbox", { name: "Mon", exact: true })).toBeChecked();
  await expect(card.getByRole("checkbox", { name: "Sat", exact: true })).not.toBeChecked();
  await card.getByLabel("P1 resolution (minutes)").fill("10");
  await card.getByLabel("Time zone").fill("Mars/Olympus");
  await card.getByLabel("Holidays (YYYY-MM-DD, one per line)").fill("2099-12-25\n2099-13-01");
  await card.getByRole("button", { name: "Save as a new version", exact: true }).click();

  card = page.locator("#policy-enterprise-24x7");
  await expect(card.locator("#policy-enterprise-24x7-p1_resolution-error")).toHaveText(
    "P1: resolution (10 min) must not be shorter than response (15 min)",
  );
  await expect(card.locator("#policy-enterprise-24x7-zone-error")).toContainText('Unknown time zone "Mars/Olympus"');
  await expect(card.locator("#policy-enterprise-24x7-holidays-error")).toHaveText('"2099-13-01" is not a date (YYYY-MM-DD)');
  await expect(card.getByLabel("P1 resolution (minutes)")).toHaveAttribute("aria-invalid", "true");
  // What was typed is still there (without JavaScript too: the page came back with it).
  await expect(card.getByLabel("Time zone")).toHaveValue("Mars/Olympus");
  await expect(card.getByLabel("P1 resolution (minutes)")).toHaveValue("10");

  await card.getByText("24×7: contract time always runs").click();
  await card.getByLabel("P1 resolution (minutes)").fill("240");
  await card.getByLabel("P3 customer update (minutes)").fill("180");
  const version = Number(await card.getAttribute("data-version"));
  await card.getByRole("button", { name: "Save as a new version", exact: true }).click();
  if (javaScriptEnabled) {
    await expect(card.getByRole("status").filter({ hasText: /Saved as version \d+\./ })).toBeVisible();
  }
  await page.goto("/admin/sla");
  card = page.locator("#policy-enterprise-24x7");
  expect(Number(await card.getAttribute("data-version"))).toBeGreaterThan(version);
  await expect(card.locator(".policy-summary")).toContainText("Calendar: 24×7.");
  await expect(card.getByLabel("P3 customer update (minutes)")).toHaveValue("180");
  await expect(card.getByLabel("P1 resolution (minutes)")).toHaveValue("240");
});

// An admin puts accounts on their SLA contracts from the catalog page: one when it is
// added, another changed in its row; the API then reports each account's policy.
test("an admin sets an account's SLA contract on the catalog page", async ({ page, request, javaScriptEnabled }) => {
  const suffix = `${stamp()}${javaScriptEnabled ? "j" : "n"}`;
  const existing = `hooli-${suffix}`;
  expect((await request.post("/api/v1/accounts", {
    data: { slug: existing, name: `Hooli ${suffix}`, tier: "business" },
  })).status()).toBe(201);

  await page.goto("/admin/catalog");
  if (javaScriptEnabled) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  const row = page.locator(`#account-table tr[data-slug="${existing}"]`);
  await expect(row.getByLabel(`SLA contract of ${existing}`)).toHaveValue("");
  await row.getByLabel(`SLA contract of ${existing}`).selectOption("enterprise-24x7");
  await row.getByRole("button", { name: "Set" }).click();
  await expect(page.locator(`#account-table tr[data-slug="${existing}"]`).getByLabel(`SLA contract of ${existing}`))
    .toHaveValue("enterprise-24x7");

  const added = `pied-piper-${suffix}`;
  await page.locator("#account-slug").fill(added);
  await page.locator("#account-name").fill(`Pied Piper ${suffix}`);
  await page.locator("#account-tier").selectOption("standard");
  await page.getByLabel("SLA contract", { exact: true }).selectOption("business-hours");
  await page.getByRole("button", { name: "Add account" }).click();
  await expect(page.locator(`#account-table tr[data-slug="${added}"]`).getByLabel(`SLA contract of ${added}`))
    .toHaveValue("business-hours");

  const accounts = await (await request.get("/api/v1/accounts")).json();
  const policyOf = (slug: string) => accounts.find((a: { slug: string }) => a.slug === slug)?.sla_policy;
  expect(policyOf(existing)).toBe("enterprise-24x7");
  expect(policyOf(added)).toBe("business-hours");
});
