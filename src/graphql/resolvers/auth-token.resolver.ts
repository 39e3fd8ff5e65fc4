import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { GatewayContext } from "../context.js";
import { AuthToken } from "../types/auth-token.type.js";
import { Scope } from "../types/scope.type.js";
import { owningScope } from "./owning-scope.js";

@Resolver(() => AuthToken)
export class AuthTokenResolver {
  @FieldResolver(() => Scope, { description: "The scope of the auth method the token came from (from the embedded scope info; full scope fields are read once per scope per request)." })
  scope(@Root() token: AuthToken, @Ctx() ctx: GatewayContext): Promise<Scope> {
    return owningScope(token, "GET /v1/auth-tokens/{id}", ctx);
  }
}
