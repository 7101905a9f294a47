// sithsctl: the command-line client. The commands that talk to sithsd are in ctl_commands.cpp;
// here the relying-party checks of protocol/verifier.hpp:
//   sithsctl verify-token --origin O --nonce N --trust ROOTS.pem [...] TOKEN.json
//   sithsctl verify-cms --content FILE --trust ROOTS.pem [...] SIG.p7s
// Success: a readable verdict naming the identity (with --json: the identity as JSON), exit 0.
// Rejection: "Underkänd: REASON" (with --json: {"error":"REASON"}), the detail on stderr, exit 1.
// Usage errors exit 2.
#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/browser_registration.hpp"
#include "daemon/ctl_commands.hpp"
#include "daemon/doctor/doctor_command.hpp"
#include "protocol/verifier.hpp"

namespace {

using sithsd::protocol::VerifierOptions;
using sithsd::protocol::VerifyFailure;

std::optional<std::vector<std::uint8_t>> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void add_verifier_options(CLI::App* cmd, VerifierOptions& options) {
    cmd->add_option("--trust", options.trust, "PEM file of trust anchors")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--intermediates", options.intermediates, "PEM file of intermediate CAs")
        ->check(CLI::ExistingFile);
    auto* no_ocsp = cmd->add_flag("--no-ocsp", options.no_ocsp, "skip the OCSP check");
    cmd->add_option("--ocsp-url", options.ocsp_url, "OCSP responder instead of the AIA's")
        ->excludes(no_ocsp);
}

// The verdict's language: Swedish unless the locale is English (as sithsd's default).
bool swedish() {
    for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"})
        if (const char* v = std::getenv(name); v && *v)
            return std::string_view(v).rfind("en", 0) != 0;
    return true;
}

std::string text_of(const boost::json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : "";
}

// "Giltig legitimering: Tolvan Tolvansson, Testregionen Västra" and the identity's lines.
void print_verdict(const boost::json::object& identity, bool signature) {
    const bool sv = swedish();
    std::string name = text_of(identity, "commonName");
    if (const auto org = text_of(identity, "organization"); !org.empty()) name += ", " + org;
    std::cout << (signature ? (sv ? "Giltig underskrift: " : "Valid signature: ")
                            : (sv ? "Giltig legitimering: " : "Valid authentication: "))
              << name << '\n';
    auto line = [&](const char* sv_label, const char* en_label, const std::string& value) {
        if (!value.empty())
            std::cout << "  " << (sv ? sv_label : en_label) << ": " << value << '\n';
    };
    line("HSA-ID", "HSA-ID", text_of(identity, "hsaId"));
    line("Personnummer", "Personal identity number", text_of(identity, "personalIdentityNumber"));
    line("Utfärdare", "Issuer", text_of(identity, "issuer"));
    line("Text", "Text", text_of(identity, "displayText"));
    line("Tidpunkt", "Signing time", text_of(identity, "signingTime"));
}

int reject(const VerifyFailure& failure, bool json) {
    const std::string reason(sithsd::protocol::verify_error_name(failure.reason));
    if (json)
        std::cout << boost::json::serialize(boost::json::object{{"error", reason}}) << '\n';
    else
        std::cout << (swedish() ? "Underkänd: " : "Rejected: ") << reason << '\n';
    std::cerr << "sithsctl: " << failure.detail << '\n';
    return 1;
}

int accept(const boost::json::object& out, bool json, bool signature) {
    if (json)
        std::cout << boost::json::serialize(out) << '\n';
    else
        print_verdict(out, signature);
    return 0;
}

int fail_usage(const std::string& message) {
    std::cerr << "sithsctl: " << message << '\n';
    return 2;
}

}  // namespace

static int run(int argc, char** argv) {
    CLI::App app{"sithsctl: command-line client of sithsd"};
    app.require_subcommand(1);
    app.set_version_flag("-V,--version", std::string("sithsctl ") + SITHSD_VERSION);

    VerifierOptions options;
    bool json = false;
    std::string origin, nonce, token_path;
    auto* token_cmd = app.add_subcommand("verify-token", "verify a web-eid:1 authentication token");
    token_cmd->add_option("--origin", origin, "the origin of this server")->required();
    token_cmd->add_option("--nonce", nonce, "the challenge nonce this server issued")->required();
    add_verifier_options(token_cmd, options);
    token_cmd->add_flag("--json", json, "the identity as JSON, for scripts");
    token_cmd->add_option("TOKEN", token_path, "the token (JSON)")
        ->required()
        ->check(CLI::ExistingFile);

    std::string content_path, cms_path;
    auto* cms_cmd = app.add_subcommand("verify-cms", "verify a detached CMS signature");
    cms_cmd->add_option("--content", content_path, "the signed content")
        ->required()
        ->check(CLI::ExistingFile);
    add_verifier_options(cms_cmd, options);
    cms_cmd->add_flag("--json", json, "the signer as JSON, for scripts");
    cms_cmd->add_option("SIGNATURE", cms_path, "the CMS (DER)")
        ->required()
        ->check(CLI::ExistingFile);

    sithsd::daemon::CtlCommands daemon_commands(app);
    sithsd::daemon::BrowserRegistration browser_registration(app);
    sithsd::daemon::doctor::DoctorCommand doctor(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (int code = daemon_commands.run_selected(); code >= 0) return code;
    if (int code = browser_registration.run_selected(); code >= 0) return code;
    if (int code = doctor.run_selected(); code >= 0) return code;

    try {
        const sithsd::protocol::Verifier verifier(options);
        if (*token_cmd) {
            const auto token = read_file(token_path);
            if (!token) return fail_usage("cannot read " + token_path);
            const auto result = verifier.verify_token(
                std::string_view(reinterpret_cast<const char*>(token->data()), token->size()),
                origin, nonce);
            if (!result) return reject(result.error(), json);
            return accept(to_json(*result), json, false);
        }
        const auto content = read_file(content_path);
        const auto cms = read_file(cms_path);
        if (!content || !cms) return fail_usage("cannot read the content or the signature");
        const auto result = verifier.verify_cms(*cms, *content);
        if (!result) return reject(result.error(), json);
        boost::json::object out = to_json(result->signer);
        out["displayText"] =
            result->display_text ? boost::json::value(*result->display_text) : nullptr;
        out["signingTime"] = result->signing_time;
        return accept(out, json, true);
    } catch (const std::exception& e) {
        return fail_usage(e.what());
    }
}

// Nothing escapes main: a failure that got this far is said, not a std::terminate.
int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sithsctl: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "sithsctl: unexpected failure\n");
    }
    return 1;
}
