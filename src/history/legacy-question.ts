// Rows written before schema v4 kept only the prompt. For Explain Selection's
// prompts the chat showed a short question ("**Explain** `file` lines 2–3"
// and the code); the v4 migration recovers it once, here, so that nothing
// parses prompts at read time any more. Must match what explain-prompt.ts
// made before v4 (its wording is frozen for this purpose).

/** The short question for a pre-v4 Explain prompt; null for any other prompt. */
export function legacyExplainQuestion(prompt: string): string | null {
  const m = /^Explain what this (?:.+?) code from `([^`\n]+)` \((lines? [^)\n]+)\) does\. [^\n]*\n\n((`{3,4})[^\n]*\n[\s\S]*\n\4)$/.exec(prompt);
  if (!m) return null;
  return `**Explain** \`${m[1]}\` ${m[2]}\n\n${m[3]}`;
}
