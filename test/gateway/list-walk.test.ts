/**
 * The list walker asks for page n + 1 while page n is parsed, on a guess it checks afterwards. These
 * tests hold it to the calls of a strictly sequential walk on the emulator, and, against a scripted
 * controller over real HTTP, to the right pages when the guess fails (short pages, ids seen before) and
 * to leaving nothing running when a page turns out broken.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBoundaryClient, type BoundaryClient, type ListSessionsParams } from "../../src/boundary/client.js";
import { createListBudget } from "../../src/boundary/list-budget.js";
import { BoundaryProtocolError } from "../../src/boundary/errors.js";
import { ListingNotPageable, listSessions, readTail } from "../../src/boundary/sessions.js";
import { loadConfig } from "../../src/config.js";
import { startGateway } from "../../src/server.js";
import type { WireListResponse, WireSession } from "../../src/boundary/wire.js";
import { startEmulator } from "../../src/emulator/index.js";
import type { Emulator } from "../../src/emulator/types.js";
import { callsTo } from "../helpers/harness.js";

const GLOBAL = { scopeId: "global", recursive: true, includeTerminated: true } satisfies Omit<ListSessionsParams, "pageSize">;

describe("readTail", () => {
  it("reads the envelope's token and response type, whatever the spacing", () => {
    expect(readTail('{"items":[],"response_type":"delta","list_token":"3xY9"}')).toEqual({ token: "3xY9", delta: true });
    expect(readTail('{"items":[] ,  "response_type" :  "delta",\n "list_token":\t"abc"}')).toEqual({ token: "abc", delta: true });
    expect(readTail('{"items":[],"response_type":"complete","list_token":"abc"}')).toEqual({ token: "abc", delta: false });
    expect(readTail('{"items":[]}')).toEqual({ token: undefined, delta: false });
  });

  it("takes the last occurrence of each key and nothing that is not a list token", () => {
    // An item whose name quotes the keys: inside a JSON string the quotes are escaped.
    const body = JSON.stringify({
      items: [{ id: "s_1", name: '"list_token":"zzz","response_type":"delta"' }],
      response_type: "complete",
      list_token: "Good1",
    });
    expect(readTail(body)).toEqual({ token: "Good1", delta: false });
    expect(readTail('{"response_type":"delta","list_token":"not-base58!"}')).toEqual({ token: undefined, delta: true });
  });
});

describe("listSessions on the emulator", () => {
  let emulator: Emulator;
  let client: BoundaryClient;
  let auth: string;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, sessions: 47, seed: 5, maxPageSize: 10 });
    client = createBoundaryClient({ baseUrl: emulator.url, timeoutMs: 5000, retries: 0 });
    auth = `Bearer ${emulator.tokens.admin.token}`;
  });
  afterAll(async () => {
    await client.close();
    await emulator.close();
  });

  /** The reference: one page at a time, each asked for only after the last was parsed. */
  async function sequential(limit: number): Promise<{ ids: string[]; sizes: string[] }> {
    const ids: string[] = [];
    let token: string | undefined;
    for (;;) {
      const page = await client.listSessions({ ...GLOBAL, listToken: token, pageSize: limit - ids.length }, auth);
      ids.push(...(page.items ?? []).map((s) => s.id));
      token = page.list_token;
      if (page.response_type !== "delta" || ids.length >= limit || token === undefined) break;
    }
    return { ids, sizes: pageSizes() };
  }

  const pageSizes = () => callsTo(emulator, "GET", /^\/v1\/sessions$/).map((c) => c.query.page_size!);

  it.each([1000, 47, 30, 25, 9])("makes the sequential walk's calls for limit %i", async (limit) => {
    emulator.clearCalls();
    const reference = await sequential(limit);
    emulator.clearCalls();
    const listing = await listSessions(client, GLOBAL, limit, auth);
    expect(listing.items.map((s) => s.id)).toEqual(reference.ids);
    expect(pageSizes()).toEqual(reference.sizes);
    expect(listing.items).toHaveLength(Math.min(limit, 47));
    expect(listing.responseType).toBe(limit >= 47 ? "complete" : "delta");
  });

  it("keeps what `keep` makes of each item, merged by the wire id", async () => {
    const listing = await listSessions(client, GLOBAL, 25, auth, (s) => `${s.id}@${s.version}`);
    const reference = await listSessions(client, GLOBAL, 25, auth);
    expect(listing.items).toEqual(reference.items.map((s) => `${s.id}@${s.version}`));
    expect(listing.items).toHaveLength(25);
  });
});

/** A controller that answers list pages from a script, keyed by list token ("" for the first page). */
interface Scripted {
  url: string;
  /** `list_token`/`page_size` of every request received, in order. */
  asked: string[];
  /** Requests whose connection closed before they were answered. */
  abandoned: string[];
  close(): Promise<void>;
}

async function scripted(pages: Record<string, string | "hold">): Promise<Scripted> {
  const asked: string[] = [];
  const abandoned: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, "http://x");
    if (url.pathname !== "/v1/sessions") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"items":[]}');
      return;
    }
    const q = url.searchParams;
    const key = `${q.get("list_token") ?? ""}/${q.get("page_size")}`;
    asked.push(key);
    const body = pages[q.get("list_token") ?? ""];
    if (body === "hold") {
      res.on("close", () => abandoned.push(key));
      return;
    }
    if (body === undefined) {
      res.writeHead(500, { "content-type": "application/json" }).end('{"kind":"Internal","message":"no such page"}');
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    asked,
    abandoned,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function page(ids: string[], more: string | undefined): string {
  const body: WireListResponse<WireSession> = {
    items: ids.map((id) => ({ id, scope_id: "p_1234567890", status: "active" }) as WireSession),
    response_type: more === undefined ? "complete" : "delta",
    list_token: more ?? "Fin",
    sort_by: "created_time",
    sort_dir: "desc",
  };
  return JSON.stringify(body);
}

describe("listSessions when the guess fails", () => {
  const opened: Scripted[] = [];
  const clients: BoundaryClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(opened.map((s) => s.close()));
  });
  async function walk(pages: Record<string, string | "hold">, limit: number) {
    const server = await scripted(pages);
    opened.push(server);
    // With a list budget, as the gateway runs: its promise must not make the page asked ahead leave late.
    const client = createBoundaryClient({
      baseUrl: server.url,
      timeoutMs: 5000,
      retries: 0,
      listBudget: createListBudget({ points: 1000 }),
    });
    clients.push(client);
    // Two idle keep-alive connections, as a gateway that has served a while holds: the page asked for
    // ahead leaves at once instead of waiting for a connection (and so reaches the server before the
    // page in front of it is parsed).
    await Promise.all([client.ping(), client.ping()]);
    return { server, result: listSessions(client, GLOBAL, limit, "Bearer t") };
  }

  it("a short page: the page asked for ahead is dropped and the right one asked for", async () => {
    const { server, result } = await walk(
      {
        "": page(["s_a1", "s_a2", "s_a3"], "T1"),
        T1: page(["s_b1", "s_b2", "s_b3"], "T2"),
        T2: page(["s_c1"], "T3"),
        T3: page(["s_d1", "s_d2"], undefined),
      },
      100,
    );
    const listing = await result;
    expect(listing.items.map((s) => s.id)).toEqual(["s_a1", "s_a2", "s_a3", "s_b1", "s_b2", "s_b3", "s_c1", "s_d1", "s_d2"]);
    expect(listing.responseType).toBe("complete");
    // Sequentially: /100, T1/97, T2/94, T3/93. Ahead of page 3's parse, page 4 was guessed at 91.
    expect(server.asked).toEqual(["/100", "T1/97", "T2/94", "T3/91", "T3/93"]);
  });

  it("ids seen before: merged in place, and the next page asked for with what is still wanted", async () => {
    const { server, result } = await walk(
      {
        "": page(["s_a1", "s_a2"], "T1"),
        T1: page(["s_b1", "s_b2"], "T2"),
        T2: page(["s_a1", "s_c1"], "T3"),
        T3: page(["s_d1"], undefined),
      },
      7,
    );
    const listing = await result;
    expect(listing.items.map((s) => s.id)).toEqual(["s_a1", "s_a2", "s_b1", "s_b2", "s_c1", "s_d1"]);
    expect(server.asked).toEqual(["/7", "T1/5", "T2/3", "T3/1", "T3/2"]);
  });

  it("does not guess past the limit: the last page is asked for once", async () => {
    const { server, result } = await walk(
      { "": page(["s_a1", "s_a2"], "T1"), T1: page(["s_b1", "s_b2"], "T2"), T2: page(["s_c1"], "T3") },
      5,
    );
    const listing = await result;
    expect(listing.items).toHaveLength(5);
    expect(listing.responseType).toBe("delta");
    expect(listing.listToken).toBe("T3");
    expect(server.asked).toEqual(["/5", "T1/3", "T2/1"]);
  });

  it("a page that is not JSON fails the walk, and the page asked for ahead of it is abandoned", async () => {
    const broken = `{"items":[{"id":"s_b1",]],"response_type":"delta","list_token":"T2"}`;
    const { server, result } = await walk({ "": page(["s_a1", "s_a2"], "T1"), T1: broken, T2: "hold" }, 100);
    await expect(result).rejects.toBeInstanceOf(BoundaryProtocolError);
    // Page 3 was asked for before page 2 was parsed; the failed walk closed it.
    await expect.poll(() => server.asked, { timeout: 2000 }).toEqual(["/100", "T1/98", "T2/96"]);
    await expect.poll(() => server.abandoned, { timeout: 2000 }).toEqual(["T2/96"]);
  });
});

describe("a first listing handed out page by page (ListSessionsOptions.pages)", () => {
  const opened: Scripted[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
  });
  const pages = {
    "": page(["s_a1", "s_a2"], "T1"),
    T1: page(["s_b1", "s_b2"], "T2"),
    T2: page(["s_a1", "s_c1"], "T3"),
    T3: page(["s_d1"], undefined),
  };

  it("hands each page's items over, keeps none, and throws ListingNotPageable on an id listed twice", async () => {
    const server = await scripted(pages);
    opened.push(server);
    const client = createBoundaryClient({ baseUrl: server.url, timeoutMs: 5000, retries: 0 });
    const handed: string[][] = [];
    const walk = listSessions(client, GLOBAL, 100, "Bearer t", undefined, { pages: (items) => void handed.push(items.map((s) => s.id)) });
    await expect(walk).rejects.toBeInstanceOf(ListingNotPageable);
    expect(handed).toEqual([
      ["s_a1", "s_a2"],
      ["s_b1", "s_b2"],
    ]);
    const clean = await scripted({ "": page(["s_a1", "s_a2"], "T1"), T1: page(["s_b1"], undefined) });
    opened.push(clean);
    const cleanClient = createBoundaryClient({ baseUrl: clean.url, timeoutMs: 5000, retries: 0 });
    const seen: string[][] = [];
    const listing = await listSessions(cleanClient, GLOBAL, 100, "Bearer t", undefined, {
      pages: (items) => void seen.push(items.map((s) => s.id)),
    });
    expect(seen).toEqual([["s_a1", "s_a2"], ["s_b1"]]);
    expect(listing.items).toEqual([]);
    expect(listing.estItemCount).toBe(3);
    expect(listing.responseType).toBe("complete");
    await Promise.all([client.close(), cleanClient.close()]);
  });

  it("through the gateway: a listing whose pages repeat an id is walked again and answered merged, as one execution does", async () => {
    const server = await scripted(pages);
    opened.push(server);
    const answers: string[] = [];
    for (const paged of ["true", "false"]) {
      const gateway = await startGateway(
        loadConfig({
          PORT: "0",
          HOST: "127.0.0.1",
          LOG_LEVEL: "silent",
          NODE_ENV: "test",
          BOUNDARY_ADDR: server.url,
          PAGED_LISTINGS: paged,
        }),
      );
      try {
        const res = await fetch(`${gateway.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: "Bearer at_1234567890_token" },
          body: JSON.stringify({ query: "{ sessions { items { id } responseType estItemCount } }" }),
        });
        expect(res.status).toBe(200);
        answers.push(await res.text());
        const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
        expect(metrics).toContain(`graphql_request_lane_total{lane="${paged === "true" ? "paged" : "fast"}"} 1`);
      } finally {
        await gateway.stop();
      }
    }
    expect(answers[0]).toBe(answers[1]);
    const body = JSON.parse(answers[0]!);
    expect(body.data.sessions.items.map((s: { id: string }) => s.id)).toEqual(["s_a1", "s_a2", "s_b1", "s_b2", "s_c1", "s_d1"]);
    expect(body.data.sessions.estItemCount).toBe(6);
    // The paged walk stopped at the third page and the listing was walked again from the start.
    expect(server.asked.filter((k) => k.startsWith("/")).length).toBe(3);
  });
});
