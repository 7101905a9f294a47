#include "daemon/doctor/system_checks.hpp"

#include <filesystem>

#include "pkcs11/card_error.hpp"

namespace sithsd::daemon::doctor {

CheckResult check_config(const Situation& s, const std::string& file, const std::string& error) {
    CheckResult r;
    r.id = "config";
    r.data = {{"file", file}};
    if (!error.empty()) {
        r.outcome = Outcome::failed;
        r.blocks_login = true;  // sithsd refuses to start with it
        r.text =
            s.say("Inställningarna går inte att använda: ", "The configuration cannot be used: ") +
            error;
        r.advice = s.say("Rätta nyckeln som nämns (sithsd --check-config visar samma sak).",
                         "Fix the key named (sithsd --check-config says the same).");
        r.data["error"] = error;
        return r;
    }
    r.text = file.empty() ? s.say("Inställningar: standardvärden (ingen sithsd.toml)",
                                  "Configuration: the defaults (no sithsd.toml)")
                          : s.say("Inställningar: ", "Configuration: ") + file;
    return r;
}

CheckResult check_pcscd(const Situation& s, const pkcs11::ReaderSurvey& survey) {
    CheckResult r;
    r.id = "pcscd";
    r.data = {{"running", survey.service}};
    if (survey.service) {
        r.text = s.say("pcscd körs och svarar", "pcscd is running and answers");
        return r;
    }
    r.outcome = Outcome::failed;
    r.blocks_login = true;
    r.text = s.say("pcscd svarar inte", "pcscd does not answer") + " (" + survey.error + ")";
    r.advice = s.say(
        "Installera och starta kortläsartjänsten: sudo apt install pcscd && sudo "
        "systemctl enable --now pcscd.socket",
        "Install and start the smart-card service: sudo apt install pcscd && sudo "
        "systemctl enable --now pcscd.socket");
    r.data["error"] = survey.error;
    return r;
}

CheckResult check_readers(const Situation& s, const pkcs11::ReaderSurvey& survey) {
    CheckResult r;
    r.id = "readers";
    if (!survey.service) {
        r.outcome = Outcome::skipped;
        r.text =
            s.say("Kortläsare: kan inte ses utan pcscd", "Readers: cannot be seen without pcscd");
        return r;
    }
    boost::json::array readers;
    std::string names;
    for (const auto& reader : survey.readers) {
        std::string line = reader.name;
        if (reader.pin_pad.value_or(false)) line += s.say(" (PIN-pad)", " (PIN pad)");
        line += reader.card_present ? s.say(", kort isatt", ", card inserted")
                                    : s.say(", inget kort", ", no card");
        r.details.push_back(line);
        names += (names.empty() ? "" : ", ") + reader.name;
        readers.push_back({{"name", reader.name},
                           {"cardPresent", reader.card_present},
                           {"pinPad", reader.pin_pad ? boost::json::value(*reader.pin_pad)
                                                     : boost::json::value(nullptr)}});
    }
    r.data = {{"readers", readers}};
    if (survey.readers.empty()) {
        r.outcome = Outcome::failed;
        r.blocks_login = true;
        r.text = s.say("Ingen kortläsare hittades", "No card reader found") +
                 (survey.error.empty() ? "" : " (" + survey.error + ")");
        r.advice = s.say(
            "Anslut kortläsaren (USB). Syns den ändå inte: sudo apt install "
            "libccid och dra ur och sätt i läsaren igen.",
            "Connect the card reader (USB). If it still does not show: sudo apt "
            "install libccid, then unplug and replug the reader.");
        return r;
    }
    r.text = s.say("Kortläsare: ", "Readers: ") + names;
    return r;
}

std::vector<ModuleTry> try_modules(const Config& config,
                                   std::vector<std::shared_ptr<pkcs11::Module>>& loaded) {
    std::vector<ModuleTry> tries;
    bool found = false;
    for (const auto& path : config.modules) {
        ModuleTry t;
        t.path = path.string();
        std::error_code ec;
        t.exists = std::filesystem::is_regular_file(path, ec);
        // Without a `modules` key sithsd takes the first that exists and looks no further.
        const bool wanted = config.modules_configured || (!found && t.exists);
        if (wanted) {
            found = true;
            try {
                auto module = pkcs11::Module::load(t.path);
                t.info = pkcs11::module_info(*module);
                loaded.push_back(std::move(module));
            } catch (const pkcs11::CardError& e) {
                t.load_error = e.what();
            }
        }
        tries.push_back(std::move(t));
        if (!config.modules_configured && found) break;
    }
    return tries;
}

CheckResult check_modules(const Situation& s, bool configured,
                          const std::vector<ModuleTry>& tries) {
    CheckResult r;
    r.id = "module";
    boost::json::array tried;
    std::string loaded, failed;
    for (const auto& t : tries) {
        boost::json::object o{{"path", t.path}, {"exists", t.exists}};
        if (t.info) {
            o["manufacturer"] = t.info->manufacturer;
            o["description"] = t.info->description;
            o["version"] = t.info->library_version;
            loaded += (loaded.empty() ? "" : "; ") + t.path + " (" + t.info->manufacturer + ", " +
                      t.info->description + " " + t.info->library_version + ")";
        } else if (!t.load_error.empty()) {
            o["error"] = t.load_error;
            failed += (failed.empty() ? "" : "; ") + t.load_error;
        }
        tried.push_back(std::move(o));
        const std::string state = t.info                  ? s.say("laddad", "loaded")
                                  : !t.load_error.empty() ? s.say("laddas inte", "does not load")
                                  : t.exists              ? s.say("finns", "exists")
                                                          : s.say("saknas", "missing");
        r.details.push_back(s.say("provad: ", "tried: ") + t.path + " (" + state + ")");
    }
    r.data = {{"configured", configured}, {"tried", tried}};
    if (!failed.empty()) {
        r.outcome = Outcome::failed;
        r.blocks_login = true;
        r.text =
            s.say("PKCS#11-modulen laddas inte: ", "The PKCS#11 module does not load: ") + failed;
        r.advice = s.say(
            "Installera om kortprogrammet (Net iD Enterprise för SITHS-kort), eller "
            "rätta `modules` i sithsd.toml.",
            "Reinstall the card software (Net iD Enterprise for SITHS cards), or fix "
            "`modules` in sithsd.toml.");
    } else if (loaded.empty()) {
        r.outcome = Outcome::failed;
        r.blocks_login = true;
        r.text = configured ? s.say("Ingen PKCS#11-modul är angiven (`modules` är tom)",
                                    "No PKCS#11 module configured (`modules` is empty)")
                            : s.say("Ingen PKCS#11-modul hittades", "No PKCS#11 module found");
        r.advice = s.say(
            "Installera Net iD Enterprise (SITHS-kort) eller OpenSC (sudo apt install "
            "opensc), eller ange sökvägen i `modules` i sithsd.toml.",
            "Install Net iD Enterprise (SITHS cards) or OpenSC (sudo apt install "
            "opensc), or give its path in `modules` in sithsd.toml.");
    } else {
        r.text = s.say("PKCS#11-modul: ", "PKCS#11 module: ") + loaded;
    }
    return r;
}

}  // namespace sithsd::daemon::doctor
