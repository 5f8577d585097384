import { expect, test } from "../fixtures";

// The post-mortem as an incident lead meets it: resolve the incident, the draft is
// there with how long it took and the root cause; edit a section; export Markdown.

test("resolving drafts the post-mortem; an edit is a new version; the Markdown exports it", async ({ page, request, javaScriptEnabled }) => {
  const title = `Checkout down ${Date.now().toString(36)}`;
  const declared = await request.post("/api/v1/incidents", { data: { title, severity: "P2" } });
  expect(declared.status()).toBe(201);
  const key = (await declared.json()).key as string;
  for (const entry of [
    { kind: "action", outcome: "did_not_work", body: "Restart the checkout pods" },
    { kind: "finding", root_cause: true, body: "A feature flag sent every request to the old tax service" },
    { kind: "action", outcome: "worked", body: "Turn the flag off" },
  ]) {
    expect((await request.post(`/api/v1/incidents/${key}/timeline`, { data: entry })).status()).toBe(201);
  }
  expect((await request.patch(`/api/v1/incidents/${key}`, { data: { status: "resolved" } })).status()).toBe(200);
  // The server drafts it as the incident resolves (in the background).
  await expect.poll(async () => (await request.get(`/api/v1/incidents/${key}/postmortem`)).status()).toBe(200);

  await page.goto(`/incidents/${key}`);
  if (javaScriptEnabled) await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.locator("#postmortem-link").click();
  await expect(page).toHaveURL(new RegExp(`/incidents/${key}/postmortem$`));
  const doc = page.locator("#postmortem");
  await expect(doc.getByRole("heading", { level: 1 })).toContainText(`Post-mortem: ${key} ${title}`);
  await expect(doc).toContainText("Version 1 · generated from the timeline by Sitrep");
  await expect(doc.getByRole("row", { name: /Time to resolve/ })).toBeVisible();
  await expect(doc.getByRole("link", { name: "A feature flag sent every request to the old tax service" })).toHaveAttribute("href", new RegExp(`/incidents/${key}#entry-3$`));
  await expect(doc.getByText("did not work", { exact: true })).toBeVisible();

  if (javaScriptEnabled) await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.locator("#postmortem-editor summary").click();
  const body = page.getByLabel("Post-mortem (Markdown)");
  const text = await body.inputValue();
  await body.fill(text.replace("## What went well\n\n- ", "## What went well\n\n- The alert fired within a minute"));
  await page.getByRole("button", { name: "Save as a new version" }).click();
  await expect(doc).toContainText("Version 2 · edited by Ada Admin");
  await expect(doc).toContainText("The alert fired within a minute");
  await expect(page.locator("#postmortem-versions li")).toHaveCount(2);

  const markdown = await request.get(`/api/v1/incidents/${key}/postmortem/markdown`);
  expect(markdown.headers()["content-type"]).toContain("text/markdown");
  expect(await markdown.text()).toContain("- The alert fired within a minute");
});
