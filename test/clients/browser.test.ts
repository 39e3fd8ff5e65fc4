import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../helpers/harness.js";

/**
 * The explorer in a real browser: Debian's Chromium, headless, driven by playwright-core, on a machine
 * with no internet. `.ci/run` installs Chromium when it is missing and sets REQUIRE_CHROMIUM=1, so CI
 * fails rather than skips; elsewhere the test is skipped when there is no Chromium.
 *
 * Screenshot: test-artifacts/explorer.png on every run; UPDATE_DOCS_SCREENSHOT=1 also copies it to
 * docs/explorer.png (the README's).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const run = existsSync(CHROMIUM) || process.env.REQUIRE_CHROMIUM === "1";

describe.skipIf(!run)(`the explorer in headless Chromium (${CHROMIUM})`, () => {
  let stack: Stack;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    stack = await startStack({ emulator: { sessions: 40, seed: 4 } });
    // A new, empty profile: nothing cached or stored from an earlier run.
    profile = await mkdtemp(join(tmpdir(), "boundary-graphql-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1600, height: 900 },
      // No sandbox (containers, root); no GPU; and none of Chromium's own traffic (updates, sync,
      // field trials), which would try to reach Google on a machine with no internet.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    context.on("request", (r) => requests.push(r.url()));
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  }, 30_000);

  afterAll(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await stack?.close();
  });

  it("opens /graphiql with the example tabs and the schema docs, runs a query and shows its result", async () => {
    const admin = stack.emulator.tokens.admin.token;
    await page.goto(`${stack.gateway.url}/graphiql`);
    await page.waitForSelector(".graphiql-execute-button", { timeout: 10_000 });
    expect(await page.locator(".graphiql-tab").allInnerTexts()).toEqual([
      "ListSessions",
      "ReadSession",
      "SessionNeighbours",
      "CancelSession",
    ]);
    // The docs come from introspection, over the same endpoint.
    await page.locator(".graphiql-doc-explorer").getByText("Session", { exact: true }).first().waitFor({ timeout: 10_000 });

    // The header editor is open for the bearer token; type one in as a user would paste it.
    const headers = page.locator('section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) > .CodeMirror');
    await headers.waitFor();
    await headers.click();
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.press("Delete");
    // CodeMirror closes brackets and quotes by itself: type the text without its closing characters.
    await page.keyboard.type("{");
    await page.keyboard.press("Enter");
    await page.keyboard.type(`"Authorization": "Bearer ${admin}`);
    // Back to the start of the line, so that the screenshot shows the header's name.
    await page.keyboard.press("Home");
    await page.keyboard.press("Home");
    expect(
      JSON.parse(await headers.evaluate((el) => (el as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue())),
    ).toEqual({
      Authorization: `Bearer ${admin}`,
    });

    const answered = page.waitForResponse(
      (r) => r.url().endsWith("/graphql") && r.request().method() === "POST" && (r.request().postData() ?? "").includes("ListSessions"),
    );
    await page.click(".graphiql-execute-button");
    const response = await answered;
    expect(response.status()).toBe(200);
    expect(response.request().headers().authorization).toBe(`Bearer ${admin}`);
    const body = (await response.json()) as { data: { sessions: { items: { id: string }[] } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    const expected = stack.emulator.store
      .sessions()
      .filter((s) => s.status !== "terminated")
      .slice(0, 10)
      .map((s) => s.id);
    expect(body.data.sessions.items.map((s) => s.id)).toEqual(expected);

    // What the user sees: the result pane shows the answer, starting with the first session.
    const result = page.locator(".result-window");
    await expect.poll(() => result.innerText(), { timeout: 5_000 }).toContain(`"${expected[0]}"`);
    expect(await result.innerText()).toContain('"sessions"');

    await mkdir("test-artifacts", { recursive: true });
    await page.screenshot({ path: "test-artifacts/explorer.png" });
    if (process.env.UPDATE_DOCS_SCREENSHOT === "1") await copyFile("test-artifacts/explorer.png", "docs/explorer.png");
  });

  it("made no request to any host but the gateway's, and logged no error (a CSP violation would be one)", () => {
    const gateway = new URL(stack.gateway.url).host;
    const elsewhere = requests.filter((u) => !u.startsWith("data:") && new URL(u).host !== gateway);
    expect(elsewhere).toEqual([]);
    expect(requests.filter((u) => u.startsWith("http"))).toEqual(
      expect.arrayContaining([
        `${stack.gateway.url}/graphiql`,
        expect.stringContaining("/graphiql/assets/graphiql.min.js?v="),
        `${stack.gateway.url}/graphql`,
      ]),
    );
    expect(problems).toEqual([]);
  });
});
