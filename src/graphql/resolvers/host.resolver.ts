import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { GatewayContext } from "../context.js";
import { Host } from "../types/host.type.js";
import { Scope } from "../types/scope.type.js";
import { owningScope } from "./owning-scope.js";

@Resolver(() => Host)
export class HostResolver {
  @FieldResolver(() => Scope, { description: "The project of the host's catalog (from the scope info embedded in the host; full scope fields are read once per scope per request)." })
  scope(@Root() host: Host, @Ctx() ctx: GatewayContext): Promise<Scope> {
    return owningScope(host, "GET /v1/hosts/{id}", ctx);
  }
}
