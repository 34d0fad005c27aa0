// A small, strict argument parser: the contract (CLI.md) wants messages that
// name the flag and what is wrong, and values that may start with "-"
// (`--max-price-msats -5`, `--prompt -`), which generic parsers reject or guess at.

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FlagSpec {
  /** 'string' takes a value; 'boolean' does not; 'list' takes a value and may repeat */
  type: 'string' | 'boolean' | 'list';
}

export interface ParsedArgs {
  strings: Map<string, string>;
  booleans: Set<string>;
  lists: Map<string, string[]>;
}

export function parseArgs(argv: string[], specs: Record<string, FlagSpec>, command: string): ParsedArgs {
  const parsed: ParsedArgs = { strings: new Map(), booleans: new Set(), lists: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`${command}: unexpected argument "${arg}" (flags start with --; see --help)`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = specs[name];
    if (!spec) throw new UsageError(`${command}: unknown flag --${name} (see swarm-compute ${command} --help)`);
    if (spec.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value, got "${arg.slice(eq + 1)}"`);
      parsed.booleans.add(name);
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      // `--prompt --local-only` is a missing value, not a prompt: taking the flag as
      // text would drop what it says (and could send a local-only prompt away)
      if (/^--[a-z]/i.test(argv[i + 1])) {
        throw new UsageError(
          `--${name} needs a value, but the next argument is the flag ${argv[i + 1]} (for a value that starts with "--", write --${name}=VALUE)`,
        );
      }
      value = argv[++i];
    }
    if (spec.type === 'list') parsed.lists.set(name, [...(parsed.lists.get(name) ?? []), value]);
    else {
      if (parsed.strings.has(name)) throw new UsageError(`--${name} was given twice`);
      parsed.strings.set(name, value);
    }
  }
  return parsed;
}

/** A whole number ≥ min, from a flag or an environment variable. */
export function wholeNumber(label: string, raw: string, min = 0): number {
  const trimmed = raw.trim();
  const n = /^[+]?\d+$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${label} must be a whole number ≥ ${min}, got "${raw}"`);
  return n;
}

/** A positive number of seconds (fractions allowed: tests and scripts use them). */
export function seconds(label: string, raw: string, allowZero = false): number {
  const trimmed = raw.trim();
  const n = /^[+]?(\d+(\.\d*)?|\.\d+)$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    throw new UsageError(`${label} must be a number of seconds ${allowZero ? '≥ 0' : '> 0'}, got "${raw}"`);
  }
  return n;
}
