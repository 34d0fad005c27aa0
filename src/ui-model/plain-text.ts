// Notifications show text as it is: markdown marks in messages from the
// engine, a provider or a wallet (`ollama serve`, **bold**) would appear as
// literal characters there. No vscode here.

export function plainText(s: string): string {
  return s
    .replace(/`([^`\n]*)`/g, '$1')
    .replace(/\*\*([^*\n]+)\*\*/g, '$1')
    .replace(/(^|\s)_([^_\n]+)_(?=\s|[.,;:]|$)/g, '$1$2');
}
