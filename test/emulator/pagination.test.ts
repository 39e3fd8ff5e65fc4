/**
 * Listing as the controller does it (hashicorp/boundary internal/pagination/pagination.go,
 * internal/listtoken/list_token.go, internal/session/repository_session.go): keyset pages in created-desc order, refresh
 * rounds by updated time with removed_ids, and list tokens that are refused when expired, foreign or
 * issued under other grants.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WireSession } from "../../src/boundary/wire.js";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { call, qs, walk } from "../helpers/emulator-http.js";

const ALL = { scope_id: "global", recursive: true, include_terminated: true } as const;

/** created desc, then id desc: the controller's keyset order. */
function createdDesc(a: WireSession, b: WireSession): number {
  const ta = Date.parse(a.created_time!);
  const tb = Date.parse(b.created_time!);
  if (ta !== tb) return tb - ta;
  // Date.parse drops microseconds; compare the fraction text padded to nanoseconds.
  const fa = frac(a.created_time!);
  const fb = frac(b.created_time!);
  if (fa !== fb) return fb - fa;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
const frac = (t: string) => Number((/\.(\d+)Z$/.exec(t)?.[1] ?? "").padEnd(9, "0"));

let emu: Emulator;
let admin: string;

beforeAll(async () => {
  emu = await startEmulator({ seed: 9, sessions: 150, maxPageSize: 40 });
  admin = emu.tokens.admin.token;
});
afterAll(() => emu.close());

describe("emulator pagination", () => {
  it("pages of a given size add up to the whole set, without duplicates, newest created first", async () => {
    const pages = await walk(emu, "/v1/sessions", { ...ALL, page_size: 7 }, admin);
    const items: WireSession[] = pages.flatMap((p) => p.items ?? []);
    const expected = emu.store.sessions();
    expect(items.map((s) => s.id)).toEqual([...expected].sort(createdDesc).map((s) => s.id));
    expect(new Set(items.map((s) => s.id)).size).toBe(expected.length);
    pages.forEach((p, i) => {
      const last = i === pages.length - 1;
      expect(p.response_type).toBe(last ? "complete" : "delta");
      if (!last) expect(p.items).toHaveLength(7);
      expect(p.sort_by).toBe("created_time");
      expect(p.sort_dir).toBe("desc");
      expect(typeof p.list_token).toBe("string");
      expect(p.list_token).toMatch(/^[1-9A-HJ-NP-Za-km-z]+$/);
      // Not the first page, or not complete: the table-wide estimate.
      expect(p.est_item_count).toBe(expected.length);
      expect(p.removed_ids).toBeUndefined();
    });
  });

  it("caps page_size silently at maxPageSize; 0 or absent means the maximum", async () => {
    for (const page_size of [undefined, 0, 41, 100000]) {
      const res = await call(emu, `/v1/sessions?${qs({ ...ALL, page_size })}`, { token: admin });
      expect(res.status).toBe(200);
      expect(res.json.items).toHaveLength(40);
      expect(res.json.response_type).toBe("delta");
    }
  });

  it("leaves terminated sessions out unless include_terminated", async () => {
    const pages = await walk(emu, "/v1/sessions", { scope_id: "global", recursive: true }, admin);
    const items: WireSession[] = pages.flatMap((p) => p.items ?? []);
    expect(items.length).toBe(emu.store.sessions().filter((s) => s.status !== "terminated").length);
    expect(items.every((s) => s.termination_reason === undefined)).toBe(true);
  });

  it("lists only the caller's own sessions for a user with :self grants, with their actions", async () => {
    const u = emu.tokens.users[1];
    const pages = await walk(emu, "/v1/sessions", { ...ALL, page_size: 5 }, u.token);
    const items: WireSession[] = pages.flatMap((p) => p.items ?? []);
    expect(items.map((s) => s.id).sort()).toEqual(
      emu.store
        .sessions()
        .filter((s) => s.user_id === u.userId)
        .map((s) => s.id)
        .sort(),
    );
    for (const s of items) expect([...s.authorized_actions!].sort()).toEqual(["cancel:self", "read:self"]);
    const adminItems = (await call(emu, `/v1/sessions?${qs({ ...ALL, page_size: 1 })}`, { token: admin })).json.items;
    expect([...adminItems[0].authorized_actions].sort()).toEqual(["cancel", "cancel:self", "no-op", "read", "read:self"]);
  });

  it("lists one project without recursion, and only that project", async () => {
    const p = emu.store.scopeIds().filter((id) => id.startsWith("p_"))[1];
    const pages = await walk(emu, "/v1/sessions", { scope_id: p, include_terminated: true }, admin);
    const items: WireSession[] = pages.flatMap((x) => x.items ?? []);
    expect(items.length).toBe(emu.store.sessions().filter((s) => s.scope_id === p).length);
    expect(pages).toHaveLength(1);
    // A first call that is already complete reports the exact count.
    expect(pages[0].est_item_count).toBe(items.length);
  });

  it("an empty first listing has no items, no list_token and no est_item_count", async () => {
    const res = await call(emu, `/v1/sessions?${qs({ ...ALL, filter: '"/item/id" == "s_none"' })}`, { token: admin });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ response_type: "complete", sort_by: "created_time", sort_dir: "desc" });
  });

  it("lists scopes with their own scope_id rules and list tokens", async () => {
    const [, org1, , , org2] = emu.store.scopeIds();
    const orgs = await walk(emu, "/v1/scopes", {}, admin);
    expect(
      orgs
        .flatMap((p) => p.items)
        .map((s: { id: string }) => s.id)
        .sort(),
    ).toEqual([org1, org2].sort());
    const projects = await walk(emu, "/v1/scopes", { scope_id: org1 }, admin);
    expect(projects[0].items.every((s: { scope_id: string; type: string }) => s.scope_id === org1 && s.type === "project")).toBe(true);
    const all = await walk(emu, "/v1/scopes", { scope_id: "global", recursive: true, page_size: 4 }, admin);
    expect(all.map((p) => p.items?.length ?? 0)).toEqual([4, 2]);
    expect(
      all
        .flatMap((p) => p.items)
        .map((s: { id: string }) => s.id)
        .sort(),
    ).toEqual(
      emu.store
        .scopeIds()
        .filter((id) => id !== "global")
        .sort(),
    );
    const project = emu.store.scopeIds().find((id) => id.startsWith("p_"))!;
    expect((await call(emu, `/v1/scopes?scope_id=${project}`, { token: admin })).status).toBe(400);
    expect((await call(emu, `/v1/scopes?scope_id=o_0000000000`, { token: admin })).status).toBe(404);
    // The anonymous user may list scopes (no-op only), not read them.
    const anon = await call(emu, "/v1/scopes");
    expect(anon.status).toBe(200);
    expect(anon.json.items.map((s: { authorized_actions: string[] }) => s.authorized_actions)).toEqual([["no-op"], ["no-op"]]);
  });
});

describe("emulator refresh", () => {
  it("returns only what changed since the token, with removed_ids for hard-deleted sessions", async () => {
    const pages = await walk(emu, "/v1/sessions", { scope_id: "global", recursive: true, page_size: 40 }, admin);
    const final = pages[pages.length - 1];
    const seen: WireSession[] = pages.flatMap((p) => p.items ?? []);

    const toCancel = seen.find((s) => s.status === "active" || s.status === "pending")!;
    const toDelete = seen.find((s) => s.id !== toCancel.id)!;
    const res = await call(emu, `/v1/sessions/${toCancel.id}:cancel`, { token: admin, body: { version: toCancel.version } });
    expect(res.status).toBe(200);
    const created = emu.store.createSession();
    emu.store.deleteSession(toDelete.id);

    const refresh = await call(emu, `/v1/sessions?${qs({ scope_id: "global", recursive: true, list_token: final.list_token })}`, {
      token: admin,
    });
    expect(refresh.status).toBe(200);
    expect(refresh.json.response_type).toBe("complete");
    expect(refresh.json.sort_by).toBe("updated_time");
    expect(refresh.json.sort_dir).toBe("desc");
    expect(refresh.json.items.map((s: WireSession) => s.id).sort()).toEqual([toCancel.id, created].sort());
    // updated desc: the newest change first.
    expect(refresh.json.items[0].id).toBe(created);
    expect(refresh.json.items.find((s: WireSession) => s.id === toCancel.id).status).toBe("canceling");
    expect(refresh.json.removed_ids).toEqual([toDelete.id]);
    expect(typeof refresh.json.list_token).toBe("string");
    expect((await call(emu, `/v1/sessions/${toDelete.id}`, { token: admin })).status).toBe(404);
  });

  it("pages a refresh round with refresh tokens, then starts the next round", async () => {
    // Past the 30 s lookback of the changes made by the test before (including the termination that
    // followed its cancel 5 s later).
    emu.clock.advance(60_000);
    const pages = await walk(emu, "/v1/sessions", { ...ALL, page_size: 40 }, admin);
    const token = pages[pages.length - 1].list_token;
    const ids = [1, 2, 3, 4, 5].map(() => emu.store.createSession({ status: "active" }));
    const round = await walk(emu, "/v1/sessions", { ...ALL, page_size: 2 }, admin, token);
    expect(round.map((p) => p.response_type)).toEqual(["delta", "delta", "complete"]);
    expect(round.every((p) => p.sort_by === "updated_time")).toBe(true);
    expect(round.flatMap((p) => p.items ?? []).map((s: WireSession) => s.id)).toEqual([...ids].reverse());
    // The next round re-reads 30 s behind its lower bound, so the same five come again (upsert by id)…
    emu.clock.advance(31_000);
    const again = await call(emu, `/v1/sessions?${qs({ ...ALL, list_token: round[2].list_token })}`, { token: admin });
    expect(again.json.items.map((s: WireSession) => s.id)).toEqual([...ids].reverse());
    // …and once the lookback has passed them, a round with no change is empty but still hands out a token.
    emu.clock.advance(31_000);
    const next = await call(emu, `/v1/sessions?${qs({ ...ALL, list_token: again.json.list_token })}`, { token: admin });
    expect(next.json.items).toBeUndefined();
    expect(next.json.response_type).toBe("complete");
    expect(typeof next.json.list_token).toBe("string");
  });
});

describe("emulator list tokens", () => {
  it("refuses a token from another resource type, both ways, with 400 invalid list token", async () => {
    const scopeToken = (await call(emu, "/v1/scopes?page_size=1", { token: admin })).json.list_token;
    const sessionToken = (await call(emu, `/v1/sessions?${qs({ ...ALL, page_size: 1 })}`, { token: admin })).json.list_token;
    const body = {
      kind: "invalid list token",
      op: "listtoken.Validate",
      message: "list token resource type does not match expected resource type",
    };
    const a = await call(emu, `/v1/sessions?${qs({ ...ALL, list_token: scopeToken })}`, { token: admin });
    expect([a.status, a.json]).toEqual([400, body]);
    const b = await call(emu, `/v1/scopes?${qs({ list_token: sessionToken })}`, { token: admin });
    expect([b.status, b.json]).toEqual([400, body]);
  });

  it("refuses a token issued before the caller's grants changed", async () => {
    const u = emu.tokens.users[2];
    const token = (await call(emu, `/v1/sessions?${qs({ ...ALL, page_size: 1 })}`, { token: u.token })).json.list_token;
    emu.store.changeGrants(u.userId);
    const res = await call(emu, `/v1/sessions?${qs({ ...ALL, list_token: token })}`, { token: u.token });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      kind: "invalid list token",
      op: "listtoken.Validate",
      message: "grants have changed since list token was issued",
    });
    // A fresh listing works under the new grants.
    expect((await call(emu, `/v1/sessions?${qs({ ...ALL, page_size: 1 })}`, { token: u.token })).status).toBe(200);
  });

  it("answers 500 for a token that is not base58 or not signed by this emulator", async () => {
    const good: string = (await call(emu, `/v1/sessions?${qs({ ...ALL, page_size: 1 })}`, { token: admin })).json.list_token;
    const last = good[good.length - 1];
    const tampered = good.slice(0, -1) + (last === "2" ? "3" : "2");
    for (const list_token of ["not-base58!", "0OIl", tampered, "1111"]) {
      const res = await call(emu, `/v1/sessions?${qs({ ...ALL, list_token })}`, { token: admin });
      expect(res.status, list_token).toBe(500);
      expect(res.json.kind).toBe("Internal");
    }
  });

  it("refuses a token 30 days after the original listing, even through refreshes", async () => {
    const e = await startEmulator({ seed: 2, sessions: 20 });
    try {
      const t = e.tokens.admin.token;
      const first = await call(e, `/v1/sessions?${qs({ ...ALL, page_size: 5 })}`, { token: t });
      e.clock.advance(29 * 24 * 3600 * 1000);
      const pages = await walk(e, "/v1/sessions", { ...ALL }, t, first.json.list_token);
      const refreshToken = pages[pages.length - 1].list_token;
      expect((await call(e, `/v1/sessions?${qs({ ...ALL, list_token: refreshToken })}`, { token: t })).status).toBe(200);
      e.clock.advance(2 * 24 * 3600 * 1000);
      const res = await call(e, `/v1/sessions?${qs({ ...ALL, list_token: refreshToken })}`, { token: t });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ kind: "invalid list token", op: "listtoken.Validate", message: "list token was expired" });
    } finally {
      await e.close();
    }
  });
});
