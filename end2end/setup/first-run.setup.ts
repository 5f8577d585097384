import { expect, test as setup } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { setupToken } from "../setup-token";
import { authFile, people, type Person } from "../people";

// In order: adding people first would end first run (setup is refused once someone
// can sign in).
setup.describe.configure({ mode: "serial" });

// First run, in the browser: the setup token (printed in the server's log) is what
// lets someone claim the instance; a wrong one is refused next to the field.
setup("the first admin claims the instance with the setup token", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
  await page.goto("/setup");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const form = page.locator("#setup-form");
  const admin = people.admin;
  await form.getByLabel("Setup token").fill("a wrong guess");
  await form.getByLabel("Your email").fill(admin.email);
  await form.getByLabel("Your name").fill(admin.name);
  await form.getByLabel("Password").fill(admin.password);
  await form.getByRole("button", { name: "Create admin and sign in" }).click();
  await expect(form.locator("#setup-token-error")).toContainText("not the setup token");

  await form.getByLabel("Setup token").fill(setupToken);
  await form.getByRole("button", { name: "Create admin and sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator("#user-menu")).toContainText("Ada Admin (admin)");
  await page.context().storageState({ path: authFile("admin") });
});

// Everyone else is added the way an operator would, then signs in once.
setup("the other people are added and sign in", async ({ playwright, baseURL }) => {
  for (const who of ["sam", "dana", "priya", "victor", "tess", "theo"] as Person[]) {
    const person = people[who];
    execFileSync(
      process.env.SITREP_BIN ?? "../target/debug/sitrep",
      ["user", "add", "--email", person.email, "--name", person.name, "--role", person.role, "--password-stdin"],
      { input: `${person.password}\n`, env: { ...process.env, SITREP_DATA_DIR: process.env.E2E_DATA_DIR, RUST_LOG: "error" } },
    );
    const request = await playwright.request.newContext({ baseURL });
    const signedIn = await request.post("/api/v1/session", { data: { email: person.email, password: person.password } });
    expect(signedIn.status()).toBe(200);
    await request.storageState({ path: authFile(who) });
    await request.dispose();
  }
});
