// Running the `ollama` program for the user (Start Ollama, Pull the model):
// the model name comes from settings, which a workspace can set, so it is
// checked before it goes anywhere near a command line, and the program is
// started directly (no shell parses its arguments). No vscode here.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Ollama model names: letters, digits and . _ - : / (a registry host, a namespace, a tag). */
export function checkModelName(name: string): string | null {
  if (!name) return 'The model name is empty.';
  if (name.length > 200) return 'The model name is too long.';
  if (!/^[A-Za-z0-9][A-Za-z0-9._\-:/]*$/.test(name))
    return `“${name}” is not an Ollama model name: use only letters, digits and . _ - : / (for example llama3.2 or qwen2.5-coder:7b).`;
  return null;
}

/** The OLLAMA_HOST value for `ollama serve` / `ollama pull` from the swarmCompute.ollamaHost URL (host:port). */
export function ollamaHostEnv(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const hostPort = `${u.hostname}:${port}`;
  return u.protocol === 'https:' ? `https://${hostPort}` : hostPort;
}

/** The absolute path of a program found on PATH (PATHEXT on Windows), or null. */
export function findOnPath(program: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const dirs = (env.PATH ?? env.Path ?? '').split(delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const file = join(dir, program + ext);
      try {
        if (!statSync(file).isFile()) continue;
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** Quotes one argument for display (and for shells): only checked names reach here, so double quotes suffice. */
export function quoteArg(arg: string): string {
  return /^[A-Za-z0-9._\-:/]+$/.test(arg) ? `"${arg}"` : `'${arg.replace(/'/g, `'\\''`)}'`;
}
