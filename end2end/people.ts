import { join } from "node:path";

// The people the end-to-end suite signs in as. The admin claims the instance through
// the first-run page (setup/first-run.setup.ts); the others are added with the
// server's `user add` task. Each one's signed-in browser state is saved to a file.
export const people = {
  admin: { email: "admin@example.com", name: "Ada Admin", role: "admin", password: "a long enough password" },
  sam: { email: "sam@example.com", name: "Sam Okafor", role: "engineer", password: "sam's long password" },
  dana: { email: "dana@example.com", name: "Dana Lee", role: "engineer", password: "dana's long password" },
  priya: { email: "priya@example.com", name: "Priya Raman", role: "cs", password: "priya's long password" },
  victor: { email: "victor@example.com", name: "Victor Viewer", role: "viewer", password: "victor's long password" },
  // Their settings change in tests (one per project, hydrated and JavaScript-off).
  tess: { email: "tess@example.com", name: "Tess Ito", role: "viewer", password: "tess's long password" },
  theo: { email: "theo@example.com", name: "Theo Brandt", role: "viewer", password: "theo's long password" },
} as const;

export type Person = keyof typeof people;

/// Where a person's signed-in browser state (the session cookie) is kept: in .auth/,
/// or in E2E_AUTH_DIR, so that two runs side by side (each with its own server) do
/// not sign each other out.
export function authFile(who: Person): string {
  return join(process.env.E2E_AUTH_DIR ?? join(__dirname, ".auth"), `${who}.json`);
}

/// A browser that is signed in as nobody.
export const signedOut = { cookies: [], origins: [] };
