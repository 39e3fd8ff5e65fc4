import { Arg, Ctx, ID, Query, Resolver } from "type-graphql";
import { RESOURCES, RESOURCE_KINDS, resourceKindOf } from "../../boundary/resources.js";
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
  if (kind === undefined) {
    const shown = id.length > 64 ? `${id.slice(0, 64)}…` : id;
    throw gatewayError(GatewayErrorCode.BAD_USER_INPUT, `"${shown}" is not the id of ${KNOWN_KINDS} (its prefix is unknown).`, { field });
  }
  // Sessions are held as read (wire objects, with connections); every other loader holds schema objects.
  if (kind === "session") return toSession(await ctx.loaders.session.load(id), true);
  return ctx.loaders[kind].load(id);
}

/** "a, b … or z", from the registry's nouns. */
const KNOWN_KINDS = ((nouns: string[]) => `${nouns.slice(0, -1).join(", ")} or ${nouns[nouns.length - 1]}`)(
  RESOURCE_KINDS.map((k) => RESOURCES[k].noun),
);

@Resolver()
export class NodeResolver {
  @Query(() => Node, {
    nullable: true,
    description:
      "Any session, scope, target, user, host, host set or auth token by its Boundary id (the prefix picks the type). Null with NOT_FOUND or FORBIDDEN when it cannot be read; an unknown prefix is BAD_USER_INPUT.",
  })
  node(
    @Arg("id", () => ID, { description: "A Boundary id, e.g. `s_…`, `p_…`, `ttcp_…`, `u_…`, `hst_…`, `hsst_…`, `at_…` or `global`." })
    id: string,
    @Ctx() ctx: GatewayContext,
  ): Promise<Node> {
    return loadNode(id, ctx, "id");
  }

  @Query(() => [Node], {
    nullable: "items",
    description: `Several resources by id, in the order asked, read concurrently (each distinct id once). One that cannot be read, or whose prefix is unknown, is null with its error at its index; the rest stand. At most ${MAX_NODE_IDS} ids.`,
  })
  nodes(
    @Arg("ids", () => [ID], { description: "Boundary ids of any supported type, mixed freely." }) ids: string[],
    @Ctx() ctx: GatewayContext,
  ): Promise<Node>[] {
    if (ids.length > MAX_NODE_IDS) {
      throw gatewayError(GatewayErrorCode.BAD_USER_INPUT, `nodes takes at most ${MAX_NODE_IDS} ids, got ${ids.length}.`, { field: "ids" });
    }
    // A failed item is nulled at its own index with its error, not the whole list.
    // (the execution core settles the items of every list field: src/execution/list-settling.ts)
    return ids.map((id) => loadNode(id, ctx, "ids"));
  }
}
