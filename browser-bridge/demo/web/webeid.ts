// A page written for Web eID (its library's calls: status, authenticate, getSigningCertificate,
// sign), served by the demo portal: logs in with the portal's nonce and verifier, and signs the
// SHA-256 of a short document. With sithsd's extension it gets a SITHS card's answers.
import { authenticate, getSigningCertificate, sign, status, WebEidError } from "./webeid-protocol.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const DOCUMENT = "Intyg 2026-0042: Tolvan Tolvansson har genomgått utbildning i läkemedelshantering.";
// The library's options, as a portal passes them; ?userInteractionTimeout=MS sets that one (tests).
const wanted = Number(new URLSearchParams(location.search).get("userInteractionTimeout"));
const OPTIONS = { lang: "sv", ...(wanted > 0 ? { userInteractionTimeout: wanted } : {}) };

function show(state: string, sv: string, reason = "") {
  const box = $("status");
  box.dataset.state = state;
  box.dataset.reason = reason;
  box.textContent = sv;
}

function failed(e: unknown) {
  // The person chose to stop: information, not a fault.
  if (e instanceof WebEidError && e.code === "ERR_WEBEID_USER_CANCELLED") show("info", "Du avbröt. Inget har skickats.", e.code);
  else if (e instanceof WebEidError) show("error", `Web eID: ${e.code} ${e.message}`, e.code);
  else show("error", (e as Error)?.message ?? String(e), "PORTAL");
}

async function portal<T>(path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, { method: "POST", headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`${json.error ?? response.status}: ${json.message ?? ""}`);
  return json as T;
}

const base64 = (bytes: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(bytes)));

$("login").addEventListener("click", async () => {
  show("waiting", "Väntar på kortet…");
  try {
    const { nonce } = await portal<{ nonce: string }>("/api/nonce");
    const token = await authenticate(nonce, OPTIONS);
    const user = await portal<{ display: string }>("/api/login", { token });
    show("done", `Inloggad som ${user.display}`);
  } catch (e) {
    failed(e);
  }
});

$("sign").addEventListener("click", async () => {
  show("waiting", "Väntar på kortet…");
  try {
    const { certificate, supportedSignatureAlgorithms } = await getSigningCertificate(OPTIONS);
    const hash = base64(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(DOCUMENT)));
    const { signature, signatureAlgorithm } = await sign(certificate, hash, "SHA-256", OPTIONS);
    $("result").textContent = JSON.stringify({ document: DOCUMENT, certificate, signature, signatureAlgorithm,
      supportedSignatureAlgorithms });
    show("done", "Intyget är underskrivet.");
  } catch (e) {
    failed(e);
  }
});

status().then(
  (v) => { $("versions").textContent = `library ${v.library}, extension ${v.extension}, native ${v.nativeApp}`; $("versions").dataset.state = "ok"; },
  (e: WebEidError) => { $("versions").textContent = `${e.code}: ${e.message}`; $("versions").dataset.state = e.code; },
);
