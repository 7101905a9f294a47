// The client: one WebSocket to sithsd, JSON-RPC calls as promises, notifications as events,
// reconnection with backoff after a lost connection.
import {
  CallTimeoutError, ConnectionBlockedError, ConnectionLostError, HandshakeRefusedError, NotRunningError,
  SithsdError, UserCancelledError, errorFromResponse,
} from "./errors.js";
import { ExtensionSocket, probeExtension, type MessageWindow } from "./extension.js";
import type {
  AuthToken, AuthenticateParams, Bytes, CallOptions, Card, CardsChangedEvent, Certificate,
  CertificateExpiringEvent, CmsSignature, HelloResult, ListCertificatesParams, RawSignature, SignParams,
} from "./types.js";

export const DEFAULT_PORT = 24891;

/** The part of the browser's WebSocket this client uses (so tests can pass their own). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "close" | "error" | "message", listener: (event: any) => void): void;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/**
 * Why a connection could not be made, when the browser can tell: "denied" (the person or a policy
 * refused the Local Network Access permission), "prompt" (the browser is still asking), or null.
 */
export type BlockProbe = (url: string) => Promise<"denied" | "prompt" | null>;
/** Whether something answers plain HTTP at the daemon's address (it then refused the handshake). */
export type ReachProbe = (httpUrl: string) => Promise<boolean>;

export interface ReconnectOptions {
  /** First delay after a lost connection (default 250 ms); doubles up to maxDelayMs (default 10 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
}

/** Which way in: the sithsd extension when it answers (default), or only one of them. */
export type TransportChoice = "auto" | "extension" | "websocket";

export interface ConnectOptions {
  /** "auto" (default): the extension when its content script answers, else the WebSocket. */
  transport?: TransportChoice;
  /** Milliseconds to wait for the extension's answer to a ping (default 1000, as Web eID waits: a busy
   *  machine answered 300 ms too late in our tests and a page then took the WebSocket by mistake). */
  extensionProbeMs?: number;
  /** The window the extension's content script runs in (default globalThis.window). */
  window?: MessageWindow;
  /** Default ws://127.0.0.1:24891/v1 (or the given port). */
  url?: string;
  port?: number;
  /** Attempts of the first connect (default 1: a page shows "start sithsd" at once); backoff between them. */
  attempts?: number;
  /** Reconnect with backoff after a lost connection (default true). */
  reconnect?: boolean | ReconnectOptions;
  /** Milliseconds for the WebSocket handshake (default 5000). */
  connectTimeoutMs?: number;
  /** Default per-call timeout of hello/listCards/listCertificates/cancel (default 10 s). */
  callTimeoutMs?: number;
  /** Default per-call timeout of authenticate/sign, which wait for a person (default 180 s). */
  cardCallTimeoutMs?: number;
  WebSocket?: WebSocketConstructor;
  probeBlocked?: BlockProbe;
  probeReachable?: ReachProbe;
}

type Events = {
  cardsChanged: CardsChangedEvent;
  certificateExpiring: CertificateExpiringEvent;
  connected: { reconnected: boolean };
  disconnected: { error: SithsdError };
};
type Listener<T> = (event: T) => void;

interface Pending {
  method: string;
  resolve: (value: any) => void;
  reject: (error: SithsdError) => void;
  cleanup: () => void;
}

const CARD_METHODS = new Set(["authenticate", "sign"]);
const OPEN = 1;

/** The browser's own answer on Local Network Access, when it has one (Chrome, Firefox). */
export const browserBlockProbe: BlockProbe = async () => {
  const permissions = (globalThis as any).navigator?.permissions;
  if (!permissions?.query) return null;
  let prompt = false;
  // Chrome's names over time: "local-network-access" (141+), then "loopback-network" and
  // "local-network"; unknown names throw and are skipped.
  for (const name of ["loopback-network", "local-network-access", "local-network"]) {
    try {
      const status = await permissions.query({ name });
      if (status.state === "denied") return "denied";
      if (status.state === "prompt") prompt = true;
    } catch {
      /* not a permission this browser knows */
    }
  }
  return prompt ? "prompt" : null;
};

/** A no-cors fetch resolves (opaque) when anything answers HTTP there, and rejects when nothing listens. */
export const fetchReachProbe: ReachProbe = async (httpUrl) => {
  const f = (globalThis as any).fetch;
  if (!f) return false;
  try {
    await f(httpUrl, { mode: "no-cors", cache: "no-store", credentials: "omit" });
    return true;
  } catch {
    return false;
  }
};

export function base64(bytes: Bytes): string {
  if ("base64" in bytes) return bytes.base64;
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = "";
  for (let i = 0; i < view.length; i += 0x8000) {
    binary += String.fromCharCode(...view.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Why the extension's connection did not open: the daemon's or the host's answer to its hello. */
function extensionFailure(socket: ExtensionSocket): SithsdError {
  const failure = socket.failure ?? {};
  const data = failure.data as { reason?: unknown } | undefined;
  if (data?.reason === "NOT_RUNNING" || !socket.failure)
    return new NotRunningError("the sithsd extension", failure.message ?? "sithsd is not running (through the extension)");
  return errorFromResponse(failure);
}

export class SithsdClient {
  readonly url: string;
  private readonly options: Required<Pick<ConnectOptions, "connectTimeoutMs" | "callTimeoutMs" | "cardCallTimeoutMs" | "attempts">>;
  private readonly reconnectOptions: Required<ReconnectOptions> | null;
  private readonly WS: WebSocketConstructor | undefined;
  private readonly probeBlocked: BlockProbe;
  private readonly probeReachable: ReachProbe;
  private socket: WebSocketLike | null = null;
  private opening: Promise<void> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<keyof Events, Set<Listener<any>>>();
  private closedByPage = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectAttempt = 0;
  private everConnected = false;
  private readonly transportChoice: TransportChoice;
  private readonly extensionProbeMs: number;
  private readonly win: MessageWindow | null;
  private extensionPresent: Promise<boolean> | null = null;
  /** The way in of the open (or last) connection: "extension" or "websocket"; null before the first. */
  transport: "extension" | "websocket" | null = null;

  constructor(options: ConnectOptions = {}) {
    this.url = options.url ?? `ws://127.0.0.1:${options.port ?? DEFAULT_PORT}/v1`;
    this.options = {
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      callTimeoutMs: options.callTimeoutMs ?? 10_000,
      cardCallTimeoutMs: options.cardCallTimeoutMs ?? 180_000,
      attempts: Math.max(1, options.attempts ?? 1),
    };
    const r = options.reconnect ?? true;
    this.reconnectOptions = r === false ? null : {
      initialDelayMs: (r === true ? undefined : r.initialDelayMs) ?? 250,
      maxDelayMs: (r === true ? undefined : r.maxDelayMs) ?? 10_000,
      factor: (r === true ? undefined : r.factor) ?? 2,
    };
    this.transportChoice = options.transport ?? "auto";
    this.extensionProbeMs = options.extensionProbeMs ?? 1000;
    const win = options.window ?? (globalThis as any).window;
    this.win = win && typeof win.postMessage === "function" ? win : null;
    const WS = options.WebSocket ?? (globalThis as any).WebSocket;
    if (!WS && this.transportChoice === "websocket") throw new TypeError("no WebSocket: pass options.WebSocket");
    this.WS = WS;
    this.probeBlocked = options.probeBlocked ?? browserBlockProbe;
    this.probeReachable = options.probeReachable ?? fetchReachProbe;
  }

  /** True while the connection (extension or WebSocket) is open. */
  get connected(): boolean {
    return this.socket !== null && this.socket.readyState === OPEN;
  }

  /** Opens the connection (attempts with backoff as configured). Resolves when it is open. */
  async open(): Promise<this> {
    this.closedByPage = false;
    let last: SithsdError | null = null;
    for (let attempt = 0; attempt < this.options.attempts; attempt++) {
      if (attempt > 0) await delay(this.backoff(attempt - 1));
      try {
        await this.ensureOpen();
        return this;
      } catch (e) {
        last = e as SithsdError;
        if (last instanceof ConnectionBlockedError || last instanceof HandshakeRefusedError) break;  // retrying will not help
      }
    }
    throw last;
  }

  /** Closes the connection for good: no reconnection; pending calls fail with ConnectionLostError. */
  close(): void {
    this.closedByPage = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const socket = this.socket;
    this.socket = null;
    this.failPending(new ConnectionLostError("closed by the page"));
    socket?.close(1000);
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  // --- the methods of PROTOCOL.md ---
  hello(options: CallOptions = {}): Promise<HelloResult> {
    return this.call("hello", undefined, options);
  }

  listCards(options: CallOptions = {}): Promise<Card[]> {
    return this.call("listCards", undefined, options);
  }

  listCertificates(params: ListCertificatesParams = {}, options: CallOptions = {}): Promise<Certificate[]> {
    return this.call("listCertificates", params, options);
  }

  /** The Web eID token over the server's nonce; send it to the server, which verifies it. */
  authenticate(params: AuthenticateParams): Promise<AuthToken> {
    const { timeoutMs, signal, ...wire } = params;
    return this.call("authenticate", wire, { timeoutMs, signal });
  }

  sign(params: SignParams<"cms">): Promise<CmsSignature>;
  sign(params: SignParams<"raw">): Promise<RawSignature>;
  sign(params: SignParams): Promise<CmsSignature | RawSignature> {
    const { timeoutMs, signal, data, hash, ...rest } = params as SignParams & { data?: Bytes; hash?: Bytes };
    const wire: Record<string, unknown> = { ...rest };
    if (data !== undefined) wire.data = base64(data);
    if (hash !== undefined) wire.hash = base64(hash);
    return this.call("sign", wire, { timeoutMs, signal });
  }

  /**
   * Cancels the pending authenticate/sign calls of this page (their prompts close and they fail
   * with UserCancelledError). Resolves with how many the daemon cancelled.
   */
  async cancel(): Promise<number> {
    const ids = [...this.pending.entries()].filter(([, p]) => CARD_METHODS.has(p.method)).map(([id]) => id);
    const results = await Promise.all(ids.map((id) =>
      this.call<{ cancelled: boolean }>("cancel", { id }).then((r) => r.cancelled, () => false)));
    return results.filter(Boolean).length;
  }

  // --- plumbing ---
  private emit<K extends keyof Events>(event: K, value: Events[K]) {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        listener(value);
      } catch (e) {
        // A listener's bug must not break the client: reported as the browser reports uncaught errors.
        const report = (globalThis as any).reportError ?? ((error: unknown) => setTimeout(() => { throw error; }));
        report(e);
      }
    }
  }

  private backoff(attempt: number): number {
    const r = this.reconnectOptions ?? { initialDelayMs: 250, maxDelayMs: 10_000, factor: 2 };
    return Math.min(r.maxDelayMs, r.initialDelayMs * Math.pow(r.factor, attempt));
  }

  private async call<T>(method: string, params: unknown, options: CallOptions = {}): Promise<T> {
    if (options.signal?.aborted) throw this.abortError();
    await this.ensureOpen();
    const socket = this.socket!;
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? (CARD_METHODS.has(method) ? this.options.cardCallTimeoutMs : this.options.callTimeoutMs);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.abandon(id, CARD_METHODS.has(method));
        reject(new CallTimeoutError(method, timeoutMs));
      }, timeoutMs);
      const onAbort = () => {
        this.abandon(id, true);
        reject(this.abortError());
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, {
        method, resolve, reject,
        cleanup: () => {
          clearTimeout(timer);
          options.signal?.removeEventListener("abort", onAbort);
        },
      });
      const message: Record<string, unknown> = { jsonrpc: "2.0", id, method };
      if (params !== undefined) message.params = params;
      socket.send(JSON.stringify(message));
    });
  }

  private abortError() {
    return new UserCancelledError({ message: "cancelled by the page", data: { reason: "USER_CANCELLED" } });
  }

  /** Forgets a request; for a card operation the daemon is told to close its prompt. */
  private abandon(id: number, sendCancel: boolean) {
    const p = this.pending.get(id);
    if (!p) return;
    p.cleanup();
    this.pending.delete(id);
    if (sendCancel && this.connected) {
      this.socket!.send(JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method: "cancel", params: { id } }));
    }
  }

  private failPending(error: SithsdError) {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      p.cleanup();
      p.reject(error);
    }
  }

  private ensureOpen(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (!this.opening) {
      if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
      this.opening = this.openSocket().finally(() => { this.opening = null; });
      // After a lost connection, a failed attempt (a call's or the backoff's) keeps the backoff going.
      this.opening.catch(() => { if (this.everConnected) this.scheduleReconnect(); });
    }
    return this.opening;
  }

  /** Whether to go through the extension; asked once per client (the content script is there or not). */
  private useExtension(): Promise<boolean> {
    if (this.transportChoice === "websocket" || !this.win) return Promise.resolve(false);
    this.extensionPresent ??= probeExtension(this.win, this.extensionProbeMs).then((version) => version !== null);
    return this.extensionPresent;
  }

  private async openSocket(): Promise<void> {
    const viaExtension = await this.useExtension();
    if (!viaExtension && (this.transportChoice === "extension" || !this.WS)) throw new NotRunningError("the sithsd extension", "the sithsd extension does not answer in this page");
    return this.openTransport(viaExtension);
  }

  private openTransport(viaExtension: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let socket: WebSocketLike;
      try {
        socket = viaExtension ? new ExtensionSocket(this.win!) : new this.WS!(this.url, "sithsd.v1");
      } catch {
        // Mixed content or a scheme/port the browser refuses: thrown before any network access.
        reject(new ConnectionBlockedError(this.url, "security"));
        return;
      }
      let settled = false;
      let cspBlocked = false;
      const doc = (globalThis as any).document;
      const onViolation = (e: any) => {
        if (typeof e.blockedURI === "string" && this.url.startsWith(e.blockedURI.replace(/\/$/, ""))) cspBlocked = true;
      };
      doc?.addEventListener?.("securitypolicyviolation", onViolation);
      const finish = () => {
        settled = true;
        clearTimeout(timer);
        doc?.removeEventListener?.("securitypolicyviolation", onViolation);
      };
      const failed = (why: string) => {
        if (settled) return;
        finish();
        try { socket.close(); } catch { /* already closed */ }
        if (socket instanceof ExtensionSocket) reject(extensionFailure(socket));
        else this.classify(why, cspBlocked).then(reject);
      };
      const timer = setTimeout(() => failed("timeout"), this.options.connectTimeoutMs);
      socket.addEventListener("open", () => {
        if (settled) return;
        finish();
        this.socket = socket;
        this.transport = viaExtension ? "extension" : "websocket";
        const reconnected = this.everConnected;
        this.everConnected = true;
        this.reconnectAttempt = 0;
        resolve();
        this.emit("connected", { reconnected });
      });
      socket.addEventListener("error", () => failed("error"));
      socket.addEventListener("close", (event: any) => {
        if (!settled) {
          failed("closed");
          return;
        }
        if (this.socket === socket) this.lost(new ConnectionLostError(`code ${event?.code ?? "?"}`));
      });
      socket.addEventListener("message", (event: any) => {
        if (this.socket === socket) this.onMessage(String(event.data));
      });
    });
  }

  /** Why the handshake failed: the browser blocked it, sithsd refused the page, or nothing listens. */
  private async classify(why: string, cspBlocked: boolean): Promise<SithsdError> {
    if (cspBlocked) return new ConnectionBlockedError(this.url, "csp");
    const blocked = await this.probeBlocked(this.url).catch(() => null);
    if (blocked === "denied") return new ConnectionBlockedError(this.url, "local-network-access");
    if (blocked === "prompt" && why === "timeout") return new ConnectionBlockedError(this.url, "local-network-access-prompt");
    const httpUrl = this.url.replace(/^ws/, "http");
    if (await this.probeReachable(httpUrl).catch(() => false)) return new HandshakeRefusedError(this.url);
    return new NotRunningError(this.url);
  }

  private lost(error: SithsdError) {
    this.socket = null;
    this.failPending(error);
    this.emit("disconnected", { error });
    this.scheduleReconnect();
  }

  private scheduleReconnect() {
    if (this.closedByPage || !this.reconnectOptions || this.reconnectTimer) return;
    const wait = this.backoff(this.reconnectAttempt++);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.closedByPage || this.connected) return;
      this.ensureOpen().catch(() => { /* rescheduled by ensureOpen */ });
    }, wait);
  }

  private onMessage(text: string) {
    let message: any;
    try {
      message = JSON.parse(text);
    } catch {
      return;  // the daemon only sends JSON; ignore anything else rather than break
    }
    if (message && typeof message.method === "string" && message.id === undefined) {
      if (message.method === "cardsChanged" || message.method === "certificateExpiring") {
        this.emit(message.method, message.params);
      }
      return;
    }
    const p = typeof message?.id === "number" ? this.pending.get(message.id) : undefined;
    if (!p) return;  // a late answer to an abandoned request
    this.pending.delete(message.id);
    p.cleanup();
    if (message.error) p.reject(errorFromResponse(message.error));
    else p.resolve(message.result);
  }
}

/** Creates a client and opens its connection. */
export async function connect(options: ConnectOptions = {}): Promise<SithsdClient> {
  return new SithsdClient(options).open();
}
