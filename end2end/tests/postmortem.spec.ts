import { expect, test } from "../fixtures";
import { authFile } from "../people";

// The post-mortem as an incident lead meets it: resolve the incident, the draft is
// there with how long it took and the root cause; edit a section; a reviewer
// approves it in their own browser; publish; export Markdown; a follow-up added
// from the document, already overdue, shows on its owner's list.

test("resolving drafts the post-mortem; edited, approved, published and exported; an overdue follow-up reaches its owner's list", async ({ page, browser, request, javaScriptEnabled }) => {
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
  // The history shows what the edit changed.
  await page.locator("#postmortem-versions").getByRole("link", { name: "What changed" }).click();
  await expect(page.locator("#version-changes")).toContainText("What version 2 changed");
  // One line changed, whichever way the form was sent (a plain form post sends CRLF).
  await expect(page.locator("#version-changes .diff-added")).toHaveCount(1);
  await expect(page.locator("#version-changes .diff-added")).toContainText("The alert fired within a minute");

  // Sent to Dana for review; she approves in her own browser.
  const review = page.locator("#postmortem-review");
  await review.getByLabel("Dana Lee <dana@example.com>").check();
  await review.getByRole("button", { name: "Send for review" }).click();
  await expect(page.locator("#review-state")).toHaveText("In review");
  await expect(review.locator("#reviewers")).toContainText("Dana Lee — has not approved yet");
  await expect(review.getByRole("button", { name: "Publish" })).toHaveCount(0);

  const asDana = async (path: string) => {
    const dana = await (await browser.newContext({ storageState: authFile("dana"), javaScriptEnabled })).newPage();
    await dana.goto(path);
    if (javaScriptEnabled) await expect(dana.locator("body")).toHaveAttribute("data-hydrated", "true");
    return dana;
  };
  let dana = await asDana(`/incidents/${key}/postmortem`);
  await dana.getByLabel("Comment (optional when approving)").fill("Clear; the flag needs an owner.");
  await dana.getByRole("button", { name: "Approve version 2" }).click();
  await expect(dana.locator("#reviewers")).toContainText("Dana Lee — approved version 2");
  await expect(dana.locator("#review-comments")).toContainText("Clear; the flag needs an owner.");
  await dana.context().close();

  await page.reload();
  if (javaScriptEnabled) await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.locator("#postmortem-review").getByRole("button", { name: "Publish" }).click();
  await expect(page.locator("#review-state")).toHaveText("Published");
  // Read-only once published: no editor, no regeneration, until reopened.
  await expect(page.locator("#postmortem-editor")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Reopen for a new version" })).toBeVisible();

  const markdown = await request.get(`/api/v1/incidents/${key}/postmortem/markdown`);
  expect(markdown.headers()["content-type"]).toContain("text/markdown");
  expect(await markdown.text()).toContain("- The alert fired within a minute");

  // A follow-up from the document, due yesterday: overdue on Dana's own list.
  const followup = `Owner for the tax flag ${Date.now().toString(36)}`;
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const form = page.locator("#followup-form");
  await form.getByLabel("What is to be done").fill(followup);
  await form.getByLabel("Type").selectOption("process");
  await form.getByLabel("Owner").selectOption("dana@example.com");
  await form.getByLabel("Due on").fill(yesterday);
  await form.getByRole("button", { name: "Add the follow-up" }).click();
  await expect(page.locator("#followups tr", { hasText: followup })).toContainText("overdue");

  dana = await asDana("/follow-ups");
  await expect(dana.locator("#followups-summary")).toContainText("Yours:");
  const row = dana.locator("tr", { hasText: followup });
  await expect(row).toContainText("overdue");
  await expect(row).toContainText(key);
  // Done: it leaves her open list.
  await row.getByLabel("Status").selectOption("done");
  await row.getByRole("button", { name: "Save" }).click();
  await expect(dana.locator("tr", { hasText: followup })).toHaveCount(0);
  await dana.context().close();
});
