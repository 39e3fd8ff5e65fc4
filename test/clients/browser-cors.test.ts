import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../helpers/harness.js";

/**
 * A real cross-origin call from headless Chromium: a page served by a second local server (another
 * port, so another origin) fetches the gateway's /graphql with an Authorization header, which makes the
 * browser send a preflight. Skipped without Chromium, as in browser.test.ts.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const run = existsSync(CHROMIUM) || process.env.REQUIRE_CHROMIUM === "1";

describe.skipIf(!run)("CORS in headless Chromium", () => {
  let allowing: Stack;
  let refusing: Stack;
  let page: Server;
  let origin: string;
  let profile: string;
  let context: BrowserContext;

  beforeAll(async () => {
    page = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>console</title>"));
    await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
    allowing = await startStack({ env: { CORS_ORIGINS: origin } });
    refusing = await startStack({ env: { CORS_ORIGINS: "https://someone.else.example" } });
    profile = await mkdtemp(join(tmpdir(), "boundary-graphql-cors-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
    });
  }, 30_000);

  afterAll(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await allowing?.close();
    await refusing?.close();
    await new Promise<void>((resolve) => (page ? page.close(() => resolve()) : resolve()));
  });

  /** Runs fetch in the page on `origin` and reports what the page's script saw. */
  async function fetchFromPage(gateway: string, token: string) {
    const tab = context.pages()[0] ?? (await context.newPage());
    await tab.goto(`${origin}/`);
    return tab.evaluate(
      async ([url, authorization]) => {
        try {
          const res = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", authorization },
            body: JSON.stringify({ query: "{ sessions(first: 2) { items { id } } }" }),
          });
          return { status: res.status, body: (await res.json()) as { data: { sessions: { items: unknown[] } } }, error: null };
        } catch (err) {
          return { status: 0, body: null, error: `${(err as Error).name}` };
        }
      },
      [`${gateway}/graphql`, `Bearer ${token}`] as const,
    );
  }

  it("lets a page on a listed origin call /graphql with its own token", async () => {
    const got = await fetchFromPage(allowing.gateway.url, allowing.emulator.tokens.admin.token);
    expect(got.error).toBeNull();
    expect(got.status).toBe(200);
    expect(got.body?.data.sessions.items).toHaveLength(2);
  });

  it("leaves a page on an unlisted origin with a TypeError from fetch", async () => {
    const got = await fetchFromPage(refusing.gateway.url, refusing.emulator.tokens.admin.token);
    expect(got).toEqual({ status: 0, body: null, error: "TypeError" });
  });
});
