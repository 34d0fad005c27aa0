// Reads `swarmCompute.*` into the engine's plain EngineSettings. Providers may
// be written as npub or hex; the engine gets hex.
import * as vscode from 'vscode';
import { decode } from 'nostr-tools/nip19';
import type { EngineSettings, Mode } from '../engine-api';

export const SECTION = 'swarmCompute';
export const MODES: readonly Mode[] = ['fallback', 'local-only', 'swarm-only', 'local-no-fallback'];

export function providerHex(value: string): string {
  const v = value.trim();
  if (v.startsWith('npub1')) {
    try {
      const d = decode(v);
      if (d.type === 'npub') return d.data;
    } catch {
      // fall through: the engine reports the bad key by name
    }
  }
  return v.toLowerCase();
}

function nullableInt(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.floor(value) : null;
}

export function readSettings(): EngineSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const mode = c.get<Mode>('mode', 'fallback');
  return {
    mode: MODES.includes(mode) ? mode : 'fallback',
    model: c.get<string>('model', 'llama3').trim(),
    ollamaHost: c.get<string>('ollamaHost', 'http://127.0.0.1:11434').trim().replace(/\/+$/, ''),
    relays: c.get<string[]>('relays', []).map((r) => r.trim()).filter(Boolean),
    maxPriceMsats: Math.floor(c.get<number>('maxPriceMsats', 1000)),
    localTimeoutSecs: c.get<number>('localTimeoutSecs', 30),
    swarmTimeoutSecs: c.get<number>('swarmTimeoutSecs', 120),
    providers: c.get<string[]>('providers', []).map(providerHex).filter(Boolean),
    encrypt: c.get<boolean>('encrypt', false),
    offerWindowSecs: c.get<number>('offerWindowSecs', 2),
    dailyBudgetMsats: nullableInt(c.get('dailyBudgetMsats', null)),
    monthlyBudgetMsats: nullableInt(c.get('monthlyBudgetMsats', null)),
    localStallSecs: c.get<number>('localStallSecs', 30),
    hedgeAfterSecs: c.get<number>('hedgeAfterSecs', 0),
    allowOllamaCloud: c.get<boolean>('allowOllamaCloud', false),
    maxResponseBytes: Math.max(1, Math.floor(c.get<number>('maxResponseBytes', 1_048_576))),
  };
}

/** Writes a setting where the user will find it: the workspace value if one is set there, else the user's. */
export async function writeSetting(key: string, value: unknown): Promise<void> {
  const c = vscode.workspace.getConfiguration(SECTION);
  const inspected = c.inspect(key);
  const target =
    inspected?.workspaceFolderValue !== undefined
      ? vscode.ConfigurationTarget.WorkspaceFolder
      : inspected?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
  await c.update(key, value, target);
}

export function usesSwarm(mode: Mode): boolean {
  return mode === 'fallback' || mode === 'swarm-only';
}

export function usesLocal(mode: Mode): boolean {
  return mode !== 'swarm-only';
}
