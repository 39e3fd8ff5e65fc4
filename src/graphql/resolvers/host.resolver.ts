import { Host } from "../types/host.type.js";
import { owningScopeResolver } from "./owning-scope.js";

export const HostResolver = owningScopeResolver(
  Host,
  "host",
  "The project of the host's catalog (from the scope info embedded in the host; full scope fields are read once per scope per request).",
);
