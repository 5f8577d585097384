// The first-run setup token the test server is started with (SITREP_SETUP_TOKEN).
export const setupToken = "e2e-setup-token-4f1c9a";
