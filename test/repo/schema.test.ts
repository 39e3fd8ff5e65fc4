import { readFile } from "node:fs/promises";
import { parse, print, visit } from "graphql";
import { describe, expect, it } from "vitest";
import { printGatewaySchema } from "../../src/schema.js";

describe("schema.graphql", () => {
  it("is the schema the code builds (run `npm run schema` after changing types)", async () => {
    const committed = await readFile(new URL("../../schema.graphql", import.meta.url), "utf8");
    expect(committed).toBe(await printGatewaySchema());
  });

  it("keeps the fixed names and shapes of the public contract", async () => {
    const sdl = await printGatewaySchema();
    // Compare without descriptions: print the SDL again from its AST with every description removed.
    const bare = visit(parse(sdl), {
      enter(node) {
        return "description" in node && node.description ? { ...node, description: undefined } : undefined;
      },
    });
    const flat = print(bare).replace(/\s+/g, " ");
    for (const fragment of [
      "session(id: ID!): Session",
      'sessions(scopeId: ID = "global", recursive: Boolean = true, filter: String, includeTerminated: Boolean = false, first: Int, after: String): SessionPage!',
      "cancelSession(id: ID!, version: Int): Session!",
      "enum ListResponseType { COMPLETE DELTA }",
      "enum SessionStatus { PENDING ACTIVE CANCELING TERMINATED }",
      "enum ScopeType { GLOBAL ORG PROJECT }",
      "bytesUp: SafeInt",
      "scope: Scope!",
      "connections: [Connection!]!",
      "parent: Scope",
      "removedIds: [ID!]!",
    ]) {
      expect(flat).toContain(fragment);
    }
  });

  it("describes every type and field", async () => {
    const { buildGatewaySchema } = await import("../../src/schema.js");
    const schema = await buildGatewaySchema();
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith("__") || ["String", "Boolean", "Int", "ID", "Float"].includes(type.name)) continue;
      if (!type.description) missing.push(type.name);
      if ("getFields" in type) {
        for (const field of Object.values(type.getFields())) if (!field.description) missing.push(`${type.name}.${field.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
