// Owns the one Engine of this window. The engine bundle (dist/engine.js:
// sql.js, nostr-tools, ollama) is loaded on first use, not in activate(), so
// starting VS Code costs nothing until the user asks for something.
import * as vscode from 'vscode';
import { join } from 'node:path';
import type { Engine, Logger } from '../engine/api';
import { readSettings, SECTION } from './settings';
import type { SecretsStore } from './secrets';
import { applyKeepDays, KEEP_DAYS_KEY } from './history-retention';

/** dist/engine.js: the engine, and the provider and discovery parts built on it. */
export type EngineModule = typeof import('../engine-bundle');

let engineModule: EngineModule | null = null;

export function loadEngineModule(): EngineModule {
  // A runtime require of the sibling bundle keeps esbuild from inlining it.
  const load = require as NodeJS.Require;
  engineModule ??= load(join(__dirname, 'engine.js')) as EngineModule;
  return engineModule;
}

export class WindowEngine implements vscode.Disposable {
  private engine: Promise<Engine> | null = null;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly holds = new Set<Promise<void>>();
  private readonly loaded = new vscode.EventEmitter<Engine>();
  /** fires once the engine (and so the history) is open */
  readonly onDidLoad = this.loaded.event;

  constructor(
    private readonly storageDir: vscode.Uri,
    private readonly secrets: SecretsStore,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      this.loaded,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(SECTION) || !this.engine) return;
        void this.engine.then(
          (engine) => {
            engine.updateSettings(readSettings());
            this.log.info('settings changed: the next run uses them');
            if (e.affectsConfiguration(`${SECTION}.${KEEP_DAYS_KEY}`)) void applyKeepDays(engine, this.log);
          },
          () => {},
        );
      }),
      secrets.onDidChange((which) => {
        if (!this.engine) return;
        void this.engine.then(
          async (engine) => {
            if (which === 'nwcUri') engine.updateSecrets({ nwcUri: await secrets.nwcUri() });
            else engine.updateSecrets({ secretKey: await secrets.nostrSecretKey() });
            this.log.info(`${which === 'nwcUri' ? 'wallet connection' : 'Nostr key'} updated`);
          },
          () => {},
        );
      }),
    );
  }

  get historyFile(): string {
    return join(this.storageDir.fsPath, 'history.sqlite');
  }

  get isLoaded(): boolean {
    return this.engine !== null;
  }

  get(): Promise<Engine> {
    if (!this.engine) {
      this.engine = this.create();
      this.engine.then(
        (e) => this.loaded.fire(e),
        (err) => {
          this.log.error(`could not start the engine: ${err instanceof Error ? err.message : String(err)}`);
          this.engine = null;
        },
      );
    }
    return this.engine;
  }

  private async create(): Promise<Engine> {
    await vscode.workspace.fs.createDirectory(this.storageDir);
    const started = Date.now();
    const { createEngine } = loadEngineModule();
    const logger: Logger = {
      info: (m) => this.log.info(m),
      warn: (m) => this.log.warn(m),
      error: (m) => this.log.error(m),
    };
    const engine = await createEngine({
      settings: readSettings(),
      secretKey: await this.secrets.nostrSecretKey(),
      nwcUri: await this.secrets.nwcUri(),
      historyFile: this.historyFile,
      log: logger,
    });
    this.log.info(`engine ready in ${Date.now() - started} ms (history: ${this.historyFile})`);
    await applyKeepDays(engine, this.log);
    return engine;
  }

  /** The engine's history stays open until `done` settles (sharing writes served jobs into it while it stops). */
  keepOpenUntil(done: Promise<unknown>): void {
    const hold = done.then(
      () => undefined,
      () => undefined,
    );
    this.holds.add(hold);
    void hold.then(() => this.holds.delete(hold));
  }

  /** Closes the engine (history saved) once nothing holds it open; the next get() opens a new one. */
  async close(): Promise<void> {
    while (this.holds.size > 0) await Promise.all([...this.holds]);
    const current = this.engine;
    this.engine = null;
    if (current)
      await current.then(
        (e) => e.dispose(),
        () => {},
      );
  }

  dispose(): void {
    void this.close();
    for (const d of this.disposables) d.dispose();
  }
}
