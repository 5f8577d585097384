import { type Page } from "@playwright/test";
import { expect, openDeclared, openPanel, test } from "../fixtures";
import { authFile } from "../people";

// The war room on a phone: post updates, move the incident to resolved, and see
// every step with its author (the signed-in engineer) in the timeline. Runs hydrated and without JavaScript.
test.use({ viewport: { width: 360, height: 740 }, storageState: authFile("sam") });

async function declare(page: Page, title: string, javaScriptEnabled: boolean) {
  await page.goto("/");
  if (javaScriptEnabled) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  await page.locator("#declare-form").getByLabel("Title").fill(title);
  await page.locator("#declare-form").getByLabel("Severity").selectOption("P1");
  await page.getByRole("button", { name: "Declare incident" }).click();
  await openDeclared(page, title, javaScriptEnabled);
  if (javaScriptEnabled) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
}

test("an engineer works an incident from a 360 px phone", async ({ page, javaScriptEnabled }) => {
  const title = `Checkout down ${Date.now().toString(36)}`;
  await declare(page, title, javaScriptEnabled);
  const timeline = page.locator("#timeline .entry");
  await expect(timeline).toHaveCount(1);
  await expect(timeline.first()).toContainText("Declared as P1");

  // Nothing overflows sideways on a phone.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  const post = page.locator("#post-form");
  await post.getByLabel("What happened").fill("Error rate 40% on /pay since 14:02");
  await post.getByRole("button", { name: "Post" }).click();
  await expect(timeline).toHaveCount(2);
  await expect(timeline.nth(1)).toContainText("Update");
  await expect(timeline.nth(1)).toContainText("Sam Okafor");
  await expect(timeline.nth(1)).toContainText("Error rate 40% on /pay since 14:02");

  await post.getByLabel("Kind").selectOption("action");
  await post.getByLabel("Outcome (actions)").selectOption("worked");
  await post.getByLabel("What happened").fill("Rolled back payments-api to 1.41");
  await post.getByRole("button", { name: "Post" }).click();
  await expect(timeline).toHaveCount(3);
  await expect(timeline.nth(2)).toContainText("Worked");

  for (const [to, count] of [
    ["identified", 4],
    ["monitoring", 5],
    ["resolved", 6],
  ] as const) {
    const status = await openPanel(page, "status");
    await status.getByLabel("New status").selectOption(to);
    await status.getByRole("button", { name: "Move status" }).click();
    await expect(timeline).toHaveCount(count);
    await expect(timeline.nth(count - 1)).toContainText(`→ ${to}`);
    await expect(timeline.nth(count - 1)).toContainText("Sam Okafor");
  }
  await expect(page.locator("#war-header .status")).toHaveText("resolved");

  // Every step is there, in order, with its author.
  const authors = await page.locator("#timeline .entry-author").allInnerTexts();
  expect(authors).toEqual(Array(6).fill("Sam Okafor"));
});

test("reopening without a reason is refused next to the field", async ({ page, javaScriptEnabled }) => {
  await declare(page, `Reopen ${Date.now().toString(36)}`, javaScriptEnabled);
  let status = await openPanel(page, "status");
  await status.getByLabel("New status").selectOption("resolved");
  await status.getByRole("button", { name: "Move status" }).click();
  await expect(page.locator("#timeline .entry")).toHaveCount(2);

  status = await openPanel(page, "status");
  await status.getByLabel("New status").selectOption("fixing");
  await status.getByRole("button", { name: "Move status" }).click();
  await expect(page.locator("#status-reason-error")).toHaveText("Moving back from resolved to fixing needs a reason");
  await expect(page.locator("#timeline .entry")).toHaveCount(2);

  status = await openPanel(page, "status");
  await status.getByLabel("New status").selectOption("fixing");
  await status.getByLabel("Reason (required to move back)").fill("errors are back");
  await status.getByRole("button", { name: "Move status" }).click();
  await expect(page.locator("#timeline .entry")).toHaveCount(3);
  await expect(page.locator("#timeline .entry").nth(2)).toContainText("errors are back");
});

test("an empty post is refused and nothing is added", async ({ page, javaScriptEnabled }) => {
  await declare(page, `Empty post ${Date.now().toString(36)}`, javaScriptEnabled);
  await page.locator("#post-form").getByRole("button", { name: "Post" }).click();
  await expect(page.locator("#post-body-error")).toHaveText("Write what happened");
  await expect(page.locator("#timeline .entry")).toHaveCount(1);
});

// Two people on one incident, each on their own device: what one posts or changes
// appears for the other without a reload.
test("two viewers see each other, and each other's posts, live", async ({ browser, request, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "live updates need JavaScript");
  const declared = await request.post("/api/v1/incidents", { data: { title: `Live ${Date.now().toString(36)}`, severity: "P2" } });
  const { key } = await declared.json();
  const sam = await browser.newPage({ storageState: authFile("sam"), viewport: { width: 360, height: 740 } });
  const dana = await browser.newPage({ storageState: authFile("dana") });
  for (const page of [sam, dana]) {
    await page.goto(`/incidents/${key}`);
    await expect(page.locator("#live-state")).toHaveText("Live");
  }
  // Each sees who else has the war room open.
  await expect(dana.locator("#presence")).toHaveText("Here now: Dana Lee (engineer), Sam Okafor (engineer)");
  await expect(sam.locator("#presence")).toContainText("Dana Lee (engineer)");
  await sam.locator("#post-form").getByLabel("What happened").fill("Seen by Dana without a reload");
  await sam.locator("#post-form").getByRole("button", { name: "Post" }).click();
  await expect(dana.locator("#timeline .entry")).toHaveCount(2);
  await expect(dana.locator("#timeline .entry").nth(1)).toContainText("Seen by Dana without a reload");
  await expect(dana.locator("#timeline .entry").nth(1)).toContainText("Sam Okafor");

  const danaStatus = await openPanel(dana, "status");
  await danaStatus.getByLabel("New status").selectOption("identified");
  await danaStatus.getByRole("button", { name: "Move status" }).click();
  await expect(sam.locator("#war-header .status")).toHaveText("identified");
  await expect(sam.locator("#timeline .entry")).toHaveCount(3);
  await sam.close();
  await dana.close();
});
