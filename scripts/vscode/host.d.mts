// Types for host.mjs (used from the TypeScript UI tests).
import type { ChildProcess } from 'node:child_process';
import type { Browser } from 'playwright-core';

export const projectRoot: string;
export interface TestHost {
  name: 'oldest' | 'newest';
  vscodeVersion: string;
  /** the folder code-server is installed into */
  root: string;
  /** the node binary that runs this host's server */
  node: string;
  installer: string;
}
export const HOSTS: Record<'oldest' | 'newest', TestHost>;
export function selectedHostName(argv?: string[], env?: NodeJS.ProcessEnv): 'oldest' | 'newest';
/** the host this process drives (--host / SWARM_VSCODE_HOST) */
export const host: TestHost;
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
/** packs an unpacked extension folder with vsce and installs the .vsix */
export function installFolder(dirs: HostDirs, folder: string): void;
export function startServer(
  dirs: HostDirs,
  /** smokeTestDriver (default true): false lets modal dialogs really show */
  options?: { port?: number; env?: Record<string, string>; log?: (text: string) => void; smokeTestDriver?: boolean },
): Promise<RunningServer>;
export function launchBrowser(): Promise<Browser>;
export function removeDirs(dirs: HostDirs): void;
