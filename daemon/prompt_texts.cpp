#include "daemon/prompt_texts.hpp"

namespace sithsd::daemon {
namespace {

bool swedish(const std::string& language) {
    return language != "en";
}

std::string describe_with(const PinPromptFacts& f, const std::string& requester,
                          const std::string& holder) {
    const bool sv = swedish(f.language);
    const bool sign = f.kind == PinKind::signing;
    std::string d;
    if (sign && f.display_text) {
        d += sv ? "Du ombeds skriva under:\n\n" : "You are asked to sign:\n\n";
        d += *f.display_text + "\n\n";
    } else if (sign) {
        // A raw signature without a text (a page written for Web eID sends only a hash): the
        // person is told plainly that nobody said what it is, and who asks.
        d += sv ? "Ingen text att visa: " + f.requester +
                      " har inte sagt vad du skriver under. Skriv bara under om du själv just har "
                      "bett om en underskrift där.\n\n"
                : "No text to show: " + f.requester +
                      " has not said what you are signing. Sign only if you have just asked for a "
                      "signature there yourself.\n\n";
    }
    d += (sv ? "Begärt av: " : "Requested by: ") + requester + "\n";
    d += (sv ? "Certifikat: " : "Certificate: ") + holder + "\n";
    d += sign ? (sv ? "Ange PIN för underskrift." : "Enter the signing PIN (PIN för underskrift).")
              : (sv ? "Ange PIN för legitimering."
                    : "Enter the identification PIN (PIN för legitimering).");
    if (f.status == pkcs11::PinStatus::count_low)
        d += sv ? "\nOBS: ett tidigare försök var fel; färre försök återstår."
                : "\nNote: an earlier try was wrong; fewer tries remain.";
    if (f.status == pkcs11::PinStatus::final_try)
        d += sv ? "\nVARNING: sista försöket. Fel PIN nu spärrar PIN-koden."
                : "\nWARNING: final try. A wrong PIN now blocks the PIN.";
    return d;
}

// Without its last character (a whole UTF-8 sequence), marked as cut with "…".
std::string shortened(std::string text) {
    const std::string ellipsis = "…";
    if (text.size() >= ellipsis.size() &&
        text.compare(text.size() - ellipsis.size(), ellipsis.size(), ellipsis) == 0)
        text.resize(text.size() - ellipsis.size());
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80)
        text.pop_back();
    if (!text.empty()) text.pop_back();
    return text.empty() ? text : text + ellipsis;
}

// The description fits one pinentry line (kAssuanMaxLine). The text to sign is never shortened:
// the protocol bounds it so that it fits (protocol/display_text.hpp). An unusually long holder
// name, then requester, are shortened at their end instead.
std::string describe(const PinPromptFacts& f) {
    std::string requester = f.requester, holder = f.holder;
    auto too_long = [&] {
        return assuan_line_size("SETDESC", describe_with(f, requester, holder)) > kAssuanMaxLine;
    };
    while (too_long() && !holder.empty()) holder = shortened(holder);
    while (too_long() && !requester.empty()) requester = shortened(requester);
    return describe_with(f, requester, holder);
}

}  // namespace

PromptText pin_prompt(const PinPromptFacts& f) {
    const bool sv = swedish(f.language);
    const bool sign = f.kind == PinKind::signing;
    PromptText t;
    t.title = sign ? (sv ? "SITHS-kort: underskrift" : "SITHS card: signature")
                   : (sv ? "SITHS-kort: legitimering" : "SITHS card: identification");
    t.description = describe(f);
    t.prompt = sign ? (sv ? "PIN för underskrift:" : "Signing PIN:")
                    : (sv ? "PIN för legitimering:" : "Identification PIN:");
    t.ok = sign ? (sv ? "Skriv under" : "Sign") : (sv ? "Legitimera" : "Log in");
    t.cancel = sv ? "Avbryt" : "Cancel";
    return t;
}

PromptText pin_pad_message(const PinPromptFacts& f) {
    PromptText t = pin_prompt(f);
    t.description += swedish(f.language) ? "\n\nAnge PIN-koden på kortläsarens knappsats."
                                         : "\n\nEnter the PIN on the card reader's keypad.";
    t.prompt.clear();
    return t;
}

PromptText pin_text(const PinPromptFacts& facts, bool pin_pad) {
    return pin_pad ? pin_pad_message(facts) : pin_prompt(facts);
}

std::string masked_personnummer(const std::string& number) {
    std::string digits;
    for (char c : number)
        if (c >= '0' && c <= '9') digits += c;
    if (digits.size() == 10) digits = "19" + digits;  // the short form: the century is not shown
    if (digits.size() != 12) return "****";
    return digits.substr(0, 8) + "-****";
}

std::string prompt_holder(const std::vector<pkcs11::CardInfo>& cards,
                          const pkcs11::CardCertificate& cert) {
    std::string name = cert.info.display_name();
    bool twin = false;
    for (const auto& card : cards)
        if (card.card_id == cert.card_id)
            for (const auto& other : card.certificates)
                twin = twin || (other.info.certificate_id != cert.info.certificate_id &&
                                other.info.purpose == cert.info.purpose && !other.info.is_ca);
    if (!twin) return name;
    if (cert.info.hsa_id) return name + " (HSA-ID " + *cert.info.hsa_id + ")";
    if (cert.info.personal_identity_number)
        return name + " (personnummer " + masked_personnummer(*cert.info.personal_identity_number) +
               ")";
    return name + " (" + cert.info.serial_hex + ")";
}

std::string pin_length_error(const std::string& language, std::size_t min, std::size_t max) {
    const bool sv = swedish(language);
    const std::string lo = std::to_string(min), hi = std::to_string(max);
    if (max == 0)
        return sv ? "PIN-koden ska ha minst " + lo + " tecken. Försök igen."
                  : "The PIN must have at least " + lo + " characters. Try again.";
    return sv ? "PIN-koden ska ha " + lo + " till " + hi + " tecken. Försök igen."
              : "The PIN must have " + lo + " to " + hi + " characters. Try again.";
}

PromptText consent_prompt(const std::string& language, const std::string& origin) {
    const bool sv = swedish(language);
    PromptText t;
    t.title = sv ? "SITHS-kort: ny webbplats" : "SITHS card: new website";
    t.description =
        sv ? "Webbplatsen " + origin +
                 " vill använda ditt SITHS-kort för inloggning och underskrift.\n\nTillåt den?"
           : "The website " + origin +
                 " wants to use your SITHS card to log in and sign.\n\nAllow it?";
    t.ok = sv ? "Tillåt" : "Allow";
    t.cancel = sv ? "Neka" : "Deny";
    return t;
}

namespace {

std::string kept_login_description(bool sv, const std::string& holder, const std::string& requester,
                                   const std::string& certificate) {
    return sv ? "Ditt SITHS-kort är redan upplåst för legitimering av " + holder +
                    ".\n\nVill du logga in på " + requester +
                    " med samma inloggning, utan att ange PIN-koden igen?\n\nCertifikat: " +
                    certificate + "\nLogga bara in om du själv just har bett om det där."
              : "Your SITHS card is already unlocked for identification by " + holder +
                    ".\n\nDo you want to log in to " + requester +
                    " with that same login, without entering the PIN again?\n\nCertificate: " +
                    certificate + "\nLog in only if you have just asked for it there yourself.";
}

}  // namespace

PromptText kept_login_prompt(const std::string& language, const std::string& holder,
                             const std::string& requester, const std::string& certificate) {
    const bool sv = swedish(language);
    PromptText t;
    t.title = sv ? "SITHS-kort: legitimering" : "SITHS card: identification";
    // Within one pinentry line: an unusually long name is shortened at its end, the certificate's
    // first, then the holder's, then the requester's.
    std::string h = holder, r = requester, c = certificate;
    auto too_long = [&] {
        return assuan_line_size("SETDESC", kept_login_description(sv, h, r, c)) > kAssuanMaxLine;
    };
    while (too_long() && !c.empty()) c = shortened(c);
    while (too_long() && !h.empty()) h = shortened(h);
    while (too_long() && !r.empty()) r = shortened(r);
    t.description = kept_login_description(sv, h, r, c);
    t.ok = sv ? "Logga in" : "Log in";
    t.cancel = sv ? "Avbryt" : "Cancel";
    return t;
}

PinChangePrompts pin_change_prompts(const std::string& language, PinKind kind,
                                    const std::string& requester, bool unblock) {
    const bool sv = swedish(language);
    const std::string which = kind == PinKind::signing
                                  ? (sv ? "PIN för underskrift" : "signing PIN")
                                  : (sv ? "PIN för legitimering" : "identification PIN");
    PinChangePrompts p;
    p.current.title = p.chosen.title = sv ? "SITHS-kort: byt PIN" : "SITHS card: change PIN";
    p.current.description =
        (sv ? "Begärt av: " : "Requested by: ") + requester + "\n" +
        (unblock
             ? (sv ? "Ange PUK-koden för att låsa upp " : "Enter the PUK to unblock the ") + which
             : (sv ? "Ange nuvarande " : "Enter the current ") + which);
    p.current.prompt = unblock ? "PUK:" : (sv ? "Nuvarande PIN:" : "Current PIN:");
    p.chosen.description = (sv ? "Välj ny " : "Choose the new ") + which;
    p.chosen.prompt = sv ? "Ny PIN:" : "New PIN:";
    return p;
}

}  // namespace sithsd::daemon
