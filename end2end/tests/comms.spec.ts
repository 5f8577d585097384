import { type Browser, type Page } from "@playwright/test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "../fixtures";
import { authFile, type Person } from "../people";

// Customer communication end to end: engineering posts customer-visible updates; the
// update falls due and its draft appears for the comms owner, who edits it and asks
// for approval; someone else approves; it is sent; the SMTP sink gets it; a third
// viewer's war room shows the customer_message entry live; the log lists it with
// its delivery.

type Mail = { from: string; to: string[]; data: string };

/// The mails the run's SMTP sink received for `address`.
function mailsTo(address: string): Mail[] {
  const dir = process.env.E2E_MAIL_DIR ?? "";
  return readdirSync(dir)
    .map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as Mail)
    .filter((mail) => mail.to.includes(address));
}

async function warRoomAs(browser: Browser, who: Person, key: string): Promise<Page> {
  const context = await browser.newContext({ storageState: authFile(who) });
  const page = await context.newPage();
  await page.goto(`/incidents/${key}`);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(page.locator("#live-state")).toHaveText("Live");
  return page;
}

async function setUp(request: import("@playwright/test").APIRequestContext, suffix: string, tier: string) {
  const system = await request.post("/api/v1/systems", {
    data: { slug: `checkout-${suffix}`, name: `Checkout service ${suffix}`, customer_name: `Checkout ${suffix}` },
  });
  expect(system.status()).toBe(201);
  const account = await request.post("/api/v1/accounts", {
    data: { slug: `acme-${suffix}`, name: `Acme ${suffix}`, tier, contact_emails: [`ops-${suffix}@acme.example`] },
  });
  expect(account.status()).toBe(201);
  const declared = await request.post("/api/v1/incidents", {
    data: { title: `Card payments failing ${suffix}`, severity: "P1", systems: [`checkout-${suffix}`], accounts: [`acme-${suffix}`] },
  });
  expect(declared.status()).toBe(201);
  const key: string = (await declared.json()).key;
  const owner = await request.patch(`/api/v1/incidents/${key}`, { data: { comms_owner: "priya@example.com" } });
  expect(owner.status()).toBe(200);
  return key;
}

test("a customer update goes from the timeline to the customer, approved by someone else, seen live", async ({
  browser,
  page,
  request,
  javaScriptEnabled,
}) => {
  test.skip(!javaScriptEnabled, "live updates need JavaScript");
  const suffix = Date.now().toString(36);
  const key = await setUp(request, suffix, "enterprise");

  // Engineering writes at its own cadence; one entry is marked for customers.
  const dana = await warRoomAs(browser, "dana", key);
  const post = dana.locator("#post-form");
  await post.getByLabel("What happened").fill(`Card payments time out at the gateway ${suffix}`);
  await post.getByLabel("Customers may be told").check();
  await post.getByRole("button", { name: "Post" }).click();
  const visible = dana.locator("#timeline .entry", { hasText: `Card payments time out at the gateway ${suffix}` });
  await expect(visible).toContainText("customers may be told");
  await post.getByLabel("What happened").fill("Paging the gateway vendor's on-call");
  await post.getByRole("button", { name: "Post" }).click();
  await expect(dana.locator("#timeline .entry", { hasText: "Paging the gateway vendor" })).not.toContainText(
    "customers may be told",
  );

  const priya = await warRoomAs(browser, "priya", key);
  const victor = await warRoomAs(browser, "victor", key);
  await expect(priya.locator("#comms-due")).toContainText("Next customer update due in");
  await expect(priya.locator("#comms .comms-owner")).toContainText("Priya Raman");

  // CS brings the next update forward; when it falls due the draft appears by itself.
  const due = await request.patch(`/api/v1/incidents/${key}/comms/schedule`, {
    data: { next_due_at: new Date(Date.now() + 2_000).toISOString() },
  });
  expect(due.status()).toBe(200);
  const draft = priya.locator("#comms article.comms-message.open");
  await expect(draft).toHaveAttribute("data-state", "draft", { timeout: 15_000 });
  await expect(draft).toContainText("drafted by Sitrep");
  const body = draft.getByLabel("Message (email body)");
  await expect(body).toHaveValue(new RegExp(`Card payments time out at the gateway ${suffix}`));
  await expect(body).not.toHaveValue(/vendor/);

  // The owner edits it, then asks for approval (enterprise needs a second person).
  const subject = `Payments at Checkout ${suffix}: we are on it`;
  await draft.getByLabel("Subject").fill(subject);
  await body.fill(`We are investigating failed card payments at Checkout ${suffix}. Next update within 30 minutes.`);
  await draft.getByRole("button", { name: "Save edits" }).click();
  await expect(draft).toContainText("v2");
  await draft.getByRole("button", { name: "Ask for approval" }).click();
  await expect(draft).toHaveAttribute("data-state", "in_review");
  await expect(draft.getByRole("button", { name: "Approve" })).toHaveCount(0);

  // Someone else (the admin) approves it from their own war room.
  await page.goto(`/incidents/${key}`);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.locator("#comms article.comms-message.open").getByRole("button", { name: "Approve" }).click();
  await expect(priya.locator("#comms article.comms-message.open")).toHaveAttribute("data-state", "approved");

  // The owner sends it: the customer's mailbox gets it, and every war room shows it.
  await priya.locator("#comms article.comms-message.open").getByRole("button", { name: "Send to customers" }).click();
  await expect(priya.locator("#comms-sent")).toContainText(subject);
  await expect(victor.locator("#timeline .entry-customer_message")).toContainText(subject);
  await expect(victor.locator("#timeline .entry-customer_message")).toContainText("Priya Raman");
  await expect.poll(() => mailsTo(`ops-${suffix}@acme.example`).length, { timeout: 15_000 }).toBe(1);
  const mail = mailsTo(`ops-${suffix}@acme.example`)[0];
  expect(mail.data).toContain(`Subject: ${subject}`);
  expect(mail.data).toContain("Message-ID: <msg-");

  // The log answers "what did we tell Acme, and when", with the delivery.
  await priya.goto(`/comms?account=acme-${suffix}`);
  const row = priya.locator("#comms-log-table tbody tr");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(subject);
  await expect(row).toContainText("1 delivered");
  await expect(row).toContainText("Sent");
});

// Without JavaScript too: a business account needs no approval, so the owner drafts
// from the timeline and sends it with plain form posts.
test("the comms owner drafts and sends an update with plain forms", async ({ browser, request, javaScriptEnabled }) => {
  const suffix = `${Date.now().toString(36)}${javaScriptEnabled ? "j" : "n"}`;
  const key = await setUp(request, suffix, "business");
  const context = await browser.newContext({ storageState: authFile("priya"), javaScriptEnabled });
  const priya = await context.newPage();
  await priya.goto(`/incidents/${key}`);
  if (javaScriptEnabled) {
    await expect(priya.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  await priya.getByRole("button", { name: "Draft an update now" }).click();
  const draft = priya.locator("#comms article.comms-message.open");
  await expect(draft).toHaveAttribute("data-state", "draft");
  await expect(draft).toContainText("drafted by Priya Raman");
  await expect(draft.getByRole("button", { name: "Ask for approval" })).toHaveCount(0);
  await draft.getByRole("button", { name: "Send to customers" }).click();
  await expect(priya.locator("#comms-sent")).toContainText(`Checkout ${suffix}`);
  await expect(priya.locator("#timeline .entry-customer_message")).toHaveCount(1);
  await expect.poll(() => mailsTo(`ops-${suffix}@acme.example`).length, { timeout: 15_000 }).toBe(1);
});

// Customer success edits a status's template with a live preview on example values;
// an unknown placeholder is refused next to the field and the typed text stays.
test("the template page previews as it is typed and names an unknown placeholder", async ({ browser, javaScriptEnabled }) => {
  const context = await browser.newContext({ storageState: authFile("priya"), javaScriptEnabled });
  const priya = await context.newPage();
  await priya.goto("/admin/comms");
  if (javaScriptEnabled) {
    await expect(priya.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  const form = priya.locator("#template-monitoring-form");
  const subject = form.getByLabel("Email subject");
  if (javaScriptEnabled) {
    await subject.fill("[{{status}}] {{components}} recovering");
    await expect(form.locator(".comms-preview .comms-subject")).toHaveText("[Monitoring] Checkout and Payments recovering");
  }
  await subject.fill("[{{status}}] {{eta}}");
  await form.getByRole("button", { name: "Save template" }).click();
  await expect(priya.locator("#template-monitoring-subject-error")).toContainText("{{eta}}");
  await expect(priya.locator("#template-monitoring-form").getByLabel("Email subject")).toHaveValue("[{{status}}] {{eta}}");
});
