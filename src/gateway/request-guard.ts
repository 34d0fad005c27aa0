// Who may talk to the gateway. It listens on a port any local program can
// reach, and a web page in the user's browser is a local program too: with
// DNS rebinding (evil.example resolving to 127.0.0.1) a page can send
// requests whose only tell is the Host header, and a page of another origin
// is told by its Origin / Sec-Fetch-Site headers. So: the Host must name the
// address served, browser requests must come from the gateway's own origin,
// and with a token every request carries it.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { hostname as machineName, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';

export type Refusal = { status: 401 | 403; code: 'forbidden_host' | 'forbidden_origin' | 'invalid_token'; message: string };

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1' || h === '0:0:0:0:0:0:0:1' || h.startsWith('::ffff:127.');
}

function hostPort(host: string, port: number): string {
  const h = host.toLowerCase();
  return isIP(h) === 6 ? `[${h}]:${port}` : `${h}:${port}`;
}

/** The Host header values that name the address served (`host` as given to --host, `port` as bound). */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set<string>();
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  const wildcard = bare === '0.0.0.0' || bare === '::';
  if (isLoopback(bare) || wildcard) {
    for (const n of ['127.0.0.1', 'localhost', '::1']) names.add(hostPort(n, port));
  }
  if (wildcard) {
    // every address of this machine, and its own name: what a client elsewhere would type
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) names.add(hostPort(a.address.split('%')[0], port));
    }
    names.add(hostPort(machineName(), port));
  } else {
    names.add(hostPort(bare, port));
  }
  return names;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface GuardOptions {
  hosts: Set<string>;
  token: string | null;
}

/** null when the request may go on, else why not. */
export function refusal(headers: IncomingHttpHeaders, options: GuardOptions): Refusal | null {
  const host = (headers.host ?? '').toLowerCase();
  if (!options.hosts.has(host)) {
    return {
      status: 403,
      code: 'forbidden_host',
      message: `Host "${headers.host ?? ''}" is not the address this gateway serves (${[...options.hosts].slice(0, 3).join(', ')}…): refused, as a DNS-rebinding page would be`,
    };
  }
  const origin = headers.origin;
  if (origin !== undefined) {
    let originHost: string | null = null;
    try {
      const u = new URL(origin);
      originHost = u.protocol === 'http:' || u.protocol === 'https:' ? u.host.toLowerCase() : null;
    } catch {
      originHost = null;
    }
    if (originHost === null || !options.hosts.has(originHost)) {
      return {
        status: 403,
        code: 'forbidden_origin',
        message: `requests from the web page ${origin} are refused: only programs on this machine may use the gateway`,
      };
    }
  }
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
    return { status: 403, code: 'forbidden_origin', message: `a ${site} browser request is refused: only programs on this machine may use the gateway` };
  }
  if (options.token !== null) {
    const auth = headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (!match || !sameSecret(match[1].trim(), options.token)) {
      return { status: 401, code: 'invalid_token', message: 'this gateway needs "Authorization: Bearer <token>" with the token it was started with' };
    }
  }
  return null;
}
