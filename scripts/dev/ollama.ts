// `npm run dev:ollama [-- --port 11435] [--model llama3]`: the Ollama API
// stand-in the tests use (NDJSON streaming, 404 for unknown models), for a
// machine without Ollama. With a real Ollama, use it instead.
import { startOllamaStandin } from '../../test/support/ollama-standin';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const model = arg('--model', 'llama3');
void startOllamaStandin({
  port: Number(arg('--port', '11435')),
  models: { [model]: { reply: 'This is the stand-in model answering. It streams word by word, like Ollama.', tokenDelayMs: 30 } },
}).then((o) => {
  console.log(`Ollama stand-in on ${o.url} with model ${model} (Ctrl+C to stop)`);
  const stop = () => void o.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
});
