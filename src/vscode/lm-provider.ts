// Swarm Compute as a Language Model Chat Provider: its models appear to every
// extension that calls vscode.lm.selectChatModels({ vendor: 'swarm-compute' })
// (and in the chat's model picker where VS Code shows it). A request runs as
// one engine run: the same mode, price cap, budgets and history as the chat,
// with the request's messages as the conversation, the answer streamed as
// text parts. Cancelling the request aborts the run (Ollama's request closed,
// a swarm job withdrawn, nothing paid after). Nothing goes to the swarm
// without the caller's consent (lm-consent.ts).
import * as vscode from 'vscode';
import type { Mode } from '../engine/api';
import type { FailedResult } from '../run/result';
import type { WindowEngine } from './window-engine';
import type { LmConsent } from './lm-consent';
import type {
  LanguageModelChatProvider,
  LanguageModelChatRequestMessage,
  LanguageModelProviderApi,
  PrepareLanguageModelChatModelOptions,
  ProvideLanguageModelChatResponseOptions,
} from './lm-api';
import { estimateTokens, toConversation, UnsupportedContentError } from '../ui-model/lm-messages';
import { LM_VENDOR, listOllamaModels, lmModels, type LmModel } from '../ui-model/lm-models';
import { readSettings, usesSwarm } from './settings';
import { onSettingsChange } from './settings-change';

/** The history rows of these runs carry this source. */
export const LM_SOURCE = 'vscode-lm';
/** when VS Code does not say who asked (older VS Code) */
export const UNKNOWN_CALLER = 'unknown';

export class SwarmLmProvider implements LanguageModelChatProvider<LmModel>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeLanguageModelChatInformation = this.changed.event;
  // the list depends on the model, the mode (the route in each name) and the Ollama host
  private readonly disposables: vscode.Disposable[] = [this.changed, onSettingsChange(() => this.changed.fire())];

  constructor(
    private readonly engines: WindowEngine,
    private readonly consent: LmConsent,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Ollama's models may have changed (pulled, removed, started). */
  refresh(): void {
    this.changed.fire();
  }

  async provideLanguageModelChatInformation(_options: PrepareLanguageModelChatModelOptions, token: vscode.CancellationToken): Promise<LmModel[]> {
    const settings = readSettings();
    const controller = new AbortController();
    const sub = token.onCancellationRequested(() => controller.abort());
    try {
      const installed = await listOllamaModels(settings.ollamaHost, controller.signal).catch((err: unknown) => {
        this.log.info(`language models: Ollama's models not listed (${err instanceof Error ? err.message : String(err)}); offering the configured model`);
        return null;
      });
      return lmModels(settings, installed);
    } finally {
      sub.dispose();
    }
  }

  async provideLanguageModelChatResponse(
    model: LmModel,
    messages: readonly LanguageModelChatRequestMessage[],
    options: ProvideLanguageModelChatResponseOptions,
    progress: vscode.Progress<vscode.LanguageModelTextPart>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    const caller = options.requestInitiator || UNKNOWN_CALLER;
    const callerName = displayNameOf(caller);
    let conversation;
    try {
      conversation = toConversation(messages.map((m) => ({ role: Number(m.role), content: m.content })));
    } catch (err) {
      if (err instanceof UnsupportedContentError) throw new Error(`Swarm Compute: ${err.message}`);
      throw err;
    }
    const controller = new AbortController();
    const sub = token.onCancellationRequested(() => controller.abort());
    if (token.isCancellationRequested) controller.abort();
    try {
      const engine = await this.engines.get();
      const configured = readSettings().mode;
      // "Never" for this caller: its requests stay on the local model
      const mode: Mode = usesSwarm(configured) && this.consent.keepsLocal(caller) ? 'local-only' : configured;
      const handle = engine.run(
        {
          prompt: conversation.prompt,
          messages: conversation.messages,
          model: model.id,
          mode,
          source: LM_SOURCE,
          caller,
          confirmSwarm: (outbound, signal) => this.consent.ask(caller, callerName, outbound, signal),
        },
        controller.signal,
      );
      this.log.info(`language model request ${handle.id} from ${caller}: model ${model.id}, mode ${mode}, ${conversation.messages.length} message(s)`);
      let streamed = '';
      for await (const event of handle.events) {
        if (event.type === 'token' && !controller.signal.aborted) {
          streamed += event.text;
          progress.report(new vscode.LanguageModelTextPart(event.text));
        }
      }
      const result = await handle.result;
      if (controller.signal.aborted) throw new vscode.CancellationError();
      if (result.lane === 'failed') throw new Error(failureMessage(result));
      // a provider's partial feedback may stop short of its final result: the caller gets the rest
      if (result.response.startsWith(streamed) && result.response.length > streamed.length) {
        progress.report(new vscode.LanguageModelTextPart(result.response.slice(streamed.length)));
      } else if (!result.response.startsWith(streamed)) {
        this.log.warn(`language model request ${handle.id}: the final answer differs from what was streamed; the caller has the streamed text`);
      }
      this.log.info(
        `language model request ${handle.id}: answered by the ${result.lane} lane${result.lane === 'swarm' ? ` for ${result.costMsats} msats` : ''}`,
      );
    } finally {
      sub.dispose();
    }
  }

  async provideTokenCount(_model: LmModel, text: string | LanguageModelChatRequestMessage): Promise<number> {
    if (typeof text === 'string') return estimateTokens(text);
    const parts = text.content.map((p) =>
      typeof p === 'string' ? p : typeof (p as { value?: unknown })?.value === 'string' ? (p as { value: string }).value : '',
    );
    return estimateTokens(parts.join(''));
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function failureMessage(r: FailedResult): string {
  const parts = [r.localError ? `local: ${r.localError}` : '', r.swarmError ? `swarm: ${r.swarmError}` : ''].filter(Boolean);
  return `Swarm Compute could not answer (${parts.join('; ') || 'no lane answered'})`;
}

/** "Roo Code" for rooveterinaryinc.roo-cline, when that extension is installed here. */
function displayNameOf(caller: string): string {
  if (caller === 'core') return 'VS Code’s chat';
  const ext = vscode.extensions.all.find((e) => e.id.toLowerCase() === caller.toLowerCase());
  const name = (ext?.packageJSON as { displayName?: unknown } | undefined)?.displayName;
  return typeof name === 'string' && name ? `${name} (${caller})` : caller === UNKNOWN_CALLER ? 'An extension' : caller;
}

/**
 * Registers the provider where VS Code has the API (1.104 and later); on an
 * older VS Code nothing is registered and undefined is returned.
 */
export function registerLmProvider(provider: SwarmLmProvider): vscode.Disposable | undefined {
  const lm = vscode.lm as unknown as Partial<LanguageModelProviderApi> | undefined;
  if (typeof lm?.registerLanguageModelChatProvider !== 'function') return undefined;
  return lm.registerLanguageModelChatProvider(LM_VENDOR, provider);
}
