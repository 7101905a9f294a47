#include "daemon/doctor/card_checks.hpp"

#include "daemon/card_json.hpp"

namespace sithsd::daemon::doctor {
namespace {

using pkcs11::PinStatus;

// "2029-05-31" (UTC), the date of rfc3339().
std::string date(std::chrono::system_clock::time_point t) {
    return rfc3339(t).substr(0, 10);
}

std::string purpose_name(const Say& say, const pkcs11::CertificateInfo& info) {
    if (!info.purpose) return say("annat", "other");
    return *info.purpose == Purpose::identification ? say("legitimering", "identification")
                                                    : say("underskrift", "signature");
}

// Who the certificate names: the HSA-ID, else the personnummer (masked in a report).
std::string holder_id(const Situation& s, const pkcs11::CertificateInfo& info) {
    if (info.hsa_id) return "HSA-ID " + *info.hsa_id;
    if (info.personal_identity_number) {
        const std::string& pnr = *info.personal_identity_number;
        return s.say("personnummer ", "personal number ") +
               (s.report ? mask_personal_number(pnr) : pnr);
    }
    return info.common_name;
}

bool usable_identification(const pkcs11::CardCertificate& cert,
                           std::chrono::system_clock::time_point now) {
    return cert.info.purpose == Purpose::identification && cert.has_private_key &&
           cert.info.valid_at(now);
}

std::string pin_state(const Say& say, PinStatus status) {
    switch (status) {
        case PinStatus::ok:
            return say("ok", "ok");
        case PinStatus::count_low:
            return say("fel PIN angiven tidigare, färre försök kvar",
                       "a wrong PIN was given, fewer tries left");
        case PinStatus::final_try:
            return say("ett försök kvar", "one try left");
        case PinStatus::locked:
            return say("spärrad (0 försök kvar)", "blocked (0 tries left)");
        case PinStatus::unknown:
            break;
    }
    return say("okänt", "unknown");
}

}  // namespace

std::string mask_personal_number(const std::string& number) {
    if (number.size() < 8) return std::string(number.size(), '*');
    return number.substr(0, 8) + "-****";
}

CheckResult check_card_present(const Situation& s, bool modules_loaded,
                               const std::vector<pkcs11::CardInfo>& cards,
                               const pkcs11::ReaderSurvey& survey) {
    CheckResult r;
    r.id = "card";
    if (!modules_loaded) {
        r.outcome = Outcome::skipped;
        r.text = s.say("Kort: kan inte läsas utan PKCS#11-modul",
                       "Card: cannot be read without a PKCS#11 module");
        return r;
    }
    boost::json::array list;
    for (const auto& card : cards) {
        // Tokens grouped into cards: the identification and the signature PIN's slots.
        std::string tokens = card.identification ? s.say("legitimering", "identification") : "";
        if (card.signing)
            tokens += (tokens.empty() ? "" : " + ") + s.say("underskrift", "signature");
        r.details.push_back(card.label + " — " + card.reader + " — " + tokens);
        list.push_back({{"cardId", card.card_id},
                        {"label", card.label},
                        {"reader", card.reader},
                        {"module", card.module},
                        {"identificationToken", card.identification.has_value()},
                        {"signingToken", card.signing.has_value()}});
    }
    r.data = {{"cards", list}};
    if (!cards.empty()) {
        r.text = s.say("Kort: ", "Cards: ") + std::to_string(cards.size()) +
                 s.say(" isatt och läst", " inserted and read");
        return r;
    }
    r.outcome = Outcome::failed;
    r.blocks_login = true;
    bool in_reader = false;
    for (const auto& reader : survey.readers) in_reader = in_reader || reader.card_present;
    if (in_reader) {
        r.text = s.say("Kortet sitter i läsaren men PKCS#11-modulen känner inte igen det",
                       "The card is in the reader but the PKCS#11 module does not recognise it");
        r.advice = s.say(
            "SITHS-kort behöver Net iD Enterprise; OpenSC läser inte SITHS-kort. "
            "Ange rätt modul i `modules` i sithsd.toml.",
            "SITHS cards need Net iD Enterprise; OpenSC does not read SITHS cards. "
            "Give the right module in `modules` in sithsd.toml.");
    } else {
        r.text = s.say("Inget kort hittades", "No card found");
        r.advice = s.say("Sätt i id-kortet i läsaren (chipet först, uppåt).",
                         "Insert the ID card in the reader (chip first, facing up).");
    }
    return r;
}

CheckResult check_certificates(const Situation& s, const std::vector<pkcs11::CardInfo>& cards) {
    CheckResult r;
    r.id = "certificates";
    if (cards.empty()) {
        r.outcome = Outcome::skipped;
        r.text = s.say("Certifikat: inget kort att läsa", "Certificates: no card to read");
        return r;
    }
    boost::json::array list;
    int usable = 0;
    long soonest = -1;
    for (const auto& card : cards) {
        for (const auto& cert : card.certificates) {
            const auto& info = cert.info;
            const long days = info.days_left(s.now);
            if (usable_identification(cert, s.now)) ++usable;
            if (info.purpose && days >= 0 && (soonest < 0 || days < soonest)) soonest = days;
            std::string line = purpose_name(s.say, info) + " · " + holder_id(s, info) + " · ";
            line += days < 0 ? s.say("gick ut ", "expired ") + date(info.not_after)
                             : s.say("går ut om ", "expires in ") + std::to_string(days) +
                                   s.say(" dagar (", " days (") + date(info.not_after) + ")";
            line += s.say(" · utfärdare ", " · issuer ") + info.issuer;
            r.details.push_back(line);
            boost::json::object o{
                {"purpose", purpose_name(Say{true}, info)},
                {"hsaId", info.hsa_id ? boost::json::value(*info.hsa_id) : nullptr},
                {"daysLeft", days},
                {"notAfter", date(info.not_after)},
                {"issuer", info.issuer}};
            if (info.personal_identity_number)
                o["personalIdentityNumber"] =
                    s.report ? mask_personal_number(*info.personal_identity_number)
                             : *info.personal_identity_number;
            list.push_back(std::move(o));
        }
    }
    r.data = {{"certificates", list}, {"usableIdentification", usable}};
    if (usable == 0) {
        r.outcome = Outcome::failed;
        r.blocks_login = true;
        r.text = s.say("Inget giltigt legitimeringscertifikat på kortet",
                       "No valid identification certificate on the card");
        r.advice = s.say(
            "Kortet kan inte användas för inloggning. Kontakta din "
            "id-korts-administratör för ett nytt kort.",
            "The card cannot be used to log in. Contact your organisation's SITHS "
            "card administrator for a new card.");
        return r;
    }
    r.text = s.say("Certifikat: ", "Certificates: ") + std::to_string(usable) +
             (usable == 1 ? s.say(" giltigt för inloggning", " valid for login")
                          : s.say(" giltiga för inloggning", " valid for login"));
    if (soonest >= 0 && soonest <= 90) {
        r.outcome = Outcome::warning;
        r.text += s.say(", ett går ut om ", ", one expires in ") + std::to_string(soonest) +
                  s.say(" dagar", " days");
        r.advice = s.say("Beställ ett nytt kort nu: det tar 3–5 veckor.",
                         "Order a new card now: it takes 3–5 weeks.");
    }
    return r;
}

CheckResult check_pins(const Situation& s, const std::vector<pkcs11::CardInfo>& cards) {
    CheckResult r;
    r.id = "pin";
    if (cards.empty()) {
        r.outcome = Outcome::skipped;
        r.text = s.say("PIN: inget kort att läsa", "PIN: no card to read");
        return r;
    }
    boost::json::array list;
    bool id_blocked = false, sign_blocked = false, low = false;
    for (const auto& card : cards) {
        boost::json::object o{{"cardId", card.card_id}};
        auto one = [&](const std::optional<pkcs11::PinInfo>& pin, const char* key,
                       const std::string& name) {
            if (!pin) return;
            o[key] = {{"status", pkcs11::to_string(pin->status)}, {"pinPad", pin->pin_pad}};
            r.details.push_back(
                card.label + ": " + name + " " + pin_state(s.say, pin->status) +
                (pin->pin_pad ? s.say(" (anges på läsaren)", " (typed on the reader)") : ""));
            if (pin->status == PinStatus::locked)
                (key[0] == 'i' ? id_blocked : sign_blocked) = true;
            if (pin->status == PinStatus::count_low || pin->status == PinStatus::final_try)
                low = true;
        };
        one(card.identification, "identification",
            s.say("legitimerings-PIN", "identification PIN"));
        one(card.signing, "signing", s.say("underskrifts-PIN", "signature PIN"));
        list.push_back(std::move(o));
    }
    r.data = {{"cards", list}};
    const std::string puk = s.say(
        "Lås upp med PUK-koden (sithsctl unblock-pin). Har du inte PUK-koden: kontakta din "
        "id-korts-administratör (organisationens SITHS-administratör).",
        "Unblock it with the PUK (sithsctl unblock-pin). Without the PUK: contact your "
        "organisation's SITHS card administrator.");
    if (id_blocked) {
        r.outcome = Outcome::failed;
        r.blocks_login = true;
        r.text = s.say("Legitimerings-PIN är spärrad", "The identification PIN is blocked");
        r.advice = puk;
    } else if (sign_blocked) {
        r.outcome = Outcome::warning;
        r.text = s.say("Underskrifts-PIN är spärrad (inloggning fungerar, underskrift inte)",
                       "The signature PIN is blocked (login works, signing does not)");
        r.advice = puk;
    } else if (low) {
        r.outcome = Outcome::warning;
        r.text = s.say("PIN: fel kod har angetts, få försök kvar",
                       "PIN: a wrong PIN was given, few tries left");
        r.advice = s.say("Var noga med nästa försök; en rätt kod återställer räknaren.",
                         "Take care with the next try; a right PIN resets the counter.");
    } else {
        r.text = s.say("PIN: inte spärrad", "PIN: not blocked");
    }
    return r;
}

}  // namespace sithsd::daemon::doctor
