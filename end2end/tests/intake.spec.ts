import { expect, test } from "../fixtures";

// An Alertmanager payload as Alertmanager's webhook_config sends it (the shape of the
// vendor fixtures in app/src/intake/fixtures/alertmanager), one firing alert.
function alertmanagerPayload(summary: string, fingerprint: string) {
  return {
    receiver: "sitrep",
    status: "firing",
    groupLabels: { alertname: "DiskFull" },
    commonLabels: { alertname: "DiskFull", service: "database" },
    commonAnnotations: { summary },
    externalURL: "http://alertmanager:9093",
    version: "4",
    groupKey: '{}:{alertname="DiskFull"}',
    alerts: [
      {
        status: "firing",
        labels: { alertname: "DiskFull", service: "database", host: "db1" },
        annotations: { summary, description: "/var/lib/postgresql is 97% full" },
        startsAt: "2026-12-06T03:00:00Z",
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: "http://prometheus:9090/graph?g0.expr=disk_free",
        fingerprint,
      },
    ],
  };
}

// An admin adds an Alertmanager integration (its secret shown once), writes a
// routing rule, checks it in the tester against a pasted sample, and a delivery sent
// the way Alertmanager sends it opens the incident in the list without a reload.
test("an admin sets up an Alertmanager integration, tests a rule, and its alert opens an incident live", async ({ page, request, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "the secret and the tester's answer show in place");
  const suffix = Date.now().toString(36);
  const team = await request.post("/api/v1/teams", {
    data: { slug: `storage-${suffix}`, name: `Storage ${suffix}`, lead_email: `rui.${suffix}@example.com`, lead_name: "Rui Costa" },
  });
  expect(team.status()).toBe(201);
  const system = await request.post("/api/v1/systems", {
    data: { slug: `database-${suffix}`, name: `Database ${suffix}`, team: `storage-${suffix}` },
  });
  expect(system.status()).toBe(201);

  await page.goto("/admin/integrations");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const name = `Production Alertmanager ${suffix}`;
  const form = page.locator("#integration-form");
  await form.getByLabel("Source").selectOption("alertmanager");
  // A name is required: refused next to the field, the rest kept.
  await form.getByRole("button", { name: "Add integration" }).click();
  await expect(page.locator("#integration-name-error")).toContainText("Name it");
  await form.getByLabel("Name").fill(name);
  await form.getByRole("button", { name: "Add integration" }).click();
  const created = page.locator("#created-integration");
  await expect(created).toContainText(`${name} added.`);
  await expect(created).toContainText("it is not shown again");
  const generated = (await page.locator("#created-secret").textContent())!.trim();
  expect(generated).toMatch(/^whsec_/);
  // The setup snippet is Alertmanager's own configuration, with the secret in it.
  await expect(created.locator(".setup-snippet")).toContainText(`credentials: ${generated}`);

  const card = page.locator("section.integration", { hasText: name });
  await expect(card.locator(".integration-counts")).toHaveText("0 accepted · 0 refused (missing or wrong signature)");
  const url = (await card.locator(".integration-url").textContent())!.trim();
  expect(url).toMatch(/\/api\/v1\/intake\/alertmanager\/[A-Za-z0-9_-]+$/);
  // The secret is not on the card; it can be replaced there (too short is refused).
  await expect(card).not.toContainText(generated);
  await card.locator(".secret summary").click();
  await card.getByLabel("New secret (blank: make one)").fill("short");
  await card.getByRole("button", { name: "Replace secret" }).click();
  await expect(card.locator(".secret .field-error")).toContainText("at least 16 characters");
  const secret = `am-secret-${suffix}-0123456789`;
  await card.getByLabel("New secret (blank: make one)").fill(secret);
  await card.getByRole("button", { name: "Replace secret" }).click();
  await expect(card.locator(".replaced-secret")).toHaveText(secret);

  const rules = JSON.stringify(
    [
      { name: "Web tier", when: { labels: { service: "web" } }, severity: "P3" },
      { name: "Database disks", when: { labels: { service: "database" }, title_contains: "disk" }, systems: [`database-${suffix}`], severity: "P1" },
    ],
    null,
    2,
  );
  // A rule naming a system that does not exist is refused, naming the rule.
  const rulesBox = card.getByLabel("Rules (JSON)");
  await rulesBox.fill(rules.replace(`database-${suffix}`, `nowhere-${suffix}`));
  await card.getByRole("button", { name: "Save rules" }).click();
  await expect(card.locator(".rules-form .field-error")).toContainText(`Rule 2, systems: unknown system nowhere-${suffix}`);
  await expect(rulesBox).toHaveValue(/nowhere-/);
  await rulesBox.fill(rules);
  await card.getByRole("button", { name: "Save rules" }).click();
  // The saved rules come back drawn from the server, with every field ("tier": null):
  // only then is the section done being redrawn, so what is typed next stays.
  await expect(page.locator("section.integration", { hasText: name }).getByLabel("Rules (JSON)")).toHaveValue(/Database disks[\s\S]*"tier": null/);

  const summary = `Disk almost full on db1 ${suffix}`;
  const payload = alertmanagerPayload(summary, `fp${suffix}`);
  const saved = page.locator("section.integration", { hasText: name });
  await saved.getByLabel("A sample Alertmanager payload").fill(JSON.stringify(payload, null, 2));
  await saved.getByRole("button", { name: "Test against these rules" }).click();
  const result = saved.locator(".rule-test-result");
  await expect(result.locator(".rule-hit")).toHaveText("Rule 2 “Database disks”");
  await expect(result).toContainText(`would declare P1 “${summary}” on database-${suffix}`);
  // The tester declared nothing.
  const listed = await request.get("/api/v1/incidents");
  expect(JSON.stringify(await listed.json())).not.toContain(summary);

  // A delivery with a wrong token is refused and counted.
  const path = new URL(url).pathname;
  const refused = await request.post(path, { data: payload, headers: { Authorization: "Bearer not-the-secret" } });
  expect(refused.status()).toBe(401);

  await page.goto("/");
  await expect(page.locator("#live-state")).toHaveText("Live");
  const delivered = await request.post(path, { data: payload, headers: { Authorization: `Bearer ${secret}` } });
  expect(delivered.status()).toBe(202);
  const report = await delivered.json();
  expect(report.alerts[0].outcome).toBe("declared");
  const row = page.locator(".incident-row", { hasText: summary });
  await expect(row).toBeVisible();
  await expect(row).toContainText("P1");

  // The alert resolves at the source: the war room proposes monitoring, and the
  // incident stays open until someone decides.
  const resolvedPayload = alertmanagerPayload(summary, `fp${suffix}`);
  resolvedPayload.status = "resolved";
  resolvedPayload.alerts[0].status = "resolved";
  const resolved = await request.post(path, { data: resolvedPayload, headers: { Authorization: `Bearer ${secret}` } });
  expect(resolved.status()).toBe(202);
  const key = report.alerts[0].incident as string;
  await page.goto(`/incidents/${key}`);
  await expect(page.locator("#timeline")).toContainText("resolved at the source");
  const propose = page.getByRole("button", { name: "Mark monitoring (the alert resolved)" });
  await expect(propose).toBeVisible();
  await expect(page.locator(".war-facts .badges")).toContainText("investigating");
  await propose.click();
  await expect(page.locator(".war-facts .badges")).toContainText("monitoring");
  await expect(propose).toHaveCount(0);

  await page.goto("/admin/integrations");
  await expect(page.locator("section.integration", { hasText: name }).locator(".integration-counts")).toHaveText(
    "2 accepted · 1 refused (missing or wrong signature)",
  );
  // Both deliveries are kept with what they did.
  const kept = page.locator("section.integration", { hasText: name }).locator(".deliveries");
  await kept.locator("summary").click();
  await expect(kept.locator(".delivery")).toHaveCount(2);
  await expect(kept.locator(".delivery").last()).toContainText(`declared ${key}`);
  await expect(kept.locator(".delivery").first()).toContainText(`appended ${key}`);
});
