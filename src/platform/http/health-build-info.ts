import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BuildInfo {
  version: string;
  /** The source commit, or null when neither the environment nor a git checkout says. */
  commit: string | null;
}

const COMMIT = /^[0-9a-f]{7,40}$/i;

/** The nearest directory above this file holding package.json: the repository, or the image's /app. */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** HEAD of a git checkout, read from its files (no git binary in the image, and no child process in a health route). */
function gitHead(root: string): string | null {
  try {
    const head = readFileSync(join(root, '.git', 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return COMMIT.test(head) ? head : null;
    const ref = head.slice(5);
    const loose = join(root, '.git', ref);
    if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
    const packed = readFileSync(join(root, '.git', 'packed-refs'), 'utf8');
    const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`));
    return line ? line.split(' ')[0]! : null;
  } catch {
    return null;
  }
}

/**
 * Version from package.json; commit from PAYLENS_COMMIT (the image's build argument), GIT_COMMIT or
 * SOURCE_COMMIT, else the checkout's HEAD. Read once: neither changes while the process runs.
 */
export function readBuildInfo(env: Record<string, string | undefined> = process.env): BuildInfo {
  const root = packageRoot();
  let version = '0.0.0';
  if (root) {
    try {
      version =
        (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? version;
    } catch {
      // An unreadable package.json leaves the placeholder version; the process still answers.
    }
  }
  const fromEnv = [env.PAYLENS_COMMIT, env.GIT_COMMIT, env.SOURCE_COMMIT].find(
    (c) => c !== undefined && COMMIT.test(c),
  );
  const commit = fromEnv ?? (root ? gitHead(root) : null);
  return { version, commit: commit !== null && COMMIT.test(commit) ? commit.toLowerCase() : null };
}
