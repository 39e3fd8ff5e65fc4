/**
 * The CA certificates to trust for the controller, read as Boundary's CLI reads them: its `api`
 * package hands `BOUNDARY_CACERT` and `BOUNDARY_CAPATH` to hashicorp/go-rootcerts (api/client.go
 * `ConfigureTLS`), whose `LoadCACerts` takes the file when one is set and the directory otherwise.
 * `LoadCAPath` walks the directory, subdirectories included, and every file in it must hold at least one
 * PEM certificate, or loading fails naming that file. Mirrors go-rootcerts v1.0.2.
 */
import { X509Certificate } from "node:crypto";
import { lstat, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of one PEM text that parse (Go's `AppendCertsFromPEM` skips the others). */
function certificatesIn(pem: string): string[] {
  return (pem.match(PEM_CERTIFICATE) ?? []).filter((block) => {
    try {
      new X509Certificate(block);
      return true;
    } catch {
      return false;
    }
  });
}

/** Every CA certificate under `dir`, in the walk's (lexical) order. Rejects naming the first bad file. */
export async function loadCaPath(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string): Promise<void> => {
    // filepath.Walk uses Lstat: a symlink to a file is read through; a directory is descended into.
    if ((await lstat(path)).isDirectory()) {
      for (const name of (await readdir(path)).sort()) await walk(join(path, name));
      return;
    }
    const found = certificatesIn(await readFile(path, "utf8"));
    if (found.length === 0) throw new Error(`BOUNDARY_CAPATH: no PEM certificate in ${path}`);
    out.push(...found);
  };
  await walk(dir);
  return out;
}

/** The `ca` option for the client: the CA file if set (it wins, as in go-rootcerts), else the directory's
 * certificates, else undefined (the system's CAs). */
export async function loadTrustedCas(caCertPath: string | undefined, caPath: string | undefined): Promise<string | undefined> {
  if (caCertPath !== undefined) return readFile(caCertPath, "utf8");
  // One PEM bundle: Node's `ca` takes concatenated certificates as well as a list.
  if (caPath !== undefined) return (await loadCaPath(caPath)).join("\n");
  return undefined;
}
