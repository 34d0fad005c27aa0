// The host's side of the webview's typed requests (protocol.ts HostRequests):
// one question open at a time, each with an id the answer must name, answered
// once — by the webview, by whoever holds the id, or as cancelled when the
// run stops. No vscode: the transport is the `post` it is given.
import type { HostMessage, HostRequest, HostRequests, WebviewResponse } from './protocol';

type Method = keyof HostRequests;

export class HostRequestChannel {
  private open: { request: HostRequest; settle: (result: HostRequests[Method]['result']) => void } | null = null;

  constructor(
    private readonly post: (m: HostMessage) => void,
    /** the answer when a request is replaced by another or its signal aborts */
    private readonly cancelled: { [M in Method]: HostRequests[M]['result'] },
  ) {}

  /** The request waiting for its answer, if any (sent again with `init` after a reload of the view). */
  get pending(): HostRequest | null {
    return this.open?.request ?? null;
  }

  request<M extends Method>(method: M, id: string, params: HostRequests[M]['params'], signal: AbortSignal): Promise<HostRequests[M]['result']> {
    if (signal.aborted) return Promise.resolve(this.cancelled[method]);
    return new Promise((resolve) => {
      const request = { type: 'request', id, method, params } as HostRequest;
      // a newer question takes the card's place: the older one ends as cancelled
      if (this.open) this.answer(this.open.request.id, this.cancelled[this.open.request.method]);
      this.open = { request, settle: resolve as (r: HostRequests[Method]['result']) => void };
      signal.addEventListener('abort', () => this.answer(id, this.cancelled[method]), { once: true });
      this.post(request);
    });
  }

  /** Settles the open request with this id; false when none is open under it. */
  answer(id: string, result: HostRequests[Method]['result']): boolean {
    if (this.open?.request.id !== id) return false;
    const { settle } = this.open;
    this.open = null;
    this.post({ type: 'requestDone', id });
    settle(result);
    return true;
  }

  /** The webview's answer. */
  receive(response: WebviewResponse): boolean {
    return this.open?.request.method === response.method && this.answer(response.id, response.result);
  }
}
