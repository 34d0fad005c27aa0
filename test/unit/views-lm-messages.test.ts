// VS Code language-model messages → the engine's conversation, and the token estimate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateTokens, toConversation, UnsupportedContentError } from '../../src/ui-model/lm-messages';

const text = (value: string) => ({ value });

test('user, assistant and system turns keep their order and text; the last user message is the prompt', () => {
  const r = toConversation([
    { role: 3, content: [text('Be brief.')] },
    { role: 1, content: [text('What colour '), text('is the sky?')] },
    { role: 2, content: [text('Blue.')] },
    { role: 1, content: ['Why?'] },
  ]);
  assert.deepEqual(r.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'What colour is the sky?' },
    { role: 'assistant', content: 'Blue.' },
    { role: 'user', content: 'Why?' },
  ]);
  assert.equal(r.prompt, 'Why?');
});

test('a text data part is read as text', () => {
  const r = toConversation([{ role: 1, content: [{ mimeType: 'text/plain', data: new TextEncoder().encode('from a file') }] }]);
  assert.equal(r.prompt, 'from a file');
});

test('tool calls, tool results and images are refused by name, not dropped', () => {
  assert.throws(
    () => toConversation([{ role: 1, content: [{ callId: 'c1', content: [] }] }]),
    (e: Error) => e instanceof UnsupportedContentError && /message 1 has a tool call/.test(e.message),
  );
  assert.throws(
    () => toConversation([{ role: 1, content: [text('look'), { mimeType: 'image/png', data: new Uint8Array([1]) }] }]),
    (e: Error) => e instanceof UnsupportedContentError && /message 1 has an image: Swarm Compute models take text only/.test(e.message),
  );
});

test('a conversation must end with a user message that has text; unknown roles are named', () => {
  assert.throws(() => toConversation([]), /must end with a user message/);
  assert.throws(
    () =>
      toConversation([
        { role: 1, content: [text('hi')] },
        { role: 2, content: [text('hello')] },
      ]),
    /must end with a user message/,
  );
  assert.throws(() => toConversation([{ role: 1, content: [text('  ')] }]), /must end with a user message that has text/);
  assert.throws(() => toConversation([{ role: 9, content: [text('x')] }]), /message 1 has an unknown role \(9\)/);
});

test('tokens are estimated at about 4 characters each, rounded up', () => {
  assert.equal(estimateTokens(''), 0);
  assert.equal(estimateTokens('abc'), 1);
  assert.equal(estimateTokens('abcdefgh'), 2);
  assert.equal(estimateTokens('abcdefghi'), 3);
});
