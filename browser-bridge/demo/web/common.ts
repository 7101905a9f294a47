// What both pages share: the client to sithsd, the portal's API, and the status box.
import { SithsdClient, type Card } from "@sithsd/client";
import { messageFor, reasonOf, type Message } from "./messages.js";

export function daemonUrl(): string {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="sithsd-url"]');
  return meta?.content || "ws://127.0.0.1:24891/v1";
}

export const client = new SithsdClient({ url: daemonUrl() });

/** A failure of the portal's own server (its Swedish message comes with it). */
export class ServerError extends Error {
  constructor(readonly reason: string, readonly sv: string) {
    super(sv);
  }
}

export async function api<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new ServerError(json.error ?? `HTTP_${response.status}`, json.message ?? "Servern svarade med ett fel.");
  return json as T;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function show(state: string, message: Message | null, reason = "") {
  const box = $("status");
  box.dataset.state = state;
  box.dataset.reason = reason;
  box.replaceChildren();
  if (!message) return;
  const sv = document.createElement("p");
  sv.textContent = message.sv;
  box.append(sv);
  if (message.en) {
    const en = document.createElement("p");
    en.lang = "en";
    en.className = "en";
    en.textContent = message.en;
    box.append(en);
  }
}

export const status = {
  waiting: (message: Message) => show("waiting", message),
  done: (message: Message) => show("done", message),
  info: (message: Message) => show("info", message),
  clear: () => show("idle", null),
  error: (e: unknown) => {
    if (e instanceof ServerError) show("error", { sv: e.sv, en: "" }, e.reason);
    // The person chose to stop: information, not a fault.
    else if (reasonOf(e) === "USER_CANCELLED") show("info", messageFor(e), reasonOf(e));
    else show("error", messageFor(e), reasonOf(e));
  },
};

const swedishDateTime = new Intl.DateTimeFormat("sv-SE", {
  timeZone: "Europe/Stockholm", dateStyle: "long", timeStyle: "short",
});
const swedishDate = new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Stockholm", dateStyle: "long" });

/** A server's UTC time ("2026-12-07T13:05:00Z") as Swedish local time: "7 december 2026 kl. 14:05". */
export function swedishTime(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : swedishDateTime.format(t);
}

/** The date alone, in Swedish local time: "31 maj 2029". */
export function swedishDay(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso.slice(0, 10) : swedishDate.format(t);
}

export interface User {
  name: string;
  display: string;
  hsaId?: string;
  loggedInAt?: string;
}

type SessionListener = (user: User | null) => void;
const sessionListeners: SessionListener[] = [];

/** The header's "Inloggad som … · Logga ut", from the server's session; listeners follow it. */
let sessionChanges = 0;  // an answer of load() older than a login or logout must not undo it

export const session = {
  on(listener: SessionListener) {
    sessionListeners.push(listener);
  },
  set(user: User | null) {
    sessionChanges++;
    const name = $("user");
    name.textContent = user ? `Inloggad som ${user.display}` : "";
    name.hidden = !user;
    $("logout").hidden = !user;
    $("home").textContent = user ? "Mina sidor" : "Logga in";
    for (const listener of sessionListeners) listener(user);
  },
  /** Asks the server who is logged in (the cookie names the session; the page keeps nothing). */
  async load() {
    const asked = sessionChanges;
    let user: User | null = null;
    try {
      user = (await api<{ user: User }>("GET", "/api/session")).user;
    } catch (e) {
      if (!(e instanceof ServerError && e.reason === "NOT_LOGGED_IN")) status.error(e);
    }
    if (sessionChanges === asked) session.set(user);
  },
  async logout() {
    try {
      await api("POST", "/api/logout");
      session.set(null);
      status.info({ sv: "Du är utloggad.", en: "You are logged out." });
    } catch (e) {
      status.error(e);
    }
  },
};

$("logout")?.addEventListener("click", () => void session.logout());

/** The card line at the top: which card is in the reader, kept up to date by cardsChanged. */
export function watchCards() {
  const line = $("cards");
  const render = (labels: string[]) => {
    line.dataset.count = String(labels.length);
    line.textContent = labels.length ? `Kort i läsaren: ${labels.join(", ")}` : "Inget kort i läsaren";
  };
  // A listCards answer older than a cardsChanged notification must not overwrite it.
  let generation = 0;
  const names = (cards: Card[]) => cards.map((c) => c.label.replace(/ \((legitimering|underskrift)\)$/, ""));
  client.on("cardsChanged", (e) => {
    generation++;
    render(names(e.cards));
  });
  client.on("disconnected", () => {
    line.dataset.count = "";
    line.textContent = "Ingen kontakt med SITHS-tjänsten";
  });
  client.on("connected", () => {
    const asked = generation;
    client.listCards().then((cards) => { if (generation === asked) render(names(cards)); }, () => {});
  });
  // certificateExpiring comes on connect and daily: one line, the soonest date wins.
  const expiring = $("expiring");
  let soonest = Infinity;
  client.on("certificateExpiring", (e) => {
    if (e.daysLeft >= soonest) return;
    soonest = e.daysLeft;
    expiring.dataset.daysLeft = String(e.daysLeft);
    expiring.textContent = `Ett certifikat på ditt SITHS-kort går ut om ${e.daysLeft} dagar (${e.notAfter.slice(0, 10)}). ` +
      "Beställ ett nytt kort i god tid.";
    expiring.hidden = false;
  });
  client.open().catch((e) => {
    line.dataset.count = "";
    line.textContent = reasonOf(e) === "NOT_RUNNING" || reasonOf(e) === "CONNECTION_BLOCKED" ? "Ingen kontakt med SITHS-tjänsten" : messageFor(e).sv;
  });
}

export { $ };
