// Reads `swarmCompute.*` into the engine's plain EngineSettings. Providers may
// be written as npub or hex; the engine gets hex.
import * as vscode from 'vscode';
import { decode } from 'nostr-tools/nip19';
import type { EngineSettings, Mode } from '../engine/api';
import { MODES, SETTINGS, clampedNumber } from '../settings-schema';

export const SECTION = 'swarmCompute';
export { MODES };

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
  // defaults from the one schema (src/settings-schema.ts); the engine validates the values and names a bad one
  const get = <K extends keyof typeof SETTINGS>(key: K): (typeof SETTINGS)[K]['default'] =>
    c.get(key, SETTINGS[key].default) as (typeof SETTINGS)[K]['default'];
  const mode = get('mode') as Mode;
  return {
    mode: (MODES as readonly string[]).includes(mode) ? mode : SETTINGS.mode.default,
    model: get('model').trim(),
    ollamaHost: get('ollamaHost').trim().replace(/\/+$/, ''),
    relays: [...c.get<readonly string[]>('relays', [])].map((r) => r.trim()).filter(Boolean),
    maxPriceMsats: Math.floor(get('maxPriceMsats')),
    localTimeoutSecs: get('localTimeoutSecs'),
    swarmTimeoutSecs: get('swarmTimeoutSecs'),
    providers: [...get('providers')].map(providerHex).filter(Boolean),
    encrypt: get('encrypt'),
    offerWindowSecs: get('offerWindowSecs'),
    dailyBudgetMsats: nullableInt(get('dailyBudgetMsats')),
    monthlyBudgetMsats: nullableInt(get('monthlyBudgetMsats')),
    localStallSecs: get('localStallSecs'),
    hedgeAfterSecs: get('hedgeAfterSecs'),
    allowOllamaCloud: get('allowOllamaCloud'),
    maxResponseBytes: clampedNumber('maxResponseBytes', get('maxResponseBytes'), true),
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
