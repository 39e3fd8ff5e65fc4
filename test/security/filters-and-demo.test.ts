/**
 * Filters the gateway passes on, and demo mode: a caller's filter cannot escape the `User.sessions`
 * restriction, a regular expression cannot stall the process, and a production gateway with no
 * controller refuses to start instead of serving demo data.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFilter, SESSION_FIELDS } from "../../src/bexpr/index.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";
import { expectResponsive } from "../helpers/responsive.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

let stack: Stack;
let admin: string;
beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 60, seed: 5 } });
  admin = stack.emulator.tokens.admin.token;
});
afterAll(() => stack.close());

const USER_SESSIONS = `query U($s: ID!, $f: String) { session(id: $s) { user { id sessions(filter: $f, first: 200, includeTerminated: true) { items { id userId status } } } } }`;

describe("User.sessions filter", () => {
  it("a filter that closes the parenthesis cannot return other users' sessions", async () => {
    const bob = stack.emulator.tokens.users[1]!;
    const own = stack.emulator.store.sessions().find((s) => s.user_id === bob.userId)!;
    const others = stack.emulator.store.sessions().filter((s) => s.user_id !== bob.userId);
    expect(others.length).toBeGreaterThan(0);
    stack.emulator.clearCalls();
    const res = await stack.gql(USER_SESSIONS, { s: own.id, f: `"/item/id" == "x") or ("/item/id" != "x"` }, { token: admin });
    expect(res.status).toBe(200);
    // `sessions` is non-null, so the refusal nulls the user that holds it.
    expect(res.body.data!.session.user).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    const err = res.body.errors![0] as { message: string; path: unknown[]; extensions: Record<string, unknown> };
    expect(err.extensions.code).toBe("BAD_USER_INPUT");
    expect(err.extensions.field).toBe("filter");
    expect(err.path).toEqual(["session", "user", "sessions"]);
    expect(err.message).toBe("filter is not a valid filter expression: 1:18 (17): no match found, expected: [ \\t\\r\\n] or EOF");
    // Refused before any listing reached the controller.
    expect(callsTo(stack.emulator, "GET", /^\/v1\/sessions$/)).toHaveLength(0);
    await expectResponsive(stack.gateway.url, stack.emulator);
  });

  it("a well-formed filter, parentheses and all, still lists only that user's sessions", async () => {
    const bob = stack.emulator.tokens.users[1]!;
    const mine = stack.emulator.store.sessions().filter((s) => s.user_id === bob.userId);
    const filter = `("/item/status" == "active") or ("/item/status" == "terminated")`;
    stack.emulator.clearCalls();
    const res = await stack.gql(USER_SESSIONS, { s: mine[0]!.id, f: filter }, { token: admin });
    expect(res.body.errors).toBeUndefined();
    const items = res.body.data!.session.user.sessions.items as { id: string; userId: string; status: string }[];
    const expected = mine.filter((s) => s.status === "active" || s.status === "terminated").map((s) => s.id);
    expect(expected.length).toBeGreaterThan(0);
    expect(new Set(items.map((s) => s.id))).toEqual(new Set(expected));
    expect(items.every((s) => s.userId === bob.userId)).toBe(true);
    const filters = callsTo(stack.emulator, "GET", /^\/v1\/sessions$/).map((c) => c.query.filter);
    expect(filters).toEqual([`"/item/user_id" == "${bob.userId}" and (${filter})`]);
  });
});

describe("matches", () => {
  it("a catastrophic-backtracking pattern answers promptly and the gateway stays responsive", async () => {
    // The certificate is a few hundred bytes; a backtracking engine tries exponentially many ways to
    // split it between `(.*)*` before giving up on `!$`, and never finishes.
    const filter = `"/item/certificate" matches "^(.*)*!$"`;
    const started = performance.now();
    const res = await stack.gql(
      `query($f: String) { sessions(filter: $f, first: 200, includeTerminated: true) { items { id } } }`,
      { f: filter },
      { token: admin },
    );
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(res.body.errors).toBeUndefined();
    // No seeded certificate is newline-free text ending in "!".
    expect(res.body.data!.sessions.items).toEqual([]);
    // Nor is that pattern special: one that does match every certificate matches all 60 sessions.
    const all = await stack.gql(
      `query($f: String) { sessions(filter: $f, first: 200, includeTerminated: true) { items { id } } }`,
      { f: `"/item/certificate" matches "^(?s)(.*)*$"` },
      { token: admin },
    );
    expect(all.body.errors).toBeUndefined();
    expect(all.body.data!.sessions.items).toHaveLength(60);
    await expectResponsive(stack.gateway.url, stack.emulator);
  });

  it("keeps Go's regexp.Compile errors: an invalid pattern matches nothing and does not throw", () => {
    const match = compileFilter(`"/item/status" matches "(?=a)"`, { knownFields: SESSION_FIELDS });
    expect(match({ status: "a" })).toBe(false);
    const notMatch = compileFilter(`"/item/status" not matches "a**"`, { knownFields: SESSION_FIELDS });
    expect(notMatch({ status: "a" })).toBe(false);
  });
});

describe("demo mode in production", () => {
  const MESSAGE =
    "BOUNDARY_ADDR is unset with NODE_ENV=production: set BOUNDARY_ADDR to the controller's URL, or DEMO=true to serve the embedded emulator's demo data";

  it("a production config without BOUNDARY_ADDR is refused unless DEMO=true", () => {
    let caught: unknown;
    try {
      loadConfig({ NODE_ENV: "production" });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([MESSAGE]);
    // A misspelt BOUNDARY_ADDR is the case this guards against.
    expect(() => loadConfig({ NODE_ENV: "production", BOUNDARY_ADRR: "https://boundary.example.com" })).toThrow(MESSAGE);
    expect(loadConfig({ NODE_ENV: "production", DEMO: "true" })).toMatchObject({ demo: true, boundaryAddr: undefined });
    expect(loadConfig({ NODE_ENV: "production", BOUNDARY_ADDR: "https://boundary.example.com" })).toMatchObject({
      demo: false,
      boundaryAddr: "https://boundary.example.com",
    });
    // Outside production, BOUNDARY_ADDR unset is still demo mode.
    expect(loadConfig({})).toMatchObject({ demo: false, boundaryAddr: undefined });
  });

  it("the production gateway with BOUNDARY_ADDR unset exits 2 instead of serving demo data with anonymous admin", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: root,
      env: { PATH: process.env.PATH, PORT: "0", HOST: "127.0.0.1", NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c: Buffer) => {
      stdout += c.toString();
      // Serving: the attack worked. Stop it here rather than waiting for the deadline.
      if (stdout.includes("gateway ready")) child.kill("SIGKILL");
    });
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`gateway still running after 10 s: ${stdout}`));
      }, 10_000);
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    });
    expect(exited).toEqual({ code: 2, signal: null });
    expect(stderr).toBe(`invalid configuration:\n  ${MESSAGE}\n`);
    expect(stdout).not.toContain("gateway ready");
  }, 15_000);
});
