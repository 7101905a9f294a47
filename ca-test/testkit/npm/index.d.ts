// Types of @sithsd/testing (test keys only).
import type { BrowserContext, Page, TestType, PlaywrightTestArgs, PlaywrightTestOptions,
  PlaywrightWorkerArgs, PlaywrightWorkerOptions } from "@playwright/test";

export { expect } from "@playwright/test";

export interface Card {
  name: string; holder: string; organization: string; hsaId: string;
  personalIdentityNumber: string | null; serial: string; inserted: boolean; signing: boolean;
  revoked: boolean; pinPad: boolean; notAfter: string;
  triesLeft: { identification: number; signing: number };
  pins: { identification: string; signing: string; puk: string };
}

export interface Prompt {
  request: "GETPIN" | "CONFIRM" | "MESSAGE";
  pin: "identification" | "signing" | null;
  title: string | null;
  /** The origin (or program) that asked, as the prompt named it. */
  requester: string | null;
  /** The certificate holder, with HSA-ID. */
  holder: string | null;
  /** For a signature: the text the person was shown. */
  displayText: string | null;
  /** The error line, e.g. "Fel PIN-kod. 2 försök kvar." */
  error: string | null;
  description: string;
}

export interface CardState { name: string; inserted: boolean; triesLeft: { identification: number; signing: number } }

export interface BrowserLaunch {
  browser: "chromium" | "firefox"; executable: string; userDataDir?: string; profile?: string;
  args: string[]; env: Record<string, string>; prefs?: Record<string, unknown>;
  clientCertificateOrigins: string[]; extensionId: string | null; command: string;
}

export type Answer = string; // "123456" | "wrong" | "cancel" | "timeout" | "empty" | "yes" | "no"

export class TestkitError extends Error { reason?: string }

export class Instance {
  readonly runDir: string; readonly wsUrl: string; readonly port: number; readonly socket: string;
  readonly rootPem: string; readonly chainPem: string; readonly ocspUrl: string; readonly origins: string[];
  readonly cards: Card[]; readonly pins: { identification: string; signing: string; puk: string; wrong: string };
  readonly envFile: string;
  pin(...answers: Answer[]): Promise<string[]>;
  prompts(): Promise<Prompt[]>;
  removeCard(name?: string): Promise<CardState[]>;
  insertCard(name: string): Promise<CardState[]>;
  cardStatus(): Promise<CardState[]>;
  reset(): Promise<CardState[]>;
  card(name: string): Card | undefined;
  browser(which: "chromium" | "firefox", dir: string, options?: { origins?: string[]; extension?: boolean }): Promise<BrowserLaunch>;
  down(): Promise<{ sithsd: boolean; ocspResponder: boolean }>;
}

export class Testkit {
  constructor(command?: string);
  world(dir: string, options?: { cards?: string[]; origins?: string[]; ocspPort?: number }): Promise<Record<string, unknown>>;
  sharedWorldDir(options?: { cards?: string[]; origins?: string[] }): string;
  up(options?: { world?: string; origins?: string[]; port?: number; promptTimeout?: number; language?: "sv" | "en" }): Promise<Instance>;
}

export interface SithsdOptions {
  world?: string; cards: string[]; origins: string[]; clientCertificateOrigins: string[];
  promptTimeout: number; command?: string;
}

/** A puppeteer-core Browser on /usr/bin/firefox-esr (needs puppeteer-core installed). */
export function launchFirefox(instance: Instance, dir: string,
  options?: { origins?: string[]; extension?: boolean; headless?: boolean }): Promise<any>;

export const test: TestType<
  PlaywrightTestArgs & PlaywrightTestOptions & {
    sithsd: Instance; sithsdContext: BrowserContext; sithsdPage: Page; sithsdFirefox: any;
  },
  PlaywrightWorkerArgs & PlaywrightWorkerOptions & { sithsdOptions: SithsdOptions; sithsdWorker: Instance }
>;
