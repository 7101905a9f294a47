#include "daemon/ctl_messages.hpp"

#include <cctype>
#include <map>

namespace sithsd::daemon {

namespace {

struct Sentence {
    const char* sv;
    const char* en;
};

// By wire reason (PROTOCOL.md "Errors").
const std::map<std::string, Sentence>& sentences() {
    static const std::map<std::string, Sentence> table{
        {"ORIGIN_DENIED", {"Webbplatsen är nekad.", "The origin is denied."}},
        {"USER_CANCELLED", {"Avbrutet.", "Cancelled."}},
        {"NO_CARD",
         {"Inget kort är isatt (eller inget med det certifikatet).",
          "No card is inserted (or none with that certificate)."}},
        {"CARD_REMOVED", {"Kortet togs ut under åtgärden.", "The card was removed meanwhile."}},
        {"CERTIFICATE_NOT_FOUND",
         {"Certifikatet finns inte på något isatt kort (se `sithsctl certs`).",
          "No inserted card has that certificate (see `sithsctl certs`)."}},
        {"CERTIFICATE_SELECTION_REQUIRED",
         {"Flera certifikat passar: välj ett med --cert (se `sithsctl certs`).",
          "Several certificates fit: choose one with --cert (see `sithsctl certs`)."}},
        {"PIN_INCORRECT", {"Fel PIN-kod.", "Wrong PIN."}},
        {"PIN_BLOCKED",
         {"PIN-koden är spärrad; lås upp den med PUK-koden (`sithsctl unblock-pin`).",
          "The PIN is blocked; unblock it with the PUK (`sithsctl unblock-pin`)."}},
        {"PROMPT_UNAVAILABLE",
         {"Ingen PIN-dialog kunde visas (pinentry saknas eller ingen skärm).",
          "No PIN prompt could be shown (no pinentry, or no display)."}},
        {"BUSY", {"Kortet är upptaget; försök igen.", "The card is busy; try again."}},
        {"TIMEOUT",
         {"Ingen svarade i PIN-dialogen i tid.", "Nobody answered the PIN prompt in time."}},
        {"TOKEN_ERROR", {"Kortet svarade med ett fel.", "The card reported an error."}},
        {"CERTIFICATE_EXPIRED", {"Certifikatet har gått ut.", "The certificate has expired."}},
        {"SHUTTING_DOWN", {"sithsd håller på att stänga.", "sithsd is stopping."}},
    };
    return table;
}

// Request parameters as sithsctl's flags name them.
std::string flag_of(const std::string& field) {
    static const std::map<std::string, std::string> flags{
        {"certificateId", "--cert"}, {"origin", "--origin"}, {"challengeNonce", "--nonce"},
        {"displayText", "--text"},   {"data", "--in"},       {"format", "--format"},
        {"cardId", "--card"},        {"pin", "--pin"},       {"hashAlgorithm", "--hash"},
        {"purpose", "--purpose"}};
    auto it = flags.find(field);
    return it == flags.end() ? field : it->second;
}

std::string field_of(const sithsd::client::RpcError& error) {
    if (!error.data.is_object()) return "";
    const auto* field = error.data.as_object().if_contains("field");
    return field && field->is_string() ? std::string(field->as_string()) : "";
}

int tries_left_of(const sithsd::client::RpcError& error) {
    if (!error.data.is_object()) return -1;
    const auto* left = error.data.as_object().if_contains("triesLeft");
    return left && left->is_int64() ? static_cast<int>(left->as_int64()) : -1;
}

}  // namespace

std::string ctl_error_text(const sithsd::client::RpcError& error, const std::string& language) {
    const bool sv = language != "en";
    std::string text;
    if (const std::string field = field_of(error); !field.empty()) {
        // The daemon's sentence names the parameter (certificateId); sithsctl names its flag.
        const std::string flag = flag_of(field);
        std::string message = error.message;
        auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
        if (flag != "--" + field)
            for (auto at = message.find(field); at != std::string::npos;
                 at = message.find(field, at + 1)) {
                const bool whole =
                    (at == 0 || !word_char(message[at - 1])) &&
                    (at + field.size() == message.size() || !word_char(message[at + field.size()]));
                if (whole) message.replace(at, field.size(), flag);
            }
        text = (sv ? "Felaktigt värde för " : "Bad value for ") + flag + ": " + message;
    } else if (auto it = sentences().find(error.reason); it != sentences().end()) {
        text = sv ? it->second.sv : it->second.en;
    } else {
        text = error.message;
    }
    const int left = tries_left_of(error);
    if (left == 1)
        text += sv ? " Sista försöket återstår: fel PIN spärrar koden."
                   : " One try left: a wrong PIN blocks it.";
    else if (left > 1)
        text += sv ? " " + std::to_string(left) + " försök kvar."
                   : " " + std::to_string(left) + " tries left.";
    if (!error.reason.empty()) text += " (" + error.reason + ")";
    return text;
}

}  // namespace sithsd::daemon
