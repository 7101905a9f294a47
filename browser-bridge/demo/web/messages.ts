// What the pages say for every failure: Swedish first, English second.
import {
  CertificateSelectionRequiredError, ConnectionBlockedError, PinIncorrectError, SithsdError,
} from "@sithsd/client";

export interface Message {
  sv: string;
  en: string;
}

const byReason: Record<string, Message> = {
  NOT_RUNNING: {
    sv: "SITHS-tjänsten (sithsd) körs inte på den här datorn. Starta den, eller be IT-support installera den, och försök igen.",
    en: "sithsd is not running on this computer. Start it (or ask IT to install it) and try again.",
  },
  CONNECTION_BLOCKED: {
    sv: "Webbläsaren blockerade kontakten med SITHS-tjänsten på den här datorn. Tillåt webbplatsen att nå appar och tjänster på den här enheten (lokal nätverksåtkomst i webbplatsinställningarna), eller kontakta IT-support.",
    en: "The browser blocked the connection to sithsd on this computer. Allow this site to access apps and services on this device (Local Network Access in the site settings), or contact IT support.",
  },
  HANDSHAKE_REFUSED: {
    sv: "SITHS-tjänsten på den här datorn tillåter inte den här webbplatsen. Kontakta IT-support.",
    en: "sithsd on this computer does not allow this site. Contact IT support.",
  },
  CONNECTION_LOST: {
    sv: "Kontakten med SITHS-tjänsten bröts. Försök igen.",
    en: "The connection to sithsd was lost. Try again.",
  },
  CALL_TIMEOUT: {
    sv: "SITHS-tjänsten svarade inte i tid. Försök igen.",
    en: "sithsd did not answer in time. Try again.",
  },
  ORIGIN_DENIED: {
    sv: "Den här webbplatsen får inte använda ditt SITHS-kort (nekad i SITHS-tjänsten).",
    en: "This site may not use your SITHS card (denied in sithsd).",
  },
  USER_CANCELLED: {
    sv: "Du avbröt. Inget har skickats.",
    en: "You cancelled. Nothing was sent.",
  },
  NO_CARD: {
    sv: "Inget SITHS-kort hittades. Sätt i ditt kort i kortläsaren och försök igen.",
    en: "No SITHS card was found. Insert your card in the reader and try again.",
  },
  CARD_REMOVED: {
    sv: "Kortet togs ut innan det var klart. Sätt i kortet igen och försök på nytt.",
    en: "The card was removed before it was done. Insert it again and retry.",
  },
  CERTIFICATE_NOT_FOUND: {
    sv: "Certifikatet finns inte längre på kortet. Försök igen.",
    en: "The certificate is no longer on the card. Try again.",
  },
  CERTIFICATE_SELECTION_REQUIRED: {
    sv: "Flera certifikat passar. Välj ett.",
    en: "Several certificates match. Choose one.",
  },
  PIN_BLOCKED: {
    sv: "PIN-koden är spärrad. Lås upp den med din PUK-kod eller kontakta din korthandläggare.",
    en: "The PIN is blocked. Unblock it with your PUK or contact your card administrator.",
  },
  PROMPT_UNAVAILABLE: {
    sv: "SITHS-tjänsten kan inte visa rutan för PIN-kod. Kontakta IT-support.",
    en: "sithsd cannot show its PIN dialog. Contact IT support.",
  },
  BUSY: {
    sv: "Kortet är upptaget med en annan begäran. Vänta en stund och försök igen.",
    en: "The card is busy with another request. Wait a moment and try again.",
  },
  TIMEOUT: {
    sv: "Du svarade inte i tid i rutan för PIN-kod. Försök igen.",
    en: "The PIN dialog was not answered in time. Try again.",
  },
  TOKEN_ERROR: {
    sv: "Kortet svarade med ett fel. Ta ut kortet, sätt i det igen och försök på nytt.",
    en: "The card reported an error. Remove and re-insert it, then retry.",
  },
  CERTIFICATE_EXPIRED: {
    sv: "Certifikatet på kortet har gått ut. Du behöver ett nytt kort.",
    en: "The certificate on the card has expired. You need a new card.",
  },
  LOCAL_ONLY: {
    sv: "Det här kan bara göras i ett program på datorn, inte från en webbsida.",
    en: "This can only be done from a program on the computer, not from a web page.",
  },
  RATE_LIMITED: {
    sv: "För många försök från den här webbplatsen. Vänta en stund och försök igen.",
    en: "Too many attempts from this site. Wait a moment and try again.",
  },
  SHUTTING_DOWN: {
    sv: "SITHS-tjänsten håller på att stängas av. Försök igen om en stund.",
    en: "sithsd is shutting down. Try again in a moment.",
  },
};

function pinMessage(e: PinIncorrectError): Message {
  switch (e.pinStatus) {
    case "finalTry":
      return { sv: "Fel PIN-kod. Du har ett försök kvar innan PIN-koden spärras.", en: "Wrong PIN. One try left before the PIN is blocked." };
    case "countLow":
      return { sv: "Fel PIN-kod. Du har fler än ett försök kvar. Försök igen.", en: "Wrong PIN. More than one try left. Try again." };
    case "locked":
      return byReason.PIN_BLOCKED;
    default:
      return { sv: "Fel PIN-kod. Försök igen.", en: "Wrong PIN. Try again." };
  }
}

/** The message for an error of the client (any reason) or of anything else. */
export function messageFor(e: unknown): Message {
  if (e instanceof PinIncorrectError) return pinMessage(e);
  if (e instanceof ConnectionBlockedError && e.blockedBy === "csp") {
    return {
      sv: "Webbplatsens säkerhetsinställningar (Content-Security-Policy) hindrar kontakten med SITHS-tjänsten. Kontakta webbplatsens förvaltning.",
      en: "The site's Content-Security-Policy blocks the connection to sithsd. Contact the site's administrators.",
    };
  }
  if (e instanceof SithsdError && byReason[e.reason]) return byReason[e.reason];
  if (e instanceof CertificateSelectionRequiredError) return byReason.CERTIFICATE_SELECTION_REQUIRED;
  return { sv: "Något gick fel. Försök igen.", en: "Something went wrong. Try again." };
}

/** The reason name a test or a log can key on. */
export function reasonOf(e: unknown): string {
  return e instanceof SithsdError ? e.reason : "UNKNOWN";
}
