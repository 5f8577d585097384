import { test as base } from "@playwright/test";
import { authFile } from "./people";

export { expect } from "@playwright/test";

// `request` (API calls that set up a test) acts as the admin, like `page` does by
// default (the projects' storageState).
export const test = base.extend({
  request: async ({ playwright, baseURL }, use) => {
    const request = await playwright.request.newContext({ baseURL, storageState: authFile("admin") });
    await use(request);
    await request.dispose();
  },
});
