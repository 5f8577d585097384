import { expect, openPanel, test } from "../fixtures";

// An admin brings the customer list in from a CRM export: preview first (with
// JavaScript the report shows in place), then import; the accounts are listed and a
// rejected row is named by its line.
test("an admin previews and imports accounts from a CRM export", async ({ page, javaScriptEnabled }) => {
  const suffix = `${Date.now().toString(36)}${javaScriptEnabled ? "j" : "n"}`;
  const csv = [
    "Account ID,Account Name,Customer Tier,CSM Email,Industry",
    `crm-${suffix}-1,Initech ${suffix},Enterprise,priya@example.com,Software`,
    `crm-${suffix}-2,Umbrella ${suffix},business,,Pharma`,
    `crm-${suffix}-3,Bad Row ${suffix},gold,,Retail`,
  ].join("\n");
  await page.goto("/admin/catalog");
  if (javaScriptEnabled) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  const accounts = page.locator("#account-table");
  await page.getByLabel("CSV").fill(csv);
  if (javaScriptEnabled) {
    await page.getByRole("button", { name: "Preview" }).click();
    const report = page.locator("#import-report");
    await expect(report).toContainText("Preview: 2 created, 0 updated, 0 unchanged, 1 rejected");
    await expect(report.locator(".rejected")).toContainText("line 4: tier: unknown tier");
    await expect(accounts).not.toContainText(`Initech ${suffix}`);
  }
  await page.getByRole("button", { name: "Import", exact: true }).click();
  if (javaScriptEnabled) {
    await expect(page.locator("#import-report")).toContainText("Imported: 2 created");
  }
  await expect(accounts.locator("tr", { hasText: `Initech ${suffix}` })).toContainText("enterprise");
  await expect(accounts.locator("tr", { hasText: `Umbrella ${suffix}` })).toContainText(`crm-${suffix}-2`);
  await expect(accounts).not.toContainText(`Bad Row ${suffix}`);
});

// The war room hands the lead role over and widens the impact; both are logged.
test("roles and impact change from the war room and show in the timeline", async ({ page, request, javaScriptEnabled }) => {
  const suffix = `${Date.now().toString(36)}${javaScriptEnabled ? "j" : "n"}`;
  const team = await request.post("/api/v1/teams", {
    data: { slug: `search-${suffix}`, name: `Search ${suffix}`, lead_email: `sam-${suffix}@example.com`, lead_name: `Sam ${suffix}` },
  });
  expect(team.status()).toBe(201);
  const system = await request.post("/api/v1/systems", {
    data: { slug: `search-api-${suffix}`, name: `Search API ${suffix}`, team: `search-${suffix}` },
  });
  expect(system.status()).toBe(201);
  const declared = await request.post("/api/v1/incidents", { data: { title: `Slow search ${suffix}`, severity: "P2" } });
  const { key } = await declared.json();

  await page.goto(`/incidents/${key}`);
  if (javaScriptEnabled) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  const roles = await openPanel(page, "roles");
  await roles.getByLabel("Incident lead").selectOption(`sam-${suffix}@example.com`);
  await roles.getByRole("button", { name: "Hand over" }).click();
  await expect(page.locator(".role-lead dd")).toHaveText(`Sam ${suffix}`);

  const impact = await openPanel(page, "impact");
  await impact.getByLabel("Another affected system").selectOption(`search-api-${suffix}`);
  await impact.getByRole("button", { name: "Update impact" }).click();
  await expect(page.locator(".systems")).toContainText(`search-api-${suffix}`);

  const timeline = page.locator("#timeline");
  await expect(timeline.locator(".entry-role_change")).toContainText(`Incident lead: nobody → Sam ${suffix}`);
  await expect(timeline.locator(".entry-role_change")).toContainText("Ada Admin");
  await expect(timeline.locator(".entry-impact_change")).toContainText(`Added system search-api-${suffix}`);
  // The new system's owner was notified.
  await expect(page.locator("#notifications")).toContainText(`Sam ${suffix}`);
});

// Search and filters live in the URL: the list narrows, and a shared link shows the same.
test("the incident list searches timeline text and filters by severity", async ({ page, request, javaScriptEnabled }) => {
  const suffix = `${Date.now().toString(36)}${javaScriptEnabled ? "j" : "n"}`;
  const first = await (await request.post("/api/v1/incidents", { data: { title: `Queue backlog ${suffix}`, severity: "P3" } })).json();
  await request.post("/api/v1/incidents", { data: { title: `Login errors ${suffix}`, severity: "P1" } });
  const posted = await request.post(`/api/v1/incidents/${first.key}/timeline`, {
    data: { body: `kafka partition rebalance ${suffix}` },
  });
  expect(posted.status()).toBe(201);

  await page.goto("/");
  if (javaScriptEnabled) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  const filters = page.locator("#filters");
  await filters.getByLabel("Search titles and timelines").fill(`rebalance ${suffix}`);
  await filters.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/q=rebalance/);
  const list = page.locator("#incident-list");
  await expect(list).toContainText(`Queue backlog ${suffix}`);
  await expect(list).not.toContainText(`Login errors ${suffix}`);

  await page.goto(`/?q=${suffix}&severity=P1`);
  await expect(page.locator("#incident-list")).toContainText(`Login errors ${suffix}`);
  await expect(page.locator("#incident-list")).not.toContainText(`Queue backlog ${suffix}`);
  await expect(page.locator("#filters").getByLabel("Severity")).toHaveValue("P1");
});
