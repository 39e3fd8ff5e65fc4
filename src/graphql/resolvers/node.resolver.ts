import { Arg, Ctx, ID, Query, Resolver } from "type-graphql";
import { resourceKindOf } from "../../boundary/client.js";
import type { GatewayContext } from "../context.js";
import { GatewayErrorCode, gatewayError } from "../errors.js";
import { toSession } from "../mappers.js";
import { Node } from "../types/node.type.js";

/** Most ids one `nodes` field takes: each distinct id is one upstream read. */
export const MAX_NODE_IDS = 1000;

/**
 * Fetch any readable resource by id, through the request's loaders (so `nodes` batches, and an id
 * also selected elsewhere in the query is read once). The prefix alone picks the loader.
 */
export async function loadNode(id: string, ctx: GatewayContext, field: string): Promise<Node> {
  const kind = resourceKindOf(id);
  switch (kind) {
    case "session":
      return toSession(await ctx.loaders.session.load(id), true);
    case "scope":
      return ctx.loaders.scope.load(id);
    case "target":
      return ctx.loaders.target.load(id);
    case "user":
      return ctx.loaders.user.load(id);
    case "host":
      return ctx.loaders.host.load(id);
    case "hostSet":
      return ctx.loaders.hostSet.load(id);
    case "authToken":
      return ctx.loaders.authToken.load(id);
    case undefined: {
      const shown = id.length > 64 ? `${id.slice(0, 64)}…` : id;
      throw gatewayError(
        GatewayErrorCode.BAD_USER_INPUT,
        `"${shown}" is not the id of a session, scope, target, user, host, host set or auth token (its prefix is unknown).`,
        { field },
      );
    }
    default: {
      const unreachable: never = kind;
      throw new Error(`unhandled resource kind ${String(unreachable)}`);
    }
  }
}

@Resolver()
export class NodeResolver {
  @Query(() => Node, {
    nullable: true,
    description:
      "Any session, scope, target, user, host, host set or auth token by its Boundary id (the prefix picks the type). Null with NOT_FOUND or FORBIDDEN when it cannot be read; an unknown prefix is BAD_USER_INPUT.",
  })
  node(@Arg("id", () => ID, { description: "A Boundary id, e.g. `s_…`, `p_…`, `ttcp_…`, `u_…`, `hst_…`, `hsst_…`, `at_…` or `global`." }) id: string, @Ctx() ctx: GatewayContext): Promise<Node> {
    return loadNode(id, ctx, "id");
  }

  @Query(() => [Node], {
    nullable: "items",
    description: `Several resources by id, in the order asked, read concurrently (each distinct id once). One that cannot be read, or whose prefix is unknown, is null with its error at its index; the rest stand. At most ${MAX_NODE_IDS} ids.`,
  })
  nodes(@Arg("ids", () => [ID], { description: "Boundary ids of any supported type, mixed freely." }) ids: string[], @Ctx() ctx: GatewayContext): Promise<Node>[] {
    if (ids.length > MAX_NODE_IDS) {
      throw gatewayError(GatewayErrorCode.BAD_USER_INPUT, `nodes takes at most ${MAX_NODE_IDS} ids, got ${ids.length}.`, { field: "ids" });
    }
    // A failed item is nulled at its own index with its error, not the whole list (the execution core
    // settles the items of every list field: src/execution/list-settling.ts).
    return ids.map((id) => loadNode(id, ctx, "ids"));
  }
}
