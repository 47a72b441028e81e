// The header our own clients send (the browser's tRPC client, the CLI, tests and benchmarks). A page on another
// site cannot add a custom header without a CORS preflight, which the API never grants: with it, a request
// carrying a session cookie is not a forged one (the server refuses cookie-authenticated calls without it).
export const CLIENT_HEADER = "x-netlens-client";
