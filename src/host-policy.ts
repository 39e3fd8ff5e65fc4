/**
 * ALLOWED_HOSTS: which `Host` names the gateway answers to. A DNS-rebinding page makes a victim's
 * browser send requests whose `Host` (and `Origin`) name the attacker's domain to a gateway on the
 * victim's network; refusing unknown hosts is what keeps such a page from borrowing the gateway's own
 * token (BOUNDARY_TOKEN, or the demo admin's). See docs/security.md.
 */

/** Wildcard binds: the listen host names no host a client would send. */
const WILDCARDS = new Set(["0.0.0.0", "::", ""]);

/** The names the gateway answers to: `undefined` means any. */
export function allowedHostsFor(
  configured: readonly string[] | undefined,
  listenHost: string,
  fallbackInEffect: boolean,
): ReadonlySet<string> | undefined {
  if (configured !== undefined) return configured.includes("*") ? undefined : new Set(configured);
  // Without a token of its own to lend, the gateway gives a rebinding page nothing the page's own
  // requests could not get: any host is answered, as a container behind a load balancer expects.
  if (!fallbackInEffect) return undefined;
  const names = new Set(["localhost", "127.0.0.1", "::1"]);
  const listen = listenHost.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (!WILDCARDS.has(listen)) names.add(listen);
  return names;
}

/** A checker of `Host` header values against `allowed` (port ignored); everything passes when undefined. */
export function createHostCheck(allowed: ReadonlySet<string> | undefined): (host: string | undefined) => boolean {
  if (allowed === undefined) return () => true;
  return (host) => host !== undefined && allowed.has(hostName(host));
}

/** `example.com:4000` -> `example.com`, `[::1]:4000` -> `::1`, lower-cased. */
function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end > 0 ? h.slice(1, end) : h;
  }
  const colon = h.indexOf(":");
  // More than one colon without brackets is not a valid Host value; compared as it is, it matches nothing.
  return colon >= 0 && h.indexOf(":", colon + 1) < 0 ? h.slice(0, colon) : h;
}
