import { AuthToken } from "../types/auth-token.type.js";
import { owningScopeResolver } from "./owning-scope.js";

export const AuthTokenResolver = owningScopeResolver(
  AuthToken,
  "authToken",
  "The scope of the auth method the token came from (from the embedded scope info; full scope fields are read once per scope per request).",
);
