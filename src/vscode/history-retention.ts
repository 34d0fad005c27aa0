// Applies swarmCompute.history.keepDays to the window's history: when the
// engine opens, and when the setting changes.
import * as vscode from 'vscode';
import type { Engine } from '../engine/api';
import { retentionCutoff } from '../history/retention';
import { SECTION } from './settings';
import { SETTINGS } from '../settings-schema';

export const KEEP_DAYS_KEY = 'history.keepDays';
export const DEFAULT_KEEP_DAYS = SETTINGS['history.keepDays'].default;

export function readKeepDays(): number {
  const v = vscode.workspace.getConfiguration(SECTION).get<number>(KEEP_DAYS_KEY, DEFAULT_KEEP_DAYS);
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : DEFAULT_KEEP_DAYS;
}

export async function applyKeepDays(engine: Engine, log: vscode.LogOutputChannel, keepDays = readKeepDays()): Promise<void> {
  const cutoff = retentionCutoff(keepDays);
  if (cutoff === null) return;
  try {
    await engine.history.blankTextBefore(cutoff);
  } catch (err) {
    log.warn(`history: could not blank texts older than ${keepDays} days: ${err instanceof Error ? err.message : String(err)}`);
  }
}
