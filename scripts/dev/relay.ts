// `npm run dev:relay [-- --port 7777]`: a local Nostr relay (the one the tests
// use: @nostr-relay/core, in memory) for trying swarm-compute without the internet.
import { startRelay } from '../../test/support/relay';

const i = process.argv.indexOf('--port');
const port = i >= 0 ? Number(process.argv[i + 1]) : 7777;
void startRelay({ port }).then((relay) => {
  console.log(`relay listening on ${relay.url} (Ctrl+C to stop)`);
  const stop = () => void relay.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
});
