// Types for host.mjs (used from the TypeScript UI tests).
import type { ChildProcess } from 'node:child_process';
import type { Browser } from 'playwright-core';

export const projectRoot: string;
export const serverMain: string;
export const chromiumPath: string;
export const extensionId: string;
export const baseSettings: Record<string, unknown>;

export interface HostDirs {
  root: string;
  home: string;
  tmp: string;
  ud: string;
  sd: string;
  ext: string;
  ws: string;
}

export interface RunningServer {
  port: number;
  url: string;
  child: ChildProcess;
  output(): string;
  workbenchUrl(folder?: string, payload?: [string, string][]): string;
  remoteUri(path: string): string;
  stop(): Promise<void>;
}

export function ensureHost(): void;
export function freePort(): Promise<number>;
export function makeDirs(base?: string): HostDirs;
export function writeUserSettings(dirs: HostDirs, settings?: Record<string, unknown>): void;
export function installVsix(dirs: HostDirs, vsix: string): void;
export function startServer(
  dirs: HostDirs,
  /** smokeTestDriver (default true): false lets modal dialogs really show */
  options?: { port?: number; env?: Record<string, string>; log?: (text: string) => void; smokeTestDriver?: boolean },
): Promise<RunningServer>;
export function launchBrowser(): Promise<Browser>;
export function removeDirs(dirs: HostDirs): void;
