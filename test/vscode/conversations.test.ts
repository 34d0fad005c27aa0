// Conversations in the real extension host: what the Ollama stand-in and a
// NIP-90 provider actually received as the chat went on.
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { openHistory } from '../../src/history/sqlite-history';
import { startOllamaStandin, type OllamaStandin } from '../support/ollama-standin';
import { startRelay, type TestRelay } from '../support/relay';
import { startTestProvider, type TestProvider } from '../support/test-provider';
import { api, closeEditors, editorWithSelection, resetSettings, setSettings, until } from './helpers';
import type { AskOutcome } from '../../src/vscode/chat-session';

const CODE = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n';
const KEYS = ['mode', 'model', 'ollamaHost', 'relays', 'providers', 'maxPriceMsats', 'swarmTimeoutSecs'];
type Body = { prompt?: string; messages?: { role: string; content: string }[] };

describe('conversations: explain, follow up, reopen, follow up, new chat', () => {
  let ollama: OllamaStandin;
  let relay: TestRelay;
  let provider: TestProvider;
  const generations = () => ollama.requests.filter((r) => r.path === '/api/generate' || r.path === '/api/chat');
  const lastBody = () => generations().at(-1)!.body as Body;

  before(async () => {
    ollama = await startOllamaStandin({
      models: { 'llama3.2': { reply: 'It adds two numbers.' }, tiny: { reply: 'Brief.', contextLength: 40 } },
    });
    relay = await startRelay();
    provider = await startTestProvider({ relays: [relay.url], script: { result: 'Swarm: the second line returns the sum.' } });
    await setSettings({ mode: 'local-only', model: 'llama3.2', ollamaHost: ollama.url });
    await vscode.commands.executeCommand('swarmCompute.newChat');
  });

  after(async () => {
    await (await api()).setConsent(undefined);
    await resetSettings(KEYS);
    await closeEditors();
    await provider.stop();
    await relay.stop();
    await ollama.stop();
  });

  it('keeps the earlier turns on both lanes, survives a reopen, and a new chat starts clean', async () => {
    const swarm = await api();
    await editorWithSelection(`// header\n${CODE}`, CODE);
    const explained = (await vscode.commands.executeCommand('swarmCompute.explainSelection')) as AskOutcome;
    assert.strictEqual(explained.result.lane, 'local');
    const conversation = swarm.conversationId;
    assert.ok(conversation, 'Explain Selection opened a conversation');
    // the first turn carries the code, its file, language and lines, and goes as a first turn always did
    // every local turn goes to /api/chat: a first turn is the explain prompt as its only user message
    const firstMessages = lastBody().messages ?? [];
    assert.deepStrictEqual(
      firstMessages.filter((m) => m.role !== 'system').map((m) => m.role),
      ['user'],
      'a first turn has no earlier turns',
    );
    const first = { prompt: firstMessages.at(-1)!.content };
    assert.ok(first.prompt.includes('return a + b;') && first.prompt.includes('typescript') && /lines 2–4/.test(first.prompt), first.prompt);

    const followUp = await swarm.ask('make that shorter');
    assert.strictEqual(followUp?.result.lane, 'local');
    assert.strictEqual(swarm.conversationId, conversation, 'asking in the chat continues the open conversation');
    assert.deepStrictEqual(
      lastBody()
        .messages?.filter((m) => m.role !== 'system')
        .map((m) => [m.role, m.content]),
      [
        ['user', first.prompt],
        ['assistant', 'It adds two numbers.'],
        ['user', 'make that shorter'],
      ],
    );

    // what a reloaded window reads: the file, through a store of its own
    const other = await openHistory(swarm.historyFile);
    try {
      const turns = await other.conversation(conversation!);
      assert.deepStrictEqual(
        turns.map((t) => [t.turn, t.question.split('\n')[0]]),
        [
          [1, '**Explain** `Untitled-1` lines 2–4'],
          [2, 'make that shorter'],
        ],
      );
      const [listed] = await other.conversations(1);
      assert.deepStrictEqual([listed.conversationId, listed.turns, listed.localTurns], [conversation, 2, 2]);
    } finally {
      await other.close();
    }

    // New Chat: nothing on screen; then reopen the conversation from the history
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.newChat'), true);
    assert.deepStrictEqual(await swarm.chatEntries(), []);
    assert.strictEqual(swarm.conversationId, null);
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.openConversation', conversation), true);
    const reopened = await swarm.chatEntries();
    assert.deepStrictEqual(
      reopened.map((e) => e.question.split('\n')[0]),
      ['**Explain** `Untitled-1` lines 2–4', 'make that shorter'],
    );
    assert.deepStrictEqual(
      reopened.map((e) => e.answer),
      ['It adds two numbers.', 'It adds two numbers.'],
    );

    // the next follow-up goes to the swarm: the consent card says the earlier turns go too, and how many
    await setSettings({ mode: 'swarm-only', relays: [relay.url], providers: [provider.pubkey], maxPriceMsats: 1000, swarmTimeoutSecs: 30 });
    await swarm.setConsent(undefined);
    const running = swarm.ask('and the second line?');
    const card = await until('the consent card', () => swarm.consentRequest());
    assert.strictEqual(card.earlierTurns, 2);
    assert.strictEqual(card.prompt, 'and the second line?');
    assert.ok(swarm.answerConsent('once'));
    const onSwarm = await running;
    assert.strictEqual(onSwarm?.result.lane, 'swarm', JSON.stringify(onSwarm?.result));
    const job = provider.jobs.at(-1)!;
    assert.ok(job.prompt?.startsWith(`User: ${first.prompt}\n\nAssistant: It adds two numbers.\n\nUser: make that shorter`), job.prompt ?? '');
    assert.ok(job.prompt?.endsWith('\n\nUser: and the second line?'));
    assert.deepStrictEqual(
      JSON.parse(job.params.messages).map((m: { role: string }) => m.role),
      ['user', 'assistant', 'user', 'assistant', 'user'],
    );

    // and back on the local lane, every turn so far
    await setSettings({ mode: 'local-only' });
    await swarm.ask('thanks, one more');
    assert.deepStrictEqual(
      lastBody().messages?.map((m) => m.content),
      [
        first.prompt,
        'It adds two numbers.',
        'make that shorter',
        'It adds two numbers.',
        'and the second line?',
        'Swarm: the second line returns the sum.',
        'thanks, one more',
      ],
    );
    assert.strictEqual(swarm.conversationId, conversation);

    // New Chat: the next question goes alone, in a conversation of its own
    await vscode.commands.executeCommand('swarmCompute.newChat');
    const fresh = await swarm.ask('a fresh question');
    assert.deepStrictEqual(lastBody(), { model: 'llama3.2', messages: [{ role: 'user', content: 'a fresh question' }], stream: true });
    assert.notStrictEqual(swarm.conversationId, conversation);
    assert.deepStrictEqual(
      (await swarm.chatEntries()).map((e) => e.id),
      [fresh!.id],
    );

    // delete the first conversation: its turns go from the list and the history
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.deleteConversation', conversation), true);
    const history = await swarm.history();
    assert.deepStrictEqual(await history.conversation(conversation!), []);
    assert.ok(!(await history.conversations(100)).some((c) => c.conversationId === conversation));
  });

  it("says in the chat when earlier turns were left out to fit the model's context", async () => {
    const swarm = await api();
    await setSettings({ mode: 'local-only', model: 'tiny' });
    await vscode.commands.executeCommand('swarmCompute.newChat');
    await swarm.ask('a'.repeat(100));
    await swarm.ask('b'.repeat(30));
    // 40 tokens = 160 characters: the first turn (100 + 6) does not fit beside the second (30 + 6) and this one
    const third = await swarm.ask('c'.repeat(30));
    assert.match(third!.entry.note ?? '', /^1 earlier turn of this conversation left out to fit the model's context \(40 tokens\); 1 sent/);
    assert.deepStrictEqual(
      lastBody().messages?.map((m) => m.content),
      ['b'.repeat(30), 'Brief.', 'c'.repeat(30)],
    );
    await setSettings({ model: 'llama3.2' });
  });
});
