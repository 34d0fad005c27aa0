// "Start Local Gateway": the same server as `swarm-compute gateway`, on
// 127.0.0.1 only, over this window's engine (its history, caps, budgets and
// Nostr key). Nothing goes to the swarm unless swarmCompute.gateway.allowSwarm
// is on, and then only after a modal says what would be sent where and at
// what price cap: a request from another tool is not the user typing.
import * as vscode from 'vscode';
import type { Mode, RunRequest, SwarmOutbound } from '../engine/api';
import type { Gateway } from '../gateway/gateway-server';
import { loadEngineModule, type WindowEngine } from './window-engine';
import { formatSats } from '../text/format';
import { readSettings, SECTION } from './settings';
import { SETTINGS, clampedNumber } from '../settings-schema';

export type GatewayStatus =
  { state: 'off' } | { state: 'starting' } | { state: 'running'; url: string; allowSwarm: boolean } | { state: 'failed'; error: string };

export type GatewayOutcome = { ok: true; url: string } | { ok: false; error: string };

/** Asks whether one request may go to the swarm; true = send it. */
export type GatewayConsent = (outbound: SwarmOutbound, signal: AbortSignal) => Promise<boolean>;

const SEND_ONCE = 'Send Once';
const SEND_UNTIL_STOP = 'Allow Until the Gateway Stops';

function gatewaySettings() {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    port: clampedNumber('gateway.port', c.get('gateway.port'), true),
    allowSwarm: c.get<boolean>('gateway.allowSwarm', SETTINGS['gateway.allowSwarm'].default),
  };
}

export function gatewayLine(status: GatewayStatus): string | null {
  if (status.state === 'running') {
    return `Local Gateway: $(radio-tower) [${status.url}](${status.url}) (Ollama API \`/api\`, OpenAI API \`/v1\`; ${status.allowSwarm ? 'swarm fallback asks first' : 'local only'})`;
  }
  if (status.state === 'failed') return `Local Gateway: $(error) ${status.error.replace(/[\\`*_[\]|<>]/g, '\\$&')}`;
  return null;
}

export class LocalGateway implements vscode.Disposable {
  private gateway: Gateway | null = null;
  private current: GatewayStatus = { state: 'off' };
  private allowedUntilStop = false;
  private readonly changed = new vscode.EventEmitter<GatewayStatus>();
  readonly onDidChange = this.changed.event;
  private readonly configWatch: vscode.Disposable;

  constructor(
    private readonly engines: WindowEngine,
    private readonly log: vscode.LogOutputChannel,
    private readonly consent: GatewayConsent = (outbound) => this.askModal(outbound),
  ) {
    // the tooltip follows the setting; each request reads it anyway
    this.configWatch = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(`${SECTION}.gateway.allowSwarm`) || this.current.state !== 'running') return;
      this.set({ ...this.current, allowSwarm: gatewaySettings().allowSwarm });
    });
  }

  get status(): GatewayStatus {
    return this.current;
  }

  async start(): Promise<GatewayOutcome> {
    if (this.current.state === 'running') return { ok: true, url: this.current.url };
    if (this.current.state === 'starting') return { ok: false, error: 'the gateway is already starting' };
    this.set({ state: 'starting' });
    const { port, allowSwarm } = gatewaySettings();
    try {
      const engine = await this.engines.get();
      const { startGateway } = loadEngineModule();
      this.allowedUntilStop = false;
      this.gateway = await startGateway({
        engine,
        host: '127.0.0.1',
        port,
        token: null,
        swarmAllowed: () => gatewaySettings().allowSwarm,
        swarmOff: 'the swarm is off (the setting swarmCompute.gateway.allowSwarm lets it answer, after you allow each request)',
        runOptions: () => this.runOptions(),
        ollamaHost: () => readSettings().ollamaHost,
        defaultModel: () => readSettings().model,
        warn: (m) => this.log.warn(`gateway: ${m}`),
      });
      const url = this.gateway.url;
      this.set({ state: 'running', url, allowSwarm });
      this.log.info(`Local Gateway listening on ${url} (${allowSwarm ? 'swarm fallback with consent' : 'local only'})`);
      return { ok: true, url };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const error =
        code === 'EADDRINUSE' ? `port ${port} is in use (another gateway, or Ollama itself?); change swarmCompute.gateway.port` : (e as Error).message;
      this.gateway = null;
      this.set({ state: 'failed', error });
      return { ok: false, error };
    }
  }

  /** No new requests; running ones are cancelled (nothing paid afterwards). */
  async stop(): Promise<void> {
    const gateway = this.gateway;
    this.gateway = null;
    this.allowedUntilStop = false;
    if (gateway) await gateway.close();
    if (this.current.state !== 'off') this.set({ state: 'off' });
  }

  private runOptions(): Pick<RunRequest, 'mode' | 'confirmSwarm'> {
    const { allowSwarm } = gatewaySettings();
    const userMode = readSettings().mode;
    // local first always; the swarm only with the setting, and then only after consent
    const mode: Mode = userMode === 'local-only' ? 'local-only' : allowSwarm ? 'fallback' : 'local-no-fallback';
    return {
      mode,
      confirmSwarm: async (outbound, signal) => {
        if (!gatewaySettings().allowSwarm) return false;
        if (this.allowedUntilStop) return true;
        return this.consent(outbound, signal);
      },
    };
  }

  private async askModal(outbound: SwarmOutbound): Promise<boolean> {
    const prompt = outbound.prompt.length > 200 ? `${outbound.prompt.slice(0, 199)}…` : outbound.prompt;
    const detail = [
      `A program using the Local Gateway asked:`,
      `"${prompt}"`,
      '',
      `Why: ${outbound.reason}.`,
      `Model: ${outbound.model}`,
      `Relays: ${outbound.relays.join(', ')}`,
      `Providers: ${outbound.providers.length > 0 ? outbound.providers.map((p) => `${p.slice(0, 12)}…`).join(', ') : 'any provider on these relays'}`,
      `Price cap: ${formatSats(outbound.maxPriceMsats)} per request`,
      `Encrypted for the provider: ${outbound.encrypt ? 'yes' : 'no (relays can read it)'}`,
    ].join('\n');
    const answer = await vscode.window.showWarningMessage(
      'Send this gateway request to the Nostr marketplace?',
      { modal: true, detail },
      SEND_ONCE,
      SEND_UNTIL_STOP,
    );
    this.log.info(`gateway consent (${outbound.reason}): ${answer ?? 'dismissed'}`);
    if (answer === SEND_UNTIL_STOP) this.allowedUntilStop = true;
    return answer === SEND_ONCE || answer === SEND_UNTIL_STOP;
  }

  private set(status: GatewayStatus): void {
    this.current = status;
    void vscode.commands.executeCommand('setContext', 'swarmCompute.gatewayRunning', status.state === 'running');
    this.changed.fire(status);
  }

  dispose(): void {
    void this.stop();
    this.configWatch.dispose();
    this.changed.dispose();
  }
}

/** The two commands; the result is returned for tests and scripts. */
export function registerGatewayCommands(gateway: LocalGateway): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('swarmCompute.startGateway', async () => {
      const outcome = await gateway.start();
      if (outcome.ok) {
        const copy = 'Copy URL';
        void vscode.window
          .showInformationMessage(`Swarm Compute: Local Gateway at ${outcome.url} (Ollama API /api, OpenAI API ${outcome.url}/v1).`, copy)
          .then((a) => {
            if (a === copy) void vscode.env.clipboard.writeText(outcome.url);
          });
      } else void vscode.window.showErrorMessage(`Swarm Compute: the Local Gateway did not start: ${outcome.error}`);
      return outcome;
    }),
    vscode.commands.registerCommand('swarmCompute.stopGateway', async () => {
      await gateway.stop();
      return true;
    }),
  ];
}
