// The shapes of PROTOCOL.md's results, as the daemon sends them.

export type PinStatus = "ok" | "countLow" | "finalTry" | "locked" | "unknown";
export type Purpose = "identification" | "signing";
export type Requirement = "hsaId" | "personalIdentityNumber";
export type HashAlgorithm = "SHA-256" | "SHA-384" | "SHA-512";
export type SignatureAlgorithm = "RS256" | "PS256" | "ES256" | "ES384" | "ES512";

export interface PinInfo {
  status: PinStatus;
  pinPad: boolean;
}

export interface Card {
  cardId: string;
  reader: string;
  label: string;
  pins: { identification: PinInfo; signing: PinInfo };
}

export interface Subject {
  commonName?: string;
  givenName?: string;
  surname?: string;
  serialNumber?: string;
  organization?: string;
}

export interface Certificate {
  certificateId: string;
  cardId: string;
  purpose: Purpose;
  /** base64 DER */
  certificate: string;
  subject: Subject;
  hsaId: string | null;
  personalIdentityNumber: string | null;
  /** "Tolvan Tolvansson, Testregionen Västra": what a certificate chooser shows. */
  displayName: string;
  issuer: string;
  keyAlgorithm: string;
  notBefore: string;
  notAfter: string;
  expiresInDays: number;
}

export interface HelloResult {
  protocol: string;
  version: string;
  origin: string;
  originStatus: "allowed" | "unknown" | "denied";
  transport: "websocket" | "unix";
  methods: string[];
}

/** The Web eID token (format web-eid:1.0). Send it to your server as it is. */
export interface AuthToken {
  format: string;
  algorithm: SignatureAlgorithm;
  unverifiedCertificate: string;
  signature: string;
  appVersion: string;
}

export interface RawSignature {
  signature: string;
  algorithm: SignatureAlgorithm;
  certificate: string;
}

export interface CmsSignature {
  /** base64 DER CMS SignedData, detached */
  cms: string;
  certificate: string;
}

export interface CardsChangedEvent {
  cards: Card[];
}

export interface CertificateExpiringEvent {
  certificateId: string;
  notAfter: string;
  daysLeft: number;
}

export interface CallOptions {
  /** Milliseconds before the call fails with CallTimeoutError (and a card operation is cancelled). */
  timeoutMs?: number;
  /** Aborting cancels the request in the daemon (its prompt closes) and rejects with UserCancelledError. */
  signal?: AbortSignal;
}

export interface ListCertificatesParams {
  purpose?: Purpose;
  cardId?: string;
  require?: Requirement;
}

export interface AuthenticateParams extends CallOptions {
  /** The server's single-use nonce, 44..128 characters. */
  challengeNonce: string;
  certificateId?: string;
  require?: Requirement;
}

interface SignCommon extends CallOptions {
  certificateId?: string;
  /**
   * What the person is asked to sign; shown whole in the PIN prompt. 1..500 bytes in UTF-8 (a line
   * break or `%` counts as 3), line breaks allowed, no other control character and no
   * bidirectional override or isolate (PROTOCOL.md, `sign`).
   */
  displayText: string;
}

/** Bytes as a Uint8Array/ArrayBuffer, or already base64. */
export type Bytes = Uint8Array | ArrayBuffer | { base64: string };

export interface SignDataParams extends SignCommon {
  data: Bytes;
  hash?: never;
}

export interface SignHashParams extends SignCommon {
  hash: Bytes;
  hashAlgorithm: HashAlgorithm;
  data?: never;
}

export type SignFormat = "cms" | "raw";
export type SignParams<F extends SignFormat = SignFormat> = (SignDataParams | SignHashParams) & { format: F };
