// The one protocol between the extension host and the chat webview, imported
// by both sides (src/vscode/chat-view.ts and webview/chat.ts). A discriminated
// union per direction; the host posts nothing before the webview's `ready`.
// An entry travels whole (its state lives in the session: webview/chat.ts only
// draws it); a question the host awaits (the consent card) is a request with
// an id that the webview answers once (HostRequests). No vscode, no Node.

export type ChatMode = 'fallback' | 'local-only' | 'swarm-only' | 'local-no-fallback';

/** The one name of each mode: the chat's picker, the settings (enumItemLabels), the status bar, notifications, README. */
export const MODE_LABELS: Record<ChatMode, string> = {
  fallback: 'Local, then swarm',
  'local-only': 'Local only',
  'swarm-only': 'Swarm only',
  'local-no-fallback': 'Local once, no swarm',
};

/** What a person can do about a failure; the host carries it out. */
export type ErrorAction =
  | 'startOllama'
  | 'installOllama'
  | 'pullModel'
  | 'connectWallet'
  | 'openSettings'
  | 'askSwarm'
  | 'diagnose'
  /** open the Get Started walkthrough */
  | 'setup'
  /** the same prompt again (a failed or stopped run) */
  | 'retry'
  /** another answer to the same prompt */
  | 'regenerate'
  /** the prompt back in the input, to change and send */
  | 'editResend';

export const ERROR_ACTION_LABELS: Record<ErrorAction, string> = {
  startOllama: 'Start Ollama',
  installOllama: 'Install Ollama',
  pullModel: 'Pull the model',
  connectWallet: 'Connect a wallet',
  openSettings: 'Open settings',
  askSwarm: 'Ask the swarm instead',
  diagnose: 'Diagnose connection',
  setup: 'Set up Swarm Compute',
  retry: 'Retry',
  regenerate: 'Regenerate',
  editResend: 'Edit and resend',
};

export type EntryState = 'running' | 'completed' | 'failed' | 'cancelled';

/** One question and its answer, as shown in the chat. */
export interface ChatEntry {
  /** the history row id */
  id: string;
  /** markdown shown as the question (the explained code, or what was typed) */
  question: string;
  answer: string;
  state: EntryState;
  /** the lane that answered (or is answering) */
  lane: 'local' | 'swarm' | null;
  model: string;
  /** short npub of the provider that answered */
  provider: string | null;
  costMsats: number;
  durationMs: number | null;
  /** the latest progress line while running ("Asking llama3 …", "paid 21 sats") */
  status: string | null;
  error: { message: string; actions: ErrorAction[] } | null;
  /** the run is waiting for the user's answer on the consent card (no lane yet) */
  awaiting?: 'consent' | null;
  /** something the user should see even when the answer came (a payment refused: no wallet, above the cap) */
  warning?: string | null;
  /** a half local answer that stopped: kept visible, marked, while the swarm answers in this entry */
  superseded?: { text: string; note: string } | null;
  /** the local model has sent nothing for half its first-token deadline: "Ask the swarm too" is offered */
  askSwarmToo?: boolean;
  /** the answer came from a model Ollama serves from this host (badge "Ollama cloud") */
  remoteHost?: string | null;
  /** a neutral note on the run (earlier turns left out to fit the model's context) */
  note?: string | null;
  /** what can be done with this entry once it has ended (retry, regenerate, ask the swarm instead, edit and resend) */
  actions?: ErrorAction[];
  submittedAt: number;
}

/** What the user is asked right before a prompt would leave the machine for the swarm. */
export interface ConsentRequest {
  id: string;
  prompt: string;
  model: string;
  relays: string[];
  /** npubs the job is addressed to; empty: any provider may answer */
  providers: string[];
  maxPriceMsats: number;
  encrypt: boolean;
  /** why the swarm is asked now, in words (local failed: why; or the swarm-only mode) */
  reason: string;
  /** not the swarm: Ollama would send the prompt to this host (a cloud model) */
  remoteHost?: string;
  /** earlier turns of the conversation that go with the prompt (absent: none) */
  earlierTurns?: number;
}

export type ConsentChoice = 'once' | 'always' | 'never' | 'cancel';

export interface ModelList {
  models: string[];
  /** models Ollama serves from another machine: name → remote host (marked "Ollama cloud") */
  remote?: Record<string, string>;
  /** why the list is empty (Ollama not running, …) */
  error: string | null;
  /** the one action that helps (install or start Ollama) */
  action?: ErrorAction | null;
}

/** What the host asks the webview and awaits one answer to: method → what it shows, and what comes back. */
export interface HostRequests {
  /** the consent card (replacing any other) */
  consent: { params: ConsentRequest; result: ConsentChoice };
}

export type HostRequest = { [M in keyof HostRequests]: { type: 'request'; id: string; method: M; params: HostRequests[M]['params'] } }[keyof HostRequests];

export type WebviewResponse = { [M in keyof HostRequests]: { type: 'response'; id: string; method: M; result: HostRequests[M]['result'] } }[keyof HostRequests];

/** What the chat session says as it goes: the entries and whether it is answering (chat-session.ts emits exactly these). */
export type SessionMessage =
  /** add an entry, or replace the one with the same id */
  { type: 'entry'; entry: ChatEntry } | { type: 'busy'; busy: boolean } | { type: 'cleared' };

export type HostMessage =
  | {
      type: 'init';
      entries: ChatEntry[];
      mode: ChatMode;
      model: string;
      models: ModelList;
      busy: boolean;
      /** a request still waiting for its answer (the consent card) */
      pending: HostRequest | null;
    }
  | SessionMessage
  | HostRequest
  /** the request was answered elsewhere or is no longer asked (the run stopped) */
  | { type: 'requestDone'; id: string }
  /** put text into the prompt input (Edit and resend) */
  | { type: 'draft'; text: string }
  | { type: 'settings'; mode: ChatMode; model: string }
  | { type: 'models'; models: ModelList }
  | { type: 'focusInput' };

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'send'; prompt: string }
  | { type: 'stop' }
  | { type: 'setMode'; mode: ChatMode }
  | { type: 'setModel'; model: string }
  | { type: 'refreshModels' }
  | { type: 'action'; action: ErrorAction; entryId: string }
  | { type: 'copy'; text: string }
  | WebviewResponse
  /** start the swarm job alongside the waiting local attempt of this entry */
  | { type: 'askSwarmToo'; entryId: string }
  /** insert a code block at the cursor of the active editor */
  | { type: 'insert'; text: string };

/** State the webview keeps across hide/show through its own setState. */
export interface WebviewState {
  draft: string;
  scrollTop: number;
  /** the log was scrolled to its end: show the newest entry next time */
  atEnd?: boolean;
  /** the newest entry when this was saved: a newer one means showing the end */
  newestId?: string;
}
