// Ollama's naming: a model without a tag means ":latest" ("llama3.2" is
// "llama3.2:latest"); a ':' before the last '/' belongs to a registry host.
export function canonicalModel(name: string): string {
  const n = name.trim().toLowerCase();
  return n.slice(n.lastIndexOf('/') + 1).includes(':') ? n : `${n}:latest`;
}

export function sameModel(a: string, b: string): boolean {
  return canonicalModel(a) === canonicalModel(b);
}
