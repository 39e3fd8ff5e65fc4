/**
 * The `filter` parameter through HTTP: applied to the item as the caller sees it, before the page is cut
 * (so filtered pages are full), and refused with 400 naming `filter` when it does not parse. The operator
 * semantics themselves are tested with the filter engine.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WireSession } from "../../src/boundary/wire.js";
import { SESSION_FIELDS, compileFilter } from "../../src/bexpr/index.js";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { call, qs, walk } from "../helpers/emulator-http.js";

const ALL = { scope_id: "global", recursive: true, include_terminated: true } as const;
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ seed: 23, sessions: 200 });
});
afterAll(() => emu.close());

async function listIds(token: string, filter: string, page_size = 6): Promise<{ ids: string[]; pages: any[] }> {
  const pages = await walk(emu, "/v1/sessions", { ...ALL, filter, page_size }, token);
  return { ids: pages.flatMap((p) => (p.items ?? []).map((s: WireSession) => s.id)), pages };
}

describe("emulator filters", () => {
  it("filters on status, and filtered pages are full", async () => {
    const { ids, pages } = await listIds(emu.tokens.admin.token, `"/item/status" == "active"`);
    const expected = emu.store
      .sessions()
      .filter((s) => s.status === "active")
      .map((s) => s.id);
    expect(ids).toEqual(expected);
    for (const p of pages.slice(0, -1)) expect(p.items).toHaveLength(6);
  });

  it("treats an empty filter as no filter, as the controller does", async () => {
    const { ids } = await listIds(emu.tokens.admin.token, "", 1000);
    expect(ids).toEqual(emu.store.sessions().map((s) => s.id));
  });

  it("sees the caller's authorized_actions and the embedded scope", async () => {
    const user = emu.tokens.users[0];
    expect((await listIds(user.token, `"/item/authorized_actions" contains "cancel"`)).ids).toEqual([]);
    const own = emu.store
      .sessions()
      .filter((s) => s.user_id === user.userId)
      .map((s) => s.id);
    expect((await listIds(user.token, `"cancel:self" in "/item/authorized_actions"`)).ids).toEqual(own);
    const org = emu.store.scopeIds()[1];
    const inOrg = emu.store
      .sessions()
      .filter((s) => s.scope!.parent_scope_id === org)
      .map((s) => s.id);
    expect((await listIds(emu.tokens.admin.token, `"/item/scope/parent_scope_id" == "${org}"`)).ids).toEqual(inOrg);
    const direct = emu.store
      .sessions()
      .filter((s) => !s.host_id)
      .map((s) => s.id);
    expect((await listIds(emu.tokens.admin.token, `"/item/host_id" is empty`)).ids).toEqual(direct);
  });

  it("evaluates every field as the engine does on the item's JSON (states, certificate, missing fields)", async () => {
    const filters = [
      `any "/item/states" as s { s.status == "canceling" }`,
      `"/item/states/1/status" == "active"`,
      `"/item/certificate" is not empty`,
      `"/item/type" is empty and "/item/version" != 2`,
      `"/item/termination_reason" == "canceled"`,
      `"/item/endpoint" matches ":22$"`,
    ];
    for (const filter of filters) {
      const predicate = compileFilter(filter, { knownFields: SESSION_FIELDS });
      const expected = emu.store
        .sessions()
        .filter(({ connections: _, ...item }) => predicate(item))
        .map((s) => s.id);
      expect((await listIds(emu.tokens.admin.token, filter, 50)).ids, filter).toEqual(expected);
    }
  });

  it("answers 500 where go-bexpr would panic (is empty on a timestamp)", async () => {
    const res = await call(emu, `/v1/sessions?${qs({ ...ALL, filter: `"/item/created_time" is empty` })}`, {
      token: emu.tokens.admin.token,
    });
    expect([res.status, res.json.kind]).toEqual([500, "Internal"]);
  });

  it("does not see connections in list items", async () => {
    expect((await listIds(emu.tokens.admin.token, `"/item/connections" is not empty`)).ids).toEqual([]);
  });

  it("refuses a filter that does not parse with 400 naming the filter field", async () => {
    const res = await call(emu, `/v1/sessions?${qs({ ...ALL, filter: `"/item/status" = "active"` })}`, { token: emu.tokens.admin.token });
    expect(res.status).toBe(400);
    expect(res.json.kind).toBe("InvalidArgument");
    expect(res.json.message).toBe("Improperly formatted identifier.");
    expect(res.json.details.request_fields).toHaveLength(1);
    expect(res.json.details.request_fields[0].name).toBe("filter");
    expect(res.json.details.request_fields[0].description).toMatch(/^This field could not be parsed\. /);
    // Checked before the scope: an unknown project with a bad filter is still the 400, with both fields sorted.
    const both = await call(emu, `/v1/sessions?${qs({ scope_id: "global", filter: "(" })}`, { token: emu.tokens.admin.token });
    expect(both.json.details.request_fields.map((f: { name: string }) => f.name)).toEqual(["filter", "scope_id"]);
    const scopes = await call(emu, `/v1/scopes?${qs({ filter: "(" })}`, { token: emu.tokens.admin.token });
    expect([scopes.status, scopes.json.message, scopes.json.details.request_fields[0].name]).toEqual([
      400,
      "Error in provided request.",
      "filter",
    ]);
  });

  it("filters scopes too", async () => {
    const res = await call(emu, `/v1/scopes?${qs({ recursive: true, filter: `"/item/type" == "project"` })}`, {
      token: emu.tokens.admin.token,
    });
    expect(res.json.items.map((s: { id: string }) => s.id).sort()).toEqual(
      emu.store
        .scopeIds()
        .filter((id) => id.startsWith("p_"))
        .sort(),
    );
  });
});
