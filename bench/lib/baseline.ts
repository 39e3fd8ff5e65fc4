/**
 * `--baseline <git ref>`: an earlier build of the gateway, measured in the same run as this one. The ref's
 * tree is exported with `git archive` into a folder of its own under the system's temp dir (kept between
 * runs, one per commit), compiled there with this checkout's TypeScript and dependencies (a symlinked
 * node_modules), and started beside the current gateway on the same emulator. The throughput scenarios
 * then run it as one more alternating target, so "within 5% of before" is a ratio from one run, not two
 * runs on a machine whose load changes between them.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./processes.js";

export interface Baseline {
  /** The ref as given and the commit it names. */
  ref: string;
  commit: string;
  /** The compiled gateway's entry point. */
  main: string;
}

export function prepareBaseline(ref: string): Baseline {
  const git = (args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
  const commit = git(["rev-parse", "--verify", `${ref}^{commit}`]);
  const dir = join(tmpdir(), `boundary-graphql-baseline-${commit.slice(0, 12)}`);
  const main = join(dir, "dist", "main.js");
  // The packages' real folder, linked anew on every run: a link to a checkout that has since gone would
  // leave a cached build that cannot start.
  const modules = join(dir, "node_modules");
  const link = () => {
    rmSync(modules, { force: true });
    symlinkSync(realpathSync(join(ROOT, "node_modules")), modules, "dir");
  };
  if (existsSync(main)) {
    link();
    console.log(`baseline ${ref} (${commit.slice(0, 8)}): using the build in ${dir}`);
    return { ref, commit, main };
  }
  console.log(`baseline ${ref} (${commit.slice(0, 8)}): exporting and building in ${dir} ...`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = spawnSync("git", ["archive", "--format=tar", commit], { cwd: ROOT, maxBuffer: 512 * 1024 * 1024 });
  if (archive.status !== 0) throw new Error(`git archive ${commit} failed: ${archive.stderr.toString()}`);
  const untar = spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr.toString()}`);
  // This checkout's packages: a baseline whose lock file differs is measured with today's dependencies.
  link();
  const tsc = spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], {
    cwd: dir,
    encoding: "utf8",
    timeout: 300_000,
  });
  if (tsc.status !== 0 || !existsSync(main)) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`building baseline ${ref} failed (status ${tsc.status}):\n${tsc.stdout}${tsc.stderr}`);
  }
  return { ref, commit, main };
}
