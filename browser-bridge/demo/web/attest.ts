// BEH-like attest: the server's signing request -> sithsd's sign (CMS) -> the server verifies.
import { NoCardError, type Certificate } from "@sithsd/client";
import { $, api, client, session, status, swedishTime, watchCards } from "./common.js";

interface Order {
  id: string;
  service: string;
  unit: string;
  requestedFor: string;
  status: string;
  attestedBy: string;
  attestedAt: string;
}

const cancel = $<HTMLButtonElement>("cancel");

function render(orders: Order[]) {
  const list = $("orders");
  list.replaceChildren();
  for (const order of orders) {
    const row = document.createElement("li");
    row.className = "order";
    row.dataset.order = order.id;
    const line = document.createElement("span");
    line.className = "line";
    line.textContent = `${order.id} · ${order.service} · ${order.unit} · för ${order.requestedFor} · `;
    const state = document.createElement("strong");
    state.className = "order-status";
    state.textContent = order.status;
    line.append(state);
    row.append(line);
    if (order.status === "Attesterad") {
      const by = document.createElement("small");
      by.className = "attested-by";
      by.textContent = ` av ${order.attestedBy}, ${swedishTime(order.attestedAt)}`;
      row.append(by);
    } else {
      const sign = document.createElement("button");
      sign.className = "sign";
      sign.textContent = "Godkänn och signera";
      sign.addEventListener("click", () => void attest(order));
      row.append(sign);
    }
    list.append(row);
  }
}

async function load() {
  render((await api<{ orders: Order[] }>("GET", "/api/orders")).orders);
}

function busy(on: boolean) {
  for (const b of document.querySelectorAll<HTMLButtonElement>("button.sign")) b.disabled = on;
  cancel.hidden = !on;
}

/** "Det du signerar" while it is being signed, "Det du signerade" after; nothing otherwise. */
function showSigning(text: string | null, signed = false) {
  $("signing").hidden = text === null;
  $("signing-label").textContent = signed ? "Det du signerade:" : "Det du signerar:";
  $("display-text").textContent = text ?? "";
}

/** The signature certificate: the only one with an HSA-ID, or the person's choice. */
function chooseCertificate(certs: Certificate[]): Promise<Certificate> {
  if (certs.length === 1) return Promise.resolve(certs[0]);
  return new Promise((resolve) => {
    const list = $("candidates");
    list.replaceChildren();
    for (const cert of certs) {
      const item = document.createElement("li");
      const choose = document.createElement("button");
      choose.className = "candidate";
      choose.dataset.certificateId = cert.certificateId;
      choose.textContent = `${cert.displayName} (${cert.hsaId})`;
      choose.addEventListener("click", () => {
        $("chooser").hidden = true;
        resolve(cert);
      });
      item.append(choose);
      list.append(item);
    }
    $("chooser").hidden = false;
    status.waiting({ sv: "Välj vilket certifikat du vill signera med.", en: "Choose the certificate to sign with." });
  });
}

async function attest(order: Order) {
  busy(true);
  try {
    const certs = await client.listCertificates({ purpose: "signing", require: "hsaId" });
    if (certs.length === 0) throw new NoCardError({ message: "no signing certificate", data: { reason: "NO_CARD" } });
    const cert = await chooseCertificate(certs);
    const request = await api<{ displayText: string; data: string }>("POST", `/api/orders/${order.id}/prepare`);
    showSigning(request.displayText);
    status.waiting({ sv: "Ange din PIN-kod för underskrift i rutan som visas.", en: "Enter your signing PIN in the dialog." });
    const { cms } = await client.sign({
      certificateId: cert.certificateId,
      displayText: request.displayText,
      data: { base64: request.data },
      format: "cms",
    });
    status.waiting({ sv: "Kontrollerar underskriften…", en: "Checking the signature…" });
    const { order: updated } = await api<{ order: Order }>("POST", `/api/orders/${order.id}/attest`, { cms });
    showSigning(request.displayText, true);
    status.done({
      sv: `${updated.id} attesterades av ${updated.attestedBy}, ${swedishTime(updated.attestedAt)}.`,
      en: `${updated.id} was approved.`,
    });
    await load();
  } catch (e) {
    showSigning(null);  // nothing was signed
    status.error(e);
  } finally {
    busy(false);
  }
}

cancel.addEventListener("click", () => void client.cancel());
void session.load();
watchCards();
load().catch((e) => status.error(e));
