// Mina sidor-like login: the server's nonce -> sithsd's authenticate -> the server verifies.
import { CertificateSelectionRequiredError, type AuthToken, type Certificate } from "@sithsd/client";
import { $, api, client, session, status, swedishDay, swedishTime, watchCards, type User } from "./common.js";

const button = $<HTMLButtonElement>("login");
const cancel = $<HTMLButtonElement>("cancel");

/** Logged in: the account view with who and since when; logged out: the login button. */
function showAccount(user: User | null) {
  $("login-view").hidden = !!user;
  $("login-actions").hidden = !!user;
  $("account-view").hidden = !user;
  if (!user) return;
  $("account-name").textContent = user.name;
  $("account-hsa-id").textContent = user.hsaId ?? "";
  $("account-since").textContent = user.loggedInAt ? swedishTime(user.loggedInAt) : "";
}

function busy(on: boolean) {
  button.disabled = on;
  cancel.hidden = !on;
}

function showChooser(candidates: Certificate[]) {
  const list = $("candidates");
  list.replaceChildren();
  for (const cert of candidates) {
    const item = document.createElement("li");
    const choose = document.createElement("button");
    choose.className = "candidate";
    choose.dataset.certificateId = cert.certificateId;
    choose.textContent = `${cert.displayName} (${cert.hsaId ?? cert.personalIdentityNumber ?? ""})`;
    const issuer = document.createElement("small");
    issuer.textContent = `${cert.issuer}, giltigt till ${swedishDay(cert.notAfter)}`;
    choose.append(document.createElement("br"), issuer);
    choose.addEventListener("click", () => {
      $("chooser").hidden = true;
      void login(cert.certificateId);
    });
    item.append(choose);
    list.append(item);
  }
  $("chooser").hidden = false;
  status.waiting({ sv: "Flera certifikat passar. Välj vilket du vill logga in med.", en: "Several certificates match. Choose one." });
}

async function login(certificateId?: string) {
  busy(true);
  $("chooser").hidden = true;
  try {
    // The server keeps the nonce in this browser's session (its cookie comes with the answer).
    const { nonce } = await api<{ nonce: string }>("POST", "/api/nonce");
    status.waiting({ sv: "Ange din PIN-kod för legitimering i rutan som visas.", en: "Enter your identification PIN in the dialog." });
    let token: AuthToken;
    try {
      token = await client.authenticate({ challengeNonce: nonce, require: "hsaId", certificateId });
    } catch (e) {
      if (e instanceof CertificateSelectionRequiredError) {
        showChooser(e.candidates);
        return;
      }
      throw e;
    }
    status.waiting({ sv: "Kontrollerar inloggningen…", en: "Checking the login…" });
    // Only the token: the server checks it against the nonce of this session, sent by the cookie.
    const who = await api<User>("POST", "/api/login", { token });
    session.set(who);
    status.done({
      sv: `Inloggad som ${who.display}`,
      en: `Logged in as ${who.display}: the server verified the token (signature, certificate chain, OCSP).`,
    });
  } catch (e) {
    status.error(e);
  } finally {
    busy(false);
  }
}

button.addEventListener("click", () => void login());
cancel.addEventListener("click", () => void client.cancel());
$("logout-main").addEventListener("click", () => void session.logout());
session.on(showAccount);
void session.load();
watchCards();
